import { describe, expect, it } from "vitest";
import type { RunResult } from "../../src/core/request.js";
import type { TurnOutcome } from "../../src/server/compat/drive.js";
import { CompatError } from "../../src/server/compat/errors.js";
import { type TokenCounts, tokenCounts } from "../../src/server/compat/tokens.js";
import type { StreamSink } from "../../src/server/http/serve-run.js";
import { chatCompletion, chatConversation } from "../../src/server/openai/chat.js";
import { chatStream } from "../../src/server/openai/chat-stream.js";
import { renderOpenAIError } from "../../src/server/openai/errors.js";
import { openaiModelById, openaiModelList } from "../../src/server/openai/models.js";
import { checkChatParams, checkResponsesParams } from "../../src/server/openai/params.js";
import { previousOf, responseId, responseObject, responsesConversation } from "../../src/server/openai/responses.js";
import { responsesStream } from "../../src/server/openai/responses-stream.js";
import type { ChatBody, ResponsesBody } from "../../src/server/openai/schemas.js";

/** A response's outcome as the runner hands it to a writer: the run's result, its text, no calls. */
const outcomeOf = (result: RunResult, text: string, promptTokens = 3): TurnOutcome => ({
  result,
  text,
  calls: [],
  counts: tokenCounts(result.usage, promptTokens, text),
});
const countsOutcome = (text: string, counts: TokenCounts): TurnOutcome => ({ text, calls: [], counts });

const result = (usage = { input_tokens: 12, output_tokens: 4, cached_tokens: 8, reasoning_tokens: 1 }): RunResult => ({
  backend: "codex",
  status: "success",
  text: "Hello there",
  usage,
  duration_ms: 5,
  exit_code: 0,
});

function recorder() {
  const frames: { event?: string; data: unknown }[] = [];
  const sink: StreamSink = {
    send: (data, event) => frames.push({ event, data }),
  };
  return { sink, frames };
}

const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as CompatError;
  }
  throw new Error("did not throw");
};

describe("chat messages", () => {
  it("system and developer messages make the system prompt; parts become text; turns merge", () => {
    const conversation = chatConversation(<ChatBody["messages"]>[
      { role: "system", content: "Be brief." },
      { role: "developer", content: [{ type: "text", text: "Use English." }] },
      {
        role: "user",
        content: [
          { type: "text", text: "Hi" },
          { type: "text", text: "there" },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Hello" },
          { type: "refusal", refusal: "x" },
        ],
      },
      { role: "user", content: "One" },
      { role: "user", content: "Two", name: "bob" },
    ]);
    expect(conversation).toEqual({
      system: "Be brief.\n\nUse English.",
      turns: [
        { role: "user", text: "Hi\nthere" },
        { role: "assistant", text: "Hello" },
        { role: "user", text: "One\n\nTwo" },
      ],
    });
  });

  it.each([
    [[{ role: "assistant", content: "prefill" }], "messages"],
    [[{ role: "user", content: "" }], "messages"],
    [[{ role: "function", content: "42", name: "f" }], "messages[0].role"],
    [[{ role: "tool", content: "42" }], "messages[0].tool_call_id"],
    [[{ role: "wizard", content: "x" }], "messages[0].role"],
    [[{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }], "messages[0].content[0].type"],
    [[{ role: "user", content: [{ type: "text" }] }], "messages[0].content[0].text"],
    [
      [
        { role: "user", content: "x" },
        { role: "assistant", content: null, tool_calls: [{ id: "c" }] },
        { role: "user", content: "y" },
      ],
      "messages[1].tool_calls[0]",
    ],
  ])("%j is a 400 naming %s", (messages, param) => {
    const error = thrown(() => chatConversation(messages as ChatBody["messages"]));
    expect(error).toBeInstanceOf(CompatError);
    expect(error).toMatchObject({ kind: "invalid_request", param });
  });

  it("accepts and ignores what a CLI cannot honour; refuses what it would silently break", () => {
    const base = { model: "gpt-5", messages: [{ role: "user", content: "x" }] };
    const ignored: Partial<ChatBody> = {
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 5,
      max_completion_tokens: 5,
      stop: ["\n"],
      presence_penalty: 1,
      frequency_penalty: 1,
      logit_bias: { "50256": -100 },
      seed: 1,
      user: "u",
      tools: [{ type: "function", function: { name: "f" } }],
      tool_choice: "auto",
      parallel_tool_calls: false,
      response_format: { type: "text" },
      n: 1,
      logprobs: false,
      modalities: ["text"],
      store: true,
      metadata: { a: "b" },
      reasoning_effort: "low",
    };
    expect(() => checkChatParams({ ...base, ...ignored } as ChatBody)).not.toThrow();
    for (const [field, value] of [
      ["n", 2],
      ["logprobs", true],
      ["top_logprobs", 3],
      ["function_call", { name: "f" }],
      ["modalities", ["text", "audio"]],
      ["audio", { voice: "alloy", format: "mp3" }],
    ] as const) {
      const error = thrown(() => checkChatParams({ ...base, [field]: value } as unknown as ChatBody));
      expect(error).toMatchObject({ kind: "invalid_request", param: field, code: "unsupported_parameter" });
    }
  });

  it("a completion has OpenAI's fields, cached and reasoning tokens in the details", () => {
    const body = chatCompletion(
      { id: "chatcmpl-1", created: 7, model: "codex/gpt-5" },
      countsOutcome("Hello there", {
        input: 12,
        output: 4,
        cached: 8,
        reasoning: 1,
        estimated: false,
      }),
    );
    expect(body).toEqual({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 7,
      model: "codex/gpt-5",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello there", refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 4,
        total_tokens: 16,
        prompt_tokens_details: { cached_tokens: 8 },
        completion_tokens_details: { reasoning_tokens: 1 },
      },
      system_fingerprint: null,
    });
  });
});

describe("chat stream", () => {
  const meta = { id: "chatcmpl-1", created: 7, model: "gpt-5" };

  it("role chunk, text chunks, finish chunk, usage chunk with no choices, [DONE]", () => {
    const { sink, frames } = recorder();
    const stream = chatStream(sink, meta, { includeUsage: true });
    stream.open();
    stream.text("Hello");
    stream.text("");
    stream.text(" there");
    stream.finish(outcomeOf(result(), "Hello there"));
    const chunks = frames.map((frame) => frame.data) as Record<string, unknown>[];
    expect(frames.every((frame) => frame.event === undefined)).toBe(true);
    expect(chunks).toHaveLength(5);
    expect(chunks[0]).toMatchObject({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 7,
      model: "gpt-5",
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
      usage: null,
    });
    expect(chunks[1]).toMatchObject({ choices: [{ delta: { content: "Hello" } }], usage: null });
    expect(chunks[2]).toMatchObject({ choices: [{ delta: { content: " there" } }] });
    expect(chunks[3]).toMatchObject({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: null });
    expect(chunks[4]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
    });
    expect(stream.trailer).toBe("data: [DONE]\n\n");
  });

  it("without include_usage no chunk has a usage field; a failure is an error object", () => {
    const { sink, frames } = recorder();
    const stream = chatStream(sink, meta, { includeUsage: false });
    stream.open();
    stream.fail({ kind: "overloaded", message: "busy" });
    expect(frames[0]?.data).not.toHaveProperty("usage");
    expect(frames[1]?.data).toEqual({
      error: { message: "busy", type: "server_error", param: null, code: null },
    });
    expect(frames).toHaveLength(2);
  });
});

describe("responses", () => {
  it("input as a string or as message items; instructions and system items make the system prompt", () => {
    expect(responsesConversation({ input: "hi", instructions: "Be brief." } as ResponsesBody)).toEqual({
      system: "Be brief.",
      turns: [{ role: "user", text: "hi" }],
    });
    const conversation = responsesConversation({
      input: [
        { role: "developer", content: "Use English." },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] },
        { type: "reasoning", id: "rs_1", summary: [] },
        {
          type: "message",
          role: "assistant",
          id: "msg_1",
          status: "completed",
          content: [{ type: "output_text", text: "Hello", annotations: [] }],
        },
        { role: "user", content: "More" },
      ],
    } as ResponsesBody);
    expect(conversation).toEqual({
      system: "Use English.",
      turns: [
        { role: "user", text: "Hi" },
        { role: "assistant", text: "Hello" },
        { role: "user", text: "More" },
      ],
    });
  });

  it.each([
    [{}, "input"],
    [{ input: [] }, "input"],
    [{ input: [{ type: "computer_call_output", call_id: "c", output: {} }] }, "input[0].type"],
    [{ input: [{ type: "function_call_output", output: "x" }] }, "input[0].call_id"],
    [{ input: [{ role: "user", content: [{ type: "input_image", image_url: "x" }] }] }, "input[0].content[0].type"],
    [{ input: [{ role: "assistant", content: "prefill" }] }, "input"],
  ])("%j is a 400 naming %s", (body, param) => {
    expect(thrown(() => responsesConversation(body as ResponsesBody))).toMatchObject({
      kind: "invalid_request",
      param,
    });
  });

  it("parameters: some ignored, some refused", () => {
    const ok = {
      temperature: 0,
      max_output_tokens: 9,
      tools: [{ type: "web_search" }],
      tool_choice: "none",
      store: false,
    };
    expect(() => checkResponsesParams({ input: "x", ...ok } as ResponsesBody)).not.toThrow();
    for (const [field, value, param] of [
      ["background", true, "background"],
      ["conversation", "conv_1", "conversation"],
      ["prompt", { id: "p" }, "prompt"],
      ["top_logprobs", 2, "top_logprobs"],
    ] as const) {
      expect(thrown(() => checkResponsesParams({ input: "x", [field]: value } as ResponsesBody))).toMatchObject({
        param,
        code: "unsupported_parameter",
      });
    }
  });

  it("a response id carries its session; a foreign one is previous_response_not_found", () => {
    const session = "0123456789abcdef0123456789abcdef";
    const id = responseId(session);
    expect(id).toMatch(/^resp_[a-f0-9]{48}$/);
    expect(previousOf(id)).toEqual({ sessionId: session, responseId: id });
    expect(responseId(undefined)).toMatch(/^resp_[a-f0-9]{48}$/);
    expect(thrown(() => previousOf("resp_abc"))).toMatchObject({
      param: "previous_response_id",
      code: "previous_response_not_found",
    });
  });

  it("streams the Responses events in order, numbered, with the final response", () => {
    const { sink, frames } = recorder();
    const meta = { id: "resp_x", createdAt: 7, model: "gpt-5", body: { input: "hi" } as ResponsesBody, stored: true };
    const stream = responsesStream(sink, meta);
    stream.open();
    stream.text("Hel");
    stream.text("lo");
    stream.finish(outcomeOf(result(), "Hello"));
    expect(frames.map((frame) => frame.event)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const data = frames.map((frame) => frame.data as Record<string, unknown>);
    expect(data.map((d) => d.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(data.every((d, i) => d.type === frames[i]?.event)).toBe(true);
    expect(data[0]).toMatchObject({
      response: { id: "resp_x", object: "response", status: "in_progress", output: [] },
    });
    expect(data[4]).toMatchObject({ output_index: 0, content_index: 0, delta: "Hel" });
    expect(data[6]).toMatchObject({ text: "Hello" });
    expect(data[9]).toMatchObject({
      response: {
        status: "completed",
        output: [
          {
            type: "message",
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: "Hello" }],
          },
        ],
        usage: { input_tokens: 12, output_tokens: 4, total_tokens: 16, input_tokens_details: { cached_tokens: 8 } },
      },
    });
  });

  it("an empty answer still has its message; a failure is response.failed", () => {
    const { sink, frames } = recorder();
    const meta = { id: "resp_x", createdAt: 7, model: "gpt-5", body: { input: "hi" } as ResponsesBody, stored: true };
    const stream = responsesStream(sink, meta);
    stream.open();
    stream.finish(outcomeOf(result(), ""));
    expect(frames.map((frame) => frame.event)).toContain("response.output_item.added");
    const failed = recorder();
    const other = responsesStream(failed.sink, meta);
    other.open();
    other.fail({ kind: "rate_limit", message: "slow down" });
    expect(failed.frames.at(-1)).toMatchObject({
      event: "response.failed",
      data: { response: { status: "failed", error: { code: "rate_limit_exceeded", message: "slow down" } } },
    });
  });

  it("a response object echoes what the request set", () => {
    const body = { input: "x", instructions: "i", temperature: 0.5, metadata: { k: "v" } } as ResponsesBody;
    expect(
      responseObject({ id: "resp_1", createdAt: 1, model: "m", body, stored: false }, { status: "in_progress" }),
    ).toMatchObject({ instructions: "i", temperature: 0.5, metadata: { k: "v" }, store: false, error: null });
  });
});

describe("errors and models", () => {
  it.each([
    ["invalid_request", 400, "invalid_request_error"],
    ["authentication", 401, "invalid_request_error"],
    ["permission", 403, "permission_error"],
    ["model_not_found", 404, "invalid_request_error"],
    ["too_large", 413, "invalid_request_error"],
    ["rate_limit", 429, "requests"],
    ["quota", 429, "insufficient_quota"],
    ["overloaded", 503, "server_error"],
    ["timeout", 504, "server_error"],
    ["upstream", 502, "server_error"],
    ["server", 500, "server_error"],
  ] as const)("%s → %i %s", (kind, status, type) => {
    const rendered = renderOpenAIError({ kind, message: "m", param: "p" });
    expect(rendered.status).toBe(status);
    expect(rendered.body).toMatchObject({ error: { message: "m", type, param: "p" } });
    expect(Object.keys((rendered.body as { error: object }).error)).toEqual(["message", "type", "param", "code"]);
  });

  it("lists models and finds any id that routes to an enabled backend", () => {
    const catalog = [{ id: "claude/sonnet", backend: "claude" as const, owned_by: "anthropic" }];
    expect(openaiModelList(catalog, 5)).toEqual({
      object: "list",
      data: [{ id: "claude/sonnet", object: "model", created: 5, owned_by: "anthropic" }],
    });
    const owner = (backend: string) => (backend === "claude" ? "anthropic" : undefined);
    expect(openaiModelById("claude-opus-4-1-20250805", catalog, 5, owner)).toMatchObject({ owned_by: "anthropic" });
    expect(thrown(() => openaiModelById("gpt-5", catalog, 5, owner))).toMatchObject({ kind: "model_not_found" });
    expect(thrown(() => openaiModelById("llama", catalog, 5, owner))).toMatchObject({ kind: "model_not_found" });
  });
});
