// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is read loosely.
// Issue 19 against the REAL claude, codex and gemini behind the provider stub, with the official clients:
// stop, stop_sequences and the token limits cut the answer (streamed and not, with the right finish/stop
// reason), and count_tokens adds what the CLI measured on a fresh turn adds to every prompt.
import type { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_NAMES } from "./cli-env.js";
import { realCliSuite, startServe } from "./clinvk-bin.js";

const e2e = realCliSuite();
const ANSWER = "Alpha beta gamma. HALT delta epsilon zeta";
// Small deltas split the stop sequence and words; the provider's output count is over every limit here.
const scripted = {
  text: ANSWER,
  chunkSize: 3,
  usage: { inputTokens: 90_000, outputTokens: 500 },
  times: "always" as const,
};

let base = "";
let server: ReturnType<typeof spawn> | undefined;
beforeAll(async () => {
  ({ server, base } = await startServe(e2e.bin.cli, e2e.sb));
});
afterAll(() => {
  server?.kill("SIGTERM");
});

async function clients() {
  const { default: OpenAI } = await import("openai");
  const { default: Anthropic } = await import("@anthropic-ai/sdk");
  return {
    openai: new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local", maxRetries: 0 }),
    anthropic: new Anthropic({ baseURL: `${base}/anthropic`, apiKey: "local", maxRetries: 0 }),
  };
}

describe.each(CLI_NAMES)("answers cut on %s", (cli) => {
  it("count_tokens: the estimate, then what a fresh turn counted", async () => {
    const { anthropic } = await clients();
    const params = { model: cli, messages: [{ role: "user" as const, content: "hello" }] };
    const before = await anthropic.messages.countTokens(params).withResponse();
    expect(before.response.headers.get("x-clinvk-token-count")).toBe("estimate");
    expect(before.data.input_tokens).toBeLessThan(100);
    e2e.stub.script({ text: "hi there", usage: { inputTokens: 29_000, outputTokens: 2 } });
    const turn = await anthropic.messages.create({ ...params, max_tokens: 100 });
    const reported = turn.usage.input_tokens + (turn.usage.cache_read_input_tokens ?? 0);
    expect(reported).toBeGreaterThanOrEqual(29_000);
    const after = await anthropic.messages.countTokens(params).withResponse();
    expect(after.response.headers.get("x-clinvk-token-count")).toBe("estimate+measured-overhead");
    expect(after.data.input_tokens).toBe(reported);
  });

  it("chat completions: stop cuts before the sequence (finish_reason stop), streamed and not", async () => {
    const { openai } = await clients();
    e2e.stub.script(scripted);
    const messages = [{ role: "user" as const, content: "say it" }];
    const plain = await openai.chat.completions.create({ model: cli, messages, stop: ["HALT"] });
    expect(plain.choices[0]?.message.content).toBe("Alpha beta gamma. ");
    expect(plain.choices[0]?.finish_reason).toBe("stop");
    const stream = await openai.chat.completions.create({ model: cli, messages, stop: "HALT", stream: true });
    let text = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe("Alpha beta gamma. ");
    expect(finish).toBe("stop");
  });

  it("chat completions: max_tokens cuts (finish_reason length), streamed and not", async () => {
    const { openai } = await clients();
    e2e.stub.script(scripted);
    const messages = [{ role: "user" as const, content: "say it" }];
    const plain = await openai.chat.completions.create({ model: cli, messages, max_tokens: 4 });
    // Alpha (2) beta (1) gamma (2 > 1 left): cut within the word.
    expect(plain.choices[0]?.message.content).toBe("Alpha beta gamm");
    expect(plain.choices[0]?.finish_reason).toBe("length");
    const final = await openai.chat.completions
      .stream({ model: cli, messages, max_completion_tokens: 3 })
      .finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe("Alpha beta");
    expect(final.choices[0]?.finish_reason).toBe("length");
  });

  it("responses: max_output_tokens makes an incomplete response, streamed and not", async () => {
    const { openai } = await clients();
    e2e.stub.script(scripted);
    const plain = await openai.responses.create({ model: cli, input: "say it", max_output_tokens: 3 });
    expect(plain).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
    expect(plain.output_text).toBe("Alpha beta");
    const stream = openai.responses.stream({ model: cli, input: "say it", max_output_tokens: 3 });
    const types: string[] = [];
    stream.on("event", (event) => types.push(event.type));
    const final = await stream.finalResponse();
    expect(final.status).toBe("incomplete");
    expect(final.output_text).toBe("Alpha beta");
    expect(types.at(-1)).toBe("response.incomplete");
  });

  it("messages: stop_sequences (stop_reason stop_sequence) and max_tokens (stop_reason max_tokens)", async () => {
    const { anthropic } = await clients();
    e2e.stub.script(scripted);
    const messages = [{ role: "user" as const, content: "say it" }];
    const stream = anthropic.messages.stream({ model: cli, max_tokens: 1000, messages, stop_sequences: ["HALT"] });
    const deltas: string[] = [];
    stream.on("text", (delta) => deltas.push(delta));
    const stopped = await stream.finalMessage();
    expect(deltas.join("")).toBe("Alpha beta gamma. ");
    expect(stopped).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "HALT" });
    const plain = await anthropic.messages.create({ model: cli, max_tokens: 3, messages });
    expect(plain.content).toEqual([{ type: "text", text: "Alpha beta" }]);
    expect(plain.stop_reason).toBe("max_tokens");
    const streamedCut = await anthropic.messages.stream({ model: cli, max_tokens: 3, messages }).finalMessage();
    expect(streamedCut.content).toEqual([{ type: "text", text: "Alpha beta" }]);
    expect(streamedCut.stop_reason).toBe("max_tokens");
  });
});
