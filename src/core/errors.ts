/**
 * One error type for every face. `code` is stable and documented; faces map it to an exit code
 * (CLI) or an HTTP status (server). The message says what went wrong, the hint what to do about it.
 */
export const ERROR_CODES = [
  "invalid_request",
  "invalid_config",
  "backend_unknown",
  "backend_unavailable",
  "session_not_found",
  "session_error",
  "auth",
  "rate_limit",
  "usage_limit",
  "overloaded",
  "invalid_model",
  "api_error",
  "max_turns",
  "timeout",
  "cancelled",
  /** The turn was stopped on request and the conversation kept: the next prompt continues it. */
  "interrupted",
  "backend_crashed",
  "backend_error",
  "output_too_large",
  "queue_full",
  "circuit_open",
  "bad_output",
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  hint?: string;
  /** Seconds the provider asked to wait before a retry, when it said (its message is the backend's to read). */
  retry_after_s?: number;
}

export class ClinvkError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    hint?: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = "ClinvkError";
    this.code = code;
    this.hint = hint;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** The error a run reported (a result's `error`), as something to throw. */
  static fromInfo(info: ErrorInfo): ClinvkError {
    return new ClinvkError(info.code, info.message, info.hint, { retryAfterSeconds: info.retry_after_s });
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, message: this.message };
    if (this.hint) info.hint = this.hint;
    if (this.retryAfterSeconds !== undefined) info.retry_after_s = this.retryAfterSeconds;
    return info;
  }
}

/** Wraps anything thrown into a ClinvkError, keeping the original as the cause. */
export function toClinvkError(error: unknown): ClinvkError {
  if (error instanceof ClinvkError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ClinvkError("internal", message, undefined, { cause: error });
}

/** Errors worth retrying later (the caller's request was fine; the provider was not). */
export function isRetryable(code: ErrorCode): boolean {
  return (
    code === "rate_limit" ||
    code === "overloaded" ||
    code === "timeout" ||
    code === "api_error" ||
    code === "queue_full" ||
    code === "circuit_open"
  );
}
