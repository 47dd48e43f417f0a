/**
 * The rules of `/mcp`: the native API's own policy functions, applied to the tools' arguments (whose
 * field names are the native bodies'). Whatever the network may not do over /api/v1 (dangerous modes,
 * extra flags, directories outside the workdir policy) it may not do over MCP either.
 */
import type { McpPolicy } from "../mcp/policy.js";
import type { ServerContext } from "./context.js";
import { allowedWorkdir, checkedTask, promptRequest } from "./translate-api.js";

export function networkPolicy(context: ServerContext): McpPolicy {
  const config = () => context.config.current;
  return {
    config,
    runRequest: (args) => promptRequest(args, config()),
    task: (task) => checkedTask(task, config()),
    workdir: (dir) => allowedWorkdir(dir, config()),
  };
}
