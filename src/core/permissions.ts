/**
 * Asking before a tool runs: one shape for every CLI's permission request (claude `can_use_tool`,
 * codex app-server approval requests, gemini ACP `session/request_permission`) and every face that
 * answers one (the SDK's callback, the server's approvals API, the CLI's prompt on its terminal).
 */

import type { BackendName } from "./events.js";

/** What a CLI asks before one of its tools runs. */
export interface PermissionRequest {
  /** Unique within the run; the protocol's own request id where it has one. */
  id: string;
  /** The tool's name in the CLI (Bash, Write, exec_command, apply_patch, run_shell_command...). */
  tool: string;
  /** What the agent asked the tool to do (a command, a patch, the tool's arguments). */
  input: unknown;
  /** What the CLI says about the request (its reason, the command line, the files touched). */
  description?: string;
}

export type PermissionDecision =
  /** Run it; `input` replaces what the agent asked, where the CLI takes an edited input (claude). */
  | { behavior: "allow"; input?: unknown }
  /** Do not run it; the message is what the agent is told. */
  | { behavior: "deny"; message?: string };

export interface PermissionContext {
  backend: BackendName;
  /** The run's id in the engine's run tracker, where runs are tracked (the server's runs API). */
  runId?: string;
  /** clinvoker's session the run belongs to. */
  sessionId?: string;
  /** The directory the CLI runs in. */
  workdir: string;
  /** Aborted when the run ends first: a pending question is then moot. */
  signal: AbortSignal;
}

/** Decides one request; a throw or a rejected promise is a deny. */
export type PermissionHandler = (request: PermissionRequest, context: PermissionContext) => Promise<PermissionDecision>;
