// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is arbitrary; tests read it loosely.
// Small helpers shared by the provider adapters.
import { randomBytes } from "node:crypto";
import type { ErrorSpec, ScriptedTurn, ToolCallSpec, UsageSpec } from "./types.js";

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A random id: `prefix` + `length` base-62 characters. */
export function randomId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}

/** A random lowercase hex string. */
export function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString("hex")
    .slice(0, length);
}

/** Splits text into deltas: `chunkSize` characters each, or about three pieces on word boundaries. */
export function chunkText(text: string, chunkSize?: number): string[] {
  if (text.length === 0) return [];
  if (chunkSize && chunkSize > 0) {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += chunkSize) out.push(text.slice(i, i + chunkSize));
    return out;
  }
  const words = text.split(/(?<=\s)/);
  if (words.length <= 1) return [text];
  const pieces = Math.min(3, words.length);
  const per = Math.ceil(words.length / pieces);
  const out: string[] = [];
  for (let i = 0; i < words.length; i += per) out.push(words.slice(i, i + per).join(""));
  return out;
}

/** Splits a string into two halves (for input_json_delta / arguments deltas). */
export function halves(s: string): string[] {
  if (s.length < 2) return [s];
  const mid = Math.floor(s.length / 2);
  return [s.slice(0, mid), s.slice(mid)];
}

/** Usage with every number filled in: scripted numbers win, the rest are estimated. */
export interface FullUsage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  cacheCreationTokens: number;
  reasoningTokens: number;
}

export function estimateUsage(
  requestBytes: number,
  text: string,
  toolCalls: ToolCallSpec[],
  given?: UsageSpec,
): FullUsage {
  const outChars =
    text.length + toolCalls.reduce((n, t) => n + t.name.length + JSON.stringify(t.input ?? null).length, 0);
  return {
    inputTokens: given?.inputTokens ?? Math.max(1, Math.ceil(requestBytes / 4)),
    outputTokens: given?.outputTokens ?? Math.max(1, Math.ceil(outChars / 4)),
    cachedTokens: given?.cachedTokens ?? 0,
    cacheCreationTokens: given?.cacheCreationTokens ?? 0,
    reasoningTokens: given?.reasoningTokens ?? 0,
  };
}

/** All tool calls of a turn, in order (`toolCall` first). */
export function turnToolCalls(turn: ScriptedTurn): ToolCallSpec[] {
  const out: ToolCallSpec[] = [];
  if (turn.toolCall) out.push(turn.toolCall);
  if (turn.toolCalls) out.push(...turn.toolCalls);
  return out;
}

export function normalizeError(error: number | ErrorSpec): ErrorSpec {
  return typeof error === "number" ? { status: error } : error;
}

/** Tool input as an object (Anthropic `input`, Gemini `args`): strings are JSON-parsed when possible. */
export function inputAsObject(input: unknown): Record<string, unknown> {
  if (typeof input === "string") {
    try {
      const parsed: unknown = JSON.parse(input);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // fall through
    }
    return { input };
  }
  if (input && typeof input === "object" && !Array.isArray(input)) return input as Record<string, unknown>;
  return {};
}

/**
 * A minimal value that satisfies a JSON schema: used to answer JSON-constrained side calls (gemini's router
 * `{complexity_reasoning, complexity_score}`, claude's title generation) sensibly.
 */
export function fillSchema(schema: any, depth = 0): unknown {
  if (!schema || typeof schema !== "object" || depth > 8) return "stub";
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    // Prefer values that end a turn ("user" for gemini's next-speaker check).
    return schema.enum.includes("user") ? "user" : schema.enum[0];
  }
  if (schema.const !== undefined) return schema.const;
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants) && variants.length > 0) return fillSchema(variants[0], depth + 1);
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t: string) => t !== "null") ?? type[0];
  if (typeof type === "string") type = type.toLowerCase();
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      const props = schema.properties ?? {};
      for (const key of Object.keys(props)) out[key] = fillSchema(props[key], depth + 1);
      return out;
    }
    case "array":
      return [];
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return false;
    case "string":
      return "stub";
    default:
      return schema.properties ? fillSchema({ ...schema, type: "object" }, depth + 1) : "stub";
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Flattens message content (string, or a list of text-bearing blocks) to text. */
export function contentText(content: unknown, separator = "\n"): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((c) => {
        if (typeof c === "string") return c;
        if (c && typeof c === "object" && typeof (c as { text?: unknown }).text === "string")
          return (c as { text: string }).text;
        return "";
      })
      .filter((s) => s.length > 0)
      .join(separator);
  }
  if (content === undefined || content === null) return "";
  return JSON.stringify(content);
}

/** True for text that is only a wrapper the CLI adds (`<system-reminder>…</system-reminder>`, `<environment_context>…`). */
export function isWrapperText(text: string): boolean {
  const t = text.trim();
  if (t.length === 0) return true;
  if (/^# AGENTS\.md instructions/.test(t)) return true;
  const m = /^<([A-Za-z][\w -]*)>/.exec(t);
  if (!m) return false;
  const tag = m[1]?.split(" ")[0] ?? "";
  return t.endsWith(`</${tag}>`);
}
