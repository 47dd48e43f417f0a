// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is arbitrary; tests read it loosely.
// Self-tests of the provider stub over plain HTTP (no CLIs): wire shapes, script matching, faults, recording.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ProviderStub, startProviderStub } from "./stub/index.js";

let stub: ProviderStub;

beforeAll(async () => {
  stub = await startProviderStub({ controlApi: true });
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  stub.reset();
});

function post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${stub.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

/** Parses an SSE body into `{event, data}` records. */
function parseSse(text: string): Array<{ event: string | undefined; data: any }> {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event, data: data ? JSON.parse(data) : undefined };
    });
}

const anthropicBody = (text: string, extra: Record<string, unknown> = {}) => ({
  model: "claude-test",
  stream: true,
  max_tokens: 100,
  tools: [{ name: "Read", input_schema: { type: "object" } }],
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "<system-reminder>\nctx\n</system-reminder>\n\n" },
        { type: "text", text },
      ],
    },
  ],
  ...extra,
});
const openaiBody = (text: string, extra: Record<string, unknown> = {}) => ({
  model: "gpt-test",
  stream: true,
  input: [
    {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "<environment_context>x</environment_context>" }],
    },
    { type: "message", role: "user", content: [{ type: "input_text", text }] },
  ],
  ...extra,
});
const geminiBody = (text: string) => ({ contents: [{ role: "user", parts: [{ text }] }] });

describe("anthropic", () => {
  it("streams the default reply with the full Messages event sequence", async () => {
    const res = await post("/v1/messages?beta=true", anthropicBody("hi there"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.headers.get("request-id")).toMatch(/^req_/);
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      ...events.filter((e) => e.event === "content_block_delta").map(() => "content_block_delta"),
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const text = events
      .filter((e) => e.event === "content_block_delta")
      .map((e) => e.data.delta.text)
      .join("");
    expect(text).toBe("stub reply: hi there");
    expect(events.at(-2)?.data).toMatchObject({ delta: { stop_reason: "end_turn" }, usage: { output_tokens: 5 } });
    expect(stub.requests[0]).toMatchObject({
      provider: "anthropic",
      model: "claude-test",
      userText: "hi there",
      outcome: "ok",
    });
  });

  it("answers non-streaming requests with a message holding text and tool_use blocks", async () => {
    stub.script({
      text: "Reading.",
      toolCall: { name: "Read", input: { file_path: "a.txt" } },
      usage: { inputTokens: 50 },
    });
    const res = await post("/v1/messages", anthropicBody("x", { stream: false }));
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      type: "message",
      role: "assistant",
      stop_reason: "tool_use",
      content: [
        { type: "text", text: "Reading." },
        { type: "tool_use", name: "Read", input: { file_path: "a.txt" } },
      ],
      usage: { input_tokens: 50 },
    });
    expect(body.content[1].id).toMatch(/^toolu_/);
  });

  it("streams tool input as input_json_delta and extracts tool results from the next request", async () => {
    stub.script({ toolCall: { name: "Read", input: { file_path: "a.txt" }, id: "toolu_fixed" } });
    const events = parseSse(await (await post("/v1/messages", anthropicBody("x"))).text());
    const json = events
      .filter((e) => e.data?.delta?.type === "input_json_delta")
      .map((e) => e.data.delta.partial_json)
      .join("");
    expect(JSON.parse(json)).toEqual({ file_path: "a.txt" });
    await post(
      "/v1/messages",
      anthropicBody("x", {
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_fixed", name: "Read", input: {} }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_fixed", content: "file body" }] },
        ],
      }),
    );
    expect(stub.requests[1]?.toolResults).toEqual([{ id: "toolu_fixed", output: "file body" }]);
    expect(stub.requests[1]?.userText).toBe("x");
  });

  it("treats schema-constrained tool-less calls (title generation) and count_tokens as side calls", async () => {
    stub.script("main answer");
    const schema = { type: "object", properties: { title: { type: "string" } }, required: ["title"] };
    const side = await post(
      "/v1/messages",
      anthropicBody("x", {
        stream: false,
        tools: undefined,
        output_config: { format: { type: "json_schema", schema } },
      }),
    );
    expect(JSON.parse(((await side.json()) as any).content[0].text)).toEqual({ title: "stub" });
    const count = await post("/v1/messages/count_tokens", anthropicBody("x"));
    expect(((await count.json()) as any).input_tokens).toBeGreaterThan(0);
    expect(stub.queued()).toHaveLength(1);
    expect(stub.requests.map((r) => r.side)).toEqual([true, true]);
  });

  it("answers HEAD / (claude's probe) with 200", async () => {
    const res = await fetch(`${stub.url}/`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(stub.requests[0]).toMatchObject({ endpoint: "probe", provider: null });
  });
});

describe("openai", () => {
  it("streams Responses events ending in response.completed with detailed usage", async () => {
    stub.script({ text: "Hi!", usage: { inputTokens: 100, outputTokens: 3, cachedTokens: 40, reasoningTokens: 2 } });
    const events = parseSse(await (await post("/v1/responses", openaiBody("hello"))).text());
    expect(events.map((e) => e.event)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.at(-1)?.data.response).toMatchObject({
      status: "completed",
      model: "gpt-test",
      output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "Hi!" }] }],
      usage: {
        input_tokens: 100,
        input_tokens_details: { cached_tokens: 40 },
        output_tokens: 3,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 103,
      },
    });
    expect(stub.requests[0]?.userText).toBe("hello");
  });

  it("emits custom_tool_call for string input and function_call for object input", async () => {
    stub.script({
      toolCalls: [
        { name: "exec", input: "text(1)" },
        { name: "shell", input: { cmd: ["ls"] } },
      ],
    });
    const events = parseSse(await (await post("/v1/responses", openaiBody("go"))).text());
    const done = events.filter((e) => e.event === "response.output_item.done").map((e) => e.data.item);
    expect(done[0]).toMatchObject({ type: "custom_tool_call", name: "exec", input: "text(1)" });
    expect(done[1]).toMatchObject({ type: "function_call", name: "shell", arguments: '{"cmd":["ls"]}' });
    expect(done[0].call_id).toMatch(/^call_/);
    await post(
      "/v1/responses",
      openaiBody("go", {
        input: [
          { type: "message", role: "user", content: [{ type: "input_text", text: "go" }] },
          {
            type: "custom_tool_call_output",
            call_id: "c1",
            output: [
              { type: "input_text", text: "a" },
              { type: "input_text", text: "b" },
            ],
          },
          { type: "function_call_output", call_id: "c2", output: "plain" },
        ],
      }),
    );
    expect(stub.requests[1]?.toolResults).toEqual([
      { id: "c1", output: "ab" },
      { id: "c2", output: "plain" },
    ]);
  });
});

describe("gemini", () => {
  it("answers the router's JSON-schema call from the schema without using the script", async () => {
    stub.script("main");
    const res = await post("/v1beta/models/gemini-3.5-flash-lite:generateContent", {
      ...geminiBody("hi"),
      generationConfig: {
        responseMimeType: "application/json",
        responseJsonSchema: {
          type: "OBJECT",
          properties: { complexity_reasoning: { type: "STRING" }, complexity_score: { type: "INTEGER" } },
        },
      },
    });
    const body = (await res.json()) as any;
    expect(JSON.parse(body.candidates[0].content.parts[0].text)).toEqual({
      complexity_reasoning: "stub",
      complexity_score: 1,
    });
    expect(stub.requests[0]).toMatchObject({ side: true, model: "gemini-3.5-flash-lite", stream: false });
    expect(stub.queued()).toHaveLength(1);
  });

  it("streams data-only SSE chunks, the last with finishReason and usage", async () => {
    stub.script({ text: "one two three", toolCall: { name: "read_file", input: { file_path: "n.txt" } } });
    const res = await post("/v1beta/models/gemini-x:streamGenerateContent?alt=sse", geminiBody("hi"));
    const chunks = parseSse(await res.text());
    expect(chunks.every((c) => c.event === undefined)).toBe(true);
    const parts = chunks.flatMap((c) => c.data.candidates[0].content.parts);
    expect(
      parts
        .filter((p: any) => p.text)
        .map((p: any) => p.text)
        .join(""),
    ).toBe("one two three");
    expect(parts.find((p: any) => p.functionCall)?.functionCall).toEqual({
      name: "read_file",
      args: { file_path: "n.txt" },
    });
    const last = chunks.at(-1)?.data;
    expect(last.candidates[0].finishReason).toBe("STOP");
    expect(last.usageMetadata).toMatchObject({
      promptTokenCount: expect.any(Number),
      candidatesTokenCount: expect.any(Number),
    });
  });

  it("extracts functionResponse results", async () => {
    await post("/v1beta/models/gemini-x:streamGenerateContent?alt=sse", {
      contents: [
        { role: "user", parts: [{ text: "read it" }] },
        { role: "model", parts: [{ functionCall: { name: "read_file", args: {} } }] },
        {
          role: "user",
          parts: [{ functionResponse: { id: "f1", name: "read_file", response: { output: "content" } } }],
        },
      ],
    });
    expect(stub.requests[0]).toMatchObject({
      userText: "read it",
      toolResults: [{ id: "f1", name: "read_file", output: "content" }],
    });
  });
});

describe("script matching", () => {
  it("takes the first turn matching provider and model; `times` repeats a turn", async () => {
    stub.script(
      { provider: "openai", text: "for openai" },
      { model: "special", text: "for special", times: 2 },
      { text: "for anyone" },
    );
    const reply = async (path: string, body: unknown) => {
      const r = await post(path, body);
      return stub.requests.at(-1)?.reply ?? (await r.text());
    };
    await reply("/v1beta/models/special-model:streamGenerateContent?alt=sse", geminiBody("a"));
    await reply("/v1beta/models/special-model:streamGenerateContent?alt=sse", geminiBody("a"));
    await reply("/v1/messages", anthropicBody("a"));
    await reply("/v1/responses", openaiBody("a"));
    await reply("/v1/messages", anthropicBody("b"));
    expect(stub.requests.map((r) => r.reply)).toEqual([
      "for special",
      "for special",
      "for anyone",
      "for openai",
      "stub reply: b",
    ]);
    expect(stub.requests.map((r) => r.turn !== null)).toEqual([true, true, true, true, false]);
  });
});

describe("faults", () => {
  it("returns provider-shaped errors with retry-after", async () => {
    stub.script(
      { error: { status: 429, retryAfter: 7 } },
      { error: 429 },
      { error: 529 },
      { error: { status: 401, message: "nope" } },
    );
    const a = await post("/v1/messages", anthropicBody("x"));
    expect(a.status).toBe(429);
    expect(a.headers.get("retry-after")).toBe("7");
    expect(await a.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    const o = await post("/v1/responses", openaiBody("x"));
    expect(o.status).toBe(429);
    expect(await o.json()).toMatchObject({ error: { code: "rate_limit_exceeded" } });
    const over = await post("/v1/messages", anthropicBody("x"));
    expect(over.status).toBe(529);
    expect(await over.json()).toMatchObject({ error: { type: "overloaded_error", message: "Overloaded" } });
    const g = await post("/v1beta/models/m:streamGenerateContent?alt=sse", geminiBody("x"));
    expect(g.status).toBe(401);
    expect(await g.json()).toEqual({ error: { code: 401, message: "nope", status: "UNAUTHENTICATED" } });
    expect(stub.requests.map((r) => r.outcome)).toEqual(["error", "error", "error", "error"]);
  });

  it("delays the first byte and slows the stream", async () => {
    stub.script({ text: "a b c", delayMs: 300, chunkDelayMs: 100 });
    const t0 = Date.now();
    const res = await post("/v1/messages", anthropicBody("x"));
    const headersAt = Date.now() - t0;
    const events = parseSse(await res.text());
    const total = Date.now() - t0;
    expect(headersAt).toBeGreaterThanOrEqual(280);
    expect(total - headersAt).toBeGreaterThanOrEqual((events.length - 2) * 100);
  });

  it("drops the connection mid-stream", async () => {
    stub.script({ text: "one two three four", drop: true });
    const res = await post("/v1/responses", openaiBody("x"));
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(stub.requests[0]?.outcome).toBe("dropped");
  });

  it("hangs until the client gives up or the stub is reset", async () => {
    stub.script({ hang: true }, { text: "partial answer", hang: { afterEvents: 1 } });
    const pending = post("/v1/messages", anthropicBody("x"), AbortSignal.timeout(300));
    await expect(pending).rejects.toThrow();
    expect(stub.requests[0]?.outcome).toBe("hung");

    const res = await post("/v1beta/models/m:streamGenerateContent?alt=sse", geminiBody("x"));
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("partial");
    const next = reader.read();
    setTimeout(() => stub.reset(), 200);
    await expect(next).rejects.toThrow();
  });
});

describe("control API", () => {
  it("scripts turns and lists requests over HTTP", async () => {
    await post("/__stub/script", [{ text: "via control", times: null }]);
    await post("/v1/responses", openaiBody("x"));
    await post("/v1/responses", openaiBody("y"));
    const listed = (await (await fetch(`${stub.url}/__stub/requests`)).json()) as any[];
    expect(listed.map((r) => r.reply)).toEqual(["via control", "via control"]);
    expect(stub.queued()).toHaveLength(1);
    await post("/__stub/reset", {});
    expect(stub.requests).toHaveLength(0);
  });
});
