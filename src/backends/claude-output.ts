/**
 * Claude Code's stream-json output (`--output-format stream-json --verbose`), read into unified
 * events: the same lines whether one `-p` run prints them or a long-lived process prints them turn
 * after turn (claude-live.ts).
 */

import type { ErrorInfo } from "../core/errors.js";
import type { EventBody, PermissionDenial, Usage } from "../core/events.js";
import type { OutputParser, ParsedOutcome, ProcessOutcome } from "./backend.js";
import { classifyProviderError, int, num, obj, parseJsonObject, str } from "./classify.js";
import { failureWithoutResult } from "./outcome.js";

export function claudeUsage(result: Record<string, unknown>): Usage {
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

export class ClaudeParser implements OutputParser {
  /**
   * `asked`: the tool calls the host was asked about (by tool_use id). claude lists the ones it
   * denied among its refusals too, but those were answered, not refused without asking.
   */
  constructor(private readonly asked: ReadonlySet<string> = new Set()) {}

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
    // With --json-schema the answer is the StructuredOutput tool's input, which claude checked against the schema.
    const structured = result.structured_output;
    const text = structured !== undefined ? JSON.stringify(structured) : (str(result.result) ?? this.lastText);
    const parsed: ParsedOutcome = {
      text: result.is_error === true ? "" : text,
      backendSessionId: this.sessionId,
      model: this.model,
      usage: claudeUsage(result),
      numTurns: num(result.num_turns),
      permissionDenials: claudeDenials(result.permission_denials, this.asked),
      events: [],
    };
    if (result.is_error === true || outcome.exitCode !== 0) parsed.error = claudeError(result, text, outcome);
    return parsed;
  }

  /** The `result` line read so far, if any. */
  get resultLine(): Readonly<Record<string, unknown>> | undefined {
    return this.result;
  }

  /** The last assistant text, also of a message cut short (an interrupted turn has no result text). */
  get lastAssistantText(): string {
    return this.lastText;
  }
}

/** claude's `permission_denials`: the tool calls it refused (in -p mode it cannot ask). */
function claudeDenials(value: unknown, asked: ReadonlySet<string>): PermissionDenial[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const denials = value
    .map(obj)
    .filter((denial) => !asked.has(str(denial?.tool_use_id) ?? ""))
    .map((denial) => ({ tool: str(denial?.tool_name) ?? "unknown", input: denial?.tool_input }));
  return denials.length ? denials : undefined;
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
