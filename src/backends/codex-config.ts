/**
 * codex's settings that every mode of it takes the same way (`codex exec` and `codex app-server`):
 * clinvoker's modes as codex's values, and the `-c` config overrides for the system prompt and a
 * run's client tools.
 */
import type { ClientToolServer, InvocationOptions } from "./backend.js";

/** codex's approval policy and sandbox mode for clinvoker's modes (config values, and app-server's thread fields). */
export const APPROVAL_POLICY = { auto: "on-request", none: "never", always: "untrusted" } as const;
export const SANDBOX = { "read-only": "read-only", workspace: "workspace-write", full: "danger-full-access" } as const;
export const STDERR_NOISE = [/^Reading (additional input|prompt) from stdin/, /^WARNING: proceeding, even though/];

/** TOML basic string, for `-c key="value"` overrides. */
export const tomlString = (value: string) => JSON.stringify(value);

/**
 * The options every codex mode takes as config overrides or not at all (exec and app-server alike):
 * the system prompt, and warnings for what codex has no option for.
 */
export function codexInstructions(
  options: Pick<InvocationOptions, "maxTurns" | "systemPrompt" | "allowedTools">,
  args: string[],
  warnings: string[],
): void {
  if (options.maxTurns) warnings.push("codex has no max-turns option; max_turns is not applied");
  if (options.systemPrompt) args.push("-c", `developer_instructions=${tomlString(options.systemPrompt)}`);
  if (options.allowedTools.length) warnings.push("codex has no allowed-tools option; allowed_tools is not applied");
}

/** The variable through which codex sends the tool server's token (config keys are argv, which `ps` shows). */
const TOOL_TOKEN_VARIABLE = "CLINVK_TOOL_TOKEN";

/** codex's own tools, each behind a feature (its `exec` and `wait` tools have none: the instruction says so). */
const BUILTIN_FEATURES = [
  "shell_tool",
  "unified_exec",
  "multi_agent",
  "goals",
  "view_image",
  "image_generation",
  "sleep_tool",
  "apps",
  "plugins",
  "tool_suggest",
  "browser_use",
  "computer_use",
  "skill_search",
  "hooks",
];

/** The run's client-tool server as codex MCP configuration overrides; returns the environment it needs. */
export function codexClientTools(tools: ClientToolServer, args: string[]): Record<string, string> {
  const key = `mcp_servers.${tools.name}`;
  const set = (name: string, value: string) => args.push("-c", `${name}=${value}`);
  set(`${key}.url`, tomlString(tools.url));
  set(`${key}.bearer_token_env_var`, tomlString(TOOL_TOKEN_VARIABLE));
  // The client is the one asked: codex must not ask again (with approval "never" it would refuse).
  set(`${key}.default_tools_approval_mode`, tomlString("approve"));
  // A client takes its time to run a tool: the call waits for it (the run keeps its own limits).
  set(`${key}.tool_timeout_sec`, "86400");
  // Models in code mode would reach the tools only from JavaScript, whose cells give up after 30 s:
  // the client's tools are called directly instead.
  set("features.code_mode.direct_only_tool_namespaces", `[${tomlString(`mcp__${tools.name}`)}]`);
  set("features.code_mode.default_exec_yield_time_ms", "86400000");
  if (!tools.keepBuiltins) {
    for (const feature of BUILTIN_FEATURES) set(`features.${feature}`, "false");
    set("web_search", tomlString("disabled"));
  }
  return { [TOOL_TOKEN_VARIABLE]: tools.token };
}
