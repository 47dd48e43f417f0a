/**
 * OpenAI Codex (`codex`). Driven as `codex exec --json`, which prints one JSON event per line
 * (thread.started, item.*, turn.completed / turn.failed). Resume is `codex exec resume <id>`.
 */

import type { ErrorInfo } from "../core/errors.js";
import type { EventBody, Usage } from "../core/events.js";
import type { Backend, Invocation, InvocationOptions, OutputParser, ParsedOutcome, ProcessOutcome } from "./backend.js";
import { classifyProviderError, int, obj, parseJsonObject, str } from "./classify.js";
import {
  APPROVAL_POLICY,
  codexClientTools,
  codexInstructions,
  SANDBOX,
  STDERR_NOISE,
  tomlString,
} from "./codex-config.js";
import { codexLive } from "./codex-live.js";
import { flag, granting } from "./extra-flags.js";
import { failureWithoutResult } from "./outcome.js";

export const codex: Backend = {
  name: "codex",
  displayName: "OpenAI Codex",
  binary: "codex",
  installHint: "npm install -g @openai/codex",
  versionArgs: ["--version"],
  // `codex exec resume` continues the one rollout file; it has no fork.
  canFork: false,
  modelAliases: {
    fast: "gpt-5-mini",
    quick: "gpt-5-mini",
    balanced: "gpt-5",
    default: "gpt-5",
    best: "gpt-5-codex",
    powerful: "gpt-5-codex",
  },
  models: {
    known: ["gpt-5", "gpt-5-codex", "gpt-5-mini", "o3", "o4-mini", "codex-mini-latest"],
    families: [/^gpt-/i, /^o3(-|$)/i, /^o4/i, /^codex/i],
    vendor: "openai",
  },
  capabilities: { systemPrompt: true, images: "file", outputSchema: { via: "file", takes: "strict" } },
  environment: ["OPENAI_*", "CODEX_*", "AZURE_OPENAI_*"],
  extraFlags: [
    flag(true, "--model", "-m"),
    granting("mode", true, "--sandbox", "-s"),
    granting("directory", true, "--add-dir"),
    granting("mode", true, "--profile", "-p"),
    flag(false, "--skip-git-repo-check"),
    flag(false, "--ephemeral"),
    granting("mode", false, "--full-auto"),
    granting("mode", false, "--approve-for-me"),
  ],

  live: codexLive,

  parseVersion(output) {
    return /(\d+\.\d+\.\d+[\w.-]*)/.exec(output)?.[1];
  },

  buildInvocation(options: InvocationOptions): Invocation {
    const args: string[] = ["exec"];
    const warnings: string[] = [];
    if (options.resume) args.push("resume", options.resume);
    args.push("--json", "--skip-git-repo-check");
    if (options.model) args.push(`--model=${options.model}`);
    if (options.approvalMode === "always") {
      // `codex exec` asks no one (it refuses what would need approval) and no longer starts with
      // approval_policy "untrusted" (0.169: "no longer supported"); the live mode asks per call.
      args.push("-c", `approval_policy=${tomlString(APPROVAL_POLICY.auto)}`);
      warnings.push(
        "codex exec cannot ask before a command runs: it refuses what needs approval (run live to be asked)",
      );
    } else if (options.approvalMode !== "default") {
      args.push("-c", `approval_policy=${tomlString(APPROVAL_POLICY[options.approvalMode])}`);
    }
    if (options.sandboxMode !== "default") {
      // `codex exec resume` has no --sandbox flag; the config override works for both.
      args.push("-c", `sandbox_mode=${tomlString(SANDBOX[options.sandboxMode])}`);
    }
    codexInstructions(options, args, warnings);
    if (!options.resume) for (const dir of options.allowedDirs) args.push(`--add-dir=${dir}`);
    else if (options.allowedDirs.length)
      warnings.push("codex cannot add directories when resuming; allowed_dirs is not applied");
    if (options.ephemeral) args.push("--ephemeral");
    const env = options.clientTools && codexClientTools(options.clientTools, args);
    if (options.outputSchema?.via === "file") args.push(`--output-schema=${options.outputSchema.path}`);
    for (const image of options.images ?? []) args.push(`--image=${image.path}`);
    args.push(...options.extraFlags);
    // `-` makes codex read the prompt from stdin; otherwise stdin is closed so codex does not wait on it.
    if (options.promptVia === "stdin") return { args: [...args, "--", "-"], stdin: options.prompt, warnings, env };
    args.push("--", options.prompt);
    return { args, warnings, env };
  },

  createParser: () => new CodexParser(),
};

function codexUsage(usage: Record<string, unknown>): Usage {
  const cached = int(usage.cached_input_tokens);
  return {
    input_tokens: int(usage.input_tokens),
    output_tokens: int(usage.output_tokens),
    cached_tokens: cached,
    reasoning_tokens: int(usage.reasoning_output_tokens),
  };
}

class CodexParser implements OutputParser {
  private threadId: string | undefined;
  private lastMessage = "";
  private usage: Usage | undefined;
  private completed = false;
  private failure: string | undefined;

  line(line: string): EventBody[] {
    const event = parseJsonObject(line);
    if (!event) return line.trim() ? [{ type: "raw", stream: "stdout", line }] : [];
    const raw = event;
    switch (event.type) {
      case "thread.started":
        this.threadId = str(event.thread_id) ?? this.threadId;
        return [{ type: "init", backend_session_id: this.threadId, raw }];
      case "turn.started":
        return [];
      case "item.started":
        return this.itemStarted(obj(event.item) ?? {}, raw);
      case "item.updated":
        return [];
      case "item.completed":
        return this.itemCompleted(obj(event.item) ?? {}, raw);
      case "turn.completed":
        this.completed = true;
        this.usage = codexUsage(obj(event.usage) ?? {});
        return [{ type: "usage", usage: this.usage, raw }];
      case "turn.failed":
        this.failure = str(obj(event.error)?.message) ?? "codex turn failed";
        return [];
      case "error": {
        const message = str(event.message) ?? "codex reported an error";
        // Reconnect notices are codex retrying; the real failure comes as turn.failed.
        return [{ type: "notice", level: "warn", message, raw }];
      }
      default:
        return [{ type: "raw", stream: "stdout", line, raw }];
    }
  }

  private itemStarted(item: Record<string, unknown>, raw: unknown): EventBody[] {
    const call = toolCall(item);
    return call ? [{ type: "tool_call", ...call, raw }] : [];
  }

  private itemCompleted(item: Record<string, unknown>, raw: unknown): EventBody[] {
    const id = str(item.id) ?? "";
    switch (item.type) {
      case "agent_message": {
        const text = str(item.text) ?? "";
        this.lastMessage = text;
        return text ? [{ type: "text", text, message_id: id, raw }] : [];
      }
      case "reasoning": {
        const text = str(item.text) ?? "";
        return text ? [{ type: "thinking", text, raw }] : [];
      }
      case "error":
        return [{ type: "notice", level: "warn", message: str(item.message) ?? "codex warning", raw }];
      default: {
        const call = toolCall(item);
        if (!call) return [{ type: "raw", stream: "stdout", line: JSON.stringify(raw), raw }];
        const exitCode = typeof item.exit_code === "number" ? item.exit_code : undefined;
        const failed = item.status === "failed" || (exitCode !== undefined && exitCode !== 0);
        const output =
          str(item.aggregated_output) ?? (item.result !== undefined ? JSON.stringify(item.result) : undefined);
        return [{ type: "tool_result", id: call.id, name: call.name, output, is_error: failed, raw }];
      }
    }
  }

  finish(outcome: ProcessOutcome): ParsedOutcome {
    const base = { text: this.lastMessage, backendSessionId: this.threadId, usage: this.usage, events: [] };
    if (this.failure !== undefined) return { ...base, text: "", error: classifyProviderError(this.failure) };
    if (!this.completed || outcome.exitCode !== 0) {
      return { ...base, error: codexFailure(outcome) };
    }
    return base;
  }
}

function codexFailure(outcome: ProcessOutcome): ErrorInfo {
  if (/no rollout found for thread id/i.test(outcome.stderr)) {
    return {
      code: "session_not_found",
      message: "codex has no session with that id (it may have been deleted or run under another CODEX_HOME)",
      hint: "list resumable sessions with `clinvk sessions list`",
    };
  }
  return failureWithoutResult("codex", outcome, STDERR_NOISE);
}

/** Codex items that are tool runs: shell commands, file changes, MCP and web-search calls. */
function toolCall(item: Record<string, unknown>): { id: string; name: string; input: unknown } | undefined {
  const id = str(item.id) ?? "";
  switch (item.type) {
    case "command_execution":
      return { id, name: "shell", input: { command: item.command } };
    case "file_change":
      return { id, name: "file_change", input: { changes: item.changes } };
    case "mcp_tool_call":
      return { id, name: `${str(item.server) ?? "mcp"}.${str(item.tool) ?? "tool"}`, input: item.arguments ?? {} };
    case "web_search":
      return { id, name: "web_search", input: { query: item.query } };
    default:
      return undefined;
  }
}
