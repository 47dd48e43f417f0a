/**
 * stop, stop_sequences and the output-token limits, honoured by cutting the answer, through the
 * official clients: Chat Completions and Responses (openai), Messages (@anthropic-ai/sdk), streamed
 * and not. The fake claude streams its answer in pieces that split the stop sequence and words.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { claudeStreaming } from "./compat-helpers.js";
import { testServer } from "./test-server.js";

const ANSWER = [["The answer is 42. EN", "D and then", " some more"]];
const FULL = "The answer is 42. END and then some more";
// The CLI's real count is far above any limit here, so a length cut stands.
const MANY = { input_tokens: 1200, output_tokens: 500 };

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function clients(usage = MANY) {
  const server = await testServer(() => {}, { env: claudeStreaming(ANSWER, usage) });
  const address = await server.app.listen({ host: "127.0.0.1", port: 0 });
  closers.push(() => server.app.close());
  return {
    openai: new OpenAI({ baseURL: `${address}/openai/v1`, apiKey: "local", maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: `${address}/anthropic`, apiKey: "local", maxRetries: 0 }),
  };
}

const user = [{ role: "user" as const, content: "q" }];

describe("chat completions", () => {
  it("stop cuts before the sequence; finish_reason stop, streamed and not", async () => {
    const { openai } = await clients();
    const plain = await openai.chat.completions.create({ model: "claude", messages: user, stop: ["END"] });
    expect(plain.choices[0]?.message.content).toBe("The answer is 42. ");
    expect(plain.choices[0]?.finish_reason).toBe("stop");
    const stream = await openai.chat.completions.create({ model: "claude", messages: user, stop: "END", stream: true });
    let text = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe("The answer is 42. ");
    expect(finish).toBe("stop");
  });

  it("max_completion_tokens (or max_tokens) cuts; finish_reason length, streamed and not", async () => {
    const { openai } = await clients();
    const plain = await openai.chat.completions.create({ model: "claude", messages: user, max_tokens: 3 });
    expect(plain.choices[0]?.message.content).toBe("The answer");
    expect(plain.choices[0]?.finish_reason).toBe("length");
    const stream = openai.chat.completions.stream({ model: "claude", messages: user, max_completion_tokens: 3 });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe("The answer");
    expect(final.choices[0]?.finish_reason).toBe("length");
  });

  it("no limits, or limits the answer stays under: the whole answer, finish_reason stop", async () => {
    const { openai } = await clients();
    const plain = await openai.chat.completions.create({ model: "claude", messages: user, max_tokens: 1000 });
    expect(plain.choices[0]?.message.content).toBe(FULL);
    expect(plain.choices[0]?.finish_reason).toBe("stop");
  });

  it("bad values are a 400 naming the parameter", async () => {
    const { openai } = await clients();
    const bad = [
      { max_tokens: 0, message: /max_tokens is a positive integer/ },
      { stop: ["a", "b", "c", "d", "e"], message: /at most 4 stop sequences/ },
      { stop: [""], message: /a stop sequence cannot be empty/ },
    ];
    for (const { message, ...params } of bad) {
      const error = await openai.chat.completions
        .create({ model: "claude", messages: user, ...params })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(String((error as Error).message)).toMatch(message);
    }
  });
});

describe("responses", () => {
  it("max_output_tokens cuts: status incomplete with reason max_output_tokens, streamed and not", async () => {
    const { openai } = await clients();
    const plain = await openai.responses.create({ model: "claude", input: "q", max_output_tokens: 3 });
    expect(plain.status).toBe("incomplete");
    expect(plain.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(plain.output_text).toBe("The answer");
    const retrieved = await openai.responses.retrieve(plain.id);
    expect(retrieved.status).toBe("incomplete");
    const stream = openai.responses.stream({ model: "claude", input: "q", max_output_tokens: 3 });
    const types: string[] = [];
    stream.on("event", (event) => types.push(event.type));
    const final = await stream.finalResponse();
    expect(final.status).toBe("incomplete");
    expect(final.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(final.output_text).toBe("The answer");
    expect(types.at(-1)).toBe("response.incomplete");
    expect(types).not.toContain("response.completed");
  });

  it("an answer under the limit is completed", async () => {
    const { openai } = await clients();
    const plain = await openai.responses.create({ model: "claude", input: "q", max_output_tokens: 1000 });
    expect(plain.status).toBe("completed");
    expect(plain.incomplete_details).toBeNull();
    expect(plain.output_text).toBe(FULL);
  });
});

describe("messages", () => {
  it("stop_sequences: stop_reason stop_sequence, the sequence named, streamed and not", async () => {
    const { anthropic } = await clients();
    const params = { model: "claude", max_tokens: 1000, messages: user, stop_sequences: ["nothing", "END"] };
    const plain = await anthropic.messages.create(params);
    expect(plain.content).toEqual([{ type: "text", text: "The answer is 42. " }]);
    expect(plain).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "END" });
    const stream = anthropic.messages.stream(params);
    const deltas: string[] = [];
    stream.on("text", (delta) => deltas.push(delta));
    const final = await stream.finalMessage();
    expect(deltas.join("")).toBe("The answer is 42. ");
    expect(final).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "END" });
  });

  it("max_tokens: stop_reason max_tokens, streamed and not", async () => {
    const { anthropic } = await clients();
    const params = { model: "claude", max_tokens: 3, messages: user };
    const plain = await anthropic.messages.create(params);
    expect(plain.content).toEqual([{ type: "text", text: "The answer" }]);
    expect(plain).toMatchObject({ stop_reason: "max_tokens", stop_sequence: null });
    const final = await anthropic.messages.stream(params).finalMessage();
    expect(final.content).toEqual([{ type: "text", text: "The answer" }]);
    expect(final.stop_reason).toBe("max_tokens");
  });

  it("a length cut that the CLI's real count undoes: over the limit by the estimate, within it by the CLI", async () => {
    const { anthropic } = await clients({ input_tokens: 1200, output_tokens: 9 });
    const final = await anthropic.messages.stream({ model: "claude", max_tokens: 9, messages: user }).finalMessage();
    expect(final.content).toEqual([{ type: "text", text: FULL }]);
    expect(final.stop_reason).toBe("end_turn");
  });
});
