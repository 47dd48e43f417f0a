/**
 * clinvoker as a library: the engine that the `clinvk` CLI and the server use.
 * `new Engine().stream(request)` yields unified events; `run(request)` returns the result.
 */
export type { ApprovalMode, SandboxMode } from "./backends/backend.js";
export { APPROVAL_MODES, SANDBOX_MODES } from "./backends/backend.js";
export { Engine, type EngineOptions, type RunControl, type RunHooks } from "./engine/engine.js";
export { ClinvkError, ERROR_CODES, type ErrorCode, type ErrorInfo, isRetryable } from "./engine/errors.js";
export {
  BACKEND_NAMES,
  type BackendName,
  EVENT_SCHEMA_VERSION,
  type EventOf,
  type RunEvent,
  RunEventSchema,
  type RunEventType,
  type Usage,
} from "./engine/events.js";
export { ExitCode, exitCodeFor } from "./engine/exit-codes.js";
export type { PreparedRun } from "./engine/prepare.js";
export { BackendRegistry, type BackendStatus } from "./engine/registry.js";
export type { BackendSettings, OutputFormat, RunRequest, RunResult } from "./engine/request.js";
export { VERSION } from "./version.js";
