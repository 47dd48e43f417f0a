// /mcp on the server: the official MCP client over Streamable HTTP, behind the API keys, with the native
// API's policy applied to every tool call (the fake CLI answers).
import { mkdtempSync, readFileSync, realpathSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { FileSessionStore } from "../../src/sessions/file-store.js";
import { sandboxProcesses, waitForNoSandboxProcesses } from "../e2e/processes.js";
import { testServer } from "./test-server.js";

const KEY = "mcp-test-key";
const OTHER_KEY = "mcp-other-key";
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

interface Served {
  app: FastifyInstance;
  url: URL;
  store: FileSessionStore;
  allowed: string;
  home: string;
  record: string;
}

async function serve(options: { delayMs?: number } = {}): Promise<Served> {
  const allowed = realpathSync(mkdtempSync(join(tmpdir(), "clinvk-mcp-allowed-")));
  const home = mkdtempSync(join(tmpdir(), "clinvk-mcp-home-"));
  const record = join(home, "argv.ndjson");
  const { app, store } = await testServer(
    (c) => {
      c.server.api_keys = [KEY, OTHER_KEY];
      c.server.allowed_workdir_prefixes = [allowed];
    },
    { delayMs: options.delayMs, env: { HOME: home, FAKE_CLI_RECORD: record } },
  );
  await app.listen({ host: "127.0.0.1", port: 0 });
  closing.push(() => app.close());
  const { port } = app.server.address() as AddressInfo;
  return { app, url: new URL(`http://127.0.0.1:${port}/mcp`), store, allowed, home, record };
}

async function connect(url: URL, key = KEY): Promise<Client> {
  return (await connectWith(url, key)).client;
}

async function connectWith(url: URL, key = KEY) {
  const client = new Client({ name: "test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  closing.push(() => client.close());
  return { client, transport };
}

type TextResult = { content: { text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };
const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as TextResult;
const textOf = (result: TextResult) => result.content.map((c) => c.text).join("");

describe("/mcp", () => {
  it("needs an API key like every route", async () => {
    const { url } = await serve();
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } },
    };
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(initialize),
    });
    expect(response.status).toBe(401);
    await expect(connect(url, "wrong-key")).rejects.toThrow();
    expect((await fetch(url, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(405);
  });

  it("counts against the rate limit like every route", async () => {
    const { app } = await testServer((c) => {
      c.server.rate_limit_enabled = true;
      c.server.rate_limit_rps = 1;
      c.server.rate_limit_burst = 2;
    });
    const list = () =>
      app.inject({
        method: "POST",
        url: "/mcp",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        payload: { jsonrpc: "2.0", id: 1, method: "tools/list" },
      });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await list()).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    await app.close();
  });

  it("lists the tools and runs a prompt in an allowed directory, with progress", async () => {
    const { url, allowed, record } = await serve();
    const client = await connect(url);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("compare");
    const messages: string[] = [];
    const result = (await client.callTool(
      { name: "run", arguments: { prompt: "over mcp", backend: "codex", workdir: allowed } },
      undefined,
      { onprogress: (p) => messages.push(String(p.message)) },
    )) as TextResult;
    expect(result.structuredContent).toMatchObject({ status: "success", backend: "codex", output: "echo: over mcp" });
    expect(messages[0]).toMatch(/^codex: started/);
    expect(JSON.parse(readFileSync(record, "utf8").trim()).cwd).toBe(allowed);
  });

  it.each([
    ["run", { prompt: "x", workdir: "/etc" }, /workdir \/etc is not allowed/],
    ["run", { prompt: "x", workdir: tmpdir() }, /is not allowed/],
    ["run", { prompt: "x", approval_mode: "none" }, /approval_mode none is not allowed from the network/],
    ["run", { prompt: "x", sandbox_mode: "full" }, /sandbox_mode full is not allowed from the network/],
    [
      "parallel",
      { tasks: [{ prompt: "x", backend: "gemini", extra: ["--yolo"] }] },
      /extra flag --yolo is not allowed/,
    ],
    [
      "chain",
      { steps: [{ prompt: "x", backend: "claude", extra: ["--allowedTools", "Bash"] }] },
      /may not grant Bash from the network/,
    ],
    ["parallel", { tasks: [{ prompt: "x", workdir: "/root" }] }, /not allowed/],
    ["chain", { steps: [{ prompt: "x", approval_mode: "none" }] }, /not allowed from the network/],
    ["compare", { prompt: "x", backends: ["claude"], workdir: "/etc" }, /not allowed/],
  ])("%s %j is refused as the native API refuses it", async (tool, args, message) => {
    const { url, allowed, record } = await serve();
    const client = await connect(url);
    const workdir = { workdir: allowed };
    const withDir = (a: Record<string, unknown>) => ("workdir" in a || tool !== "run" ? a : { ...workdir, ...a });
    const result = await call(client, tool, withDir(args));
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
    expect(() => readFileSync(record)).toThrow(); // nothing ran
  });

  it("a session continued over MCP must work in a directory the policy allows", async () => {
    const { url, store, record } = await serve();
    const outside = realpathSync(mkdtempSync(join(tmpdir(), "clinvk-mcp-outside-")));
    const session = await store.create({ backend: "claude", working_dir: outside, backend_session_id: "abc" });
    const client = await connect(url);
    const result = await call(client, "run", { prompt: "go on", session_id: session.id });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/is not allowed/);
    expect(() => readFileSync(record)).toThrow();
  });

  it("cancelling a call kills its CLI; the session goes on", async () => {
    const { url, allowed, home } = await serve({ delayMs: 60_000 });
    const client = await connect(url);
    const controller = new AbortController();
    const cancelled = client
      .callTool({ name: "run", arguments: { prompt: "forever", backend: "codex", workdir: allowed } }, undefined, {
        signal: controller.signal,
      })
      .then(
        () => "answered",
        () => "rejected",
      );
    const processes = () => sandboxProcesses({ home, root: home });
    const until = Date.now() + 5000;
    while (processes().length === 0 && Date.now() < until) await sleep(20);
    expect(processes().length).toBeGreaterThan(0);
    controller.abort(); // the client sends notifications/cancelled in the same session
    expect(await cancelled).toBe("rejected");
    expect(await waitForNoSandboxProcesses({ home, root: home }, 5000)).toEqual([]);
    const after = await call(client, "sessions_list", {});
    expect(after.isError).toBeFalsy();
  });

  it("a session answers only the key that opened it, and ends on DELETE", async () => {
    const { url } = await serve();
    const { client, transport } = await connectWith(url);
    const session = String(transport.sessionId);
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    const listIn = (key: string) =>
      fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${key}`,
          "mcp-session-id": session,
          "mcp-protocol-version": String(transport.protocolVersion),
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
      });
    expect((await listIn(OTHER_KEY)).status).toBe(404);
    expect((await listIn(KEY)).status).toBe(200);
    expect((await client.listTools()).tools).toHaveLength(6);
    await transport.terminateSession();
    expect((await listIn(KEY)).status).toBe(404);
  });

  it("a client that goes away stops its run: the CLI is killed", async () => {
    const { url, allowed, home } = await serve({ delayMs: 60_000 });
    const client = new Client({ name: "test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${KEY}` } } }),
    );
    void client
      .callTool({ name: "run", arguments: { prompt: "forever", backend: "gemini", workdir: allowed } })
      .catch(() => {});
    const processes = () => sandboxProcesses({ home, root: home });
    const until = Date.now() + 5000;
    while (processes().length === 0 && Date.now() < until) await sleep(20);
    expect(processes().length).toBeGreaterThan(0);
    await client.close(); // aborts the request's HTTP stream
    const deadline = Date.now() + 5000;
    while (processes().length > 0 && Date.now() < deadline) await sleep(50);
    expect(processes()).toEqual([]);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
