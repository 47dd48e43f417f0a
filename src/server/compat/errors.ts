/**
 * Failures of the OpenAI and Anthropic surfaces, sorted into the few kinds that those APIs tell
 * apart. Each surface turns a kind into its own status and error body (openai/errors.ts,
 * anthropic/errors.ts); here only the sorting, shared by both.
 */
import type { FastifyError } from "fastify";
import { ClinvkError, type ErrorCode, type ErrorInfo } from "../../core/errors.js";
import { RefusedRequest, retryAfterSeconds } from "../http/errors.js";

export const FAILURE_KINDS = [
  "invalid_request",
  "unsupported_media_type",
  "authentication",
  "permission",
  "not_found",
  "model_not_found",
  "too_large",
  "rate_limit",
  "quota",
  "overloaded",
  "unavailable",
  "timeout",
  "cancelled",
  "upstream",
  "server",
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface Failure {
  kind: FailureKind;
  message: string;
  /** The request field at fault, OpenAI-style (`messages[0].content`). */
  param?: string;
  /** A machine-readable code: clinvoker's error code, or the surface's (model_not_found...). */
  code?: string;
  /** Seconds a client should wait before trying again (Retry-After). */
  retryAfter?: number;
  /** False when retrying cannot help although the status is one that SDKs retry (x-should-retry). */
  retryable?: boolean;
}

/** A failure raised by the surfaces' own translation code. */
export class CompatError extends Error {
  readonly kind: FailureKind;
  readonly param: string | undefined;
  readonly code: string | undefined;

  constructor(kind: FailureKind, message: string, options: { param?: string; code?: string } = {}) {
    super(message);
    this.name = "CompatError";
    this.kind = kind;
    this.param = options.param;
    this.code = options.code;
  }
}

/** A 400 for a value that is wrong, naming the field. */
export function invalidValue(param: string, message: string): CompatError {
  return new CompatError("invalid_request", message, { param, code: "invalid_value" });
}

/** A 400 for a request the CLIs cannot serve, naming the field. */
export function unsupported(param: string, message: string): CompatError {
  return new CompatError("invalid_request", message, { param, code: "unsupported_parameter" });
}

const KIND_OF_CODE: Record<ErrorCode, FailureKind> = {
  invalid_request: "invalid_request",
  invalid_config: "invalid_request",
  backend_unknown: "invalid_request",
  session_error: "invalid_request",
  session_not_found: "not_found",
  invalid_model: "model_not_found",
  // The CLI's credentials failed, not the client's key: not a 401, which would blame the client.
  auth: "permission",
  usage_limit: "quota",
  rate_limit: "rate_limit",
  queue_full: "rate_limit",
  overloaded: "overloaded",
  circuit_open: "overloaded",
  backend_unavailable: "unavailable",
  timeout: "timeout",
  cancelled: "cancelled",
  interrupted: "cancelled",
  // The CLI or its provider failed, not clinvoker: a gateway error (502), as on the native API.
  api_error: "upstream",
  max_turns: "upstream",
  backend_crashed: "upstream",
  backend_error: "upstream",
  output_too_large: "upstream",
  bad_output: "upstream",
  internal: "server",
};

/** Statuses that SDKs retry but where waiting does not help. */
const NOT_RETRYABLE: ReadonlySet<ErrorCode> = new Set(["usage_limit", "backend_unavailable", "auth"]);

/** A failure reported by a run (the `error` of its result). */
export function failureOfInfo(info: ErrorInfo): Failure {
  const failure: Failure = {
    kind: KIND_OF_CODE[info.code] ?? "server",
    message: info.hint ? `${info.message} (${info.hint})` : info.message,
    code: info.code === "invalid_model" ? "model_not_found" : info.code,
  };
  if (info.code === "invalid_model") failure.param = "model";
  const retryAfter = retryAfterSeconds(info);
  if (retryAfter) failure.retryAfter = retryAfter;
  if (NOT_RETRYABLE.has(info.code)) failure.retryable = false;
  return failure;
}

/** `/messages/0/content` → `messages[0].content`. */
export function paramOf(path: string): string {
  return path
    .split("/")
    .filter(Boolean)
    .map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join("");
}

/**
 * Anything thrown while serving a request, as a failure. `unexpected` marks errors that are bugs
 * (to be logged, and not shown to the client).
 */
export function failureOf(error: unknown): { failure: Failure; unexpected: boolean } {
  if (error instanceof CompatError) {
    const failure: Failure = { kind: error.kind, message: error.message };
    if (error.param) failure.param = error.param;
    if (error.code) failure.code = error.code;
    return { failure, unexpected: false };
  }
  if (error instanceof ClinvkError) return { failure: failureOfInfo(error.toInfo()), unexpected: false };
  if (error instanceof RefusedRequest) {
    const code = error.kind === "authentication" ? "invalid_api_key" : error.code;
    return { failure: { kind: error.kind, message: error.message, code }, unexpected: false };
  }
  const fastify = (error ?? {}) as Partial<FastifyError> & { error?: { message?: unknown } };
  if (fastify.validation) {
    const first = fastify.validation[0];
    const where = fastify.validationContext ?? "body";
    const param = paramOf(first?.instancePath ?? "");
    const field = first?.params && "missingProperty" in first.params ? String(first.params.missingProperty) : undefined;
    const failure: Failure = {
      kind: "invalid_request",
      message: `invalid ${where}: ${param || field || where} ${first?.message ?? "is invalid"}`,
      code: "invalid_value",
    };
    if (param || field) failure.param = field ? (param ? `${param}.${field}` : field) : param;
    return { failure, unexpected: false };
  }
  const kind = (message: string, k: FailureKind): { failure: Failure; unexpected: boolean } => ({
    failure: { kind: k, message },
    unexpected: false,
  });
  switch (fastify.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return kind("request body is too large", "too_large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return kind("send the request body as application/json", "unsupported_media_type");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return kind("the request body is empty", "invalid_request");
  }
  const status = fastify.statusCode;
  if (status === 429) {
    // @fastify/rate-limit throws the body it built: its message says when to come back.
    const message = typeof fastify.error?.message === "string" ? fastify.error.message : "rate limit exceeded";
    return { failure: { kind: "rate_limit", message, code: "rate_limit" }, unexpected: false };
  }
  if (status && status >= 400 && status < 500) {
    const message =
      error instanceof SyntaxError || /JSON/.test(String(fastify.message))
        ? "malformed JSON in the request body"
        : String(fastify.message ?? "invalid request");
    return kind(message, status === 404 ? "not_found" : "invalid_request");
  }
  return { failure: { kind: "server", message: "internal server error", code: "internal" }, unexpected: true };
}
