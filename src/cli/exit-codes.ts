import type { ErrorCode } from "../core/errors.js";

/** The documented exit codes of `clinvk` (see docs and DESIGN.md). */
export const ExitCode = {
  ok: 0,
  general: 1,
  backendUnavailable: 2,
  invalidUsage: 3,
  session: 4,
  api: 5,
  timeout: 6,
  cancelled: 7,
} as const;

/**
 * The exit code for an error. `backendExitCode` is the CLI's own non-zero exit code: it is passed
 * through when the backend itself is the cause and clinvoker has no more precise classification.
 */
export function exitCodeFor(code: ErrorCode, backendExitCode?: number | null): number {
  switch (code) {
    case "invalid_request":
    case "invalid_config":
      return ExitCode.invalidUsage;
    // The Go clinvoker's exit-code reference: 2 is a backend that is unknown or not installed.
    case "backend_unknown":
    case "backend_unavailable":
    case "circuit_open":
      return ExitCode.backendUnavailable;
    case "session_not_found":
    case "session_error":
      return ExitCode.session;
    case "auth":
    case "rate_limit":
    case "usage_limit":
    case "overloaded":
    case "invalid_model":
    case "api_error":
      return ExitCode.api;
    case "timeout":
      return ExitCode.timeout;
    case "cancelled":
    case "interrupted":
      return ExitCode.cancelled;
    case "backend_crashed":
    case "backend_error":
    case "max_turns":
      return backendExitCode && backendExitCode > 0 && backendExitCode < 256 ? backendExitCode : ExitCode.general;
    default:
      return ExitCode.general;
  }
}
