// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is read loosely.
// Issue 19 against the REAL claude, codex and gemini behind the provider stub, with the official clients:
// structured output (chat.completions.parse, responses.parse, generateObject), @ai-sdk/anthropic generateText,
// two Responses turns through the Vercel provider (item_reference), a provider 429 on a stream raised as the
// SDK's RateLimitError, and responses.retrieve.
import type { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { CLI_NAMES, type CliName } from "./cli-env.js";
import { realCliSuite, startServe } from "./clinvk-bin.js";
import type { Provider } from "./stub/index.js";

const PROVIDER: Record<CliName, Provider> = { claude: "anthropic", codex: "openai", gemini: "gemini" };
const e2e = realCliSuite();
const City = z.object({ city: z.string(), people: z.number().int() });
const OSLO = '{"city":"Oslo","people":3}';
/** claude takes the schema as --json-schema: it answers through its StructuredOutput tool, whose input is the JSON. */
const answer = (cli: CliName, text: string) =>
  cli === "claude" ? { toolCall: { name: "StructuredOutput", input: { city: "Oslo", people: 3 } } } : { text };

let base = "";
let server: ReturnType<typeof spawn> | undefined;
beforeAll(async () => {
  ({ server, base } = await startServe(e2e.bin.cli, e2e.sb));
});
afterAll(() => {
  server?.kill("SIGTERM");
});

async function openai() {
  const { default: OpenAI } = await import("openai");
  return { OpenAI, client: new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local", maxRetries: 0 }) };
}

describe.each(CLI_NAMES)("issue 19 on %s", (cli) => {
  it("chat.completions.parse and responses.parse return schema-valid JSON; the schema reached the provider", async () => {
    const { client } = await openai();
    const { zodResponseFormat, zodTextFormat } = await import("openai/helpers/zod");
    e2e.stub.script(answer(cli, OSLO), answer(cli, `\`\`\`json\n${OSLO}\n\`\`\``));
    const chat = await client.chat.completions.parse({
      model: cli,
      messages: [{ role: "user", content: "Which city?" }],
      response_format: zodResponseFormat(City, "city"),
    });
    expect(chat.choices[0]?.message.parsed).toEqual({ city: "Oslo", people: 3 });
    const response = await client.responses.parse({
      model: cli,
      input: "Which city, again?",
      text: { format: zodTextFormat(City, "city") },
    });
    expect(response.output_parsed).toEqual({ city: "Oslo", people: 3 });
    const sent = e2e.stub.mainRequests(PROVIDER[cli]).map((request) => JSON.stringify(request.body));
    expect(sent[0]).toContain('\\"people\\"');
    // codex also passes the schema to its provider as OpenAI's structured output format.
    if (cli === "codex") expect(sent[0]).toContain("json_schema");
    // claude offers it to its provider as the tool StructuredOutput, the schema as the tool's input schema.
    if (cli === "claude") {
      const requests = e2e.stub.mainRequests("anthropic");
      expect(requests).toHaveLength(2);
      for (const request of requests) {
        const tool = (request.body as any).tools?.find((t: any) => t.name === "StructuredOutput");
        expect(tool?.input_schema).toMatchObject({
          type: "object",
          properties: { city: { type: "string" }, people: { type: "integer" } },
          required: ["city", "people"],
        });
      }
    }
  });

  it("the Vercel AI SDK's generateObject with a zod schema", async () => {
    const { createOpenAI } = await import("@ai-sdk/openai");
    const { generateObject } = await import("ai");
    e2e.stub.script(answer(cli, OSLO));
    const provider = createOpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local" });
    const { object } = await generateObject({
      model: provider.chat(cli),
      schema: City,
      prompt: "Which city?",
      maxRetries: 0,
    });
    expect(object).toEqual({ city: "Oslo", people: 3 });
  });

  it("@ai-sdk/anthropic generateText", async () => {
    const { createAnthropic } = await import("@ai-sdk/anthropic");
    const { generateText } = await import("ai");
    e2e.stub.script({ text: "ANTHROPIC-PROVIDER-ANSWER" });
    const anthropic = createAnthropic({ baseURL: `${base}/anthropic/v1`, apiKey: "local" });
    const result = await generateText({ model: anthropic(cli), prompt: "hello provider", maxRetries: 0 });
    expect(result.text).toContain("ANTHROPIC-PROVIDER-ANSWER");
  });

  it("two Responses turns through the Vercel provider continue one CLI session; responses.retrieve", async () => {
    const { createOpenAI } = await import("@ai-sdk/openai");
    const { generateText } = await import("ai");
    const { client } = await openai();
    e2e.stub.script({ text: "TURN-ONE" }, { text: "TURN-TWO" });
    const provider = createOpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local" });
    const messages: any[] = [{ role: "user", content: "first vercel turn" }];
    const first = await generateText({ model: provider.responses(cli), messages, maxRetries: 0 });
    expect(first.text).toContain("TURN-ONE");
    messages.push(...first.response.messages, { role: "user", content: "second vercel turn" });
    const second = await generateText({ model: provider.responses(cli), messages, maxRetries: 0 });
    expect(second.text).toContain("TURN-TWO");
    const requests = e2e.stub.mainRequests(PROVIDER[cli]);
    expect(requests.map((request) => request.userText)).toEqual(["first vercel turn", "second vercel turn"]);
    // The second request carries the first answer as the CLI's own history (a resumed session).
    expect(JSON.stringify(requests[1]?.body)).toContain("TURN-ONE");
    const retrieved = await client.responses.retrieve(second.response.id);
    expect(retrieved.output_text).toContain("TURN-TWO");
  });

  it("a provider 429 on a streamed request is the SDK's RateLimitError", async () => {
    const { OpenAI, client } = await openai();
    e2e.stub.script({ error: { status: 429, retryAfter: 7 }, times: "always" });
    const error = await client.chat.completions
      .create({ model: cli, messages: [{ role: "user", content: "limited" }], stream: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as any).headers?.get("retry-after")).toBeTruthy();
  });
});

describe("claude's --json-schema", () => {
  it("an answer without the tool is still checked and repaired: the repair resumes with the schema again", async () => {
    const { client } = await openai();
    const { zodResponseFormat } = await import("openai/helpers/zod");
    // The text answer, claude's own one reminder to call StructuredOutput, then the engine's repair.
    e2e.stub.script("Oslo.", "Oslo, surely.", answer("claude", OSLO));
    const chat = await client.chat.completions.parse({
      model: "claude",
      messages: [{ role: "user", content: "Which city?" }],
      response_format: zodResponseFormat(City, "city"),
    });
    expect(chat.choices[0]?.message.parsed).toEqual({ city: "Oslo", people: 3 });
    const requests = e2e.stub.mainRequests("anthropic");
    expect(requests).toHaveLength(3);
    expect(requests[1]?.userText).toContain("[structured-output-enforce]");
    expect(requests[2]?.userText).toContain("does not match the JSON Schema");
    expect(JSON.stringify(requests[2]?.body)).toContain("Oslo, surely.");
    expect(JSON.stringify((requests[2]?.body as any)?.tools)).toContain("StructuredOutput");
  });
});
