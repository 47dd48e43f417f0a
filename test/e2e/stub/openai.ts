// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is arbitrary; tests read it loosely.
// OpenAI Responses API imitation: POST /v1/responses (SSE when `stream:true`, JSON otherwise).
import type { HttpAnswer, Inspection, ProviderAdapter, ReplyPlan, SseEvent } from "./adapter.js";
import type { ErrorSpec, ToolResult } from "./types.js";
import { chunkText, contentText, halves, isWrapperText, randomHex, randomId } from "./util.js";

const ERRORS: Record<number, [type: string, code: string | null, message: string]> = {
  400: ["invalid_request_error", null, "stub: Invalid request"],
  401: [
    "invalid_request_error",
    "invalid_api_key",
    "Incorrect API key provided: sk-stub***. You can find your API key at https://platform.openai.com/account/api-keys.",
  ],
  403: ["invalid_request_error", "unsupported_country_region_territory", "Country, region, or territory not supported"],
  404: ["invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."],
  429: ["requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again in 1s."],
  500: ["server_error", null, "The server had an error while processing your request. Sorry about that!"],
  503: ["server_error", null, "The engine is currently overloaded, please try again later."],
  529: ["server_error", null, "The engine is currently overloaded, please try again later."],
};

function itemsOf(body: any): any[] {
  if (typeof body?.input === "string") return [{ type: "message", role: "user", content: body.input }];
  return Array.isArray(body?.input) ? body.input : [];
}

function lastUserText(items: any[]): string {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it?.role !== "user" || (it.type !== undefined && it.type !== "message")) continue;
    const texts: string[] = [];
    if (typeof it.content === "string") texts.push(it.content);
    else if (Array.isArray(it.content)) for (const c of it.content) if (typeof c?.text === "string") texts.push(c.text);
    const real = texts.filter((t) => !isWrapperText(t));
    if (real.length > 0) return real.join("\n");
  }
  return "";
}

function toolResults(items: any[]): ToolResult[] {
  const out: ToolResult[] = [];
  for (const it of items) {
    if (it?.type !== "function_call_output" && it?.type !== "custom_tool_call_output") continue;
    const o = it.output;
    let output: string;
    if (typeof o === "string") output = o;
    else if (Array.isArray(o)) output = contentText(o, "");
    else if (o && typeof o === "object" && "content" in o)
      output = contentText((o as { content: unknown }).content, "");
    else output = JSON.stringify(o);
    out.push({ id: it.call_id, output });
  }
  return out;
}

interface OutputItem {
  added: any;
  done: any;
  deltas: SseEvent[];
}

function outputItems(plan: ReplyPlan): OutputItem[] {
  const items: OutputItem[] = [];
  if (plan.text) {
    const id = `msg_${randomHex(48)}`;
    const part = { type: "output_text", text: plan.text, annotations: [], logprobs: [] };
    items.push({
      added: { id, type: "message", status: "in_progress", content: [], role: "assistant" },
      done: { id, type: "message", status: "completed", content: [part], role: "assistant" },
      deltas: [], // filled in streamEvents (needs output_index)
    });
  }
  for (const t of plan.toolCalls) {
    const custom = t.kind ? t.kind === "custom" : typeof t.input === "string";
    const id = `${custom ? "ctc" : "fc"}_${randomHex(48)}`;
    if (custom) {
      const input = typeof t.input === "string" ? t.input : JSON.stringify(t.input);
      items.push({
        added: { id, type: "custom_tool_call", status: "in_progress", call_id: t.id, input: "", name: t.name },
        done: { id, type: "custom_tool_call", status: "completed", call_id: t.id, input, name: t.name },
        deltas: [],
      });
    } else {
      const args = typeof t.input === "string" ? t.input : JSON.stringify(t.input ?? {});
      // A tool inside a `namespace` tool group (codex puts MCP servers' tools in one) is called with its
      // namespace beside its bare name.
      const ns = t.namespace ? { namespace: t.namespace } : {};
      items.push({
        added: { id, type: "function_call", status: "in_progress", arguments: "", call_id: t.id, name: t.name, ...ns },
        done: { id, type: "function_call", status: "completed", arguments: args, call_id: t.id, name: t.name, ...ns },
        deltas: [],
      });
    }
  }
  return items;
}

function usageObject(plan: ReplyPlan) {
  const inputDetails: Record<string, number> = { cached_tokens: plan.usage.cachedTokens };
  if (plan.usage.cacheCreationTokens) inputDetails.cache_write_tokens = plan.usage.cacheCreationTokens;
  return {
    input_tokens: plan.usage.inputTokens,
    input_tokens_details: inputDetails,
    output_tokens: plan.usage.outputTokens,
    output_tokens_details: { reasoning_tokens: plan.usage.reasoningTokens },
    total_tokens: plan.usage.inputTokens + plan.usage.outputTokens,
  };
}

function responseObject(
  id: string,
  createdAt: number,
  plan: ReplyPlan,
  body: any,
  status: string,
  output: any[],
  usage: unknown,
) {
  return {
    id,
    object: "response",
    created_at: createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: typeof body?.instructions === "string" ? body.instructions : null,
    max_output_tokens: null,
    model: plan.model,
    output,
    parallel_tool_calls: body?.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: body?.reasoning?.effort ?? null, summary: null },
    store: body?.store ?? false,
    temperature: 1,
    text: { format: { type: "text" } },
    tool_choice: body?.tool_choice ?? "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    usage,
    user: null,
    metadata: {},
  };
}

export const openaiAdapter: ProviderAdapter = {
  provider: "openai",

  matches(pathname) {
    return pathname === "/v1/responses" || pathname === "/responses";
  },

  inspect(_pathname, _search, body): Inspection {
    const items = itemsOf(body);
    return {
      endpoint: "responses",
      model: typeof body?.model === "string" ? body.model : null,
      stream: body?.stream === true,
      side: false,
      userText: lastUserText(items),
      toolResults: toolResults(items),
    };
  },

  toolCallId() {
    return randomId("call_", 24);
  },

  defaultSideText() {
    return "stub side reply";
  },

  headers() {
    return { "x-request-id": `req_${randomHex(32)}`, "openai-processing-ms": "12", "openai-version": "2020-10-01" };
  },

  streamEvents(plan, _inspection, body): SseEvent[] {
    const respId = `resp_${randomHex(48)}`;
    const createdAt = Math.floor(Date.now() / 1000);
    const items = outputItems(plan);
    const events: SseEvent[] = [];
    const push = (type: string, data: Record<string, unknown>, content = false) => {
      events.push({ event: type, data: { type, sequence_number: events.length, ...data }, content });
    };
    push("response.created", { response: responseObject(respId, createdAt, plan, body, "in_progress", [], null) });
    push("response.in_progress", { response: responseObject(respId, createdAt, plan, body, "in_progress", [], null) });
    items.forEach((item, outputIndex) => {
      push("response.output_item.added", { output_index: outputIndex, item: item.added });
      const done = item.done;
      if (done.type === "message") {
        const text: string = done.content[0].text;
        push("response.content_part.added", {
          item_id: done.id,
          output_index: outputIndex,
          content_index: 0,
          part: { type: "output_text", text: "", annotations: [], logprobs: [] },
        });
        for (const piece of chunkText(text, plan.chunkSize)) {
          push(
            "response.output_text.delta",
            { item_id: done.id, output_index: outputIndex, content_index: 0, delta: piece, logprobs: [] },
            true,
          );
        }
        push("response.output_text.done", {
          item_id: done.id,
          output_index: outputIndex,
          content_index: 0,
          text,
          logprobs: [],
        });
        push("response.content_part.done", {
          item_id: done.id,
          output_index: outputIndex,
          content_index: 0,
          part: done.content[0],
        });
      } else if (done.type === "function_call") {
        for (const piece of halves(done.arguments)) {
          push(
            "response.function_call_arguments.delta",
            { item_id: done.id, output_index: outputIndex, delta: piece },
            true,
          );
        }
        push("response.function_call_arguments.done", {
          item_id: done.id,
          output_index: outputIndex,
          arguments: done.arguments,
        });
      } else if (done.type === "custom_tool_call") {
        for (const piece of halves(done.input)) {
          push(
            "response.custom_tool_call_input.delta",
            { item_id: done.id, output_index: outputIndex, delta: piece },
            true,
          );
        }
        push("response.custom_tool_call_input.done", {
          item_id: done.id,
          output_index: outputIndex,
          input: done.input,
        });
      }
      push("response.output_item.done", { output_index: outputIndex, item: done });
    });
    const status = plan.stopReason ?? "completed";
    push(status === "incomplete" ? "response.incomplete" : "response.completed", {
      response: responseObject(
        respId,
        createdAt,
        plan,
        body,
        status,
        items.map((i) => i.done),
        usageObject(plan),
      ),
    });
    return events;
  },

  formatEvent(e) {
    return `event: ${e.event ?? "message"}\ndata: ${JSON.stringify(e.data)}\n\n`;
  },

  jsonBody(plan, _inspection, body) {
    const items = outputItems(plan);
    return responseObject(
      `resp_${randomHex(48)}`,
      Math.floor(Date.now() / 1000),
      plan,
      body,
      plan.stopReason ?? "completed",
      items.map((i) => i.done),
      usageObject(plan),
    );
  },

  error(spec: ErrorSpec): HttpAnswer {
    const [type, code, message] =
      ERRORS[spec.status] ??
      (spec.status >= 500
        ? ["server_error", null, "The server had an error while processing your request."]
        : ["invalid_request_error", null, "stub: Bad request"]);
    const headers: Record<string, string> = { "x-request-id": `req_${randomHex(32)}` };
    const retryAfter = spec.retryAfter ?? (spec.status === 429 || spec.status === 529 ? 1 : undefined);
    if (retryAfter !== undefined) {
      headers["retry-after"] = String(retryAfter);
      headers["retry-after-ms"] = String(retryAfter * 1000);
    }
    return {
      status: spec.status,
      headers,
      body: {
        error: {
          message: spec.message ?? message.replace("again in 1s", `again in ${retryAfter ?? 1}s`),
          type: spec.type ?? type,
          param: null,
          code,
        },
      },
    };
  },
};
