// biome-ignore-all lint/suspicious/noExplicitAny: the clients are loaded from the lane's own install, untyped here.
// The newest majors of the official `openai` and Vercel `ai` clients (which need Node 22+), run on Node 24 by
// scripts/test-next-clients.mjs, against clinvk serve on the machine's Node with the real CLIs behind the provider
// stub: plain answers, function calling and structured output.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realCliSuite, startServe } from "../e2e/clinvk-bin.js";
import { mcpToolCall } from "../e2e/stub/mcp-tool-calls.js";

/** The lane's install (scripts/test-next-clients.mjs); its clients.mjs imports them from there. */
const CLIENTS = process.env.CLINVK_NEXT_CLIENTS;
const clients = (): Promise<any> => import(pathToFileURL(join(CLIENTS as string, "clients.mjs")).href);

const e2e = realCliSuite();
let server: ChildProcess;
let base = "";
beforeAll(async () => {
  ({ server, base } = await startServe(e2e.bin.cli, e2e.sb));
});
afterAll(() => {
  server?.kill("SIGTERM");
});

const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };

describe.skipIf(!CLIENTS)("the newest clients on Node 24", () => {
  it("runs on Node 22 or newer", () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(22);
  });

  it("openai: a chat completion, then a tool round trip on codex", async () => {
    const { OpenAI } = await clients();
    const client = new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local", maxRetries: 0 });
    e2e.stub.script(
      { provider: "openai", toolCall: mcpToolCall("codex", "clinvk", "get_weather", { city: "Oslo" }) },
      { provider: "openai", text: "NEXT: sunny in Oslo." },
    );
    const tools = [{ type: "function", function: { name: "get_weather", description: "Weather", parameters } }];
    const messages: any[] = [{ role: "user", content: "Weather in Oslo?" }];
    const first = await client.chat.completions.create({ model: "codex/gpt-5", messages, tools });
    const call = first.choices[0].message.tool_calls[0];
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Oslo" });
    messages.push(first.choices[0].message, { role: "tool", tool_call_id: call.id, content: "NEXT-RESULT: 20 C" });
    const second = await client.chat.completions.create({ model: "codex/gpt-5", messages, tools });
    expect(second.choices[0].message.content).toContain("NEXT: sunny in Oslo.");
    expect(JSON.stringify(e2e.stub.mainRequests("openai").at(-1)?.toolResults)).toContain("NEXT-RESULT: 20 C");
  });

  it("openai: Responses with a JSON schema format returns schema-valid JSON (claude)", async () => {
    const { OpenAI } = await clients();
    const client = new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local", maxRetries: 0 });
    // claude takes the schema as --json-schema and answers through its StructuredOutput tool.
    e2e.stub.script({
      provider: "anthropic",
      toolCall: { name: "StructuredOutput", input: { city: "Rome", temperature: 18 } },
    });
    const response = await client.responses.create({
      model: "claude/sonnet",
      input: "Weather in Rome as JSON",
      text: {
        format: {
          type: "json_schema",
          name: "weather",
          schema: {
            type: "object",
            properties: { city: { type: "string" }, temperature: { type: "number" } },
            required: ["city", "temperature"],
            additionalProperties: false,
          },
        },
      },
    });
    expect(JSON.parse(response.output_text)).toEqual({ city: "Rome", temperature: 18 });
  });

  it("ai: generateText with a tool completes the loop (gemini)", async () => {
    const { createOpenAI, ai } = await clients();
    const provider = createOpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local" });
    e2e.stub.script(
      { provider: "gemini", toolCall: mcpToolCall("gemini", "clinvk", "get_weather", { city: "Lima" }) },
      { provider: "gemini", text: "NEXT: foggy in Lima." },
    );
    const executed: unknown[] = [];
    const result = await ai.generateText({
      model: provider.chat("gemini/gemini-2.5-pro"),
      prompt: "Weather in Lima?",
      maxRetries: 0,
      stopWhen: ai.isStepCount(4),
      tools: {
        get_weather: ai.tool({
          description: "Weather",
          inputSchema: ai.jsonSchema(parameters),
          execute: async (input: unknown) => {
            executed.push(input);
            return "NEXT-RESULT: 15 C";
          },
        }),
      },
    });
    expect(executed).toEqual([{ city: "Lima" }]);
    expect(result.text).toContain("NEXT: foggy in Lima.");
  });
});
