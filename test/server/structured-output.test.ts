/**
 * Structured output through the official clients: openai's chat.completions.parse and
 * responses.parse with zod, the Vercel AI SDK's generateObject, Anthropic's output_config.format;
 * a CLI answer that misses the schema twice is a 502 bad_output after one repair in its session.
 */

import { createOpenAI } from "@ai-sdk/openai";
import Anthropic from "@anthropic-ai/sdk";
import { generateObject } from "ai";
import OpenAI from "openai";
import { zodResponseFormat, zodTextFormat } from "openai/helpers/zod";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { promptOf, recorder, replay, resumeOf } from "./compat-helpers.js";
import { testServer } from "./test-server.js";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** claude answering every run with `text` as its final result. */
const claudeAnswer = (text: string) =>
  replay([
    { type: "system", subtype: "init", session_id: "json-session", model: "fake-model" },
    { type: "result", subtype: "success", is_error: false, result: text, session_id: "json-session", usage: {} },
  ]);

async function listening(env: Record<string, string>) {
  const server = await testServer(() => {}, { env });
  const address = await server.app.listen({ host: "127.0.0.1", port: 0 });
  closers.push(() => server.app.close());
  return address;
}

const City = z.object({ city: z.string(), people: z.number().int() });

describe("structured output on the compatible APIs", () => {
  it("chat.completions.parse and responses.parse return the parsed object; the schema reached the CLI", async () => {
    const record = recorder();
    const address = await listening({ ...claudeAnswer('```json\n{"city":"Oslo","people":3}\n```'), ...record.env });
    const openai = new OpenAI({ baseURL: `${address}/openai/v1`, apiKey: "local", maxRetries: 0 });
    const chat = await openai.chat.completions.parse({
      model: "claude",
      messages: [{ role: "user", content: "Where?" }],
      response_format: zodResponseFormat(City, "city"),
    });
    expect(chat.choices[0]?.message.parsed).toEqual({ city: "Oslo", people: 3 });
    expect(promptOf(record.runs()[0]!)).toContain('"people"');
    const response = await openai.responses.parse({
      model: "claude",
      input: "Where?",
      text: { format: zodTextFormat(City, "city") },
    });
    expect(response.output_parsed).toEqual({ city: "Oslo", people: 3 });
    expect(response.text?.format).toMatchObject({ type: "json_schema", name: "city" });
  });

  it("the Vercel AI SDK's generateObject, on chat completions and on Responses", async () => {
    const address = await listening(claudeAnswer('{"city":"Oslo","people":3}'));
    const provider = createOpenAI({ baseURL: `${address}/openai/v1`, apiKey: "local" });
    for (const model of [provider.chat("claude"), provider.responses("claude")]) {
      const { object } = await generateObject({ model, schema: City, prompt: "Where?", maxRetries: 0 });
      expect(object).toEqual({ city: "Oslo", people: 3 });
    }
  });

  it("Anthropic output_config.format gives a text block of the checked JSON", async () => {
    const address = await listening(claudeAnswer('{"city":"Oslo","people":3}'));
    const anthropic = new Anthropic({ baseURL: `${address}/anthropic`, apiKey: "local", maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: "claude",
      max_tokens: 100,
      messages: [{ role: "user", content: "Where?" }],
      output_config: { format: { type: "json_schema", schema: z.toJSONSchema(City) } },
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(message.content).toEqual([{ type: "text", text: '{"city":"Oslo","people":3}' }]);
  });

  it("an answer that misses the schema twice: one repair in the same CLI session, then a 502 bad_output", async () => {
    const record = recorder();
    const address = await listening({ ...claudeAnswer('{"city":"Oslo"}'), ...record.env });
    const openai = new OpenAI({ baseURL: `${address}/openai/v1`, apiKey: "local", maxRetries: 0 });
    const error = await openai.chat.completions
      .create({
        model: "claude",
        messages: [{ role: "user", content: "Where?" }],
        response_format: zodResponseFormat(City, "city"),
        stream: true,
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: 502, code: "bad_output" });
    expect((error as Error).message).toContain("must have required property 'people'");
    const runs = record.runs();
    expect(runs).toHaveLength(2);
    expect(resumeOf(runs[1]!)).toBe("json-session");
    expect(promptOf(runs[1]!)).toContain("does not match the JSON Schema");
  });
});
