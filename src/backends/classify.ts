/**
 * Turns what a CLI says about a failure (an HTTP status, an error message) into one of clinvoker's
 * stable error codes with a hint. Shared by the three parsers because the providers fail alike.
 */
import type { ErrorCode, ErrorInfo } from "../core/errors.js";

const rules: ReadonlyArray<{ code: ErrorCode; status?: number[]; pattern?: RegExp; hint: string }> = [
  {
    code: "auth",
    status: [401, 403],
    pattern:
      /\b(401|403)\b|unauthori[sz]ed|unauthenticated|invalid (x-)?api[ -]key|api key not valid|incorrect api key|not logged in|authentication|permission denied|forbidden/i,
    hint: "check the CLI's credentials (API key or login) for this backend",
  },
  {
    code: "usage_limit",
    pattern: /usage limit|quota|credit balance|billing|spending limit/i,
    hint: "the account's usage limit or quota is used up; wait for it to reset or raise it",
  },
  {
    code: "rate_limit",
    status: [429],
    pattern: /\b429\b|rate[ _-]?limit|too many requests|resource[_ ]exhausted/i,
    hint: "the provider is rate limiting; retry later or lower the concurrency",
  },
  {
    code: "overloaded",
    status: [529, 503],
    pattern: /\b529\b|overloaded|high demand|capacity|unavailable/i,
    hint: "the provider is overloaded; retry in a moment",
  },
  {
    code: "invalid_model",
    status: [404],
    pattern:
      /model.{0,80}(not found|does not exist|may not exist|not exist|not available|not supported)|modelnotfound|^model: /i,
    hint: "check the model name (`clinvk doctor` lists backends; aliases: fast, balanced, best)",
  },
  {
    code: "timeout",
    pattern: /timed out|timeout|deadline exceeded/i,
    hint: "the provider did not answer in time; retry, or raise the CLI's own timeout",
  },
];

const RETRY_SOON = /retry (in|after) \d|try again later|retry shortly/i;

/** The wait a provider asked for, in its own words ("Please retry in 7.2s", "try again in 20ms"), in seconds. */
const PROVIDER_WAIT =
  /(?:retry|try again) (?:in|after) (\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\b/i;

export function providerWaitSeconds(message: string): number | undefined {
  const match = PROVIDER_WAIT.exec(message);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? "s").toLowerCase();
  const seconds =
    unit.startsWith("ms") || unit.startsWith("milli") ? amount / 1000 : unit.startsWith("m") ? amount * 60 : amount;
  return Math.max(1, Math.ceil(seconds));
}

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };
/** "try again in 2 days 17 hours 14 minutes" (codex's usage limit). */
const RESET_IN = /try again in ((?:\d+\s*(?:days?|hours?|minutes?|mins?|seconds?|secs?)[\s,]*(?:and\s+)?)+)/i;
/** "Claude AI usage limit reached|1760000000" (claude's usage limit: the reset as Unix seconds). */
const RESET_AT_EPOCH = /usage limit reached\|(\d{10})\b/i;

/** When a used-up quota resets, in seconds from `now`, where the message says. */
export function usageResetSeconds(message: string, now = Date.now()): number | undefined {
  const epoch = RESET_AT_EPOCH.exec(message);
  if (epoch) return Math.max(1, Math.ceil(Number(epoch[1]) - now / 1000));
  const span = RESET_IN.exec(message);
  if (!span) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of (span[1] as string).matchAll(/(\d+)\s*([a-z])/gi))
    seconds += Number(amount) * (UNIT_SECONDS[(unit as string).toLowerCase()] ?? 0);
  return seconds > 0 ? seconds : undefined;
}

/** Classifies a provider failure, with the wait it asked for. Falls back to `api_error`. */
export function classifyProviderError(message: string, status?: number | null): ErrorInfo {
  const info = classify(message, status);
  const wait = info.code === "usage_limit" ? usageResetSeconds(message) : providerWaitSeconds(message);
  return wait === undefined ? info : { ...info, retry_after_s: wait };
}

function classify(message: string, status?: number | null): ErrorInfo {
  // A used-up quota often comes as HTTP 429 too, but waiting a minute will not help: say so first.
  // ...unless the provider says to retry shortly: then it is a rate limit (gemini words its
  // per-minute limits as "quota" too).
  const usage = rules.find((rule) => rule.code === "usage_limit");
  if (usage?.pattern?.test(message) && !RETRY_SOON.test(message))
    return { code: usage.code, message, hint: usage.hint };
  for (const rule of rules) {
    if (status != null && rule.status?.includes(status)) return { code: rule.code, message, hint: rule.hint };
  }
  for (const rule of rules) {
    if (rule.pattern?.test(message)) return { code: rule.code, message, hint: rule.hint };
  }
  if (status != null && status >= 500) {
    return { code: "api_error", message, hint: "the provider failed; retry in a moment" };
  }
  return { code: "api_error", message };
}

/** Parses a JSON object line; anything else (plain text, arrays, broken JSON) is undefined. */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
export const num = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;
export const obj = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
export const int = (value: unknown): number => Math.max(0, Math.round(num(value) ?? 0));

/** The last non-empty lines of stderr, without the noise every CLI prints, for error messages. */
export function stderrSummary(stderr: string, noise: readonly RegExp[] = [], maxLines = 3): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !/^at\s/.test(line) && !noise.some((re) => re.test(line)));
  return lines.slice(-maxLines).join(" | ").slice(0, 2000);
}
