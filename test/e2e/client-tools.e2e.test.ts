// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is read loosely.
// Client-defined tools on the REAL CLIs behind the provider stub: the engine serves the caller's tools
// to the CLI through its per-run MCP server, the CLI calls them, and the caller's handler answers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ClientToolCall } from "../../src/core/tools.js";
import { Engine } from "../../src/engine/engine.js";
import { CLI_NAMES, type CliName, type CliSandbox, prepareCliSandbox } from "./cli-env.js";
import { runDir } from "./clinvk-bin.js";
import { type ProviderStub, startProviderStub } from "./stub/index.js";
import { mcpToolCall } from "./stub/mcp-tool-calls.js";

/** A scripted call of a client tool, as each CLI's model makes it. */
const callOf = (cli: CliName, tool: string, input: object) => mcpToolCall(cli, "clinvk", tool, input);

/** Tools of each CLI's own that must not be offered when the client brings its tools. */
const BUILTIN: Record<CliName, string> = { claude: '"Bash"', codex: '"exec_command"', gemini: '"run_shell_command"' };

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
    stub.script({ toolCall: callOf(cli, "get_weather", { city: "Oslo" }) }, { text: "It is sunny in Oslo." });
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
    const offered = JSON.stringify(requests[0]?.body);
    expect(offered).toContain("get_weather");
    expect(offered).not.toContain(BUILTIN[cli]);
    expect(JSON.stringify(requests.at(-1)?.toolResults)).toContain("sunny, 21 C");
  });
});

describe("the SDK's tools", () => {
  it("a tool's run answers in the caller's process, and the CLI answers with its output", async () => {
    const { Clinvoker } = await import("../../src/sdk/clinvoker.js");
    const dir = runDir(sb);
    const clinvoker = new Clinvoker({
      store: false,
      env: { ...sb.env, PWD: dir },
      binaries: { codex: sb.commands.codex },
    });
    stub.script({ toolCall: callOf("codex", "lookup_order", { id: 42 }) }, { text: "Order 42 has shipped." });
    const seen: unknown[] = [];
    const result = await clinvoker.run({
      backend: "codex",
      prompt: "Where is order 42?",
      workdir: dir,
      tools: [
        {
          name: "lookup_order",
          description: "An order's state",
          inputSchema: { type: "object", properties: { id: { type: "number" } } },
          run: async (input) => {
            seen.push(input);
            return "SDK-TOOL: shipped yesterday";
          },
        },
      ],
    });
    expect(result.error, JSON.stringify(result)).toBeUndefined();
    expect(seen).toEqual([{ id: 42 }]);
    expect(result.text).toContain("Order 42 has shipped.");
    expect(JSON.stringify(stub.mainRequests().at(-1)?.toolResults)).toContain("SDK-TOOL: shipped yesterday");
  });
});
