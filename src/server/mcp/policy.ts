/**
 * The rules of `/mcp`: the tools' arguments (whose field names are the native bodies') become requests
 * as the native API's do, and every run they start is judged by the same network guard as every route's
 * (the server's engine carries it, policy/run-policy.ts): dangerous modes, tool grants, extra flags and
 * the directory each CLI runs in, whatever named it (the call, a task, a session it continues). Nothing
 * becomes possible over MCP that a network client could not do over /api/v1.
 */
import type { McpPolicy } from "../../mcp/policy.js";
import type { ServerContext } from "../context.js";
import { promptRequest } from "../native/translate.js";

export function networkPolicy(context: ServerContext): McpPolicy {
  const config = () => context.config.current;
  return {
    config,
    runRequest: (args) => promptRequest(args, config()),
    // Tasks and directories go as the native workflow routes pass them: the engine's guard judges them.
    task: (task) => task,
    workdir: (dir) => dir,
  };
}
