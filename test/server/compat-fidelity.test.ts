/**
 * Wire fidelity, each with the official client that found the fault: the Vercel AI SDK's Anthropic
 * provider (no `citations: null`), the Anthropic SDK's requestID, the openai SDK's
 * responses.retrieve/delete, the Vercel Responses provider's item_reference on a second turn, and
 * a provider's 429 before the first token of a stream raised as the SDK's rate-limit error.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import Anthropic from "@anthropic-ai/sdk";
import { generateText, type ModelMessage } from "ai";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { claudeFailure, claudeStreaming, promptOf, recorder, resumeOf } from "./compat-helpers.js";
import { testServer } from "./test-server.js";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listening(env: Record<string, string> = {}) {
  const server = await testServer(() => {}, { env });
  const address = await server.app.listen({ host: "127.0.0.1", port: 0 });
  closers.push(() => server.app.close());
  return { ...server, address };
}

describe("the Anthropic surface", () => {
  it("@ai-sdk/anthropic generateText accepts the message (no citations: null)", async () => {
    const { address } = await listening();
    const anthropic = createAnthropic({ baseURL: `${address}/anthropic/v1`, apiKey: "local" });
    const result = await generateText({ model: anthropic("claude-sonnet-4-5"), prompt: "hello", maxRetries: 0 });
    expect(result.text).toBe("echo: hello");
    expect(result.finishReason).toBe("stop");
  });

  it("the SDK's requestID is the server's request id, streamed or not", async () => {
    const { address } = await listening();
    const client = new Anthropic({ baseURL: `${address}/anthropic`, apiKey: "local", maxRetries: 0 });
    const params = { model: "claude", max_tokens: 10, messages: [{ role: "user" as const, content: "x" }] };
    const { request_id, response } = await client.messages.create(params).withResponse();
    expect(request_id).toBeTruthy();
    expect(request_id).toBe(response.headers.get("x-request-id"));
    const stream = client.messages.stream(params);
    await stream.finalMessage();
    expect(stream.request_id).toBeTruthy();
  });

  it("a provider 429 before the first token of a stream is the SDK's RateLimitError with Retry-After", async () => {
    const { address } = await listening(claudeFailure(429, "rate limited"));
    const client = new Anthropic({ baseURL: `${address}/anthropic`, apiKey: "local", maxRetries: 0 });
    const error = await client.messages
      .stream({ model: "claude", max_tokens: 10, messages: [{ role: "user", content: "x" }] })
      .finalMessage()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.RateLimitError>).headers?.get("retry-after")).toBe("20");
  });
});

describe("the OpenAI surface", () => {
  it("responses.retrieve gives the stored response; delete forgets it", async () => {
    const { address } = await listening();
    const openai = new OpenAI({ baseURL: `${address}/openai/v1`, apiKey: "local", maxRetries: 0 });
    const created = await openai.responses.create({ model: "claude", input: "keep me", instructions: "Be brief." });
    const retrieved = await openai.responses.retrieve(created.id);
    expect(retrieved).toMatchObject({ id: created.id, status: "completed", instructions: "Be brief." });
    expect(retrieved.output_text).toBe("echo: keep me");
    expect(retrieved.output).toEqual(created.output);
    expect(retrieved.usage).toEqual(created.usage);
    await openai.responses.delete(created.id);
    const gone = await openai.responses.retrieve(created.id).catch((caught: unknown) => caught);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    const never = await openai.responses.retrieve(`resp_${"0".repeat(48)}`).catch((caught: unknown) => caught);
    expect(never).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("a streamed response can be retrieved too", async () => {
    const { address } = await listening(claudeStreaming([["Hel", "lo"]]));
    const openai = new OpenAI({ baseURL: `${address}/openai/v1`, apiKey: "local", maxRetries: 0 });
    const final = await openai.responses.stream({ model: "claude", input: "hi" }).finalResponse();
    const retrieved = await openai.responses.retrieve(final.id);
    expect(retrieved.output_text).toBe("Hello");
    expect(retrieved.output[0]?.id).toBe(final.output[0]?.id);
  });

  it("the Vercel Responses provider's second turn (item_reference) continues the CLI session", async () => {
    const record = recorder();
    const { address } = await listening(record.env);
    const provider = createOpenAI({ baseURL: `${address}/openai/v1`, apiKey: "local" });
    const messages: ModelMessage[] = [{ role: "user", content: "remember 7" }];
    const first = await generateText({ model: provider.responses("claude"), messages, maxRetries: 0 });
    expect(first.text).toBe("echo: remember 7");
    messages.push(...first.response.messages, { role: "user", content: "which number?" });
    const second = await generateText({ model: provider.responses("claude"), messages, maxRetries: 0 });
    expect(second.text).toBe("echo: which number?");
    const runs = record.runs();
    expect(runs).toHaveLength(2);
    expect(resumeOf(runs[1]!)).toBeTruthy();
    expect(promptOf(runs[1]!)).toBe("which number?");
  });

  it("an item_reference to an id that is not ours is a 400 that says so", async () => {
    const { address } = await listening();
    const openai = new OpenAI({ baseURL: `${address}/openai/v1`, apiKey: "local", maxRetries: 0 });
    const error = await openai.responses
      .create({
        model: "claude",
        input: [
          { type: "item_reference", id: "msg_elsewhere" },
          { role: "user", content: "go on" },
        ],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(String((error as Error).message)).toContain("msg_elsewhere names no output message of this server");
  });

  it("a provider 429 before the first token of a stream is the SDK's RateLimitError with Retry-After", async () => {
    const { address } = await listening(claudeFailure(429, "rate limited"));
    const openai = new OpenAI({ baseURL: `${address}/openai/v1`, apiKey: "local", maxRetries: 0 });
    for (const start of [
      () =>
        openai.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "x" }], stream: true }),
      () => openai.responses.create({ model: "claude", input: "x", stream: true }),
    ]) {
      const error = await start().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after")).toBe("20");
    }
  });

  it("stream and non-stream answers agree when the agent wrote between its tools", async () => {
    const { address } = await listening(claudeStreaming([["Let me look."], ["Final answer"]]));
    const openai = new OpenAI({ baseURL: `${address}/openai/v1`, apiKey: "local", maxRetries: 0 });
    const plain = await openai.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "q" }] });
    let streamed = "";
    const stream = await openai.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "q" }],
      stream: true,
    });
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
    expect(plain.choices[0]?.message.content).toBe("Let me look.\n\nFinal answer");
    expect(streamed).toBe(plain.choices[0]?.message.content);
  });
});

describe("unknown input", () => {
  it("an input item or content type no CLI takes is a 400 that names it and where it is", async () => {
    const { address } = await listening();
    const openai = new OpenAI({ baseURL: `${address}/openai/v1`, apiKey: "local", maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: `${address}/anthropic`, apiKey: "local", maxRetries: 0 });
    const failures = await Promise.all([
      openai.responses
        .create({
          model: "claude",
          input: [{ type: "web_search_call", id: "ws_1" } as never, { role: "user", content: "x" }],
        })
        .catch((caught: unknown) => caught),
      openai.chat.completions
        .create({
          model: "claude",
          messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "", format: "wav" } }] }],
        })
        .catch((caught: unknown) => caught),
      anthropic.messages
        .create({
          model: "claude",
          max_tokens: 10,
          messages: [
            {
              role: "user",
              content: [{ type: "document", source: { type: "text", media_type: "text/plain", data: "d" } }],
            },
          ],
        })
        .catch((caught: unknown) => caught),
    ]);
    const [item, part, block] = failures as Error[];
    expect(item).toBeInstanceOf(OpenAI.BadRequestError);
    expect(item?.message).toContain("input items of type web_search_call are not supported");
    expect((item as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("input[0].type");
    expect(part).toBeInstanceOf(OpenAI.BadRequestError);
    expect(part?.message).toContain("content of type input_audio is not supported");
    expect((part as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("messages[0].content[0].type");
    expect(block).toBeInstanceOf(Anthropic.BadRequestError);
    expect(block?.message).toContain("messages.0.content.0.type");
    expect(block?.message).toContain("content blocks of type document are not supported");
    for (const failure of failures) expect(String((failure as Error).message)).not.toContain("own tools");
  });
});
