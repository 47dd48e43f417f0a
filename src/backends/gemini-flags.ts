/**
 * gemini's command line from a run's options, shared by the one-shot invocation (gemini.ts) and the
 * live process (gemini-live.ts): model, approval and sandbox modes, tools, directories, client tools.
 */

import type { ClientToolServer, ConfigOverlay, InvocationOptions } from "./backend.js";

const APPROVAL_MODE = { auto: "auto_edit", none: "yolo", always: "default" } as const;

/** What every gemini process takes, one-shot or live: the run's options as flags (pushed onto `args`). */
export type GeminiRunOptions = Omit<InvocationOptions, "prompt" | "promptVia" | "images" | "outputSchema">;

export function geminiRunFlags(
  options: GeminiRunOptions,
  args: string[],
): { warnings: string[]; overlay: ConfigOverlay | undefined } {
  const warnings: string[] = [];
  // Headless runs choose their directory explicitly, as `claude -p` and `codex exec` do.
  args.push("--skip-trust");
  if (options.model) args.push(`--model=${options.model}`);
  if (options.approvalMode !== "default") args.push(`--approval-mode=${APPROVAL_MODE[options.approvalMode]}`);
  if (options.sandboxMode === "read-only" || options.sandboxMode === "workspace") args.push("--sandbox");
  if (options.maxTurns) warnings.push("gemini has no max-turns option; max_turns is not applied");
  for (const tool of options.allowedTools) args.push(`--allowed-tools=${tool}`);
  for (const dir of options.allowedDirs) args.push(`--include-directories=${dir}`);
  if (options.ephemeral) {
    warnings.push("gemini cannot skip saving its own session files; the run is ephemeral for clinvoker only");
  }
  const overlay = options.clientTools && geminiClientTools(options.clientTools, args);
  return { warnings, overlay };
}

/**
 * The run's client-tool server in gemini's settings. gemini takes MCP servers from settings files
 * only, and reads no per-run file but its home's (a system settings path must be root's), so the run
 * gets a home of its own (GEMINI_CLI_HOME) whose config folder links the user's.
 */
function geminiClientTools(tools: ClientToolServer, args: string[]): ConfigOverlay {
  // Only this server's tools, and not the user's own servers.
  args.push(`--allowed-mcp-server-names=${tools.name}`);
  const modelNames = tools.tools.map((tool) => `mcp_${tools.name}_${tool}`);
  return {
    homeVariable: "GEMINI_CLI_HOME",
    folder: ".gemini",
    settingsFile: "settings.json",
    ensure: ["tmp", "history"],
    settings: {
      mcpServers: {
        [tools.name]: {
          httpUrl: tools.url,
          headers: { Authorization: `Bearer ${tools.token}` },
          trust: true,
          // A client takes its time to run a tool: an hour per call (the run keeps its own limits).
          timeout: 3_600_000,
        },
      },
      // `core` lists the tools the model gets, MCP ones included: the built-ins go unless kept.
      ...(tools.keepBuiltins ? {} : { tools: { core: modelNames } }),
    },
  };
}
