/**
 * Claude Code (`claude`). Driven as `claude -p --output-format stream-json --verbose
 * --include-partial-messages`, so text arrives as deltas while the agent writes it; its long-lived
 * mode (stream-json input and the control protocol) is claude-live.ts.
 */

import type { Backend, Invocation, InvocationOptions } from "./backend.js";
import { claudeOptionArgs, claudeResumeArgs, claudeUserMessage } from "./claude-args.js";
import { claudeLive } from "./claude-live.js";
import { ClaudeParser } from "./claude-output.js";
import { flag, granting } from "./extra-flags.js";

export const claude: Backend = {
  name: "claude",
  displayName: "Claude Code",
  binary: "claude",
  installHint: "npm install -g @anthropic-ai/claude-code",
  versionArgs: ["--version"],
  canFork: true,
  modelAliases: {
    fast: "haiku",
    quick: "haiku",
    balanced: "sonnet",
    default: "sonnet",
    best: "opus",
    powerful: "opus",
  },
  models: {
    known: ["sonnet", "opus", "haiku", "claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"],
    families: [/^claude-/i, /^(sonnet|opus|haiku)$/i],
    vendor: "anthropic",
  },
  capabilities: { systemPrompt: true, images: "inline", outputSchema: { via: "argv", takes: "object" } },
  // Anthropic's API, Bedrock (AWS) and Vertex (Google Cloud), and Claude Code's own switches.
  environment: [
    "ANTHROPIC_*",
    "CLAUDE_*",
    "DISABLE_*",
    "API_TIMEOUT_MS",
    "MAX_THINKING_TOKENS",
    "MAX_MCP_OUTPUT_TOKENS",
    "MCP_TIMEOUT",
    "MCP_TOOL_TIMEOUT",
    "BASH_DEFAULT_TIMEOUT_MS",
    "BASH_MAX_TIMEOUT_MS",
    "AWS_*",
    "CLOUD_ML_REGION",
    "VERTEX_REGION_*",
    "GOOGLE_APPLICATION_CREDENTIALS",
  ],
  extraFlags: [
    flag(true, "--model"),
    flag(true, "--max-turns"),
    flag(true, "--system-prompt"),
    flag(true, "--append-system-prompt"),
    granting("mode", true, "--permission-mode"),
    granting("directory", true, "--add-dir"),
    granting("tools", true, "--allowedTools", "--allowed-tools"),
    flag(true, "--disallowedTools", "--disallowed-tools"),
    granting("tools", true, "--tools"),
    flag(true, "--fallback-model"),
    flag(true, "--effort"),
    flag(true, "--max-budget-usd"),
    granting("agent", true, "--agent"),
    flag(false, "--fork-session"),
    flag(false, "--no-session-persistence"),
    flag(false, "--verbose"),
  ],

  parseVersion(output) {
    return /(\d+\.\d+\.\d+[\w.-]*)/.exec(output)?.[1];
  },

  buildInvocation(options: InvocationOptions): Invocation {
    const { args: optionArgs, warnings, files, env } = claudeOptionArgs(options);
    const args = [
      ...claudeResumeArgs(options),
      "-p",
      "--output-format=stream-json",
      "--verbose",
      "--include-partial-messages",
      ...optionArgs,
    ];
    // claude offers the schema as its StructuredOutput tool (a tool's input is always an object).
    if (options.outputSchema?.via === "argv") args.push(`--json-schema=${options.outputSchema.json}`);
    // Images go as content blocks of one user message in claude's stream-json input, with the prompt.
    if (options.images?.length) {
      args.push("--input-format=stream-json");
      const stdin = `${JSON.stringify(claudeUserMessage(options.prompt, options.images))}\n`;
      return { args, stdin, warnings, files, env };
    }
    // With -p and no prompt argument, claude reads the prompt from stdin.
    if (options.promptVia === "stdin") return { args, stdin: options.prompt, warnings, files, env };
    args.push("--", options.prompt);
    return { args, warnings, files, env };
  },

  createParser: () => new ClaudeParser(),
  live: claudeLive,
};
