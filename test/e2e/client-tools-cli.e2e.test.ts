// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is arbitrary; tests read it loosely.
// How each REAL CLI takes one per-run HTTP MCP server (the wiring client-defined tools need, issue #18): the test
// serves a tiny MCP server on loopback offering `get_weather({city})`, runs the CLI directly with the flags,
// config overrides or per-run settings that point it there (never the user's own config files), approve its
// tools and turn the CLI's own tools off, and scripts the provider stub to call the tool by the name the model
// sees. It proves the call reaches the MCP server with its arguments, the result reaches the next provider
// request, the final answer arrives, and no built-in tool is offered to the model.

import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CliName, type CliSandbox, prepareCliSandbox } from "./cli-env.js";
import { parseJsonLines, type RunResult, runCli } from "./run-cli.js";
import { codeModeScript, mcpToolCall, type ProviderStub, startProviderStub } from "./stub/index.js";
import { type ToolCallRecord, WeatherMcpServer } from "./weather-mcp.js";

const RUN_TIMEOUT_MS = 90_000;
const SERVER = "client";

let stub: ProviderStub;
const mcp = new WeatherMcpServer();
let sandbox: CliSandbox | undefined;

beforeAll(async () => {
  stub = await startProviderStub();
  await mcp.start();
});
afterAll(async () => {
  await stub.close();
  await mcp.close();
});
beforeEach(() => {
  stub.reset();
  mcp.reset();
});
afterEach(() => {
  sandbox?.cleanup();
  sandbox = undefined;
});

function setup(cli: CliName): CliSandbox {
  sandbox = prepareCliSandbox(cli, stub.url);
  return sandbox;
}

function describeRun(r: RunResult): string {
  return `exit ${r.code} (signal ${r.signal}, ${r.durationMs} ms${r.timedOut ? ", TIMED OUT" : ""})\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

/** True when the two recorded calls ran at the same time. */
function overlapped(a: ToolCallRecord | undefined, b: ToolCallRecord | undefined): boolean {
  if (!a?.end || !b?.end) return false;
  return a.start < b.end && b.start < a.end;
}

describe("claude: --mcp-config + --strict-mcp-config, --allowedTools mcp__client, --tools ''", () => {
  const args = (prompt: string) => [
    "-p",
    "--output-format=stream-json",
    "--verbose",
    "--include-partial-messages",
    "--mcp-config",
    JSON.stringify({ mcpServers: { [SERVER]: { type: "http", url: mcp.url, timeout: 3_600_000 } } }),
    "--strict-mcp-config",
    `--allowedTools=mcp__${SERVER}`,
    "--tools",
    "",
    "--",
    prompt,
  ];

  it("calls the MCP tool without a prompt; the result reaches the provider; only the MCP tool is offered", async () => {
    const sb = setup("claude");
    stub.script(
      {
        provider: "anthropic",
        text: "Checking.",
        toolCall: mcpToolCall("claude", SERVER, "get_weather", { city: "Paris" }),
      },
      { provider: "anthropic", text: "It is sunny in Paris." },
    );
    const r = await runCli(sb, "claude", args("weather in Paris?"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(0);
    expect(mcp.calls.map((c) => c.city)).toEqual(["Paris"]);

    const events = parseJsonLines(r.stdout);
    const init = events.find((e) => e.type === "system" && e.subtype === "init");
    expect(init).toMatchObject({
      tools: ["mcp__client__get_weather"],
      mcp_servers: [{ name: SERVER, status: "connected" }],
    });
    const toolUse = events
      .filter((e) => e.type === "assistant")
      .flatMap((e) => e.message.content)
      .find((c: any) => c.type === "tool_use");
    expect(toolUse).toMatchObject({ name: "mcp__client__get_weather", input: { city: "Paris" } });
    expect(events.at(-1)).toMatchObject({ type: "result", is_error: false, result: "It is sunny in Paris." });
    expect(events.at(-1).permission_denials).toEqual([]);

    const main = stub.mainRequests("anthropic");
    expect(main).toHaveLength(2);
    const offered = main[0]?.body.tools ?? [];
    expect(offered.map((t: any) => t.name)).toEqual(["mcp__client__get_weather"]);
    expect(offered[0]).toMatchObject({
      description: "Current weather for a city",
      input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    });
    expect(main[1]?.toolResults).toEqual([{ id: toolUse.id, output: "Sunny in Paris, 21C" }]);
  });

  it("calls two tools of one message one after the other, and at once when the tool is readOnlyHint", async () => {
    const sb = setup("claude");
    const twoCalls = () => ({
      provider: "anthropic" as const,
      toolCalls: ["Paris", "Rome"].map((city) => mcpToolCall("claude", SERVER, "get_weather", { city })),
    });
    mcp.delayMs = 800;
    stub.script(twoCalls(), { provider: "anthropic", text: "Both sunny." });
    const sequential = await runCli(sb, "claude", args("weather?"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(sequential.code, describeRun(sequential)).toBe(0);
    expect(mcp.calls.map((c) => c.city)).toEqual(["Paris", "Rome"]);
    expect(overlapped(mcp.calls[0], mcp.calls[1])).toBe(false);

    mcp.calls.length = 0;
    mcp.readOnlyHint = true;
    stub.script(twoCalls(), { provider: "anthropic", text: "Both sunny." });
    const parallel = await runCli(sb, "claude", args("weather?"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(parallel.code, describeRun(parallel)).toBe(0);
    expect(mcp.calls.map((c) => c.city).sort()).toEqual(["Paris", "Rome"]);
    expect(overlapped(mcp.calls[0], mcp.calls[1])).toBe(true);
    expect(stub.lastRequest("anthropic")?.toolResults.map((t) => t.output)).toEqual([
      "Sunny in Paris, 21C",
      "Sunny in Rome, 21C",
    ]);
  });
});

describe("codex: -c mcp_servers.client.url=…, default_tools_approval_mode=approve, built-in features off", () => {
  const BUILTINS_OFF = [
    "features.shell_tool=false",
    "features.unified_exec=false",
    "features.multi_agent=false",
    "features.goals=false",
    "features.view_image=false",
    "features.image_generation=false",
    "features.sleep_tool=false",
    "features.apps=false",
    "features.plugins=false",
    "features.tool_suggest=false",
    "features.browser_use=false",
    "features.computer_use=false",
    "features.skill_search=false",
    "features.hooks=false",
    'web_search="disabled"',
  ];
  const args = (prompt: string, extra: string[] = []) => [
    "exec",
    "--json",
    "--skip-git-repo-check",
    "-c",
    `mcp_servers.${SERVER}.url="${mcp.url}"`,
    "-c",
    `mcp_servers.${SERVER}.default_tools_approval_mode="approve"`,
    "-c",
    `mcp_servers.${SERVER}.tool_timeout_sec=3600`,
    ...[...BUILTINS_OFF, ...extra].flatMap((c) => ["-c", c]),
    "--",
    prompt,
  ];

  function mcpItems(events: any[]) {
    return events.filter((e) => e.type === "item.completed" && e.item.type === "mcp_tool_call").map((e) => e.item);
  }

  it("default model (code mode): the model calls tools.mcp__client__get_weather inside exec", async () => {
    const sb = setup("codex");
    stub.script(
      { provider: "openai", toolCall: mcpToolCall("codex-exec", SERVER, "get_weather", { city: "Paris" }) },
      { provider: "openai", text: "It is sunny in Paris." },
    );
    const r = await runCli(sb, "codex", args("weather in Paris?"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(0);
    expect(mcp.calls.map((c) => c.city)).toEqual(["Paris"]);
    const events = parseJsonLines(r.stdout);
    expect(mcpItems(events)).toEqual([
      expect.objectContaining({
        server: SERVER,
        tool: "get_weather",
        arguments: { city: "Paris" },
        status: "completed",
        result: expect.objectContaining({ content: [{ type: "text", text: "Sunny in Paris, 21C" }] }),
      }),
    ]);
    expect(events.find((e) => e.type === "item.completed" && e.item.type === "agent_message")?.item.text).toBe(
      "It is sunny in Paris.",
    );

    const main = stub.mainRequests("openai");
    expect(main).toHaveLength(2);
    // Code mode: no top-level tools; exec (with its nested tools) comes in an additional_tools input item.
    const first = main[0]?.body;
    expect(first.tools ?? []).toEqual([]);
    const groups = first.input.find((i: any) => i.type === "additional_tools")?.tools ?? [];
    const exec = groups.flatMap((g: any) => g.tools ?? []).find((t: any) => t.name === "exec");
    expect(exec?.type).toBe("custom");
    expect(exec.description).not.toMatch(/declare const tools: \{ exec_command\(/);
    expect(JSON.stringify(first.input)).toContain("Deferred tool namespaces:\\n- mcp__client");
    expect(main[1]?.toolResults[0]?.output).toContain("Sunny in Paris, 21C");
  });

  it("default model with features.code_mode.direct_only_tool_namespaces: a direct function in namespace mcp__client", async () => {
    const sb = setup("codex");
    mcp.readOnlyHint = true;
    mcp.delayMs = 800;
    stub.script(
      {
        provider: "openai",
        toolCalls: ["Paris", "Rome"].map((city) => mcpToolCall("codex", SERVER, "get_weather", { city })),
      },
      { provider: "openai", text: "Both sunny." },
    );
    const direct = `features.code_mode.direct_only_tool_namespaces=["mcp__${SERVER}"]`;
    const r = await runCli(sb, "codex", args("weather?", [direct]), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(0);
    expect(mcp.calls.map((c) => c.city).sort()).toEqual(["Paris", "Rome"]);
    expect(overlapped(mcp.calls[0], mcp.calls[1])).toBe(true); // readOnlyHint lets codex run them together
    // Concurrent calls are reported in the order they finish, which either may win.
    expect(
      mcpItems(parseJsonLines(r.stdout))
        .map((i) => i.arguments.city)
        .sort(),
    ).toEqual(["Paris", "Rome"]);

    const main = stub.mainRequests("openai");
    expect(main).toHaveLength(2);
    const groups = main[0]?.body.input.find((i: any) => i.type === "additional_tools")?.tools ?? [];
    expect(groups.find((g: any) => g.name === "mcp__client")).toMatchObject({
      type: "namespace",
      tools: [{ type: "function", name: "get_weather", parameters: { properties: { city: { type: "string" } } } }],
    });
    const exec = groups.flatMap((g: any) => g.tools ?? []).find((t: any) => t.name === "exec");
    expect(exec.description).not.toMatch(/declare const tools: \{ exec_command\(/);
    const outputs = main[1]?.toolResults.map((t) => t.output) ?? [];
    expect(outputs).toHaveLength(2);
    expect(outputs).toEqual(
      expect.arrayContaining([
        expect.stringContaining("Sunny in Paris, 21C"),
        expect.stringContaining("Sunny in Rome, 21C"),
      ]),
    );
  });

  it("a model without catalog metadata (gpt-5): classic top-level tools, namespace mcp__client", async () => {
    const sb = setup("codex");
    stub.script(
      { provider: "openai", toolCall: mcpToolCall("codex", SERVER, "get_weather", { city: "Paris" }) },
      { provider: "openai", text: "Sunny." },
    );
    const r = await runCli(sb, "codex", args("weather?", ['model="gpt-5"']), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(0);
    expect(mcp.calls.map((c) => c.city)).toEqual(["Paris"]);
    const main = stub.mainRequests("openai");
    const tools = main[0]?.body.tools ?? [];
    const names = tools.map((t: any) => t.name);
    expect(names).not.toContain("exec_command");
    expect(names).not.toContain("exec");
    expect(names).not.toContain("apply_patch");
    expect(tools.find((t: any) => t.name === "mcp__client")?.tools?.map((t: any) => t.name)).toEqual(["get_weather"]);
    expect(main[1]?.toolResults[0]?.output).toContain("Sunny in Paris, 21C");
  });

  it("code mode runs Promise.all of two MCP calls at once when the tool is readOnlyHint", async () => {
    const sb = setup("codex");
    mcp.readOnlyHint = true;
    mcp.delayMs = 800;
    const script = codeModeScript(
      ["Paris", "Rome"].map((city) => ({ server: SERVER, tool: "get_weather", input: { city } })),
    );
    stub.script({ provider: "openai", toolCall: { name: "exec", input: script } }, { provider: "openai", text: "Ok." });
    const r = await runCli(sb, "codex", args("weather?"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(0);
    expect(overlapped(mcp.calls[0], mcp.calls[1])).toBe(true);
    expect(stub.lastRequest("openai")?.toolResults[0]?.output).toMatch(/Sunny in Paris, 21C\s+Sunny in Rome, 21C/);
  });
});

describe("gemini: GEMINI_CLI_HOME overlay with mcpServers + tools.core, --allowed-mcp-server-names", () => {
  /**
   * A per-run gemini home: `.gemini/settings.json` is the user's settings plus the MCP server and the tool
   * allowlist; every other entry of the real `~/.gemini` is a symlink (auth, sessions). The user's files are
   * not touched. (GEMINI_CLI_SYSTEM_SETTINGS_PATH is ignored unless the file's whole path is owned by root.)
   */
  function overlayHome(sb: CliSandbox, allowTools: string[]): string {
    const real = join(sb.home, ".gemini");
    const overlay = join(sb.root, "gemini-run-home");
    mkdirSync(join(overlay, ".gemini"), { recursive: true });
    for (const entry of readdirSync(real)) {
      if (entry !== "settings.json") symlinkSync(join(real, entry), join(overlay, ".gemini", entry));
    }
    const user = JSON.parse(readFileSync(join(real, "settings.json"), "utf8"));
    const settings = {
      ...user,
      mcpServers: { [SERVER]: { httpUrl: mcp.url, trust: true, timeout: 3_600_000 } },
      tools: { ...user.tools, core: allowTools },
    };
    writeFileSync(join(overlay, ".gemini", "settings.json"), JSON.stringify(settings));
    return overlay;
  }
  const args = (prompt: string) => [
    "--output-format=stream-json",
    "--skip-trust",
    `--allowed-mcp-server-names=${SERVER}`,
    `--prompt=${prompt}`,
  ];

  it("calls mcp_client_get_weather; the result reaches the provider; only the MCP tool is declared", async () => {
    const sb = setup("gemini");
    const home = overlayHome(sb, ["mcp_client_get_weather"]);
    stub.script(
      { provider: "gemini", toolCall: mcpToolCall("gemini", SERVER, "get_weather", { city: "Paris" }) },
      { provider: "gemini", text: "It is sunny in Paris." },
    );
    const r = await runCli(sb, "gemini", args("weather in Paris?"), {
      timeoutMs: RUN_TIMEOUT_MS,
      env: { GEMINI_CLI_HOME: home },
    });
    expect(r.code, describeRun(r)).toBe(0);
    expect(mcp.calls.map((c) => c.city)).toEqual(["Paris"]);
    const events = parseJsonLines(r.stdout);
    const toolUse = events.find((e) => e.type === "tool_use");
    expect(toolUse).toMatchObject({ tool_name: "mcp_client_get_weather", parameters: { city: "Paris" } });
    expect(events.find((e) => e.type === "tool_result")).toMatchObject({
      tool_id: toolUse.tool_id,
      status: "success",
      output: "Sunny in Paris, 21C",
    });
    const text = events
      .filter((e) => e.type === "message" && e.role === "assistant")
      .map((e) => e.content)
      .join("");
    expect(text).toBe("It is sunny in Paris.");
    expect(events.at(-1)).toMatchObject({ type: "result", status: "success" });

    const main = stub.mainRequests("gemini");
    expect(main).toHaveLength(2);
    const declared = main[0]?.body.tools.flatMap((t: any) => t.functionDeclarations ?? []);
    expect(declared.map((d: any) => d.name)).toEqual(["mcp_client_get_weather"]);
    // gemini adds its own wait_for_previous parameter to every tool.
    expect(Object.keys(declared[0].parametersJsonSchema.properties).sort()).toEqual(["city", "wait_for_previous"]);
    expect(main[1]?.toolResults).toEqual([
      expect.objectContaining({
        name: "mcp_client_get_weather",
        output: expect.stringContaining("Sunny in Paris, 21C"),
      }),
    ]);
  });

  it("runs two calls of one message at once, without any annotation", async () => {
    const sb = setup("gemini");
    const home = overlayHome(sb, ["mcp_client_get_weather"]);
    mcp.delayMs = 800;
    stub.script(
      {
        provider: "gemini",
        toolCalls: ["Paris", "Rome"].map((city) => mcpToolCall("gemini", SERVER, "get_weather", { city })),
      },
      { provider: "gemini", text: "Both sunny." },
    );
    const r = await runCli(sb, "gemini", args("weather?"), {
      timeoutMs: RUN_TIMEOUT_MS,
      env: { GEMINI_CLI_HOME: home },
    });
    expect(r.code, describeRun(r)).toBe(0);
    expect(overlapped(mcp.calls[0], mcp.calls[1])).toBe(true);
    expect(stub.lastRequest("gemini")?.toolResults.map((t) => t.output)).toEqual([
      expect.stringContaining("Sunny in Paris, 21C"),
      expect.stringContaining("Sunny in Rome, 21C"),
    ]);
  });
});
