/**
 * Changes the config file in place: `config set` keeps the user's comments and layout (yaml's
 * Document API), checks the new value against the schema, and writes atomically.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseDocument } from "yaml";
import { ClinvkError } from "../core/errors.js";
import { allKeys, CoercionError, closestKey, coerce, describeType, keyInfo } from "./keys.js";
import { parseConfigText } from "./load.js";
import type { ConfigLocation } from "./paths.js";

export function requireKey(key: string) {
  const info = keyInfo(key);
  if (info) return info;
  const suggestion = closestKey(
    key,
    allKeys().map((k) => k.key),
  );
  throw new ClinvkError(
    "invalid_config",
    `unknown config key "${key}"`,
    suggestion
      ? `did you mean ${suggestion}? (\`clinvk config show\` lists every key)`
      : "`clinvk config show` lists every key",
  );
}

/** Sets one key in the file (created if missing) and returns the typed value written. */
export function setConfigValue(location: ConfigLocation, key: string, raw: string): unknown {
  const info = requireKey(key);
  let value: unknown;
  try {
    value = coerce(info.schema, raw);
  } catch (error) {
    if (!(error instanceof CoercionError)) throw error;
    throw new ClinvkError("invalid_config", `${key}: ${JSON.stringify(raw)} is not valid: ${error.message}`);
  }
  if (info.schema.enum && !info.schema.enum.includes(value)) {
    throw new ClinvkError(
      "invalid_config",
      `${key}: ${JSON.stringify(raw)} is not allowed; expected ${describeType(info.schema)}`,
    );
  }
  if (info.schema.type === "integer") {
    const n = value as number;
    if (
      (info.schema.minimum !== undefined && n < info.schema.minimum) ||
      (info.schema.maximum !== undefined && n > info.schema.maximum)
    ) {
      throw new ClinvkError("invalid_config", `${key}: ${n} is not allowed; expected ${describeType(info.schema)}`);
    }
  }

  let text = "";
  try {
    text = readFileSync(location.path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) parseConfigText(text, location.path); // throws the located error
  doc.setIn(info.path, value);
  const updated = doc.toString();
  // The whole file must still be valid: reading it back reports anything wrong with its location.
  parseConfigText(updated, location.path);
  writeFileAtomic(location.path, updated);
  return value;
}

export function writeFileAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(temp, content, { mode: 0o600 });
  renameSync(temp, path);
}

/** A commented starter file: every section and key, commented out, with what it does. */
export function starterConfig(): string {
  const lines = [
    "# clinvoker configuration. Every key is shown with its default, commented out:",
    "# uncomment and change what you need. `clinvk config show --sources` shows the",
    "# effective values; CLINVK_* environment variables override this file",
    "# (e.g. CLINVK_SERVER_PORT=9000), and command-line flags override both.",
    "",
  ];
  let section: string[] = [];
  for (const { path, schema } of allKeys()) {
    const parents = path.slice(0, -1);
    parents.forEach((name, depth) => {
      if (section[depth] !== name) {
        if (depth === 0) lines.push("");
        lines.push(`# ${"  ".repeat(depth)}${name}:`);
        section = [...parents.slice(0, depth + 1)];
      }
    });
    const indent = "  ".repeat(parents.length);
    if (schema.description) lines.push(`# ${indent}# ${schema.description}`);
    lines.push(`# ${indent}${path[path.length - 1]}: ${JSON.stringify(schema.default)}`);
  }
  return `${lines.join("\n")}\n`;
}
