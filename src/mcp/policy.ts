/**
 * What the face that serves MCP decides: how a tool call's arguments become engine requests, and
 * which directories and modes are allowed. `clinvk mcp` (stdio, local) uses the command line's
 * rules (local-policy.ts); `/mcp` on `clinvk serve` builds requests as the native HTTP API does, and
 * the server's engine judges every run by the network policy, so that nothing becomes possible over
 * MCP that a network client could not do over HTTP.
 */
import type { Config } from "../config/schema.js";
import type { RunRequest } from "../core/request.js";
import type { StepSpec, TaskSpec } from "../workflows/specs.js";
import type { RunArgs } from "./tools.js";

export interface McpPolicy {
  /** The config in force now (default backend, parallel.max_workers). */
  config(): Config;
  /** The request for a `run` call without session_id, the face's rules applied (modes, flags, workdir). */
  runRequest(args: Omit<RunArgs, "session_id">): RunRequest;
  /** A parallel task or chain step as this face lets it run (modes, extra flags, workdir). */
  task<T extends TaskSpec | StepSpec>(task: T): T;
  /**
   * A directory a run will work in, checked: one a caller named (compare), or the one a continued
   * session works in. Returns the directory to use (undefined: the default).
   */
  workdir(dir: string | undefined): string | undefined;
}
