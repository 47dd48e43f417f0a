/**
 * Anthropic's error body, `{type: "error", error: {type, message}}`, and the status of each kind of
 * failure: 429 and 529 (overloaded) are the ones its SDKs retry, with 5xx.
 */
import type { Failure, FailureKind } from "../compat/errors.js";
import type { RenderedError } from "../compat/http.js";

export interface AnthropicErrorBody {
  type: "error";
  error: { type: string; message: string };
}

const STATUS: Record<FailureKind, readonly [number, string]> = {
  invalid_request: [400, "invalid_request_error"],
  unsupported_media_type: [415, "invalid_request_error"],
  authentication: [401, "authentication_error"],
  permission: [403, "permission_error"],
  not_found: [404, "not_found_error"],
  model_not_found: [404, "not_found_error"],
  too_large: [413, "request_too_large"],
  rate_limit: [429, "rate_limit_error"],
  quota: [429, "rate_limit_error"],
  overloaded: [529, "overloaded_error"],
  unavailable: [503, "api_error"],
  timeout: [504, "timeout_error"],
  cancelled: [499, "api_error"],
  upstream: [502, "api_error"],
  server: [500, "api_error"],
};

export function anthropicErrorBody(failure: Failure): AnthropicErrorBody {
  // Anthropic's messages name the field at fault first; ours do unless the field is apart.
  const { param } = failure;
  const where = param && failure.kind === "invalid_request" && !failure.message.includes(param) ? `${param}: ` : "";
  return { type: "error", error: { type: STATUS[failure.kind][1], message: `${where}${failure.message}` } };
}

export function renderAnthropicError(failure: Failure): RenderedError {
  return { status: STATUS[failure.kind][0], body: anthropicErrorBody(failure) };
}
