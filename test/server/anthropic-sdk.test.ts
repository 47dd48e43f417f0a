/**
 * Conformance: the official `@anthropic-ai/sdk` as the client, against a listening server with fake
 * CLIs behind it. Its MessageStream checks the event order and accumulates the final message, so a
 * wrong event here fails the test as it would fail a real client.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import {
  claudeFailure,
  claudeFailureAfterText,
  claudeStreaming,
  promptOf,
  recorder,
  resumeOf,
} from "./compat-helpers.js";
import { testServer } from "./test-server.js";

const KEY = "ak-clinvk-test";
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function client(env: Record<string, string> = {}, delayMs = 0) {
  const server = await testServer(
    (c) => {
      c.server.api_keys = [KEY];
    },
    { anthropic: { pingMs: 50 }, env, delayMs },
  );
  const address = await server.app.listen({ host: "127.0.0.1", port: 0 });
  closers.push(() => server.app.close());
  return { ...server, anthropic: new Anthropic({ apiKey: KEY, baseURL: `${address}/anthropic`, maxRetries: 0 }) };
}

describe("anthropic SDK", () => {
  it("messages.create: text, stop_reason, usage and the session header", async () => {
    const { anthropic } = await client();
    const { data, response } = await anthropic.messages
      .create({
        model: "claude-sonnet-4-5",
        max_tokens: 1024,
        system: "Be brief.",
        messages: [{ role: "user", content: "hello" }],
        metadata: { user_id: "someone" },
      })
      .withResponse();
    expect(data.type).toBe("message");
    expect(data.content).toEqual([{ type: "text", text: "echo: hello" }]);
    expect(data.stop_reason).toBe("end_turn");
    expect(data.usage).toMatchObject({ input_tokens: 10, output_tokens: 3 });
    expect(response.headers.get("x-clinvk-session")).toMatch(/^[a-f0-9]{32}$/);
  });

  it("messages.stream().finalMessage(): the SDK accepts the event sequence, pings included", async () => {
    const { anthropic } = await client({}, 300);
    const stream = anthropic.messages.stream({
      model: "sonnet",
      max_tokens: 1024,
      messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    });
    const deltas: string[] = [];
    stream.on("text", (delta) => deltas.push(delta));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: "text", text: "echo: hi" }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage).toMatchObject({ input_tokens: 10, output_tokens: 3 });
    expect(deltas.join("")).toBe("echo: hi");
    expect(await stream.finalText()).toBe("echo: hi");
  });

  it("create with stream: true yields the raw events in Anthropic's order", async () => {
    const { anthropic } = await client(claudeStreaming([["Hel", "lo"]]));
    const stream = await anthropic.messages.create({
      model: "claude",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
  });

  it("a conversation replayed through the SDK continues one CLI session", async () => {
    const record = recorder();
    const { anthropic, store } = await client(record.env);
    const messages: Anthropic.MessageParam[] = [];
    for (const question of ["one", "two", "three"]) {
      messages.push({ role: "user", content: question });
      const answer = await anthropic.messages.create({ model: "claude/sonnet", max_tokens: 100, messages });
      messages.push({ role: "assistant", content: answer.content });
    }
    expect((await store.list()).total).toBe(1);
    const runs = record.runs();
    expect(runs.map(promptOf)).toEqual(["one", "two", "three"]);
    expect(runs.slice(1).every((run) => resumeOf(run))).toBe(true);
  });

  it("messages.countTokens gives an estimate", async () => {
    const { anthropic } = await client();
    const count = await anthropic.messages.countTokens({
      model: "claude-sonnet-4-5",
      system: "Be brief.",
      messages: [{ role: "user", content: "How many tokens is this?" }],
    });
    expect(count.input_tokens).toBeGreaterThan(5);
    expect(count.input_tokens).toBeLessThan(40);
  });

  it("errors come as the SDK's classes: not found, bad request, authentication, overloaded, rate limit", async () => {
    const { anthropic } = await client();
    const notFound = await anthropic.messages
      .create({ model: "llama", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(Anthropic.NotFoundError);
    expect(notFound).toMatchObject({ status: 404, type: "not_found_error" });
    const bad = await anthropic.messages
      .create({ model: "claude", max_tokens: 10, messages: [{ role: "assistant", content: "prefill" }] })
      .catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    const stranger = new Anthropic({ apiKey: "nope", baseURL: anthropic.baseURL, maxRetries: 0 });
    const auth = await stranger.messages
      .create({ model: "claude", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((error: unknown) => error);
    expect(auth).toBeInstanceOf(Anthropic.AuthenticationError);

    const overloaded = await (await client(claudeFailure(529, "Overloaded"))).anthropic.messages
      .create({ model: "claude", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((error: unknown) => error);
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    expect(overloaded).toMatchObject({ status: 529, type: "overloaded_error" });
    const limited = await (await client(claudeFailure(429, "rate limited"))).anthropic.messages
      .create({ model: "claude", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect((limited as InstanceType<typeof Anthropic.RateLimitError>).headers?.get("retry-after")).toBe("20");
  });

  it("a failure mid-stream is raised by the stream as an APIError of its type", async () => {
    const { anthropic } = await client(claudeFailureAfterText(529, "Overloaded"));
    const error = await anthropic.messages
      .stream({ model: "claude", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .finalMessage()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({ type: "overloaded_error" });
  });

  it("models.list and models.retrieve", async () => {
    const { anthropic } = await client();
    const ids: string[] = [];
    for await (const model of anthropic.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(["claude", "claude/sonnet", "sonnet"]));
    expect(await anthropic.models.retrieve("claude-opus-4-1")).toMatchObject({ type: "model", id: "claude-opus-4-1" });
  });
});
