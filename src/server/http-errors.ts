/**
 * One error shape for the native API, `{error: {code, message, details}}`, and the HTTP status of
 * each error code. (The OpenAI and Anthropic surfaces translate to their own shapes.)
 */
import type { ErrorCode } from "../engine/errors.js";

export const HTTP_STATUS: Record<
  ErrorCode | "unauthorized" | "not_found" | "payload_too_large" | "method_not_allowed",
  number
> = {
  invalid_request: 400,
  invalid_config: 400,
  backend_unknown: 400,
  backend_unavailable: 503,
  circuit_open: 503,
  queue_full: 429,
  rate_limit: 429,
  session_not_found: 404,
  session_error: 409,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  auth: 502,
  usage_limit: 502,
  overloaded: 503,
  invalid_model: 400,
  api_error: 502,
  max_turns: 502,
  timeout: 504,
  cancelled: 499,
  backend_crashed: 502,
  backend_error: 502,
  output_too_large: 502,
  bad_output: 502,
  internal: 500,
};

export interface ApiError {
  error: { code: string; message: string; hint?: string; details?: unknown };
}

export function apiError(code: string, message: string, details?: unknown, hint?: string): ApiError {
  return { error: { code, message, ...(hint ? { hint } : {}), ...(details !== undefined ? { details } : {}) } };
}

export function statusOf(code: string): number {
  return (HTTP_STATUS as Record<string, number>)[code] ?? 500;
}
