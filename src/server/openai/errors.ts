/**
 * OpenAI's error body, `{error: {message, type, param, code}}`, and the status of each kind of
 * failure: those that the openai SDKs retry (429, 5xx) only where a retry can help.
 */
import type { Failure, FailureKind } from "../compat/errors.js";
import type { RenderedError } from "../compat/http.js";

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const STATUS: Record<FailureKind, readonly [number, string]> = {
  invalid_request: [400, "invalid_request_error"],
  unsupported_media_type: [415, "invalid_request_error"],
  authentication: [401, "invalid_request_error"],
  permission: [403, "permission_error"],
  not_found: [404, "invalid_request_error"],
  model_not_found: [404, "invalid_request_error"],
  too_large: [413, "invalid_request_error"],
  rate_limit: [429, "requests"],
  quota: [429, "insufficient_quota"],
  overloaded: [503, "server_error"],
  unavailable: [503, "server_error"],
  timeout: [504, "server_error"],
  cancelled: [499, "server_error"],
  upstream: [502, "server_error"],
  server: [500, "server_error"],
};

const CODE: Partial<Record<FailureKind, string>> = {
  rate_limit: "rate_limit_exceeded",
  quota: "insufficient_quota",
  model_not_found: "model_not_found",
};

export function openaiErrorBody(failure: Failure): OpenAIErrorBody {
  const [, type] = STATUS[failure.kind];
  return {
    error: {
      message: failure.message,
      type,
      param: failure.param ?? null,
      code: CODE[failure.kind] ?? failure.code ?? null,
    },
  };
}

export function renderOpenAIError(failure: Failure): RenderedError {
  return { status: STATUS[failure.kind][0], body: openaiErrorBody(failure) };
}
