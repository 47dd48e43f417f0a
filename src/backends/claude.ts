/**
 * Claude Code (`claude`). Driven as `claude -p --output-format stream-json --verbose
 * --include-partial-messages`, so text arrives as deltas while the agent writes it.
 */

import { join } from "node:path";
import type { ErrorInfo } from "../core/errors.js";
import type { EventBody, PermissionDenial, Usage } from "../core/events.js";
import type {
  Backend,
  ClientToolServer,
  ImageInput,
  Invocation,
  InvocationOptions,
  OutputParser,
  ParsedOutcome,
  ProcessOutcome,
} from "./backend.js";
import { classifyProviderError, int, num, obj, parseJsonObject, str } from "./classify.js";
import { flag, granting } from "./extra-flags.js";
import { failureWithoutResult } from "./outcome.js";

const PERMISSION_MODE = { auto: "acceptEdits", none: "bypassPermissions", always: "default" } as const;

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
  capabilities: { systemPrompt: true, images: "inline" },
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
    const args: string[] = [];
    const warnings: string[] = [];
    if (options.resume) args.push(`--resume=${options.resume}`);
    if (options.resume && options.forkSession) args.push("--fork-session");
    args.push("-p", "--output-format=stream-json", "--verbose", "--include-partial-messages");
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
    // Images go as content blocks of one user message in claude's stream-json input, with the prompt.
    if (options.images?.length) {
      args.push("--input-format=stream-json");
      const stdin = `${JSON.stringify(userMessageWithImages(options.prompt, options.images))}\n`;
      return { args, stdin, warnings, files, env };
    }
    // With -p and no prompt argument, claude reads the prompt from stdin.
    if (options.promptVia === "stdin") return { args, stdin: options.prompt, warnings, files, env };
    args.push("--", options.prompt);
    return { args, warnings, files, env };
  },

  createParser: () => new ClaudeParser(),
};

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

function userMessageWithImages(prompt: string, images: ImageInput[]) {
  const blocks = images.map((image) => ({
    type: "image",
    source: { type: "base64", media_type: image.mediaType, data: image.base64 ?? "" },
  }));
  return { type: "user", message: { role: "user", content: [...blocks, { type: "text", text: prompt }] } };
}

function claudeUsage(result: Record<string, unknown>): Usage {
  const usage = obj(result.usage) ?? {};
  const cached = int(usage.cache_read_input_tokens);
  const usageOut: Usage = {
    // Claude reports fresh, cache-read and cache-write input separately; input_tokens is their sum.
    input_tokens: int(usage.input_tokens) + cached + int(usage.cache_creation_input_tokens),
    output_tokens: int(usage.output_tokens),
    cached_tokens: cached,
    reasoning_tokens: 0,
  };
  const cost = num(result.total_cost_usd);
  // claude sums floats (0.09522499999999999): whole micro-dollars say all there is.
  if (cost !== undefined) usageOut.cost_usd = Math.round(cost * 1e6) / 1e6;
  return usageOut;
}

function stripContextSuffix(model: string): string {
  return model.replace(/\[[^\]]*\]$/, "");
}

class ClaudeParser implements OutputParser {
  private sessionId: string | undefined;
  private model: string | undefined;
  private result: Record<string, unknown> | undefined;
  /** Messages whose text already came as deltas, so their complete copy is not repeated. */
  private readonly streamedMessages = new Set<string>();
  private currentStreamMessage: string | undefined;
  private readonly toolNames = new Map<string, string>();
  private lastText = "";

  line(line: string): EventBody[] {
    const event = parseJsonObject(line);
    if (!event) return line.trim() ? [{ type: "raw", stream: "stdout", line }] : [];
    const raw = event;
    switch (event.type) {
      case "system":
        return this.system(event, raw);
      case "stream_event":
        return this.streamEvent(obj(event.event) ?? {}, raw);
      case "assistant":
        return this.assistant(event, raw);
      case "user":
        return this.user(event, raw);
      case "result":
        return this.resultEvent(event, raw);
      default:
        return [{ type: "raw", stream: "stdout", line, raw }];
    }
  }

  private system(event: Record<string, unknown>, raw: unknown): EventBody[] {
    if (event.subtype === "init") {
      this.sessionId = str(event.session_id) ?? this.sessionId;
      const model = str(event.model);
      if (model) this.model = stripContextSuffix(model);
      const tools = Array.isArray(event.tools)
        ? event.tools.filter((t): t is string => typeof t === "string")
        : undefined;
      return [{ type: "init", backend_session_id: this.sessionId, model: this.model, tools, raw }];
    }
    if (event.subtype === "api_retry") {
      const status = num(event.error_status);
      return [
        {
          type: "notice",
          level: "warn",
          message: `claude is retrying after ${str(event.error) ?? "an error"}${status ? ` (HTTP ${status})` : ""}, attempt ${int(event.attempt)} of ${int(event.max_retries)}`,
          raw,
        },
      ];
    }
    return [];
  }

  private streamEvent(inner: Record<string, unknown>, raw: unknown): EventBody[] {
    if (inner.type === "message_start") {
      this.currentStreamMessage = str(obj(inner.message)?.id);
      return [];
    }
    if (inner.type !== "content_block_delta") return [];
    const delta = obj(inner.delta) ?? {};
    if (delta.type === "text_delta") {
      const text = str(delta.text) ?? "";
      if (!text) return [];
      if (this.currentStreamMessage) this.streamedMessages.add(this.currentStreamMessage);
      return [{ type: "text", text, message_id: this.currentStreamMessage, raw }];
    }
    if (delta.type === "thinking_delta") {
      const text = str(delta.thinking) ?? "";
      if (this.currentStreamMessage) this.streamedMessages.add(this.currentStreamMessage);
      return text ? [{ type: "thinking", text, raw }] : [];
    }
    return [];
  }

  private assistant(event: Record<string, unknown>, raw: unknown): EventBody[] {
    const message = obj(event.message) ?? {};
    const id = str(message.id);
    const model = str(message.model);
    if (model && model !== "<synthetic>") this.model = stripContextSuffix(model);
    const streamed = id !== undefined && this.streamedMessages.has(id);
    const out: EventBody[] = [];
    const content = Array.isArray(message.content) ? message.content : [];
    for (const block of content.map(obj)) {
      if (!block) continue;
      if (block.type === "text" && !streamed && model !== "<synthetic>") {
        const text = str(block.text) ?? "";
        if (text) {
          this.lastText = text;
          out.push({ type: "text", text, message_id: id, raw });
        }
      } else if (block.type === "text") {
        this.lastText = str(block.text) ?? this.lastText;
      } else if (block.type === "thinking" && !streamed) {
        const text = str(block.thinking) ?? "";
        if (text) out.push({ type: "thinking", text, raw });
      } else if (block.type === "tool_use") {
        const toolId = str(block.id) ?? "";
        const name = str(block.name) ?? "unknown";
        this.toolNames.set(toolId, name);
        out.push({ type: "tool_call", id: toolId, name, input: block.input ?? {}, raw });
      }
    }
    return out;
  }

  private user(event: Record<string, unknown>, raw: unknown): EventBody[] {
    const content = obj(event.message)?.content;
    if (!Array.isArray(content)) return [];
    const out: EventBody[] = [];
    for (const block of content.map(obj)) {
      if (block?.type !== "tool_result") continue;
      const id = str(block.tool_use_id) ?? "";
      out.push({
        type: "tool_result",
        id,
        name: this.toolNames.get(id),
        output: toolOutputText(block.content),
        is_error: block.is_error === true,
        raw,
      });
    }
    return out;
  }

  private resultEvent(event: Record<string, unknown>, raw: unknown): EventBody[] {
    this.result = event;
    this.sessionId = str(event.session_id) ?? this.sessionId;
    return [{ type: "usage", usage: claudeUsage(event), raw }];
  }

  finish(outcome: ProcessOutcome): ParsedOutcome {
    const result = this.result;
    if (!result) {
      return {
        text: "",
        backendSessionId: this.sessionId,
        model: this.model,
        error: failureWithoutResult("claude", outcome),
        events: [],
      };
    }
    const text = str(result.result) ?? this.lastText;
    const parsed: ParsedOutcome = {
      text: result.is_error === true ? "" : text,
      backendSessionId: this.sessionId,
      model: this.model,
      usage: claudeUsage(result),
      numTurns: num(result.num_turns),
      permissionDenials: claudeDenials(result.permission_denials),
      events: [],
    };
    if (result.is_error === true || outcome.exitCode !== 0) parsed.error = claudeError(result, text, outcome);
    return parsed;
  }
}

/** claude's `permission_denials`: the tool calls it refused (in -p mode it cannot ask). */
function claudeDenials(value: unknown): PermissionDenial[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.map(obj).map((denial) => ({ tool: str(denial?.tool_name) ?? "unknown", input: denial?.tool_input }));
}

function claudeError(result: Record<string, unknown>, text: string, outcome: ProcessOutcome): ErrorInfo {
  if (result.subtype === "error_max_turns") {
    const errors = Array.isArray(result.errors) ? result.errors.filter((e) => typeof e === "string") : [];
    return {
      code: "max_turns",
      message: errors[0] ?? "claude reached the maximum number of turns",
      hint: "raise --max-turns (or max_turns) to let the agent go on",
    };
  }
  const message = text || (str(result.subtype) ?? `claude failed with exit code ${outcome.exitCode}`);
  if (/not logged in/i.test(message)) {
    return { code: "auth", message, hint: "log in with `claude` once, or set ANTHROPIC_API_KEY" };
  }
  return classifyProviderError(message, num(result.api_error_status));
}

function toolOutputText(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  return content
    .map((part) => str(obj(part)?.text) ?? "")
    .filter(Boolean)
    .join("\n");
}
