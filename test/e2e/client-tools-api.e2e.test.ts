// biome-ignore-all lint/suspicious/noExplicitAny: the SDKs' union types and provider wire JSON are read loosely.
// Function calling through the compatible APIs, with the official clients, on the REAL claude, codex and gemini
// behind the provider stub: the client's tool reaches the CLI, the CLI's call comes back to the client in the
// surface's own shape, the client's result goes on to the provider, and the final answer comes back.
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_NAMES, type CliName } from "./cli-env.js";
import { realCliSuite, startServe } from "./clinvk-bin.js";
import type { Provider } from "./stub/index.js";
import { mcpToolCall } from "./stub/mcp-tool-calls.js";

const PROVIDER: Record<CliName, Provider> = { claude: "anthropic", codex: "openai", gemini: "gemini" };
const MODEL: Record<CliName, string> = {
  claude: "claude/sonnet",
  codex: "codex/gpt-5",
  gemini: "gemini/gemini-2.5-pro",
};
const e2e = realCliSuite();

const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
const chatTool = { type: "function" as const, function: { name: "get_weather", description: "Weather", parameters } };

let server: ChildProcess;
let base = "";
beforeAll(async () => {
  ({ server, base } = await startServe(e2e.bin.cli, e2e.sb));
});
afterAll(() => {
  server?.kill("SIGTERM");
});

/** The stub calls the tool once, then answers with what the tool said. */
function scriptToolLoop(cli: CliName, city: string) {
  e2e.stub.script(
    { provider: PROVIDER[cli], text: "Checking.", toolCall: mcpToolCall(cli, "clinvk", "get_weather", { city }) },
    { provider: PROVIDER[cli], text: `FINAL: the weather in ${city} is fine.` },
  );
}

/** The provider's last request carried the client's tool result. */
function expectResultReachedProvider(cli: CliName, output: string) {
  const last = e2e.stub.mainRequests(PROVIDER[cli]).at(-1);
  expect(JSON.stringify(last?.toolResults)).toContain(output);
}

const openai = async () => {
  const { default: OpenAI } = await import("openai");
  return new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local", maxRetries: 0 });
};

describe.each(CLI_NAMES)("function calling on %s", (cli) => {
  it("chat completions: tool_calls, then the tool message, then the answer", async () => {
    const client = await openai();
    scriptToolLoop(cli, "Oslo");
    const messages: any[] = [{ role: "user", content: "What is the weather in Oslo?" }];
    const first = await client.chat.completions.create({ model: MODEL[cli], messages, tools: [chatTool] });
    const choice = first.choices[0] as any;
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message.tool_calls[0];
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Oslo" });
    messages.push(choice.message, { role: "tool", tool_call_id: call.id, content: "CHAT-RESULT: 21 C and sunny" });
    const second = await client.chat.completions.create({ model: MODEL[cli], messages, tools: [chatTool] });
    expect(second.choices[0]?.finish_reason).toBe("stop");
    expect(second.choices[0]?.message.content).toContain("FINAL: the weather in Oslo is fine.");
    expectResultReachedProvider(cli, "CHAT-RESULT: 21 C and sunny");
  });

  it("chat completions streamed: delta.tool_calls with the arguments, and the streamed answer", async () => {
    const client = await openai();
    scriptToolLoop(cli, "Rome");
    const messages: any[] = [{ role: "user", content: "Weather in Rome?" }];
    const runner = client.chat.completions.stream({ model: MODEL[cli], messages, tools: [chatTool] });
    const first = await runner.finalChatCompletion();
    const choice = first.choices[0] as any;
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message.tool_calls[0];
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Rome" });
    messages.push(choice.message, { role: "tool", tool_call_id: call.id, content: "STREAM-RESULT: rainy" });
    const stream = await client.chat.completions.create({
      model: MODEL[cli],
      messages,
      tools: [chatTool],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toContain("FINAL: the weather in Rome is fine.");
    expectResultReachedProvider(cli, "STREAM-RESULT: rainy");
  });

  it("Responses: a function_call item, then function_call_output with previous_response_id", async () => {
    const client = await openai();
    scriptToolLoop(cli, "Lima");
    const tools = [
      { type: "function" as const, name: "get_weather", description: "Weather", parameters, strict: false },
    ];
    const first = await client.responses.create({ model: MODEL[cli], input: "Weather in Lima?", tools });
    const call = first.output.find((item) => item.type === "function_call") as any;
    expect(call).toMatchObject({ name: "get_weather" });
    expect(JSON.parse(call.arguments)).toEqual({ city: "Lima" });
    const second = await client.responses.create({
      model: MODEL[cli],
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: call.call_id, output: "RESPONSES-RESULT: foggy" }],
      tools,
    });
    expect(second.output_text).toContain("FINAL: the weather in Lima is fine.");
    expectResultReachedProvider(cli, "RESPONSES-RESULT: foggy");
  });

  it("Anthropic: tool_use, then tool_result, streamed, then the answer", async () => {
    const { default: Anthropic } = await import("@anthropic-ai/sdk");
    const client = new Anthropic({ baseURL: `${base}/anthropic`, apiKey: "local", maxRetries: 0 });
    scriptToolLoop(cli, "Cairo");
    const tools = [{ name: "get_weather", description: "Weather", input_schema: parameters as any }];
    const messages: any[] = [{ role: "user", content: "Weather in Cairo?" }];
    const first = await client.messages.stream({ model: MODEL[cli], max_tokens: 1000, messages, tools }).finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((block) => block.type === "tool_use") as any;
    expect(use).toMatchObject({ name: "get_weather", input: { city: "Cairo" } });
    messages.push(
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "ANTHROPIC-RESULT: hot" }] },
    );
    const second = await client.messages.create({ model: MODEL[cli], max_tokens: 1000, messages, tools });
    expect(second.stop_reason).toBe("end_turn");
    expect(JSON.stringify(second.content)).toContain("FINAL: the weather in Cairo is fine.");
    expectResultReachedProvider(cli, "ANTHROPIC-RESULT: hot");
  });
});

describe("agent frameworks' tool loops", () => {
  it("the Vercel AI SDK: generateText with tools runs the tool and ends with the answer (claude)", async () => {
    const { createOpenAI } = await import("@ai-sdk/openai");
    const { generateText, jsonSchema, stepCountIs, tool } = await import("ai");
    const provider = createOpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local" });
    scriptToolLoop("claude", "Paris");
    const executed: unknown[] = [];
    const result = await generateText({
      model: provider.chat("claude/sonnet"),
      prompt: "Weather in Paris?",
      maxRetries: 0,
      stopWhen: stepCountIs(4),
      tools: {
        get_weather: tool({
          description: "Weather",
          inputSchema: jsonSchema<{ city: string }>(parameters as any),
          execute: async (input) => {
            executed.push(input);
            return "VERCEL-RESULT: mild";
          },
        }),
      },
    });
    expect(executed).toEqual([{ city: "Paris" }]);
    expect(result.text).toContain("FINAL: the weather in Paris is fine.");
    expectResultReachedProvider("claude", "VERCEL-RESULT: mild");
  });

  it("LangChain: bindTools, the AIMessage's tool_calls, a ToolMessage, the answer (gemini)", async () => {
    const { ChatOpenAI } = await import("@langchain/openai");
    const { HumanMessage, ToolMessage } = await import("@langchain/core/messages");
    const chat = new ChatOpenAI({
      model: MODEL.gemini,
      apiKey: "local",
      maxRetries: 0,
      configuration: { baseURL: `${base}/openai/v1` },
    }).bindTools([chatTool]);
    scriptToolLoop("gemini", "Kyiv");
    const history: any[] = [new HumanMessage("Weather in Kyiv?")];
    const first = await chat.invoke(history);
    expect(first.tool_calls).toEqual([expect.objectContaining({ name: "get_weather", args: { city: "Kyiv" } })]);
    history.push(
      first,
      new ToolMessage({ tool_call_id: first.tool_calls?.[0]?.id as string, content: "LANGCHAIN-RESULT: snow" }),
    );
    const second = await chat.invoke(history);
    expect(String(second.content)).toContain("FINAL: the weather in Kyiv is fine.");
    expectResultReachedProvider("gemini", "LANGCHAIN-RESULT: snow");
  });
});

describe("the native API's tools", () => {
  it("a prompt with tools answers requires_action; /tool-results goes on to the answer (codex)", async () => {
    scriptToolLoop("codex", "Quito");
    const post = (path: string, body: unknown) =>
      fetch(`${base}/api/v1${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const first = await post("/prompt", {
      backend: "codex",
      model: "gpt-5",
      prompt: "Weather in Quito?",
      tools: [{ name: "get_weather", description: "Weather", input_schema: parameters }],
    });
    const waiting: any = await first.json();
    expect(first.status, JSON.stringify(waiting)).toBe(200);
    expect(waiting).toMatchObject({
      status: "requires_action",
      tool_calls: [{ name: "get_weather", arguments: { city: "Quito" } }],
    });
    const done = await post("/tool-results", {
      results: [{ tool_call_id: waiting.tool_calls[0].id, output: "NATIVE-RESULT: cloudy" }],
    });
    const body: any = await done.json();
    expect(done.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({
      status: "success",
      output: expect.stringContaining("FINAL: the weather in Quito is fine."),
    });
    expectResultReachedProvider("codex", "NATIVE-RESULT: cloudy");
    const again = await post("/tool-results", { results: [{ tool_call_id: waiting.tool_calls[0].id, output: "x" }] });
    expect(again.status).toBe(400);
  });
});
