/**
 * The validated configuration of an earlier start, kept in `$CLINVK_HOME/cache/config.json`, so
 * that a command whose inputs have not changed starts without YAML and TypeBox (about a third of
 * a run's own start-up: docs/performance.md). The key is a digest of everything loadConfig reads:
 * the build, the config file's path and text, and every `CLINVK_*` variable; any change is a miss,
 * which loads, validates and reports exactly as before. Nothing that was not on disk already goes
 * to disk: a configuration with a value from a `CLINVK_*` variable, or with API keys, is never
 * written. Only the bundled CLI caches (it has a build id); tests and the library load every time.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadedConfig, ValueSource } from "../config/load.js";
import { clinvkHome, configLocation } from "../config/paths.js";
import { SECRET_KEYS } from "../config/secrets.js";

const FORMAT = 1;

interface CacheFile {
  format: number;
  key: string;
  loaded: Omit<LoadedConfig, "sources"> & { sources: [string, ValueSource][] };
}

export interface CachedLoadOptions {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Without one, nothing is cached. */
  buildId?: string;
}

/** loadConfig, answered from the cache when its inputs are those of the cached load. */
export async function loadConfigCached(options: CachedLoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const load = async () => (await import("../config/load.js")).loadConfig({ configFile: options.configFile, env });
  if (!options.buildId) return load();
  const location = configLocation(options.configFile, env);
  const text = readText(location.path);
  if (text === undefined) return load(); // unreadable: loadConfig says why
  const key = cacheKey(options.buildId, location, text, env);
  const path = join(clinvkHome(env), "cache", "config.json");
  const hit = readCache(path, key);
  if (hit) return hit;
  const loaded = await load();
  // Written only when the file is still the one the key was made of, and nothing came from the
  // environment (a variable may hold a secret, e.g. a backend's env) or is a key of ours.
  const fromEnv = [...loaded.sources.values()].some((source) => source.kind === "env");
  if (readText(location.path) === text && !fromEnv && !holdsSecret(loaded)) writeCache(path, key, loaded);
  return loaded;
}

/** The file's text (a marker no file holds when it does not exist), undefined when it cannot be read. */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "\0missing" : undefined;
  }
}

function cacheKey(buildId: string, location: object, text: string, env: NodeJS.ProcessEnv): string {
  const variables = Object.keys(env)
    .filter((name) => name.startsWith("CLINVK_"))
    .sort()
    .map((name) => [name, env[name]]);
  return createHash("sha256")
    .update(JSON.stringify([FORMAT, buildId, location, text, variables]))
    .digest("hex");
}

function readCache(path: string, key: string): LoadedConfig | undefined {
  try {
    const file = JSON.parse(readFileSync(path, "utf8")) as CacheFile;
    if (file.format !== FORMAT || file.key !== key || typeof file.loaded?.config !== "object") return undefined;
    return { ...file.loaded, sources: new Map(file.loaded.sources) };
  } catch {
    return undefined; // none yet, or torn: load and write it anew
  }
}

function writeCache(path: string, key: string, loaded: LoadedConfig): void {
  const file: CacheFile = { format: FORMAT, key, loaded: { ...loaded, sources: [...loaded.sources] } };
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, JSON.stringify(file), { mode: 0o600 });
    renameSync(temporary, path); // whole or not at all, whoever writes at the same time
  } catch {
    // A read-only home: every start loads the configuration, as without a cache.
  }
}

function holdsSecret(loaded: LoadedConfig): boolean {
  return SECRET_KEYS.some((key) => {
    let value: unknown = loaded.config;
    for (const part of key.split(".")) value = (value as Record<string, unknown> | undefined)?.[part];
    return Array.isArray(value) ? value.length > 0 : Boolean(value);
  });
}
