/**
 * Conformance: the official `openai` SDK as the client, against a listening server with fake CLIs
 * behind it. If the SDK parses it, accumulates it and raises the right error class, real clients
 * built on it will too.
 */
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/config/schema.js";
import {
  claudeFailure,
  claudeFailureAfterText,
  claudeStreaming,
  promptOf,
  recorder,
  resumeOf,
} from "./compat-helpers.js";
import { testServer } from "./test-server.js";

const KEY = "sk-clinvk-test";
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function client(env: Record<string, string> = {}, change: (config: Config) => void = () => {}, maxRetries = 0) {
  const server = await testServer(
    (c) => {
      c.server.api_keys = [KEY];
      change(c);
    },
    { env },
  );
  const address = await server.app.listen({ host: "127.0.0.1", port: 0 });
  closers.push(() => server.app.close());
  return { ...server, openai: new OpenAI({ apiKey: KEY, baseURL: `${address}/openai/v1`, maxRetries }) };
}

describe("openai SDK: chat completions", () => {
  it("create, non-streaming: content, usage and the session header", async () => {
    const { openai } = await client();
    const { data, response } = await openai.chat.completions
      .create({ model: "codex/gpt-5", messages: [{ role: "user", content: "hello" }], temperature: 0.2 })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]?.message).toMatchObject({ role: "assistant", content: "echo: hello" });
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 });
    expect(response.headers.get("x-clinvk-session")).toMatch(/^[a-f0-9]{32}$/);
  });

  it("create, streaming with stream_options.include_usage: deltas, finish_reason, then the usage chunk", async () => {
    const { openai } = await client(claudeStreaming([["Hel", "lo"], [" world"]]));
    const stream = await openai.chat.completions.create({
      model: "claude/sonnet",
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe("chat.completion.chunk");
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? "";
        finishes.push(choice.finish_reason);
      }
      if (chunk.usage) usage = chunk.usage;
      if (chunk.choices.length === 0) expect(chunk.usage).toBeTruthy();
    }
    expect(text).toBe("Hello\n\n world");
    expect(finishes.at(-1)).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 2200, completion_tokens: 7, total_tokens: 2207 });
    expect(chunks).toBeGreaterThanOrEqual(5);
  });

  it("the stream helper accumulates a final ChatCompletion", async () => {
    const { openai } = await client(claudeStreaming([["4", "2"]]));
    const stream = openai.chat.completions.stream({ model: "claude", messages: [{ role: "user", content: "n?" }] });
    const completion = await stream.finalChatCompletion();
    expect(completion.choices[0]?.message.content).toBe("42");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
  });

  it("a three-turn conversation, replayed whole each time, resumes ONE clinvoker session", async () => {
    const record = recorder();
    const { openai, store } = await client(record.env);
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "system", content: "Be brief." }];
    const sessions: (string | null)[] = [];
    for (const question of ["first question", "second question", "third question"]) {
      messages.push({ role: "user", content: question });
      const { data, response } = await openai.chat.completions
        .create({ model: "claude/sonnet", messages })
        .withResponse();
      sessions.push(response.headers.get("x-clinvk-session"));
      messages.push(data.choices[0]!.message);
    }
    expect(new Set(sessions).size).toBe(1);
    expect((await store.list()).total).toBe(1);
    const runs = record.runs();
    expect(runs).toHaveLength(3);
    expect(resumeOf(runs[0]!)).toBeUndefined();
    expect(promptOf(runs[0]!)).toBe("first question");
    for (const [index, question] of [
      [1, "second question"],
      [2, "third question"],
    ] as const) {
      expect(runs[index]!.args.some((arg) => arg.startsWith("--resume="))).toBe(true);
      expect(promptOf(runs[index]!)).toBe(question);
      expect(runs[index]!.args).toContain("--system-prompt=Be brief.");
    }
    const session = await store.get(sessions[0]!);
    expect(session.turn_count).toBe(3);
  });

  it("errors: unknown model is NotFoundError model_not_found; a wrong key AuthenticationError; bad input BadRequestError", async () => {
    const { openai } = await client();
    const notFound = await openai.chat.completions
      .create({ model: "llama-3", messages: [{ role: "user", content: "x" }] })
      .catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect(notFound).toMatchObject({
      status: 404,
      code: "model_not_found",
      param: "model",
      type: "invalid_request_error",
    });
    const badRequest = await openai.chat.completions
      .create({ model: "claude", messages: [{ role: "user", content: "x" }], n: 2 })
      .catch((error: unknown) => error);
    expect(badRequest).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badRequest).toMatchObject({ param: "n" });
    const stranger = new OpenAI({ apiKey: "wrong", baseURL: openai.baseURL, maxRetries: 0 });
    const auth = await stranger.models.list().catch((error: unknown) => error);
    expect(auth).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((auth as InstanceType<typeof OpenAI.AuthenticationError>).message).toContain("invalid API key");
  });

  it("a backend rate limit is a RateLimitError with Retry-After", async () => {
    const { openai } = await client(claudeFailure(429, "rate limit exceeded"));
    const error = await openai.chat.completions
      .create({ model: "claude", messages: [{ role: "user", content: "x" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: "rate_limit_exceeded" });
    // The SDK waits this long before its retry (we ask for none here, to keep the test fast).
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("20");
  });

  it("the CLI's own auth failure is a PermissionDeniedError, not the client's 401", async () => {
    const { openai } = await client(claudeFailure(401, "invalid x-api-key"));
    const error = await openai.chat.completions
      .create({ model: "claude", messages: [{ role: "user", content: "x" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as Error).message).toContain("invalid x-api-key");
  });

  it("x-should-retry: false stops the SDK retrying a 503 that waiting cannot cure (a missing CLI)", async () => {
    const { openai } = await client({}, (c) => {
      c.backends.codex.binary = "/nonexistent/codex";
    });
    let calls = 0;
    const counting = new OpenAI({
      apiKey: KEY,
      baseURL: openai.baseURL,
      maxRetries: 2,
      fetch: (url, init) => {
        calls++;
        return fetch(url, init);
      },
    });
    const error = await counting.chat.completions
      .create({ model: "gpt-5", messages: [{ role: "user", content: "x" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 503 });
    expect(calls).toBe(1);
  });

  it("an overloaded backend is a 503 InternalServerError (which the SDK retries)", async () => {
    const { openai } = await client(claudeFailure(529, "Overloaded"));
    const error = await openai.chat.completions
      .create({ model: "claude", messages: [{ role: "user", content: "x" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 503 });
  });

  it("a failure in the middle of a stream is raised by the SDK as an APIError", async () => {
    const { openai } = await client(claudeFailureAfterText(500, "API Error: 500 boom"));
    const stream = await openai.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    const error = await (async () => {
      for await (const _chunk of stream) {
        // drain
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toContain("boom");
  });
});

describe("openai SDK: responses", () => {
  it("create, then create with previous_response_id continuing the same CLI session", async () => {
    const record = recorder();
    const { openai } = await client(record.env);
    const first = await openai.responses.create({
      model: "codex/gpt-5",
      input: "remember 7",
      instructions: "Be brief.",
    });
    expect(first.status).toBe("completed");
    expect(first.output_text).toBe("echo: remember 7");
    expect(first.usage).toMatchObject({ input_tokens: 10, output_tokens: 3 });
    const second = await openai.responses.create({
      model: "codex/gpt-5",
      input: "which number?",
      previous_response_id: first.id,
    });
    expect(second.output_text).toBe("echo: which number?");
    expect(second.previous_response_id).toBe(first.id);
    const runs = record.runs();
    expect(runs[1]!.args.slice(0, 2)).toEqual(["exec", "resume"]);
    expect(promptOf(runs[1]!)).toBe("which number?");
  });

  it("streaming: create with stream: true, and the stream helper's final response", async () => {
    const { openai } = await client(claudeStreaming([["Hel", "lo"]]));
    const stream = await openai.responses.create({ model: "claude", input: "hi", stream: true });
    const types: string[] = [];
    let text = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
    }
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    expect(text).toBe("Hello");
    const helper = openai.responses.stream({ model: "claude", input: "again" });
    const final = await helper.finalResponse();
    expect(final.output_text).toBe("Hello");
    expect(final.status).toBe("completed");
  });
});

describe("openai SDK: models", () => {
  it("list and retrieve", async () => {
    const { openai } = await client();
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(["claude", "claude/sonnet", "codex/gpt-5", "gemini/gemini-2.5-pro"]));
    const model = await openai.models.retrieve("claude/sonnet");
    expect(model).toMatchObject({ id: "claude/sonnet", object: "model", owned_by: "anthropic" });
    await expect(openai.models.retrieve("nope")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
