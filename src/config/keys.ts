/**
 * Walks the config schema: every key as a dotted path, its schema, its default, and how to turn a
 * string (from an environment variable or `config set`) into a value of its type.
 */
import type { TSchema } from "typebox";
import { closest } from "./closest.js";
import { ConfigSchema } from "./schema.js";

export interface KeyInfo {
  path: string[];
  key: string;
  schema: JsonSchema;
}

export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

const root = ConfigSchema as unknown as JsonSchema & TSchema;

/** An object with named properties is a section; everything else (lists, maps) is a value. */
function isSection(schema: JsonSchema): boolean {
  return schema.type === "object" && schema.properties !== undefined;
}

export function allKeys(schema: JsonSchema = root, prefix: string[] = []): KeyInfo[] {
  const keys: KeyInfo[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const path = [...prefix, name];
    if (isSection(child)) keys.push(...allKeys(child, path));
    else keys.push({ path, key: path.join("."), schema: child });
  }
  return keys;
}

export function keyInfo(dotted: string): KeyInfo | undefined {
  const path = dotted.split(".");
  let schema: JsonSchema | undefined = root;
  for (const part of path) schema = schema?.properties?.[part];
  return schema && !isSection(schema) ? { path, key: dotted, schema } : undefined;
}

export function sectionAt(path: readonly string[]): JsonSchema | undefined {
  let schema: JsonSchema | undefined = root;
  for (const part of path) schema = schema?.properties?.[part];
  return schema && isSection(schema) ? schema : undefined;
}

/**
 * Lays `overlay` over `target` as the schema says: sections (per_backend, server...) are merged key by
 * key, every value (lists, maps such as `env`) is replaced whole. What the config file does per key.
 */
export function mergeConfig(
  target: Record<string, unknown>,
  overlay: Record<string, unknown>,
  prefix: string[] = [],
): void {
  for (const [name, value] of Object.entries(overlay)) {
    const path = [...prefix, name];
    if (sectionAt(path) && value !== null && typeof value === "object" && !Array.isArray(value)) {
      mergeConfig(target, value as Record<string, unknown>, path);
    } else setPath(target, path, value);
  }
}

/** Keys in `value` that the schema does not know (what a typo in a config object looks like). */
export function unknownKeys(value: Record<string, unknown>, prefix: string[] = []): string[] {
  const found: string[] = [];
  for (const [name, child] of Object.entries(value)) {
    const path = [...prefix, name];
    if (keyInfo(path.join("."))) continue;
    if (sectionAt(path) && child !== null && typeof child === "object" && !Array.isArray(child)) {
      found.push(...unknownKeys(child as Record<string, unknown>, path));
    } else {
      found.push(path.join("."));
    }
  }
  return found;
}

export function defaults(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { path, schema } of allKeys()) setPath(out, path, structuredClone(schema.default));
  return out;
}

export function getPath(target: unknown, path: readonly string[]): unknown {
  let node = target;
  for (const part of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/** What a key accepts, for error messages. */
export function describeType(schema: JsonSchema): string {
  if (schema.enum) return `one of: ${schema.enum.map((v) => (v === "" ? '""' : String(v))).join(", ")}`;
  switch (schema.type) {
    case "integer": {
      const range =
        schema.maximum !== undefined
          ? ` from ${schema.minimum ?? 0} to ${schema.maximum}`
          : schema.minimum !== undefined
            ? ` ≥ ${schema.minimum}`
            : "";
      return `a whole number${range}`;
    }
    case "boolean":
      return "true or false";
    case "array":
      return "a list of strings";
    case "object":
      return "a map of names (letters, digits, _) to strings";
    default:
      return "a string";
  }
}

export class CoercionError extends Error {}

/** Parses a string into the key's type (booleans, numbers, comma-separated lists, JSON maps). */
export function coerce(schema: JsonSchema, raw: string): unknown {
  const text = raw.trim();
  if (schema.type === "boolean") {
    if (/^(true|1|yes|on)$/i.test(text)) return true;
    if (/^(false|0|no|off)$/i.test(text)) return false;
    throw new CoercionError(`expected ${describeType(schema)}`);
  }
  if (schema.type === "integer") {
    if (!/^-?\d+$/.test(text)) throw new CoercionError(`expected ${describeType(schema)}`);
    return Number(text);
  }
  if (schema.type === "array") {
    if (text.startsWith("[")) return parseJson(text, schema);
    return text
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  }
  if (schema.type === "object") return parseJson(text || "{}", schema);
  return raw;
}

function parseJson(text: string, schema: JsonSchema): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CoercionError(`expected ${describeType(schema)} as JSON`);
  }
}

/** The closest known key, for "did you mean" hints. */
export function closestKey(unknown: string, candidates: readonly string[]): string | undefined {
  return closest(unknown, candidates, Math.max(3, Math.floor(unknown.length / 3)));
}
