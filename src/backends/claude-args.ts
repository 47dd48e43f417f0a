/**
 * The parts of claude's command line and stream-json input that a one-shot run (claude.ts) and a
 * long-lived process (claude-live.ts) share, so that both honour every option the same way.
 */

import { join } from "node:path";
import type { ClientToolServer, ImageInput, Invocation, InvocationOptions } from "./backend.js";

const PERMISSION_MODE = { auto: "acceptEdits", none: "bypassPermissions", always: "default" } as const;

/** The options that hold for the whole life of a claude process (no prompt, images or schema). */
export type ClaudeProcessOptions = Omit<InvocationOptions, "prompt" | "promptVia" | "images" | "outputSchema">;

/** Flags, with the files and environment they need, and what could not be honoured. */
export interface ClaudeOptionArgs {
  args: string[];
  warnings: string[];
  files?: Invocation["files"];
  env?: Record<string, string>;
}

/** The conversation the process opens: goes before `-p`. */
export function claudeResumeArgs(options: ClaudeProcessOptions): string[] {
  if (!options.resume) return [];
  return options.forkSession ? [`--resume=${options.resume}`, "--fork-session"] : [`--resume=${options.resume}`];
}

/** Every unified option as claude's flags (after the output-format flags, before the prompt). */
export function claudeOptionArgs(options: ClaudeProcessOptions): ClaudeOptionArgs {
  const args: string[] = [];
  const warnings: string[] = [];
  if (options.model) args.push(`--model=${options.model}`);
  if (options.approvalMode !== "default") args.push(`--permission-mode=${PERMISSION_MODE[options.approvalMode]}`);
  if (options.sandboxMode !== "default") {
    warnings.push(`claude has no sandbox option; sandbox mode "${options.sandboxMode}" is not applied`);
  }
  if (options.maxTurns) args.push(`--max-turns=${options.maxTurns}`);
  if (options.systemPrompt) args.push(`--system-prompt=${options.systemPrompt}`);
  const tools = options.clientTools;
  // Client tools are claude's MCP tools `mcp__<server>__<tool>`: allowed without asking, and alone
  // unless the built-in tools are kept too.
  const allowed = tools ? [...options.allowedTools, `mcp__${tools.name}`] : options.allowedTools;
  if (allowed.length) args.push(`--allowedTools=${allowed.join(",")}`);
  let files: Invocation["files"];
  if (tools) {
    const config = join(tools.configDir, "mcp.json");
    files = [{ path: config, content: JSON.stringify(claudeMcpConfig(tools)) }];
    args.push(`--mcp-config=${config}`);
    if (!tools.keepBuiltins) args.push("--strict-mcp-config", "--tools=");
  }
  // Nor does its watchdog give up on a call that the client is still running.
  const env = tools ? { CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT: "0" } : undefined;
  for (const dir of options.allowedDirs) args.push(`--add-dir=${dir}`);
  if (options.ephemeral) args.push("--no-session-persistence");
  args.push(...options.extraFlags);
  return { args, warnings, files, env };
}

/** The run's client-tool server as claude's MCP configuration (a file, since it holds the token). */
function claudeMcpConfig(tools: ClientToolServer) {
  return {
    mcpServers: {
      [tools.name]: {
        type: "http",
        url: tools.url,
        headers: { Authorization: `Bearer ${tools.token}` },
        // A client takes its time to run a tool: an hour per call (the run keeps its own limits).
        timeout: 3_600_000,
      },
    },
  };
}

/** One user message of claude's stream-json input: the images as content blocks, then the prompt. */
export function claudeUserMessage(prompt: string, images: readonly ImageInput[] = []) {
  const blocks = images.map((image) => ({
    type: "image",
    source: { type: "base64", media_type: image.mediaType, data: image.base64 ?? "" },
  }));
  return { type: "user", message: { role: "user", content: [...blocks, { type: "text", text: prompt }] } };
}
