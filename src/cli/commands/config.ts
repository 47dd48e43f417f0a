/** `clinvk config show|get|set|path|init`: read and change the configuration. */
import { existsSync } from "node:fs";
import { stringify } from "yaml";
import { requireKey, setConfigValue, starterConfig, writeFileAtomic } from "../../config/edit.js";
import { allKeys, getPath } from "../../config/keys.js";
import { describeSource, type LoadedConfig, loadConfig } from "../../config/load.js";
import { configLocation } from "../../config/paths.js";
import { SECRET_KEYS } from "../../config/schema.js";
import { ClinvkError } from "../../core/errors.js";
import { ExitCode } from "../exit-codes.js";
import { ignoredEnvLines } from "../ignored-env.js";

const MASK = "********";

/** Secrets never reach the terminal: API keys, and backend env values named like secrets. */
function masked(loaded: LoadedConfig): Record<string, unknown> {
  const copy = structuredClone(loaded.config) as unknown as Record<string, unknown>;
  for (const key of SECRET_KEYS) {
    const path = key.split(".");
    const value = getPath(copy, path);
    if (Array.isArray(value))
      setLeaf(
        copy,
        path,
        value.map(() => MASK),
      );
    else if (value) setLeaf(copy, path, MASK);
  }
  for (const backend of Object.values(copy.backends as Record<string, { env: Record<string, string> }>)) {
    for (const name of Object.keys(backend.env)) {
      if (/KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i.test(name)) backend.env[name] = MASK;
    }
  }
  return copy;
}

function setLeaf(target: Record<string, unknown>, path: string[], value: unknown) {
  const parent = getPath(target, path.slice(0, -1)) as Record<string, unknown>;
  parent[path[path.length - 1] as string] = value;
}

export function runConfigShow(flags: { json?: boolean; sources?: boolean; config?: string }): number {
  const loaded = loadConfig({ configFile: flags.config });
  const config = masked(loaded);
  if (flags.sources) {
    const rows = allKeys().map(({ key, path }) => ({
      key,
      value: getPath(config, path),
      source: describeSource(loaded.sources.get(key)),
    }));
    const ignored = ignoredEnvLines(loaded.ignoredEnv);
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify(Object.fromEntries(rows.map((r) => [r.key, { value: r.value, source: r.source }])), null, 2)}\n`,
      );
      process.stderr.write(ignored); // stdout keeps its one shape: key → value and source
    } else {
      const width = Math.max(...rows.map((r) => r.key.length));
      for (const row of rows) {
        process.stdout.write(`${row.key.padEnd(width)}  ${JSON.stringify(row.value)}  (${row.source})\n`);
      }
      if (ignored) process.stdout.write(`\n${ignored}`);
    }
    return ExitCode.ok;
  }
  process.stdout.write(flags.json ? `${JSON.stringify(config, null, 2)}\n` : stringify(config));
  return ExitCode.ok;
}

export function runConfigGet(key: string, flags: { config?: string }): number {
  const info = requireKey(key);
  const loaded = loadConfig({ configFile: flags.config });
  const value = getPath(loaded.config, info.path);
  process.stdout.write(typeof value === "string" ? `${value}\n` : `${JSON.stringify(value)}\n`);
  return ExitCode.ok;
}

export function runConfigSet(key: string, value: string, flags: { config?: string }): number {
  const location = configLocation(flags.config);
  const written = setConfigValue(location, key, value);
  process.stdout.write(`Set ${key} = ${JSON.stringify(written)} in ${location.path}\n`);
  return ExitCode.ok;
}

/** Loading is the check: a mistake throws `invalid_config` (exit 3) naming the file, line and key. */
export function runConfigValidate(flags: { config?: string }): number {
  const loaded = loadConfig({ configFile: flags.config });
  const where = loaded.fileFound ? loaded.location.path : `${loaded.location.path} does not exist: built-in defaults`;
  process.stdout.write(`${where}: valid\n`);
  process.stderr.write(ignoredEnvLines(loaded.ignoredEnv));
  return ExitCode.ok;
}

export function runConfigPath(flags: { config?: string }): number {
  const location = configLocation(flags.config);
  process.stdout.write(
    `${location.path}${existsSync(location.path) ? "" : "  (does not exist yet: built-in defaults apply)"}\n`,
  );
  return ExitCode.ok;
}

export function runConfigInit(flags: { config?: string; force?: boolean }): number {
  const location = configLocation(flags.config);
  if (existsSync(location.path) && !flags.force) {
    throw new ClinvkError(
      "invalid_config",
      `${location.path} already exists`,
      "use --force to replace it, or `clinvk config set <key> <value>` to change one key",
    );
  }
  writeFileAtomic(location.path, starterConfig());
  process.stdout.write(`Wrote ${location.path}\n`);
  return ExitCode.ok;
}
