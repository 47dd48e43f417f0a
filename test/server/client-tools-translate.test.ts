// The surfaces' translation of client tools, both ways, without a server: tools and tool_choice into client
// tools, replayed calls and results into turns, and a response's calls into each surface's own shape.
import { describe, expect, it } from "vitest";
import { message, messagesConversation, messagesTools } from "../../src/server/anthropic/messages.js";
import { messagesStream } from "../../src/server/anthropic/messages-stream.js";
import type { CountTokensBody } from "../../src/server/anthropic/schemas.js";
import { fingerprint, promptFor } from "../../src/server/compat/conversation.js";
import type { TurnOutcome } from "../../src/server/compat/drive.js";
import type { PendingCall } from "../../src/server/compat/live-turn.js";
import type { StreamSink } from "../../src/server/http/serve-run.js";
import { chatCompletion, chatConversation, chatTools } from "../../src/server/openai/chat.js";
import { chatStream } from "../../src/server/openai/chat-stream.js";
import { responseOutput, responsesConversation, responsesTools } from "../../src/server/openai/responses.js";
import { responsesStream } from "../../src/server/openai/responses-stream.js";
import type { ChatBody, ResponsesBody } from "../../src/server/openai/schemas.js";

const parameters = { type: "object", properties: { city: { type: "string" } } };
const call: PendingCall = { id: "call_ck1", name: "get_weather", arguments: '{"city":"Oslo"}', answer: () => {} };
const counts = { input: 10, output: 5, cached: 0, reasoning: 0, estimated: true };
const withCalls: TurnOutcome = { text: "Checking.", calls: [call], counts };

function recorder() {
  const frames: { data: unknown; event?: string }[] = [];
  const sink: StreamSink = { send: (data, event) => frames.push({ data, event }) };
  return { sink, frames };
}

const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
};

describe("chat completions", () => {
  const chat = (fields: Partial<ChatBody>) => ({ model: "claude", messages: [], ...fields }) as ChatBody;

  it("function tools and every tool_choice become client tools; none offers nothing", () => {
    const tools = [{ type: "function", function: { name: "get_weather", description: "W", parameters } }];
    expect(chatTools(chat({ tools }))).toEqual({
      tools: [{ name: "get_weather", description: "W", inputSchema: parameters }],
      choice: "auto",
    });
    expect(chatTools(chat({ tools, tool_choice: "required" }))?.choice).toBe("required");
    expect(
      chatTools(
        chat({
          tools,
          tool_choice: { type: "function", function: { name: "get_weather" } } as ChatBody["tool_choice"],
        }),
      )?.choice,
    ).toEqual({ name: "get_weather" });
    expect(chatTools(chat({ tools, tool_choice: "none" }))).toBeUndefined();
    expect(chatTools(chat({}))).toBeUndefined();
  });

  it.each([
    [{ tools: [{ type: "custom", custom: { name: "x" } }] }, "tools[0].type"],
    [{ tools: [{ type: "function", function: { name: "bad name!" } }] }, "tools[0].function.name"],
    [{ tools: [{ type: "function", function: { name: "f", parameters: { type: "string" } } }] }, "tools[0].function"],
    [
      {
        tools: [{ type: "function", function: { name: "f" } }],
        tool_choice: { type: "function", function: { name: "g" } },
      },
      "tool_choice",
    ],
    [{ tool_choice: "required" }, "tool_choice"],
    [{ functions: [{ name: "f" }] }, "functions"],
  ])("%j is a 400 naming %s", (fields, param) => {
    expect(thrown(() => chatTools(chat(fields as Partial<ChatBody>)))).toMatchObject({ param });
  });

  it("an assistant's tool_calls and the tool messages are turns with calls and results", () => {
    const conversation = chatConversation([
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }],
      },
      { role: "tool", tool_call_id: "c1", content: "sunny" },
    ] as ChatBody["messages"]);
    expect(conversation.turns).toEqual([
      { role: "user", text: "weather?" },
      { role: "assistant", text: "", calls: [{ id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' }] },
      { role: "user", text: "", results: [{ id: "c1", content: "sunny" }] },
    ]);
  });

  it("a completion with calls: tool_calls, finish_reason tool_calls; streamed, the calls' chunks", () => {
    const body = chatCompletion({ id: "chatcmpl-1", created: 1, model: "m" }, withCalls);
    expect(body.choices[0]).toMatchObject({
      finish_reason: "tool_calls",
      message: {
        content: "Checking.",
        tool_calls: [
          { id: "call_ck1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
        ],
      },
    });
    const { sink, frames } = recorder();
    const stream = chatStream(sink, { id: "chatcmpl-1", created: 1, model: "m" }, { includeUsage: false });
    stream.open();
    stream.finish(withCalls);
    const deltas = frames.map(
      (frame) => (frame.data as { choices: { delta: unknown; finish_reason: unknown }[] }).choices[0],
    );
    expect(deltas.slice(1)).toEqual([
      expect.objectContaining({
        delta: {
          tool_calls: [
            { index: 0, id: "call_ck1", type: "function", function: { name: "get_weather", arguments: "" } },
          ],
        },
      }),
      expect.objectContaining({ delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":"Oslo"}' } }] } }),
      expect.objectContaining({ delta: {}, finish_reason: "tool_calls" }),
    ]);
  });
});

describe("responses", () => {
  it("function tools, function_call and function_call_output items", () => {
    const body = {
      model: "m",
      tools: [{ type: "function", name: "get_weather", parameters }],
      tool_choice: { type: "function", name: "get_weather" },
      input: [
        { role: "user", content: "weather?" },
        { type: "function_call", call_id: "c1", name: "get_weather", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: "sunny" },
      ],
    } as unknown as ResponsesBody;
    expect(responsesTools(body)).toEqual({
      tools: [{ name: "get_weather", inputSchema: parameters }],
      choice: { name: "get_weather" },
    });
    expect(responsesConversation(body).turns.slice(1)).toEqual([
      { role: "assistant", text: "", calls: [{ id: "c1", name: "get_weather", arguments: "{}" }] },
      { role: "user", text: "", results: [{ id: "c1", content: "sunny" }] },
    ]);
    expect(thrown(() => responsesTools({ ...body, tools: [{ type: "web_search" }] } as ResponsesBody))).toMatchObject({
      param: "tools[0].type",
    });
  });

  it("a response with calls: its message, then function_call items; streamed with their arguments", () => {
    expect(responseOutput(withCalls, "msg_1")).toEqual([
      expect.objectContaining({ type: "message" }),
      expect.objectContaining({
        type: "function_call",
        call_id: "call_ck1",
        name: "get_weather",
        arguments: '{"city":"Oslo"}',
        status: "completed",
      }),
    ]);
    expect(responseOutput({ ...withCalls, text: "" }, "msg_1").map((item) => item.type)).toEqual(["function_call"]);
    const { sink, frames } = recorder();
    const meta = { id: "resp_1", createdAt: 1, model: "m", body: { input: "x" } as ResponsesBody, stored: true };
    const stream = responsesStream(sink, meta);
    stream.open();
    stream.finish({ ...withCalls, text: "" });
    expect(frames.map((frame) => frame.event)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(frames[3]?.data).toMatchObject({ delta: '{"city":"Oslo"}', output_index: 0 });
  });
});

describe("messages", () => {
  const body = (fields: Record<string, unknown>) => ({ model: "claude", messages: [], ...fields }) as CountTokensBody;

  it("custom tools and tool_choice; server tools are refused", () => {
    const tools = [{ name: "get_weather", input_schema: parameters }];
    expect(messagesTools(body({ tools, tool_choice: { type: "any" } }))).toEqual({
      tools: [{ name: "get_weather", inputSchema: parameters }],
      choice: "required",
    });
    expect(messagesTools(body({ tools, tool_choice: { type: "tool", name: "get_weather" } }))?.choice).toEqual({
      name: "get_weather",
    });
    expect(messagesTools(body({ tools, tool_choice: { type: "none" } }))).toBeUndefined();
    expect(
      thrown(() => messagesTools(body({ tools: [{ type: "web_search_20250305", name: "web_search" }] }))),
    ).toMatchObject({
      param: "tools.0.type",
    });
  });

  it("tool_use and tool_result blocks are calls and results", () => {
    const conversation = messagesConversation(
      body({
        messages: [
          { role: "user", content: "weather?" },
          {
            role: "assistant",
            content: [
              { type: "text", text: "Checking." },
              { type: "tool_use", id: "t1", name: "get_weather", input: { city: "Oslo" } },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "sunny" }], is_error: true },
            ],
          },
        ],
      }),
      { answer: true },
    );
    expect(conversation.turns.slice(1)).toEqual([
      {
        role: "assistant",
        text: "Checking.",
        calls: [{ id: "t1", name: "get_weather", arguments: '{"city":"Oslo"}' }],
      },
      { role: "user", text: "", results: [{ id: "t1", content: "sunny", isError: true }] },
    ]);
  });

  it("a message with calls: tool_use blocks and stop_reason tool_use; streamed as input_json_delta", () => {
    const body = message({ id: "msg_1", model: "m" }, withCalls);
    expect(body.stop_reason).toBe("tool_use");
    expect(body.content).toEqual([
      { type: "text", text: "Checking." },
      { type: "tool_use", id: "call_ck1", name: "get_weather", input: { city: "Oslo" } },
    ]);
    const { sink, frames } = recorder();
    const stream = messagesStream(sink, { id: "msg_1", model: "m" }, { promptTokens: 1 });
    stream.open();
    stream.finish({ ...withCalls, text: "" });
    const data = frames.map((frame) => frame.data as Record<string, unknown>);
    expect(data.slice(2).map((d) => d.type)).toEqual([
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(data[2]).toMatchObject({ index: 0, content_block: { type: "tool_use", id: "call_ck1", input: {} } });
    expect(data[3]).toMatchObject({ delta: { type: "input_json_delta", partial_json: '{"city":"Oslo"}' } });
    expect(data[5]).toMatchObject({ delta: { stop_reason: "tool_use" } });
  });
});

describe("conversations with tool turns", () => {
  const turns = [
    { role: "user" as const, text: "weather?" },
    { role: "assistant" as const, text: "", calls: [{ id: "c1", name: "get_weather", arguments: "{}" }] },
    { role: "user" as const, text: "", results: [{ id: "c1", content: "sunny" }] },
  ];

  it("fingerprints see the calls and the results", () => {
    const other = [
      ...turns.slice(0, 2),
      { role: "user" as const, text: "", results: [{ id: "c1", content: "rainy" }] },
    ];
    expect(fingerprint(turns)).not.toBe(fingerprint(other));
    expect(fingerprint(turns.slice(0, 1))).not.toBe(fingerprint(turns.slice(0, 2)));
  });

  it("a CLI that did not see them reads them in its transcript", () => {
    const prompt = promptFor(turns);
    expect(prompt).toContain('<tool_call id="c1" name="get_weather">{}</tool_call>');
    expect(prompt).toContain('<tool_result id="c1">\nsunny\n</tool_result>');
  });
});
