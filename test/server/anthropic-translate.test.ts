import { describe, expect, it } from "vitest";
import type { RunResult } from "../../src/core/request.js";
import { renderAnthropicError } from "../../src/server/anthropic/errors.js";
import { message, messagesConversation } from "../../src/server/anthropic/messages.js";
import { messagesStream } from "../../src/server/anthropic/messages-stream.js";
import { anthropicModelById, anthropicModelList } from "../../src/server/anthropic/models.js";
import type { CountTokensBody } from "../../src/server/anthropic/schemas.js";
import type { TurnOutcome } from "../../src/server/compat/drive.js";
import { type TokenCounts, tokenCounts } from "../../src/server/compat/tokens.js";
import type { StreamSink } from "../../src/server/http/serve-run.js";

/** A response's outcome as the runner hands it to a writer: the run's result, its text, no calls. */
const outcomeOf = (result: RunResult, text: string, promptTokens = 3): TurnOutcome => ({
  result,
  text,
  calls: [],
  counts: tokenCounts(result.usage, promptTokens, text),
});
const countsOutcome = (text: string, counts: TokenCounts): TurnOutcome => ({ text, calls: [], counts });

const body = (fields: Record<string, unknown>) => ({ model: "claude", messages: [], ...fields }) as CountTokensBody;

const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
};

function recorder() {
  const frames: { event?: string; data: Record<string, unknown> }[] = [];
  const sink: StreamSink = {
    send: (data, event) => frames.push({ event, data: data as Record<string, unknown> }),
  };
  return { sink, frames };
}

const result: RunResult = {
  backend: "claude",
  status: "success",
  text: "Hi!",
  usage: { input_tokens: 1500, output_tokens: 9, cached_tokens: 1200, reasoning_tokens: 0 },
  duration_ms: 1,
  exit_code: 0,
};

describe("messages", () => {
  it("system as a string or blocks; content as a string or blocks; thinking replays skipped", () => {
    expect(
      messagesConversation(
        body({
          system: [
            { type: "text", text: "Be brief." },
            { type: "text", text: "Use English." },
          ],
          messages: [
            { role: "user", content: "Hi" },
            {
              role: "assistant",
              content: [
                { type: "thinking", thinking: "hmm", signature: "sig" },
                { type: "text", text: "Hello" },
              ],
            },
            { role: "user", content: [{ type: "text", text: "More" }] },
            { role: "user", content: "And more" },
          ],
        }),
        { answer: true },
      ),
    ).toEqual({
      system: "Be brief.\n\nUse English.",
      turns: [
        { role: "user", text: "Hi" },
        { role: "assistant", text: "Hello" },
        { role: "user", text: "More\n\nAnd more" },
      ],
    });
    expect(
      messagesConversation(body({ system: "S", messages: [{ role: "user", content: "x" }] }), { answer: true }),
    ).toEqual({ system: "S", turns: [{ role: "user", text: "x" }] });
  });

  it.each([
    [
      [
        { role: "user", content: "x" },
        { role: "assistant", content: "The answer is" },
      ],
      "messages",
    ],
    [
      [{ role: "user", content: [{ type: "image", source: { type: "base64", data: "x" } }] }],
      "messages.0.content.0.type",
    ],
    [
      [{ role: "user", content: [{ type: "document", source: { type: "text", data: "x" } }] }],
      "messages.0.content.0.type",
    ],
    [[{ role: "user", content: [{ type: "tool_result", content: "1" }] }], "messages.0.content.0.tool_use_id"],
    [[{ role: "robot", content: "x" }], "messages.0.role"],
  ])("%j is a 400 naming %s", (messages, param) => {
    expect(thrown(() => messagesConversation(body({ messages }), { answer: true }))).toMatchObject({
      kind: "invalid_request",
      param,
    });
  });

  it("counting tokens does not need a user message last", () => {
    const conversation = messagesConversation(body({ messages: [{ role: "assistant", content: "x" }] }), {
      answer: false,
    });
    expect(conversation.turns).toEqual([{ role: "assistant", text: "x" }]);
  });

  it("a Message counts cached input apart, as Anthropic does", () => {
    expect(
      message(
        { id: "msg_1", model: "claude-sonnet-4-5" },
        countsOutcome("Hi!", {
          input: 1500,
          output: 9,
          cached: 1200,
          reasoning: 0,
          estimated: false,
        }),
      ),
    ).toEqual({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Hi!" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 1200, output_tokens: 9 },
    });
  });
});

describe("messages stream", () => {
  it("message_start, ping, one text block, message_delta with the final usage, message_stop", () => {
    const { sink, frames } = recorder();
    const stream = messagesStream(sink, { id: "msg_1", model: "sonnet" }, { promptTokens: 40 });
    expect(stream.trailer).toBeUndefined(); // Anthropic streams end with message_stop, no [DONE]
    stream.open();
    stream.ping();
    stream.text("Hi");
    stream.text("!");
    stream.finish(outcomeOf(result, "Hi!"));
    expect(frames.map((frame) => frame.event)).toEqual([
      "message_start",
      "ping",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(frames.every((frame) => frame.data.type === frame.event)).toBe(true);
    expect(frames[0]?.data).toMatchObject({
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        content: [],
        model: "sonnet",
        stop_reason: null,
        usage: { input_tokens: 40, output_tokens: 0 },
      },
    });
    expect(frames[3]?.data).toEqual({
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    });
    expect(frames[4]?.data).toEqual({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: "Hi" },
    });
    expect(frames[7]?.data).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { input_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 1200, output_tokens: 9 },
    });
  });

  it("an empty answer still has its text block; a failure is an error event", () => {
    const { sink, frames } = recorder();
    const stream = messagesStream(sink, { id: "msg_1", model: "sonnet" }, { promptTokens: 4 });
    stream.open();
    stream.finish(outcomeOf(result, ""));
    expect(frames.map((frame) => frame.event)).toContain("content_block_start");
    const failed = recorder();
    const other = messagesStream(failed.sink, { id: "msg_2", model: "sonnet" }, { promptTokens: 4 });
    other.open();
    other.fail({ kind: "overloaded", message: "Overloaded" });
    expect(failed.frames.at(-1)).toEqual({
      event: "error",
      data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    });
  });
});

describe("errors and models", () => {
  it.each([
    ["invalid_request", 400, "invalid_request_error"],
    ["authentication", 401, "authentication_error"],
    ["permission", 403, "permission_error"],
    ["not_found", 404, "not_found_error"],
    ["model_not_found", 404, "not_found_error"],
    ["too_large", 413, "request_too_large"],
    ["rate_limit", 429, "rate_limit_error"],
    ["quota", 429, "rate_limit_error"],
    ["overloaded", 529, "overloaded_error"],
    ["timeout", 504, "timeout_error"],
    ["upstream", 502, "api_error"],
    ["server", 500, "api_error"],
  ] as const)("%s → %i %s", (kind, status, type) => {
    expect(renderAnthropicError({ kind, message: "m" })).toEqual({
      status,
      body: { type: "error", error: { type, message: "m" } },
    });
  });

  it("names the field at fault in the message, as Anthropic does", () => {
    expect(renderAnthropicError({ kind: "invalid_request", message: "is wrong", param: "max_tokens" }).body).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "max_tokens: is wrong" },
    });
  });

  it("models: one page with every id; any id routing to an enabled backend is found", () => {
    const catalog = [{ id: "claude/opus", backend: "claude" as const, owned_by: "anthropic" }];
    expect(anthropicModelList(catalog, "2026-01-01T00:00:00.000Z")).toEqual({
      data: [{ type: "model", id: "claude/opus", display_name: "claude/opus", created_at: "2026-01-01T00:00:00.000Z" }],
      has_more: false,
      first_id: "claude/opus",
      last_id: "claude/opus",
    });
    expect(anthropicModelById("claude-opus-4-1", catalog, "t", () => true)).toMatchObject({ id: "claude-opus-4-1" });
    expect(thrown(() => anthropicModelById("gpt-5", catalog, "t", (backend) => backend === "claude"))).toMatchObject({
      kind: "model_not_found",
    });
  });
});
