// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is read loosely.
// Client-defined tools on the REAL CLIs behind the provider stub: the engine serves the caller's tools
// to the CLI through its per-run MCP server, the CLI calls them, and the caller's handler answers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ClientToolCall } from "../../src/core/tools.js";
import { Engine } from "../../src/engine/engine.js";
import { CLI_NAMES, type CliName, type CliSandbox, prepareCliSandbox } from "./cli-env.js";
import { runDir } from "./clinvk-bin.js";
import { type ProviderStub, startProviderStub } from "./stub/index.js";

/** The tool's name as each CLI's model sees it. */
export const MODEL_TOOL_NAME: Record<CliName, (tool: string) => string> = {
  claude: (tool) => `mcp__clinvk__${tool}`,
  codex: (tool) => `mcp__clinvk__${tool}`,
  gemini: (tool) => tool,
};

const WEATHER = {
  name: "get_weather",
  description: "The weather in a city",
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

let stub: ProviderStub;
let sb: CliSandbox;
beforeAll(async () => {
  stub = await startProviderStub();
  sb = prepareCliSandbox("all", stub.url);
});
afterAll(async () => {
  sb?.cleanup();
  await stub?.close();
});
beforeEach(() => stub.reset());

describe.each(CLI_NAMES)("client tools on %s", (cli) => {
  it("the CLI calls the caller's tool and answers with its result", async () => {
    const dir = runDir(sb);
    const engine = new Engine({ env: sb.env, cwd: dir, backends: { [cli]: { binary: sb.commands[cli] } } });
    stub.script(
      { toolCall: { name: MODEL_TOOL_NAME[cli]("get_weather"), input: { city: "Oslo" } } },
      { text: "It is sunny in Oslo." },
    );
    const calls: ClientToolCall[] = [];
    const result = await engine.run({
      backend: cli,
      prompt: "What is the weather in Oslo?",
      idleTimeoutMs: 60_000,
      clientTools: {
        tools: [WEATHER],
        handler: async (call) => {
          calls.push(call);
          return { content: "sunny, 21 C" };
        },
      },
    });
    expect(result.error, JSON.stringify(result)).toBeUndefined();
    expect(calls).toEqual([{ name: "get_weather", arguments: { city: "Oslo" } }]);
    expect(result.text).toContain("It is sunny in Oslo.");
    const requests = stub.mainRequests();
    const offered = JSON.stringify((requests[0]?.body as any)?.tools ?? (requests[0]?.body as any));
    expect(offered).toContain("get_weather");
    expect(JSON.stringify(requests.at(-1)?.toolResults)).toContain("sunny, 21 C");
  });
});
