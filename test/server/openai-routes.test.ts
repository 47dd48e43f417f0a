import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Config } from "../../src/config/schema.js";
import {
  claudeFailure,
  claudeFailureAfterText,
  claudeStreaming,
  post,
  promptOf,
  recorder,
  replay,
  resumeOf,
} from "./compat-helpers.js";
import { sse, testServer } from "./test-server.js";

const server = (change: (config: Config) => void = () => {}, env: Record<string, string> = {}, delayMs = 0) =>
  testServer(change, { env, delayMs });

const chat = (payload: object, headers: Record<string, string> = {}) =>
  post("/openai/v1/chat/completions", payload, headers);
const user = (content: string) => ({ role: "user", content });
const assistant = (content: string) => ({ role: "assistant", content });

describe("GET /openai/v1/models", () => {
  it("lists every enabled backend with its known models and aliases", async () => {
    const { app } = await server((c) => {
      c.backends.gemini.enabled = false;
    });
    const response = await app.inject({ method: "GET", url: "/openai/v1/models" });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.object).toBe("list");
    const ids = body.data.map((model: { id: string }) => model.id);
    for (const id of ["claude", "claude/sonnet", "sonnet", "claude/fast", "codex", "codex/gpt-5", "gpt-5"]) {
      expect(ids).toContain(id);
    }
    expect(ids.some((id: string) => id.startsWith("gemini"))).toBe(false);
    expect(body.data.find((model: { id: string }) => model.id === "codex/gpt-5")).toMatchObject({
      object: "model",
      owned_by: "openai",
    });
    expect(typeof body.data[0].created).toBe("number");
  });

  it("retrieves one model, by an encoded or a plain slash, and any id of a known family", async () => {
    const { app } = await server();
    for (const url of ["/openai/v1/models/claude%2Fsonnet", "/openai/v1/models/claude/sonnet"]) {
      expect((await app.inject({ method: "GET", url })).json()).toMatchObject({
        id: "claude/sonnet",
        owned_by: "anthropic",
      });
    }
    expect((await app.inject({ method: "GET", url: "/openai/v1/models/gpt-4.1" })).json()).toMatchObject({
      id: "gpt-4.1",
      owned_by: "openai",
    });
    const missing = await app.inject({ method: "GET", url: "/openai/v1/models/llama-3" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({
      type: "invalid_request_error",
      code: "model_not_found",
      param: "model",
    });
  });
});

describe("POST /openai/v1/chat/completions", () => {
  it("answers with a chat.completion, the CLI's usage and the session in X-Clinvk-Session", async () => {
    const { app, store } = await server();
    const response = await app.inject(chat({ model: "codex/gpt-5", messages: [user("hello")] }));
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "codex/gpt-5",
      choices: [{ index: 0, message: { role: "assistant", content: "echo: hello" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    const session = await store.get(response.headers["x-clinvk-session"] as string);
    expect(session).toMatchObject({ backend: "codex", model: "gpt-5", title: "hello", status: "completed" });
    expect(session.tags).toContain("openai");
    expect(session.metadata.surface).toBe("openai");
    expect(session.working_dir).toBe(process.cwd());
  });

  it("X-Clinvk-Workdir names where the agent works, judged by the workdir policy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clinvk-workdir-"));
    const { app, store } = await server((c) => {
      c.server.allowed_workdir_prefixes = [dir];
    });
    const ok = await app.inject(chat({ model: "codex/gpt-5", messages: [user("hello")] }, { "x-clinvk-workdir": dir }));
    expect(ok.statusCode).toBe(200);
    expect((await store.get(ok.headers["x-clinvk-session"] as string)).working_dir).toBe(dir);
    const outside = await app.inject(
      chat({ model: "codex/gpt-5", messages: [user("hello")] }, { "x-clinvk-workdir": "/etc" }),
    );
    expect(outside.statusCode).toBe(400);
    expect(outside.json().error.message).toMatch(/\/etc/);
    const relative = await app.inject(
      chat({ model: "codex/gpt-5", messages: [user("hello")] }, { "x-clinvk-workdir": "src" }),
    );
    expect(relative.statusCode).toBe(400);
    expect(relative.json().error.param).toBe("x-clinvk-workdir");
    rmSync(dir, { recursive: true, force: true });
  });

  it("a client replaying the whole history continues ONE session, sending only what is new", async () => {
    const record = recorder();
    const { app, store } = await server(() => {}, record.env);
    const first = await app.inject(chat({ model: "sonnet", messages: [user("one")] }));
    const id = first.headers["x-clinvk-session"];
    const history = [user("one"), assistant(first.json().choices[0].message.content)];
    const second = await app.inject(chat({ model: "sonnet", messages: [...history, user("two")] }));
    expect(second.headers["x-clinvk-session"]).toBe(id);
    const third = await app.inject(
      chat({ model: "sonnet", messages: [...history, user("two"), assistant("echo: two\n"), user("three")] }),
    );
    expect(third.headers["x-clinvk-session"]).toBe(id);
    const runs = record.runs();
    expect(runs.map(promptOf)).toEqual(["one", "two", "three"]);
    expect(resumeOf(runs[0]!)).toBeUndefined();
    expect(resumeOf(runs[1]!)).toMatch(/^echo-/);
    expect(resumeOf(runs[2]!)).toMatch(/^echo-/);
    expect((await store.list()).total).toBe(1);
    expect((await store.get(id as string)).turn_count).toBe(3);
  });

  it("a history the server has not seen starts a session with it as a transcript", async () => {
    const record = recorder();
    const { app } = await server(() => {}, record.env);
    const response = await app.inject(
      chat({ model: "claude", messages: [user("what is 2+2?"), assistant("4"), user("times 3?")] }),
    );
    expect(response.statusCode).toBe(200);
    const [run] = record.runs();
    expect(resumeOf(run!)).toBeUndefined();
    expect(promptOf(run!)).toContain('<turn role="assistant">\n4\n</turn>');
    expect(promptOf(run!).endsWith("times 3?")).toBe(true);
  });

  it("an edited history does not continue the session that holds the original", async () => {
    const { app } = await server();
    const first = await app.inject(chat({ model: "claude", messages: [user("one")] }));
    const edited = await app.inject(
      chat({ model: "claude", messages: [user("one"), assistant("other"), user("two")] }),
    );
    expect(edited.headers["x-clinvk-session"]).not.toBe(first.headers["x-clinvk-session"]);
    const otherBackend = await app.inject(
      chat({ model: "codex", messages: [user("one"), assistant("echo: one"), user("two")] }),
    );
    expect(otherBackend.headers["x-clinvk-session"]).not.toBe(first.headers["x-clinvk-session"]);
  });

  it("a session continued elsewhere since (native API) is not continued by a replay", async () => {
    const { app } = await server();
    const first = await app.inject(chat({ model: "claude", messages: [user("one")] }));
    const id = first.headers["x-clinvk-session"] as string;
    await app.inject(post(`/api/v1/sessions/${id}/resume`, { prompt: "a turn the client never saw" }));
    const replay = await app.inject(
      chat({ model: "claude", messages: [user("one"), assistant("echo: one"), user("two")] }),
    );
    expect(replay.headers["x-clinvk-session"]).not.toBe(id);
  });

  it("X-Clinvk-Session continues that session with the newest user message", async () => {
    const record = recorder();
    const { app } = await server(() => {}, record.env);
    const native = await app.inject(post("/api/v1/prompt", { backend: "gemini", prompt: "start" }));
    const id = native.json().session_id as string;
    const response = await app.inject(
      chat(
        { model: "gemini", messages: [user("a"), assistant("b"), user("next")] },
        { "x-clinvk-session": id.slice(0, 12) },
      ),
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers["x-clinvk-session"]).toBe(id);
    const run = record.runs()[1]!;
    expect(promptOf(run)).toBe("next");
    expect(resumeOf(run)).toMatch(/^echo-/);
    const wrongBackend = await app.inject(chat({ model: "claude", messages: [user("x")] }, { "x-clinvk-session": id }));
    expect(wrongBackend.statusCode).toBe(400);
    expect(wrongBackend.json().error.code).toBe("backend_mismatch");
    const unknown = await app.inject(
      chat({ model: "claude", messages: [user("x")] }, { "x-clinvk-session": "f".repeat(32) }),
    );
    expect(unknown.statusCode).toBe(404);
  });

  it("system messages become claude's system prompt, and gemini's first prompt", async () => {
    const record = recorder();
    const { app } = await server(() => {}, record.env);
    const messages = [{ role: "system", content: "Be brief." }, user("hi")];
    await app.inject(chat({ model: "claude/haiku", messages }));
    await app.inject(chat({ model: "gemini/gemini-2.5-flash", messages }));
    const [claude, gemini] = record.runs();
    expect(claude!.args).toContain("--system-prompt=Be brief.");
    expect(claude!.args).toContain("--model=haiku");
    expect(promptOf(claude!)).toBe("hi");
    expect(promptOf(gemini!)).toBe("<system>\nBe brief.\n</system>\n\nhi");
    expect(gemini!.args).toContain("--model=gemini-2.5-flash");
  });

  it("streams chunks, the usage chunk when asked, and [DONE]", async () => {
    const { app } = await server(() => {}, claudeStreaming([["Let me look."], ["The answer", " is 4."]]));
    const response = await app.inject(
      chat({ model: "claude", stream: true, stream_options: { include_usage: true }, messages: [user("q")] }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toContain("text/event-stream");
    expect(response.headers["x-clinvk-session"]).toMatch(/^[a-f0-9]{32}$/);
    const frames = sse(response.body);
    expect(frames.at(-1)?.data).toBe("[DONE]");
    type Chunk = { id: string; choices: { delta: { content?: string }; finish_reason: string | null }[] };
    const chunks = frames.slice(0, -1).map((frame) => frame.data as Chunk);
    const text = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? "")).join("");
    expect(text).toBe("Let me look.\n\nThe answer is 4.");
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 2200, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 1000 } },
    });
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });

  it("a streamed answer is recorded as streamed, so the next replay continues", async () => {
    const { app } = await server(() => {}, claudeStreaming([["Let me look."], ["Done."]]));
    const first = await app.inject(chat({ model: "claude", stream: true, messages: [user("q")] }));
    const next = await app.inject(
      chat({ model: "claude", messages: [user("q"), assistant("Let me look.\n\nDone."), user("and?")] }),
    );
    expect(next.headers["x-clinvk-session"]).toBe(first.headers["x-clinvk-session"]);
  });

  it.each([
    [{ messages: [user("x")] }, 400, "model"],
    [{ model: "claude" }, 400, "messages"],
    [{ model: "claude", messages: [] }, 400, "messages"],
    [{ model: "claude", messages: [{ role: "user", content: 5 }] }, 400, "messages[0].content"],
    [{ model: "claude", messages: [user("x")], temperature: "hot" }, 400, "temperature"],
    [{ model: "claude", messages: [user("x")], stream: "yes" }, 400, "stream"],
    [{ model: "claude", messages: [user("x")], n: 3 }, 400, "n"],
    [{ model: "claude", messages: [{ role: "function", content: "1", name: "f" }] }, 400, "messages[0].role"],
    [{ model: "llama-3-70b", messages: [user("x")] }, 404, "model"],
  ])("%j → %i naming %s, in OpenAI's format", async (payload, status, param) => {
    const { app, store } = await server();
    const response = await app.inject(chat(payload));
    expect(response.statusCode).toBe(status);
    const body = response.json();
    expect(Object.keys(body)).toEqual(["error"]);
    expect(Object.keys(body.error)).toEqual(["message", "type", "param", "code"]);
    expect(body.error.param).toBe(param);
    expect((await store.list()).total).toBe(0);
  });

  it("tolerates unknown fields and ignores parameters a CLI cannot honour", async () => {
    const { app } = await server();
    const response = await app.inject(
      chat({
        model: "claude",
        messages: [user("x")],
        temperature: 0,
        max_tokens: 1,
        stop: "\n",
        logit_bias: { "1": 2 },
        tools: [{ type: "function", function: { name: "f", parameters: {} } }],
        a_field_from_the_future: { x: 1 },
      }),
    );
    expect(response.statusCode).toBe(200);
  });

  it("malformed JSON, a wrong content type, a large body and unknown routes are OpenAI errors", async () => {
    const { app } = await server((c) => {
      c.server.max_request_body_bytes = 2000;
    });
    const malformed = await app.inject({
      method: "POST",
      url: "/openai/v1/chat/completions",
      payload: '{"model":',
      headers: { "content-type": "application/json" },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toMatchObject({
      type: "invalid_request_error",
      message: "malformed JSON in the request body",
    });
    const text = await app.inject({
      method: "POST",
      url: "/openai/v1/chat/completions",
      payload: "hi",
      headers: { "content-type": "text/plain" },
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.type).toBe("invalid_request_error");
    const big = await app.inject(chat({ model: "claude", messages: [user("x".repeat(5000))] }));
    expect(big.statusCode).toBe(413);
    expect(big.json().error.type).toBe("invalid_request_error");
    const nowhere = await app.inject({ method: "GET", url: "/openai/v1/embeddings" });
    expect(nowhere.statusCode).toBe(404);
    expect(nowhere.json().error.message).toContain("no route");
  });

  it("API keys and rate limits answer in OpenAI's format", async () => {
    const { app } = await server((c) => {
      c.server.api_keys = ["k"];
      c.server.rate_limit_enabled = true;
      c.server.rate_limit_rps = 1;
      c.server.rate_limit_burst = 2;
    });
    const missing = await app.inject(chat({ model: "claude", messages: [user("x")] }));
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({
      error: { message: "missing API key", type: "invalid_request_error", param: null, code: "invalid_api_key" },
    });
    for (let i = 0; i < 2; i++) {
      const ok = await app.inject(chat({ model: "claude", messages: [user("x")] }, { authorization: "Bearer k" }));
      expect(ok.statusCode).toBe(200);
    }
    const limited = await app.inject(chat({ model: "claude", messages: [user("x")] }, { authorization: "Bearer k" }));
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBeTruthy();
    expect(limited.json().error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
  });

  it.each([
    [429, "rate limit exceeded", 429, "rate_limit_exceeded", "20"],
    [529, "Overloaded", 503, "overloaded", "10"],
    [401, "invalid x-api-key", 403, "auth", undefined],
    [429, "Quota exceeded for requests per minute. Please retry in 7.2s.", 429, "rate_limit_exceeded", "8"],
    [500, "API Error: 500 internal", 502, "api_error", undefined],
  ])("a backend's HTTP %i (%s) is a %i (%s)", async (providerStatus, message, status, code, retryAfter) => {
    const { app, store } = await server(() => {}, claudeFailure(providerStatus, message));
    const response = await app.inject(chat({ model: "claude", messages: [user("x")] }));
    expect(response.statusCode).toBe(status);
    expect(response.json().error.code).toBe(code);
    expect(response.json().error.message).toContain(message);
    expect(response.headers["retry-after"]).toBe(retryAfter);
    if (providerStatus === 401) expect(response.headers["x-should-retry"]).toBe("false");
    // The CLI started a conversation, so its session stays, marked as failed.
    const [session] = (await store.list()).sessions;
    expect(session?.status).toBe("error");
  });

  it("a run that times out is a 504", async () => {
    const { app } = await server(
      (c) => {
        c.unified_flags.command_timeout_secs = 1;
      },
      { FAKE_CLI_MODE: "hang" },
    );
    const response = await app.inject(chat({ model: "claude", messages: [user("x")] }));
    expect(response.statusCode).toBe(504);
    expect(response.json().error.code).toBe("timeout");
  });

  it("a failure after the stream began ends it with an error object, and no [DONE]", async () => {
    const { app } = await server(() => {}, claudeFailureAfterText(529, "Overloaded"));
    const response = await app.inject(chat({ model: "claude", stream: true, messages: [user("x")] }));
    expect(response.statusCode).toBe(200);
    const frames = sse(response.body);
    expect(frames.at(-1)?.data).toMatchObject({ error: { type: "server_error", code: "overloaded" } });
    expect(frames.some((frame) => frame.data === "[DONE]")).toBe(false);
  });

  it("a failed turn gives the conversation back: the retry continues the same session", async () => {
    const record = recorder();
    const { app } = await server(() => {}, record.env);
    const first = await app.inject(chat({ model: "claude", messages: [user("one")] }));
    const history = [user("one"), assistant("echo: one")];
    const failed = await app.inject(chat({ model: "claude", messages: [...history, user("FAIL now")] }));
    expect(failed.statusCode).toBe(502);
    expect(failed.headers["x-clinvk-session"]).toBe(first.headers["x-clinvk-session"]);
    const retry = await app.inject(chat({ model: "claude", messages: [...history, user("two")] }));
    expect(retry.headers["x-clinvk-session"]).toBe(first.headers["x-clinvk-session"]);
    expect(resumeOf(record.runs()[2]!)).toBeTruthy();
  });

  it("a full queue is a 429 with Retry-After, before any stream, and leaves no empty session", async () => {
    const { app, store } = await server(
      (c) => {
        c.concurrency.max_running = 1;
        c.concurrency.max_queued = 0;
      },
      {},
      500,
    );
    const busy = app.inject(chat({ model: "claude", messages: [user("slow")] }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const refused = await app.inject(chat({ model: "claude", stream: true, messages: [user("x")] }));
    expect(refused.statusCode).toBe(429);
    expect(refused.headers["retry-after"]).toBe("5");
    expect(refused.json().error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect(refused.headers["x-clinvk-session"]).toBeUndefined();
    expect((await busy).statusCode).toBe(200);
    expect((await store.list()).total).toBe(1);
  });

  it("a stream whose wait in the queue times out is a 429 with Retry-After, not a 200 with an error event", async () => {
    const { app } = await server(
      (c) => {
        c.concurrency.max_running = 1;
        c.concurrency.queue_timeout_secs = 1;
      },
      {},
      2500,
    );
    const busy = app.inject(chat({ model: "claude", messages: [user("slow")] }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const waited = await app.inject(chat({ model: "claude", stream: true, messages: [user("x")] }));
    expect(waited.statusCode).toBe(429);
    expect(waited.headers["retry-after"]).toBeTruthy();
    expect(waited.headers["content-type"]).toContain("application/json");
    expect((await busy).statusCode).toBe(200);
  });

  it("two requests continuing one conversation at once never share its CLI session", async () => {
    const { app } = await server(() => {}, {}, 300);
    const first = await app.inject(chat({ model: "claude", messages: [user("one")] }));
    const messages = [user("one"), assistant("echo: one"), user("two")];
    const [a, b] = await Promise.all([
      app.inject(chat({ model: "claude", messages })),
      app.inject(chat({ model: "claude", messages })),
    ]);
    const ids = [a.headers["x-clinvk-session"], b.headers["x-clinvk-session"]];
    expect(ids).toContain(first.headers["x-clinvk-session"]);
    expect(new Set(ids).size).toBe(2);
  });

  it("a missing CLI is a 503 that SDKs are told not to retry", async () => {
    const { app, store } = await server((c) => {
      c.backends.codex.binary = "/nonexistent/codex";
    });
    const response = await app.inject(chat({ model: "gpt-5", messages: [user("x")] }));
    expect(response.statusCode).toBe(503);
    expect(response.headers["x-should-retry"]).toBe("false");
    expect((await store.list()).total).toBe(0);
  });
});

describe("OpenAPI", () => {
  it("documents both surfaces' routes", async () => {
    const { app } = await testServer();
    const paths = Object.keys((await app.inject({ method: "GET", url: "/openapi.json" })).json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/openai/v1/models",
        "/openai/v1/models/{model}",
        "/openai/v1/chat/completions",
        "/openai/v1/responses",
        "/anthropic/v1/messages",
        "/anthropic/v1/messages/count_tokens",
        "/anthropic/v1/models",
      ]),
    );
  });
});

describe("POST /openai/v1/responses", () => {
  const responses = (payload: object) => post("/openai/v1/responses", payload);

  it("answers with a Response; previous_response_id continues its CLI session with only the new input", async () => {
    const record = recorder();
    const { app, store } = await server(() => {}, record.env);
    const first = await app.inject(responses({ model: "codex/gpt-5", input: "one", instructions: "Be brief." }));
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body).toMatchObject({
      object: "response",
      status: "completed",
      model: "codex/gpt-5",
      instructions: "Be brief.",
      output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "echo: one" }] }],
      usage: { input_tokens: 10, output_tokens: 3, total_tokens: 13 },
    });
    const second = await app.inject(responses({ input: "two", previous_response_id: body.id }));
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ previous_response_id: body.id, model: "codex/gpt-5" });
    expect(second.headers["x-clinvk-session"]).toBe(first.headers["x-clinvk-session"]);
    const runs = record.runs();
    expect(runs[1]!.args.slice(0, 3)).toEqual(["exec", "resume", expect.stringMatching(/^echo-/)]);
    expect(promptOf(runs[1]!)).toBe("two");
    expect((await store.list()).total).toBe(1);
    // Only the latest response can be continued: the CLI session has moved on from the first.
    const stale = await app.inject(responses({ model: "codex", input: "three", previous_response_id: body.id }));
    expect(stale.statusCode).toBe(400);
    expect(stale.json().error).toMatchObject({ param: "previous_response_id", code: "previous_response_not_found" });
  });

  it("a replayed input continues by fingerprint; an unknown previous id is a 400", async () => {
    const { app } = await server();
    const first = await app.inject(responses({ model: "claude", input: "one" }));
    const replayed = await app.inject(
      responses({
        model: "claude",
        input: [
          { role: "user", content: "one" },
          { type: "message", role: "assistant", content: [{ type: "output_text", text: "echo: one" }] },
          { role: "user", content: "two" },
        ],
      }),
    );
    expect(replayed.headers["x-clinvk-session"]).toBe(first.headers["x-clinvk-session"]);
    const unknown = await app.inject(
      responses({ model: "claude", input: "x", previous_response_id: `resp_${"a".repeat(48)}` }),
    );
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe("previous_response_not_found");
  });

  it("store: false keeps no response but goes on in one session by the replayed history; model is required", async () => {
    const { app, store } = await server();
    const first = await app.inject(responses({ model: "gemini", input: "x", store: false }));
    expect(first.statusCode).toBe(200);
    expect(first.json().store).toBe(false);
    expect((await app.inject({ method: "GET", url: `/openai/v1/responses/${first.json().id}` })).statusCode).toBe(404);
    const answer = first.json().output[0].content[0].text;
    const second = await app.inject(
      responses({
        model: "gemini",
        store: false,
        input: [
          { role: "user", content: "x" },
          { role: "assistant", content: answer },
          { role: "user", content: "y" },
        ],
      }),
    );
    expect(second.statusCode).toBe(200);
    expect(second.headers["x-clinvk-session"]).toBe(first.headers["x-clinvk-session"]);
    expect((await store.list()).total).toBe(1);
    const noModel = await app.inject(responses({ input: "x" }));
    expect(noModel.statusCode).toBe(400);
    expect(noModel.json().error.param).toBe("model");
    const background = await app.inject(responses({ model: "gemini", input: "x", background: true }));
    expect(background.json().error).toMatchObject({ param: "background", code: "unsupported_parameter" });
  });

  it("streams the Responses events; a failure is response.failed", async () => {
    const { app } = await server(() => {}, claudeStreaming([["Hel", "lo"]]));
    const response = await app.inject(responses({ model: "claude", input: "hi", stream: true }));
    const frames = sse(response.body);
    expect(frames[0]?.event).toBe("response.created");
    expect(frames.at(-1)).toMatchObject({
      event: "response.completed",
      data: { response: { status: "completed", output: [{ content: [{ text: "Hello" }] }] } },
    });
    const deltas = frames.filter((frame) => frame.event === "response.output_text.delta");
    expect(deltas.map((frame) => (frame.data as { delta: string }).delta)).toEqual(["Hel", "lo"]);
    const { app: failing } = await server(() => {}, claudeFailureAfterText(429, "rate limit"));
    const failed = sse((await failing.inject(responses({ model: "claude", input: "hi", stream: true }))).body);
    expect(failed.at(-1)).toMatchObject({
      event: "response.failed",
      data: { response: { status: "failed", error: { code: "rate_limit_exceeded" } } },
    });
  });

  it("a CLI's answer without streamed text still streams", async () => {
    const { app } = await server(
      () => {},
      replay([{ type: "result", subtype: "success", is_error: false, result: "whole", session_id: "s", usage: {} }]),
    );
    const frames = sse((await app.inject(responses({ model: "claude", input: "hi", stream: true }))).body);
    expect(frames.filter((frame) => frame.event === "response.output_text.delta")).toHaveLength(1);
    expect(frames.at(-1)?.data).toMatchObject({ response: { output: [{ content: [{ text: "whole" }] }] } });
  });
});
