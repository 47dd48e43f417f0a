/**
 * Images through the official clients: chat completions' image_url data URLs, Responses input_image,
 * Anthropic base64 image blocks, as files (codex --image) or inline (claude's stream-json input),
 * removed after the run; URLs that would make clinvoker fetch are a 400 that says so.
 */
import { existsSync } from "node:fs";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { recorder } from "./compat-helpers.js";
import { testServer } from "./test-server.js";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const DATA_URL = `data:image/png;base64,${PNG}`;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listening(env: Record<string, string>) {
  const server = await testServer(() => {}, { env });
  const address = await server.app.listen({ host: "127.0.0.1", port: 0 });
  closers.push(() => server.app.close());
  return address;
}

const imageArg = (args: string[]) => args.find((arg) => arg.startsWith("--image="))?.slice("--image=".length);

describe("images on the compatible APIs", () => {
  it("chat image_url and Responses input_image reach codex as --image files, removed after the run", async () => {
    const record = recorder();
    const openai = new OpenAI({ baseURL: `${await listening(record.env)}/openai/v1`, apiKey: "l", maxRetries: 0 });
    const chat = await openai.chat.completions.create({
      model: "codex",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: DATA_URL } },
          ],
        },
      ],
    });
    expect(chat.choices[0]?.message.content).toContain("What is this?");
    await openai.responses.create({
      model: "codex",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "And this?" },
            { type: "input_image", image_url: DATA_URL, detail: "auto" },
          ],
        },
      ],
    });
    const files = record.runs().map((run) => imageArg(run.args));
    expect(files).toHaveLength(2);
    for (const file of files) {
      expect(file).toMatch(/clinvk-images-.*\.png$/);
      expect(existsSync(file as string)).toBe(false);
    }
  });

  it("an Anthropic base64 image block reaches claude inline, in its stream-json input", async () => {
    const record = recorder();
    const anthropic = new Anthropic({
      baseURL: `${await listening(record.env)}/anthropic`,
      apiKey: "l",
      maxRetries: 0,
    });
    await anthropic.messages.create({
      model: "claude",
      max_tokens: 100,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
            { type: "text", text: "What is this?" },
          ],
        },
      ],
    });
    const run = record.runs()[0];
    expect(run?.args).toContain("--input-format=stream-json");
    const input = JSON.parse(run?.stdin ?? "{}");
    expect(input.message.content[0]).toEqual({
      type: "image",
      source: { type: "base64", media_type: "image/png", data: PNG },
    });
    expect(input.message.content[1]).toEqual({ type: "text", text: "What is this?" });
  });

  it("an image URL, a non-image and a bad media type are 400s naming the part", async () => {
    const openai = new OpenAI({ baseURL: `${await listening({})}/openai/v1`, apiKey: "l", maxRetries: 0 });
    const send = (part: object) =>
      openai.chat.completions
        .create({
          model: "codex",
          messages: [{ role: "user", content: [{ type: "text", text: "x" }, part] as never }],
        })
        .catch((caught: unknown) => caught);
    const url = await send({ type: "image_url", image_url: { url: "https://example.com/a.png" } });
    expect(url).toBeInstanceOf(OpenAI.BadRequestError);
    expect(url).toMatchObject({ param: "messages[0].content[1].image_url" });
    expect(String((url as Error).message)).toContain("clinvoker fetches no URL");
    const notImage = await send({ type: "image_url", image_url: { url: "data:image/png;base64,aGVsbG8=" } });
    expect(String((notImage as Error).message)).toContain("is not a PNG, JPEG, GIF or WebP image");
    const svg = await send({ type: "image_url", image_url: { url: "data:image/svg+xml;base64,PHN2Zz4=" } });
    expect(String((svg as Error).message)).toContain("images of type image/svg+xml are not supported");
  });
});
