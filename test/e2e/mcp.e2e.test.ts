// biome-ignore-all lint/suspicious/noExplicitAny: tool results and provider wire JSON are read loosely.
// clinvoker as an MCP server with the REAL claude, codex and gemini CLIs behind the provider stub: the official
// MCP client drives `clinvk mcp` over stdio and `/mcp` on `clinvk serve`, and the real claude calls clinvoker's
// `run` tool (through --mcp-config) to ask the real codex, whose answer comes back to claude as the tool result.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeRun, realCliSuite, runDir, startServe } from "./clinvk-bin.js";
import { sandboxProcesses, waitForNoSandboxProcesses } from "./processes.js";
import { runCli } from "./run-cli.js";

const e2e = realCliSuite();

const textOf = (result: any): string => result.content.map((c: any) => c.text).join("");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("clinvk mcp on stdio, with the official MCP client", () => {
  let client: Client;
  let transport: StdioClientTransport;
  let dir: string;
  beforeEach(async () => {
    dir = runDir(e2e.sb);
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [e2e.bin.cli, "mcp"],
      env: e2e.sb.env,
      cwd: dir,
      stderr: "pipe",
    });
    client = new Client({ name: "e2e", version: "1.0.0" });
    await client.connect(transport);
  });
  afterEach(async () => {
    await client.close();
    expect(await waitForNoSandboxProcesses(e2e.sb, 5000)).toEqual([]);
  });

  it("lists the tools", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["run", "parallel", "chain", "compare", "sessions_list", "session_show"]);
  });

  it("run on the real codex: its answer, its session, and a second turn that resumes it", async () => {
    e2e.stub.script({ provider: "openai", text: "Codex answers over MCP." });
    const first: any = await client.callTool({ name: "run", arguments: { prompt: "hello codex", backend: "codex" } });
    expect(first.isError, textOf(first)).toBeFalsy();
    expect(first.structuredContent).toMatchObject({
      status: "success",
      backend: "codex",
      output: "Codex answers over MCP.",
      session_id: expect.stringMatching(/^[a-f0-9]{32}$/),
      backend_session_id: expect.any(String),
    });
    expect(textOf(first)).toContain("Codex answers over MCP.");
    expect(e2e.stub.lastRequest("openai")?.userText).toContain("hello codex");

    const session = first.structuredContent.session_id;
    const second: any = await client.callTool({ name: "run", arguments: { prompt: "and then?", session_id: session } });
    expect(second.structuredContent).toMatchObject({ status: "success", backend: "codex", session_id: session });
    expect(JSON.stringify(e2e.stub.lastRequest("openai")?.body)).toContain("Codex answers over MCP.");
    const shown: any = await client.callTool({ name: "session_show", arguments: { session_id: session } });
    expect(shown.structuredContent).toMatchObject({ id: session, backend: "codex", turn_count: 2, working_dir: dir });
  });

  it("compare on the three real CLIs, with progress", async () => {
    const messages: string[] = [];
    const result: any = await client.callTool(
      { name: "compare", arguments: { prompt: "compare this", backends: ["claude", "codex", "gemini"] } },
      undefined,
      { onprogress: (p) => messages.push(String(p.message)), timeout: 120_000 },
    );
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(result.structuredContent.results.map((r: any) => [r.backend, r.status])).toEqual([
      ["claude", "completed"],
      ["codex", "completed"],
      ["gemini", "completed"],
    ]);
    for (const r of result.structuredContent.results) expect(r.output).toContain("stub reply: compare this");
    expect(textOf(result)).toMatch(/^3 of 3 backends answered/);
    // The official client may drop a notification that arrives with the response: the last one is not asserted.
    for (const cli of ["claude", "codex", "gemini"]) expect(messages.join("\n")).toContain(`${cli} (${cli}): started`);
    expect(messages.join("\n")).toContain("completed [1/3 done]");
  });

  it("cancelling a long call kills the CLI, and clinvk mcp goes on serving", async () => {
    e2e.stub.script({ provider: "openai", hang: true, times: "always" }); // codex waits for ever
    const controller = new AbortController();
    const started = new Promise<void>((resolve) => {
      client
        .callTool({ name: "run", arguments: { prompt: "never ends", backend: "codex" } }, undefined, {
          signal: controller.signal,
          onprogress: (p) => {
            if (String(p.message).startsWith("codex: started")) resolve();
          },
        })
        .catch(() => {});
    });
    await started;
    const server = transport.pid;
    const others = () => sandboxProcesses(e2e.sb).filter((p) => p.pid !== server);
    const until = Date.now() + 20_000;
    while (!e2e.stub.requests.some((r) => r.provider === "openai" && r.outcome === "hung") && Date.now() < until) {
      await sleep(50);
    }
    const running = others();
    expect(
      running.some((p) => p.cmdline.includes("codex")),
      JSON.stringify(running),
    ).toBe(true);
    controller.abort();
    const deadline = Date.now() + 10_000;
    while (others().length > 0 && Date.now() < deadline) await sleep(50);
    expect(others()).toEqual([]);
    expect(sandboxProcesses(e2e.sb).map((p) => p.pid)).toEqual([server]);
    e2e.stub.reset();
    const after: any = await client.callTool({ name: "sessions_list", arguments: { limit: 1 } });
    expect(after.isError).toBeFalsy();
  });
});

describe("/mcp on clinvk serve, with an API key", () => {
  it("needs the key; runs a prompt on the real gemini, refuses a dangerous mode, cancels a hung codex", async () => {
    const { server, base } = await startServe(e2e.bin.cli, e2e.sb, { CLINVK_API_KEYS: "e2e-mcp-key" });
    try {
      const url = new URL(`${base}/mcp`);
      const anonymous = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      expect(anonymous.status).toBe(401);
      const client = new Client({ name: "e2e", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: "Bearer e2e-mcp-key" } } }),
      );
      e2e.stub.script({ provider: "gemini", text: "Gemini over HTTP MCP." });
      const dir = runDir(e2e.sb);
      const result: any = await client.callTool({
        name: "run",
        arguments: { prompt: "hello gemini", backend: "gemini", workdir: dir },
      });
      expect(result.structuredContent, textOf(result)).toMatchObject({
        status: "success",
        backend: "gemini",
        output: "Gemini over HTTP MCP.",
      });
      const refused: any = await client.callTool({
        name: "run",
        arguments: { prompt: "x", backend: "gemini", workdir: dir, approval_mode: "none" },
      });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toContain("not allowed from the network");

      // Cancelling a call over HTTP (notifications/cancelled in the same MCP session) kills the real codex.
      e2e.stub.script({ provider: "openai", hang: true, times: "always" });
      const controller = new AbortController();
      const cancelled = client
        .callTool({ name: "run", arguments: { prompt: "hangs", backend: "codex", workdir: dir } }, undefined, {
          signal: controller.signal,
        })
        .catch(() => "rejected");
      // Everything but serve and its run supervisor: the CLIs.
      const others = () =>
        sandboxProcesses(e2e.sb).filter((p) => p.pid !== server.pid && !p.cmdline.includes("__supervise-runs"));
      const until = Date.now() + 20_000;
      while (!e2e.stub.requests.some((r) => r.provider === "openai" && r.outcome === "hung") && Date.now() < until) {
        await sleep(50);
      }
      expect(others().some((p) => p.cmdline.includes("codex"))).toBe(true);
      controller.abort();
      expect(await cancelled).toBe("rejected");
      const deadline = Date.now() + 10_000;
      while (others().length > 0 && Date.now() < deadline) await sleep(50);
      expect(others()).toEqual([]);
      e2e.stub.reset();
      await client.close();
    } finally {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
  });
});

describe("the real claude calls clinvoker's run tool through --mcp-config", () => {
  it("claude asks codex through clinvk mcp; codex's answer reaches the stub in claude's next request", async () => {
    const dir = runDir(e2e.sb);
    const config = join(dir, "mcp.json");
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: { clinvoker: { type: "stdio", command: process.execPath, args: [e2e.bin.cli, "mcp"] } },
      }),
    );
    e2e.stub.script(
      {
        provider: "anthropic",
        toolCall: { name: "mcp__clinvoker__run", input: { prompt: "what is six times seven?", backend: "codex" } },
      },
      { provider: "openai", text: "Codex computed 42." },
      { provider: "anthropic", text: "Codex says the answer is 42." },
    );
    const r = await runCli(
      e2e.sb,
      "claude",
      [
        "-p",
        "ask codex what six times seven is",
        "--mcp-config",
        config,
        "--strict-mcp-config",
        "--allowedTools",
        "mcp__clinvoker__run",
        "--output-format",
        "json",
      ],
      { timeoutMs: 110_000, cwd: dir },
    );
    expect(r.code, describeRun(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ is_error: false, result: "Codex says the answer is 42." });

    const claude = e2e.stub.mainRequests("anthropic");
    expect(claude).toHaveLength(2);
    const offered = (claude[0]?.body?.tools ?? []).map((t: any) => t.name);
    expect(offered).toContain("mcp__clinvoker__run");
    const codex = e2e.stub.mainRequests("openai");
    expect(codex).toHaveLength(1);
    expect(codex[0]?.userText).toContain("what is six times seven?");
    expect(claude[1]?.toolResults).toHaveLength(1);
    expect(claude[1]?.toolResults[0]?.output).toContain("Codex computed 42.");
    expect(await waitForNoSandboxProcesses(e2e.sb, 5000)).toEqual([]);
  });
});
