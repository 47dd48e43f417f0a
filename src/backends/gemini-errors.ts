/**
 * What a failed gemini run said, classified: the error it printed (in its result, on stderr or in an
 * ACP error), its exit code (HTTP status modulo 256, auth, trust, unknown session).
 */

import type { ErrorInfo } from "../core/errors.js";
import type { ProcessOutcome } from "./backend.js";
import { classifyProviderError, num, obj, parseJsonObject, str } from "./classify.js";
import { failureWithoutResult } from "./outcome.js";

export const GEMINI_STDERR_NOISE = [
  /^Warning: 256-color support/,
  /^Ripgrep is not available/,
  /^\[STARTUP\]/,
  /^Loaded cached credentials/,
  /^[{}]$/,
  /^status: \d+$/,
];

export function geminiFailure(result: Record<string, unknown> | undefined, outcome: ProcessOutcome): ErrorInfo {
  const error = obj(result?.error) ?? obj(lastJsonObject(outcome.stderr)?.error);
  if (error) {
    const unwrapped = unwrapApiError(str(error.message) ?? "gemini failed");
    const status = unwrapped.status ?? httpStatusFromExit(outcome.exitCode) ?? num(error.code);
    return classifyProviderError(unwrapped.text, status);
  }
  switch (outcome.exitCode) {
    case 41:
      return {
        code: "auth",
        message: "gemini has no usable authentication method",
        hint: 'set GEMINI_API_KEY and select "gemini-api-key" auth in ~/.gemini/settings.json, or log in with `gemini` once',
      };
    case 42:
      if (/resum|session/i.test(outcome.stderr)) {
        return {
          code: "session_not_found",
          message: "gemini has no session with that id in this working directory",
          hint: "gemini sessions belong to the directory they ran in; resume from the same workdir",
        };
      }
      break;
    case 55:
      return {
        code: "invalid_request",
        message: "gemini refuses to run in an untrusted directory",
        hint: "set GEMINI_CLI_TRUST_WORKSPACE=true or trust the folder in gemini",
      };
  }
  return failureWithoutResult("gemini", outcome, GEMINI_STDERR_NOISE);
}

/** gemini exits with the HTTP status modulo 256 on API errors (401 → 145, 500 → 244). */
function httpStatusFromExit(exitCode: number | null): number | undefined {
  if (exitCode === null || exitCode < 128) return undefined;
  const candidate = exitCode + 256;
  return candidate >= 400 && candidate < 600 ? candidate : undefined;
}

/** "[API Error: {"error":{"code":401,"message":"…"}}]" → the inner message and status. */
export function unwrapApiError(message: string): { text: string; status?: number } {
  const start = message.indexOf("{");
  const end = message.lastIndexOf("}");
  if (start !== -1 && end > start) {
    const inner = obj(parseJsonObject(message.slice(start, end + 1))?.error);
    const text = str(inner?.message);
    if (text) return { text, status: num(inner?.code) };
  }
  return { text: message };
}

/** gemini prints its error object, pretty-printed, at the end of stderr. */
function lastJsonObject(stderr: string): Record<string, unknown> | undefined {
  const start = stderr.lastIndexOf("\n{");
  const candidate = start === -1 ? stderr.trimStart() : stderr.slice(start + 1);
  return parseJsonObject(candidate.replace(/\s+/g, " "));
}
