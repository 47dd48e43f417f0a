/** What a caller asks of the engine, from any face: one run of one CLI. */

import type { BackendName, ResultEvent } from "./events.js";
import type { ApprovalMode, SandboxMode } from "./modes.js";
import type { PermissionHandler } from "./permissions.js";
import type { ClientTools } from "./tools.js";

export type OutputFormat = "text" | "json" | "stream-json";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["text", "json", "stream-json"];

export interface RunRequest {
  /** `claude`, `codex` or `gemini`. */
  backend: BackendName | string;
  prompt: string;
  /** A model name or an alias: `fast`, `balanced`, `best`. */
  model?: string;
  /** Directory the CLI runs in; defaults to the current one. */
  workdir?: string;
  approvalMode?: ApprovalMode;
  sandboxMode?: SandboxMode;
  /**
   * How a face presents the run. The engine always drives the CLI in its streaming JSON mode so
   * that events arrive live; this field travels with the request for the faces (and sessions).
   */
  outputFormat?: OutputFormat;
  maxTurns?: number;
  systemPrompt?: string;
  allowedTools?: string[];
  allowedDirs?: string[];
  /** The CLI's own flags, checked against the backend's allowlist. */
  extraFlags?: string[];
  /** Leave no session behind (clinvoker's, and the CLI's where it can). */
  ephemeral?: boolean;
  /** Build the command but do not run it. */
  dryRun?: boolean;
  /** Wall-clock limit for the whole run, in ms (0: none). */
  timeoutMs?: number;
  /** Limit on time without any output from the CLI, in ms (0: none). */
  idleTimeoutMs?: number;
  /** Continue an earlier conversation: the backend's own session id. */
  /** `fork`: continue from there into a new conversation of the CLI, leaving that one as it was. */
  resume?: { backendSessionId: string; fork?: boolean };
  /** clinvoker's session this run continues (see sessionRequest); events carry its id. */
  sessionId?: string;
  /** Stored on a new session. */
  metadata?: Record<string, string>;
  /** Title of a new session. */
  title?: string;
  /** Tags of a new session, besides session.default_tags. */
  tags?: string[];
  /** The id a new session gets, for a caller that must name it before the run starts (a header). */
  newSessionId?: string;
  /** Attach the backend's original line to each event as `raw`. */
  includeRaw?: boolean;
  /** Extra environment for this run's CLI. */
  env?: Record<string, string>;
  /** Tools the caller defines and executes, offered to the CLI's agent for this run (see core/tools.ts). */
  clientTools?: ClientTools;
  /**
   * A JSON Schema the answer must match: the result's text is then JSON that does (checked, and
   * repaired once), or the run fails with `bad_output`.
   */
  outputSchema?: Record<string, unknown>;
  /** Image files (PNG, JPEG, GIF, WebP) that go with the prompt, for the CLIs that take images. */
  images?: string[];
  /**
   * Drive the CLI as a long-lived process (its machine protocol) rather than one process per turn,
   * where the backend has that mode: interrupt, permission requests, codex token streaming, and,
   * in a host that keeps processes (the server, the SDK), a next turn that costs no start.
   */
  live?: boolean;
  /** Asked before each tool call the approval mode leaves to asking (live runs; see core/permissions.ts). */
  onPermissionRequest?: PermissionHandler;
}

/** Per-backend settings (from the config): defaults for requests and how to find the CLI. */
export interface BackendSettings {
  /** Path of the executable; default: the backend's name looked up on PATH. */
  binary?: string;
  model?: string;
  approvalMode?: ApprovalMode;
  sandboxMode?: SandboxMode;
  systemPrompt?: string;
  allowedTools?: string[];
  /** Appended after a request's own extra flags. Trusted: not checked against the allowlist. */
  extraFlags?: string[];
  /** Environment passed to this CLI. */
  env?: Record<string, string>;
  enabled?: boolean;
  /** Runs of this backend are live by default (config `backends.<name>.live`, else `live.enabled`). */
  live?: boolean;
}

/** The outcome of a run: the final `result` event without its envelope. */
export type RunResult = Omit<ResultEvent, "type" | "v" | "seq" | "ts" | "raw">;
