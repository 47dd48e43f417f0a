/**
 * Loads the one config object: built-in defaults < config file < CLINVK_* environment. Command-line
 * flags win over all of it where each command applies them. Anything wrong is an `invalid_config`
 * error that names the file and line (or the variable), the key, and what is allowed.
 */
import { readFileSync } from "node:fs";
import Value from "typebox/value";
import { isMap, isPair, isScalar, LineCounter, parseDocument } from "yaml";
import { ClinvkError } from "../core/errors.js";
import { type IgnoredVariable, mapEnvironment } from "./env.js";
import {
  allKeys,
  CoercionError,
  closestKey,
  coerce,
  defaults,
  describeType,
  getPath,
  keyInfo,
  setPath,
} from "./keys.js";
import { type ConfigLocation, configLocation } from "./paths.js";
import { type Config, ConfigSchema } from "./schema.js";

export type ValueSource =
  | { kind: "default" }
  | { kind: "file"; file: string; line: number }
  | { kind: "env"; variable: string };

export interface LoadedConfig {
  config: Config;
  location: ConfigLocation;
  /** Whether the file exists (a missing default file is fine). */
  fileFound: boolean;
  /** Where each key's value came from, by dotted key. */
  sources: Map<string, ValueSource>;
  /** CLINVK_* variables that name no key (shown by `config show --sources` and `doctor`). */
  ignoredEnv: IgnoredVariable[];
}

export interface LoadOptions {
  /** `--config`. */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
}

const MAX_REPORTED = 10;

export function describeSource(source: ValueSource | undefined): string {
  switch (source?.kind) {
    case "file":
      return `${source.file}:${source.line}`;
    case "env":
      return `env ${source.variable}`;
    default:
      return "default";
  }
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const location = configLocation(options.configFile, env);
  const merged = defaults();
  const sources = new Map<string, ValueSource>(allKeys().map(({ key }) => [key, { kind: "default" }]));

  const file = readConfigFile(location);
  const problems: string[] = [];
  if (file) {
    for (const { path, line } of file.leaves) {
      const info = keyInfo(path.join("."));
      if (!info) continue; // Reported below with the schema's own check.
      setPath(merged, path, getPath(file.data, path));
      sources.set(info.key, { kind: "file", file: location.path, line });
    }
    problems.push(...unknownKeys(file, location.path));
  }

  const { overrides, ignored } = mapEnvironment(env);
  for (const { variable, path, raw } of overrides) {
    const info = keyInfo(path.join("."));
    if (!info) continue;
    try {
      setPath(merged, path, coerce(info.schema, raw));
      sources.set(info.key, { kind: "env", variable });
    } catch (error) {
      if (!(error instanceof CoercionError)) throw error;
      problems.push(`${variable} (${info.key}): ${JSON.stringify(raw)} is not valid: ${error.message}`);
    }
  }

  problems.push(...configProblems(merged, (key) => describeSource(sources.get(key))));
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_REPORTED);
    const more = problems.length > MAX_REPORTED ? `\n  … and ${problems.length - MAX_REPORTED} more` : "";
    throw new ClinvkError(
      "invalid_config",
      `invalid configuration:\n  ${shown.join("\n  ")}${more}`,
      "fix the values above (`clinvk config show --sources` says where each value comes from)",
    );
  }
  return { config: merged as Config, location, fileFound: file !== undefined, sources, ignoredEnv: ignored };
}

/** Every value that breaks the schema, as "<where>: <key>: <value> is not allowed; expected …". */
export function configProblems(merged: Record<string, unknown>, where: (key: string) => string): string[] {
  const problems: string[] = [];
  if (Value.Check(ConfigSchema, merged)) return problems; // the fast path: nothing to explain
  for (const error of Value.Errors(ConfigSchema, merged)) {
    if (error.keyword === "boolean") continue; // repeats an additionalProperties error
    const path = error.instancePath.split("/").slice(1).map(decodePointer);
    const key = keyPathOf(path);
    const info = keyInfo(key);
    // Unknown keys of sections are reported with their line by the caller; only maps (env) remain.
    if (error.keyword === "additionalProperties" && !info) continue;
    const got = JSON.stringify(getPath(merged, path));
    const allowed = info ? describeType(info.schema) : error.message;
    problems.push(`${where(key)}: ${path.join(".")}: ${got} is not allowed; expected ${allowed}`);
  }
  return problems;
}

/** For map-valued keys (backends.x.env), an error inside the map belongs to the key itself. */
function keyPathOf(path: string[]): string {
  for (let length = path.length; length > 0; length--) {
    const key = path.slice(0, length).join(".");
    if (keyInfo(key)) return key;
  }
  return path.join(".");
}

function decodePointer(part: string): string {
  return part.replace(/~1/g, "/").replace(/~0/g, "~");
}

interface ParsedFile {
  data: Record<string, unknown>;
  /** Every key path the file sets, with its line. */
  leaves: { path: string[]; line: number }[];
  /** Every mapping key in the file that the schema does not know. */
  unknown: { path: string[]; line: number }[];
}

export function readConfigFile(location: ConfigLocation): ParsedFile | undefined {
  let text: string;
  try {
    text = readFileSync(location.path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !location.explicit) return undefined;
    throw new ClinvkError(
      "invalid_config",
      code === "ENOENT"
        ? `config file ${location.path} does not exist`
        : `cannot read config file ${location.path} (${code})`,
      code === "ENOENT" ? "create it with `clinvk config init`, or name another with --config" : undefined,
    );
  }
  return parseConfigText(text, location.path);
}

export function parseConfigText(text: string, file: string): ParsedFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 0 : lineCounter.linePos(offset).line);
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    throw new ClinvkError(
      "invalid_config",
      `${file}:${lineOf(error?.pos[0])}: not valid YAML: ${error?.message.split("\n")[0]}`,
      "fix the YAML syntax at that line",
    );
  }
  const parsed: ParsedFile = { data: {}, leaves: [], unknown: [] };
  if (doc.contents === null) return parsed;
  if (!isMap(doc.contents)) {
    throw new ClinvkError("invalid_config", `${file}:1: the config must be a mapping of keys to values`);
  }
  parsed.data = (doc.toJS() ?? {}) as Record<string, unknown>;

  const walk = (node: unknown, path: string[]) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      const childPath = [...path, name];
      const line = lineOf(pair.key.range?.[0]);
      if (keyInfo(childPath.join("."))) parsed.leaves.push({ path: childPath, line });
      else if (isMap(pair.value) && isKnownSection(childPath)) walk(pair.value, childPath);
      else if (isKnownSection(childPath))
        parsed.unknown.push({ path: childPath, line }); // a section given a scalar
      else parsed.unknown.push({ path: childPath, line });
    }
  };
  walk(doc.contents, []);
  return parsed;
}

function isKnownSection(path: string[]): boolean {
  const prefix = `${path.join(".")}.`;
  return allKeys().some(({ key }) => key.startsWith(prefix));
}

function unknownKeys(file: ParsedFile, name: string): string[] {
  const known = allKeys().map(({ key }) => key);
  return file.unknown.map(({ path, line }) => {
    const key = path.join(".");
    if (isKnownSection(path)) return `${name}:${line}: ${key} must be a section of keys, not a single value`;
    const suggestion = closestKey(key, known);
    return `${name}:${line}: unknown key ${key}${suggestion ? ` (did you mean ${suggestion}?)` : ""}`;
  });
}
