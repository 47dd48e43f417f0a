/**
 * One error shape for the native API, `{error: {code, message, details}}`, and the HTTP status of
 * each error code. (The OpenAI and Anthropic surfaces translate to their own shapes.)
 */
import type { ErrorCode, ErrorInfo } from "../../core/errors.js";

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
  interrupted: 499,
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

/** Seconds a client should wait before retrying (Retry-After), for the errors where waiting helps. */
const RETRY_AFTER: Partial<Record<ErrorCode, number>> = {
  rate_limit: 20,
  overloaded: 10,
  queue_full: 5,
  circuit_open: 5,
};

/** Retry-After for an error: the provider's own wait when it named one, else the code's. */
export function retryAfterSeconds(info: Pick<ErrorInfo, "code" | "retry_after_s">): number | undefined {
  const fallback = RETRY_AFTER[info.code];
  return fallback && (info.retry_after_s ?? fallback);
}

/**
 * A request refused before any route (a wrong Host, a missing or wrong API key). Thrown, not
 * answered, so that the error handler of the scope it falls in renders it: the native API's shape,
 * or a surface's own (`kind` is the compatible surfaces' failure kind).
 */
export abstract class RefusedRequest extends Error {
  abstract readonly statusCode: number;
  abstract readonly code: string;
  abstract readonly kind: "authentication" | "permission";
  abstract readonly hint: string;
}

export class Unauthorized extends RefusedRequest {
  readonly statusCode = 401;
  readonly code = "unauthorized";
  readonly kind = "authentication";
  readonly hint = "send it as X-Api-Key or Authorization: Bearer";
}

/** A Host header that names none of the server's names: a DNS-rebinding page, or a misdirected client. */
export class HostNotAllowed extends RefusedRequest {
  readonly statusCode = 403;
  readonly code = "host_not_allowed";
  readonly kind = "permission";
  readonly hint = "the server's admin can add the name to server.allowed_hosts";
}
