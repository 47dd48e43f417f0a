// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is arbitrary; tests read it loosely.
// Anthropic Messages API imitation: POST /v1/messages (SSE or JSON) and POST /v1/messages/count_tokens.
import type { HttpAnswer, Inspection, ProviderAdapter, ReplyPlan, SseEvent } from "./adapter.js";
import type { ErrorSpec, ToolResult } from "./types.js";
import { chunkText, contentText, fillSchema, halves, inputAsObject, isWrapperText, randomId } from "./util.js";

const ERRORS: Record<number, [type: string, message: string]> = {
  400: ["invalid_request_error", "stub: Invalid request"],
  401: ["authentication_error", "invalid x-api-key"],
  403: ["permission_error", "Your API key does not have permission to use the specified resource."],
  404: ["not_found_error", "model: not found"],
  413: ["request_too_large", "Request exceeds the maximum allowed number of bytes."],
  429: ["rate_limit_error", "This request would exceed the rate limit for your organization. Please try again later."],
  500: ["api_error", "Internal server error"],
  503: ["api_error", "Service unavailable"],
  529: ["overloaded_error", "Overloaded"],
};

function lastUserText(messages: any[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== "user") continue;
    const parts: string[] = [];
    if (typeof m.content === "string") {
      if (!isWrapperText(m.content)) parts.push(m.content);
    } else if (Array.isArray(m.content)) {
      for (const block of m.content) {
        if (block?.type === "text" && typeof block.text === "string" && !isWrapperText(block.text))
          parts.push(block.text);
      }
    }
    if (parts.length > 0) return parts.join("\n");
  }
  return "";
}

function toolResults(messages: any[]): ToolResult[] {
  const out: ToolResult[] = [];
  for (const m of messages) {
    if (m?.role !== "user" || !Array.isArray(m.content)) continue;
    for (const block of m.content) {
      if (block?.type === "tool_result") out.push({ id: block.tool_use_id, output: contentText(block.content) });
    }
  }
  return out;
}

function usageObject(plan: ReplyPlan, outputTokens: number) {
  return {
    input_tokens: plan.usage.inputTokens,
    cache_creation_input_tokens: plan.usage.cacheCreationTokens,
    cache_read_input_tokens: plan.usage.cachedTokens,
    output_tokens: outputTokens,
    service_tier: "standard",
  };
}

function contentBlocks(plan: ReplyPlan): any[] {
  const blocks: any[] = [];
  if (plan.text) blocks.push({ type: "text", text: plan.text });
  for (const t of plan.toolCalls)
    blocks.push({ type: "tool_use", id: t.id, name: t.name, input: inputAsObject(t.input) });
  return blocks;
}

function stopReason(plan: ReplyPlan): string {
  return plan.stopReason ?? (plan.toolCalls.length > 0 ? "tool_use" : "end_turn");
}

export const anthropicAdapter: ProviderAdapter = {
  provider: "anthropic",

  matches(pathname) {
    return pathname === "/v1/messages" || pathname === "/v1/messages/count_tokens";
  },

  inspect(pathname, _search, body): Inspection {
    const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
    const countTokens = pathname.endsWith("/count_tokens");
    // Title generation and other utility calls are JSON-schema constrained (output_config.format) and carry no
    // tools; main calls always carry the tool set.
    const constrained = Boolean(body?.output_config?.format);
    const hasTools = Array.isArray(body?.tools) && body.tools.length > 0;
    return {
      endpoint: countTokens ? "count_tokens" : "messages",
      model: typeof body?.model === "string" ? body.model : null,
      stream: !countTokens && body?.stream === true,
      side: countTokens || (constrained && !hasTools),
      userText: lastUserText(messages),
      toolResults: toolResults(messages),
    };
  },

  toolCallId() {
    return randomId("toolu_01", 22);
  },

  defaultSideText(body) {
    const schema = body?.output_config?.format?.schema;
    return schema ? JSON.stringify(fillSchema(schema)) : "stub side reply";
  },

  headers() {
    return {
      "request-id": randomId("req_01", 24),
      "anthropic-organization-id": "00000000-0000-4000-8000-000000000000",
    };
  },

  streamEvents(plan): SseEvent[] {
    const id = randomId("msg_01", 24);
    const events: SseEvent[] = [];
    events.push({
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          id,
          type: "message",
          role: "assistant",
          model: plan.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: usageObject(plan, 1),
        },
      },
    });
    let index = 0;
    if (plan.text) {
      events.push({
        event: "content_block_start",
        data: { type: "content_block_start", index, content_block: { type: "text", text: "" } },
      });
      events.push({ event: "ping", data: { type: "ping" } });
      for (const piece of chunkText(plan.text, plan.chunkSize)) {
        events.push({
          event: "content_block_delta",
          data: { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } },
          content: true,
        });
      }
      events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
      index++;
    }
    for (const tool of plan.toolCalls) {
      events.push({
        event: "content_block_start",
        data: {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: tool.id, name: tool.name, input: {} },
        },
      });
      for (const piece of halves(JSON.stringify(inputAsObject(tool.input)))) {
        events.push({
          event: "content_block_delta",
          data: { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece } },
          content: true,
        });
      }
      events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
      index++;
    }
    events.push({
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: stopReason(plan), stop_sequence: null },
        usage: {
          input_tokens: plan.usage.inputTokens,
          cache_creation_input_tokens: plan.usage.cacheCreationTokens,
          cache_read_input_tokens: plan.usage.cachedTokens,
          output_tokens: plan.usage.outputTokens,
        },
      },
    });
    events.push({ event: "message_stop", data: { type: "message_stop" } });
    return events;
  },

  formatEvent(e) {
    return `event: ${e.event ?? "message"}\ndata: ${JSON.stringify(e.data)}\n\n`;
  },

  jsonBody(plan, inspection) {
    if (inspection.endpoint === "count_tokens") return { input_tokens: plan.usage.inputTokens };
    return {
      id: randomId("msg_01", 24),
      type: "message",
      role: "assistant",
      model: plan.model,
      content: contentBlocks(plan),
      stop_reason: stopReason(plan),
      stop_sequence: null,
      usage: usageObject(plan, plan.usage.outputTokens),
    };
  },

  error(spec: ErrorSpec): HttpAnswer {
    const [type, message] =
      ERRORS[spec.status] ??
      (spec.status >= 500 ? ["api_error", "Internal server error"] : ["invalid_request_error", "stub: Bad request"]);
    const requestId = randomId("req_01", 24);
    const headers: Record<string, string> = { "request-id": requestId };
    const retryAfter = spec.retryAfter ?? (spec.status === 429 || spec.status === 529 ? 1 : undefined);
    if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
    return {
      status: spec.status,
      headers,
      body: {
        type: "error",
        error: { type: spec.type ?? type, message: spec.message ?? message },
        request_id: requestId,
      },
    };
  },
};
