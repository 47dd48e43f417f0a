/**
 * The rules of `clinvk mcp` on stdio: the user's own agent calls it on the user's machine, so it
 * may do what the user's command line may (relative directories resolve against the directory
 * `clinvk mcp` started in; modes and flags are the config's and the caller's).
 */
import { resolve } from "node:path";
import type { Config } from "../config/schema.js";
import type { McpPolicy } from "./policy.js";

export function localPolicy(config: Config, cwd: string = process.cwd()): McpPolicy {
  const workdir = (dir: string | undefined) => (dir ? resolve(cwd, dir) : undefined);
  return {
    config: () => config,
    runRequest: (args) => ({
      backend: args.backend ?? config.default_backend,
      prompt: args.prompt,
      model: args.model,
      workdir: workdir(args.workdir) ?? cwd,
      approvalMode: args.approval_mode,
      sandboxMode: args.sandbox_mode,
      systemPrompt: args.system_prompt,
      maxTurns: args.max_turns,
      ephemeral: args.ephemeral,
      timeoutMs: args.timeout_secs !== undefined ? Math.round(args.timeout_secs * 1000) : undefined,
    }),
    task: (task) => ({ ...task, workdir: workdir(task.workdir) }),
    workdir,
  };
}
