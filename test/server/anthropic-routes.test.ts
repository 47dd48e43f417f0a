import { describe, expect, it, vi } from "vitest";
import type { Config } from "../../src/config/schema.js";
import {
  claudeFailure,
  claudeFailureAfterText,
  claudeStreaming,
  post,
  promptOf,
  recorder,
  resumeOf,
} from "./compat-helpers.js";
import { sse, testServer } from "./test-server.js";

const server = (change: (config: Config) => void = () => {}, env: Record<string, string> = {}, delayMs = 0) =>
  testServer(change, { anthropic: { pingMs: 60, holdMs: 100 }, env, delayMs });

const messages = (payload: object, headers: Record<string, string> = {}) =>
  post("/anthropic/v1/messages", { max_tokens: 1024, ...payload }, { "anthropic-version": "2023-06-01", ...headers });
const user = (content: unknown) => ({ role: "user", content });
const assistant = (content: unknown) => ({ role: "assistant", content });

describe("POST /anthropic/v1/messages", () => {
  it("answers with a Message and the session in X-Clinvk-Session", async () => {
    const { app, store } = await server();
    const response = await app.inject(messages({ model: "claude-sonnet-4-5", messages: [user("hello")] }));
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "echo: hello" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 3 },
    });
    expect(body.id).toMatch(/^msg_/);
    const session = await store.get(response.headers["x-clinvk-session"] as string);
    expect(session).toMatchObject({ backend: "claude", model: "claude-sonnet-4-5" });
    expect(session.tags).toContain("anthropic");
  });

  it("a client replaying the conversation (content as blocks) continues one session", async () => {
    const record = recorder();
    const { app } = await server(() => {}, record.env);
    const system = [{ type: "text", text: "Be brief." }];
    const first = await app.inject(messages({ model: "sonnet", system, messages: [user("one")] }));
    const answer = first.json().content;
    const second = await app.inject(
      messages({
        model: "sonnet",
        system,
        messages: [user("one"), assistant(answer), user([{ type: "text", text: "two" }])],
      }),
    );
    expect(second.headers["x-clinvk-session"]).toBe(first.headers["x-clinvk-session"]);
    const [one, two] = record.runs();
    expect(one!.args).toContain("--system-prompt=Be brief.");
    expect(promptOf(two!)).toBe("two");
    expect(resumeOf(two!)).toMatch(/^echo-/);
    expect(two!.args).toContain("--system-prompt=Be brief.");
  });

  it("routes other families to their CLIs, and refuses unknown models with not_found_error", async () => {
    const record = recorder();
    const { app } = await server(() => {}, record.env);
    expect((await app.inject(messages({ model: "gpt-5", messages: [user("x")] }))).statusCode).toBe(200);
    expect((await app.inject(messages({ model: "gemini/gemini-2.5-pro", messages: [user("x")] }))).statusCode).toBe(
      200,
    );
    expect(record.runs()[0]!.args[0]).toBe("exec");
    expect(record.runs()[1]!.args).toContain("--model=gemini-2.5-pro");
    const unknown = await app.inject(messages({ model: "mistral-large", messages: [user("x")] }));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect(unknown.json().error.message).toContain("mistral-large");
  });

  it("streams the full event sequence, with pings while the CLI thinks", async () => {
    const { app } = await server(() => {}, {}, 400);
    const response = await app.inject(messages({ model: "claude", stream: true, messages: [user("hi")] }));
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("text/event-stream");
    expect(response.headers["x-clinvk-session"]).toMatch(/^[a-f0-9]{32}$/);
    const frames = sse(response.body);
    const events = frames.map((frame) => frame.event);
    expect(events[0]).toBe("message_start");
    expect(events.filter((event) => event === "ping").length).toBeGreaterThan(2);
    expect(events.filter((event) => event !== "ping")).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(frames.every((frame) => (frame.data as { type: string }).type === frame.event)).toBe(true);
    const delta = frames.find((frame) => frame.event === "message_delta")?.data;
    expect(delta).toMatchObject({ delta: { stop_reason: "end_turn" }, usage: { input_tokens: 10, output_tokens: 3 } });
    const text = frames.find((frame) => frame.event === "content_block_delta")?.data;
    expect(text).toMatchObject({ index: 0, delta: { type: "text_delta", text: "echo: hi" } });
  });

  it("streams text deltas as the CLI writes them, separate messages apart", async () => {
    const { app } = await server(() => {}, claudeStreaming([["Looking."], ["Found", " it."]]));
    const frames = sse((await app.inject(messages({ model: "claude", stream: true, messages: [user("q")] }))).body);
    const text = frames
      .filter((frame) => frame.event === "content_block_delta")
      .map((frame) => (frame.data as { delta: { text: string } }).delta.text)
      .join("");
    expect(text).toBe("Looking.\n\nFound it.");
    expect(frames.find((frame) => frame.event === "message_delta")?.data).toMatchObject({
      usage: { input_tokens: 1200, cache_read_input_tokens: 1000, output_tokens: 7 },
    });
  });

  it.each([
    [{ messages: [user("x")] }, "model"],
    [{ model: "claude", messages: [user("x")], max_tokens: 0 }, "max_tokens"],
    [{ model: "claude", messages: [user("x")], max_tokens: "many" }, "max_tokens"],
    [{ model: "claude", messages: [] }, "messages"],
    [{ model: "claude", messages: [user(7)] }, "messages[0].content"],
    [{ model: "claude", messages: [user("x"), assistant("prefill")] }, "messages"],
    [{ model: "claude", messages: [user([{ type: "image", source: {} }])] }, "messages.0.content.0.source"],
    [{ model: "claude", messages: [user([{ type: "document", source: {} }])] }, "messages.0.content.0.type"],
    [{ model: "claude", messages: [user("x")], system: 5 }, "system"],
    [{ model: "claude", messages: [user("x")], tool_choice: { type: "any" } }, "tool_choice"],
  ])("%j is a 400 invalid_request_error about %s", async (payload, field) => {
    const { app, store } = await server();
    const response = await app.inject(post("/anthropic/v1/messages", { max_tokens: 1024, ...payload }));
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(Object.keys(body)).toEqual(["type", "error"]);
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(body.error.message).toContain(field);
    expect((await store.list()).total).toBe(0);
  });

  it("tolerates unknown fields and ignores sampling, stop sequences, tools and thinking", async () => {
    const { app } = await server();
    const response = await app.inject(
      messages({
        model: "claude",
        messages: [user("x")],
        temperature: 0.1,
        top_k: 5,
        stop_sequences: ["\n"],
        metadata: { user_id: "u" },
        tools: [{ name: "get_weather", input_schema: { type: "object" } }],
        thinking: { type: "enabled", budget_tokens: 2000 },
        some_future_field: true,
      }),
    );
    expect(response.statusCode).toBe(200);
  });

  it.each([
    [429, "rate_limit_error: too many", 429, "rate_limit_error"],
    [529, "Overloaded", 529, "overloaded_error"],
    [500, "API Error: 500 boom", 502, "api_error"],
  ])("a backend's HTTP %i (%s) is a %i %s", async (providerStatus, message, status, type) => {
    const { app } = await server(() => {}, claudeFailure(providerStatus, message));
    const response = await app.inject(messages({ model: "claude", messages: [user("x")] }));
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ type: "error", error: { type } });
    expect(response.json().error.message).toContain(message);
    if (status !== 502) expect(response.headers["retry-after"]).toBeTruthy();
  });

  it("a failure after the stream began is an error event", async () => {
    const { app } = await server(() => {}, claudeFailureAfterText(529, "Overloaded"));
    const frames = sse((await app.inject(messages({ model: "claude", stream: true, messages: [user("x")] }))).body);
    expect(frames[0]?.event).toBe("message_start");
    expect(frames.at(-1)).toMatchObject({
      event: "error",
      data: { type: "error", error: { type: "overloaded_error" } },
    });
    expect(frames.some((frame) => frame.event === "message_stop")).toBe(false);
  });

  it("API keys (x-api-key, as the SDK sends it), rate limits, unknown routes and bad JSON answer in Anthropic's format", async () => {
    const { app } = await server((c) => {
      c.server.api_keys = ["ak"];
      c.server.rate_limit_enabled = true;
      c.server.rate_limit_rps = 1;
      c.server.rate_limit_burst = 4;
    });
    const missing = await app.inject(messages({ model: "claude", messages: [user("x")] }));
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({
      type: "error",
      error: { type: "authentication_error", message: "missing API key" },
    });
    const ok = await app.inject(messages({ model: "claude", messages: [user("x")] }, { "x-api-key": "ak" }));
    expect(ok.statusCode).toBe(200);
    const nowhere = await app.inject({ method: "GET", url: "/anthropic/v1/complete", headers: { "x-api-key": "ak" } });
    expect(nowhere.statusCode).toBe(404);
    expect(nowhere.json().error.type).toBe("not_found_error");
    const malformed = await app.inject({
      method: "POST",
      url: "/anthropic/v1/messages",
      payload: "{",
      headers: { "content-type": "application/json", "x-api-key": "ak" },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toEqual({
      type: "invalid_request_error",
      message: "malformed JSON in the request body",
    });
  });
});

describe("POST /anthropic/v1/messages/count_tokens", () => {
  it("estimates the system prompt and messages without running anything", async () => {
    const record = recorder();
    const { app } = await server(() => {}, record.env);
    const small = await app.inject(
      post("/anthropic/v1/messages/count_tokens", { model: "claude", messages: [user("Hello, world")] }),
    );
    expect(small.statusCode).toBe(200);
    const count = small.json().input_tokens;
    expect(count).toBeGreaterThan(2);
    const larger = await app.inject(
      post("/anthropic/v1/messages/count_tokens", {
        model: "claude",
        system: "You are a careful reviewer of TypeScript code.",
        messages: [user("Hello, world"), assistant("Hi"), user("Review this file please.")],
      }),
    );
    expect(larger.json().input_tokens).toBeGreaterThan(count + 10);
    expect(record.runs()).toHaveLength(0);
    const unknown = await app.inject(
      post("/anthropic/v1/messages/count_tokens", { model: "x", messages: [user("a")] }),
    );
    expect(unknown.statusCode).toBe(404);
  });
});

describe("GET /anthropic/v1/models", () => {
  it("lists and retrieves models in Anthropic's shape", async () => {
    const { app } = await server();
    const list = (await app.inject({ method: "GET", url: "/anthropic/v1/models" })).json();
    expect(list.has_more).toBe(false);
    expect(list.data.map((model: { id: string }) => model.id)).toContain("claude/opus");
    expect(list.data[0]).toMatchObject({ type: "model", display_name: list.data[0].id });
    const one = await app.inject({ method: "GET", url: "/anthropic/v1/models/claude-haiku-4-5" });
    expect(one.json()).toMatchObject({ type: "model", id: "claude-haiku-4-5" });
    expect((await app.inject({ method: "GET", url: "/anthropic/v1/models/nope" })).statusCode).toBe(404);
  });
});

describe("count_tokens after a turn has measured its CLI's own prompt", () => {
  const hello = { model: "claude", messages: [user("hello")] };

  it("adds what the CLI added to a fresh turn (its real input less the estimate), and says so", async () => {
    const { app } = await server(() => {}, claudeStreaming([["hi"]], { input_tokens: 29_000, output_tokens: 3 }));
    const before = await app.inject(post("/anthropic/v1/messages/count_tokens", hello));
    expect(before.headers["x-clinvk-token-count"]).toBe("estimate");
    const estimate = before.json().input_tokens as number;
    const turn = await app.inject(post("/anthropic/v1/messages", { ...hello, max_tokens: 100 }));
    expect(turn.statusCode).toBe(200);
    // What the turn reported: claude's 29k and 1000 cached (which Anthropic's input_tokens leave out).
    const reported = turn.json().usage.input_tokens + turn.json().usage.cache_read_input_tokens;
    expect(reported).toBe(30_000);
    await vi.waitFor(async () => {
      const after = await app.inject(post("/anthropic/v1/messages/count_tokens", hello));
      expect(after.headers["x-clinvk-token-count"]).toBe("estimate+measured-overhead");
      expect(after.json().input_tokens).toBe(reported);
    });
    // A longer conversation: its own estimate plus the same overhead.
    const longer = { model: "claude", messages: [user("hello there, how are you today my friend?")] };
    const plain = await app.inject(post("/anthropic/v1/messages/count_tokens", { ...longer, model: "codex" }));
    expect(plain.headers["x-clinvk-token-count"]).toBe("estimate");
    const counted = await app.inject(post("/anthropic/v1/messages/count_tokens", longer));
    expect(counted.json().input_tokens).toBe(plain.json().input_tokens + reported - estimate);
  });
});
