/**
 * clinvoker as a library: `new Clinvoker()` runs prompts on Claude Code, Codex or Gemini CLI and
 * streams unified events. What this file exports is the public, semver-stable API.
 */

export { ExitCode, exitCodeFor } from "./cli/exit-codes.js";
export { ClinvkError, ERROR_CODES, type ErrorCode, type ErrorInfo, isRetryable } from "./core/errors.js";
export {
  BACKEND_NAMES,
  type BackendName,
  EVENT_SCHEMA_VERSION,
  type EventOf,
  type RunEvent,
  RunEventSchema,
  type RunEventType,
  type Usage,
} from "./core/events.js";
export type { ApprovalMode, SandboxMode } from "./core/modes.js";
export { APPROVAL_MODES, SANDBOX_MODES } from "./core/modes.js";
export type {
  PermissionContext,
  PermissionDecision,
  PermissionHandler,
  PermissionRequest,
} from "./core/permissions.js";
export type { OutputFormat, RunRequest, RunResult } from "./core/request.js";
export type { ClientToolChoice } from "./core/tools.js";
export type { BackendStatus } from "./engine/registry.js";
export {
  type CallOptions,
  Clinvoker,
  type Query,
  type RunningQuery,
  type Tool,
  type ToolOutput,
  type WorkflowCallOptions,
} from "./sdk/clinvoker.js";
export type { ClinvokerOptions, ConfigInput } from "./sdk/options.js";
export { ClinvokerSession, type TurnOptions } from "./sdk/session.js";
export type {
  NewSession,
  Session,
  SessionFilter,
  SessionPage,
  SessionStatus,
  SessionSummary,
  SessionTurn,
} from "./sessions/session.js";
export type { SessionStore } from "./sessions/store.js";
export { VERSION } from "./version.js";
export type { ChainStepResult, ChainSummary } from "./workflows/chain.js";
export type { CompareOptions, CompareSummary } from "./workflows/compare.js";
export type { TaskResult, TaskStatus, WorkflowEvent } from "./workflows/events.js";
export type { ParallelSummary } from "./workflows/parallel.js";
export type { ChainSpec, StepSpec, TaskSpec } from "./workflows/specs.js";
