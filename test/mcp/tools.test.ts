// The MCP face against the fake CLI: the official client over the SDK's in-memory transport, talking to
// clinvoker's MCP server with the local policy (what `clinvk mcp` serves).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { localPolicy } from "../../src/mcp/local-policy.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { TOOL_NAMES } from "../../src/mcp/tools.js";
import { sandboxProcesses } from "../e2e/processes.js";
import { testServer } from "../server/test-server.js";

interface Connected {
  client: Client;
  app: FastifyInstance;
  home: string;
  record: string;
  dir: string;
}
const open: Connected[] = [];

async function connect(options: { delayMs?: number } = {}): Promise<Connected> {
  const home = mkdtempSync(join(tmpdir(), "clinvk-mcp-"));
  const record = join(home, "argv.ndjson");
  const dir = mkdtempSync(join(tmpdir(), "clinvk-mcp-work-"));
  // HOME marks the fake CLI's processes, so that a test can see them gone.
  const { app } = await testServer(() => {}, {
    delayMs: options.delayMs,
    env: { FAKE_CLI_RECORD: record, HOME: home },
  });
  const { engine, store, config } = app.clinvk;
  const server = createMcpServer({ engine, store, policy: localPolicy(config.current, dir) });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "test", version: "1.0.0" });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  const connected = { client, app, home, record, dir };
  open.push(connected);
  return connected;
}

afterEach(async () => {
  for (const { client, app } of open.splice(0)) {
    await client.close();
    await app.close();
  }
});

type TextResult = {
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};
const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as TextResult;
const textOf = (result: TextResult) => result.content.map((c) => c.text).join("");
const recorded = (file: string) =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { args: string[]; cwd: string });

describe("tools/list", () => {
  it("offers the six tools with object schemas a model can read", async () => {
    const { client } = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([...TOOL_NAMES]);
    for (const tool of tools) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(40);
      expect(tool.inputSchema).toMatchObject({ type: "object", additionalProperties: false });
    }
    const run = tools.find((t) => t.name === "run");
    expect(run?.inputSchema.required).toEqual(["prompt"]);
    expect(run?.inputSchema.properties).toMatchObject({
      backend: { enum: ["claude", "codex", "gemini"] },
      session_id: { type: "string" },
      workdir: { type: "string" },
    });
    expect(tools.find((t) => t.name === "sessions_list")?.annotations).toMatchObject({ readOnlyHint: true });
  });
});

describe("run", () => {
  it("returns the answer as text and the run's facts as structured content", async () => {
    const { client, record, dir } = await connect();
    const result = await call(client, "run", { prompt: "hello there", backend: "codex" });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain("echo: hello there");
    expect(result.structuredContent).toMatchObject({
      status: "success",
      backend: "codex",
      output: "echo: hello there",
      session_id: expect.stringMatching(/^[a-f0-9]{32}$/),
      usage: { input_tokens: 10, output_tokens: 3 },
    });
    expect(textOf(result)).toContain(String(result.structuredContent?.session_id));
    expect(recorded(record)[0]?.cwd).toBe(dir);
  });

  it("continues a session given its id prefix: same session, the CLI resumes its conversation", async () => {
    const { client, record } = await connect();
    const first = await call(client, "run", { prompt: "remember 42", backend: "claude" });
    const id = String(first.structuredContent?.session_id);
    const second = await call(client, "run", { prompt: "what was it?", session_id: id.slice(0, 8) });
    expect(second.structuredContent).toMatchObject({ session_id: id, backend: "claude", status: "success" });
    const argv = recorded(record)[1]?.args ?? [];
    expect(argv).toContain(`--resume=${String(first.structuredContent?.backend_session_id)}`);
  });

  it("a failed run is a tool error that says why", async () => {
    const { client } = await connect();
    const result = await call(client, "run", { prompt: "please FAIL", backend: "codex" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^codex failed: .*fake failure/);
    expect(result.structuredContent).toMatchObject({ status: "error", error: { code: expect.any(String) } });
  });

  it.each([
    [{ backend: "codex" }, /invalid arguments for run: missing prompt/],
    [{ prompt: "x", backend: "cobol" }, /backend: .*\(claude, codex, gemini\)/],
    [{ prompt: "x", colour: "red" }, /unknown field colour/],
    [{ prompt: "x", session_id: "../../etc" }, /session_id: /],
    [{ prompt: "x", session_id: "abcdef12" }, /no session found with id or prefix abcdef12/],
  ])("refuses %j with a tool error, running nothing", async (args, message) => {
    const { client, record } = await connect();
    const result = await call(client, "run", args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
    expect(textOf(result)).not.toMatch(/\n\s+at /); // never a stack trace
    expect(() => readFileSync(record)).toThrow();
  });

  it("an unknown tool is a protocol error", async () => {
    const { client } = await connect();
    await expect(client.callTool({ name: "rm_rf", arguments: {} })).rejects.toThrow(/unknown tool "rm_rf"/);
  });

  it("sends progress while it runs, when asked", async () => {
    const { client } = await connect({ delayMs: 300 });
    const messages: string[] = [];
    const progress: number[] = [];
    await client.callTool({ name: "run", arguments: { prompt: "slow", backend: "gemini" } }, undefined, {
      onprogress: (p) => {
        progress.push(p.progress);
        messages.push(String(p.message));
      },
    });
    expect(messages[0]).toMatch(/^gemini: started/);
    // The official client may drop the notification that arrives with the response: the last one is not asserted.
    expect(messages.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress).size).toBe(progress.length);
  });

  it("cancelling the call kills the CLI", async () => {
    const { client, home } = await connect({ delayMs: 60_000 });
    const controller = new AbortController();
    const started = new Promise<void>((resolve) => {
      void client
        .callTool({ name: "run", arguments: { prompt: "forever", backend: "claude" } }, undefined, {
          signal: controller.signal,
          onprogress: (p) => {
            if (String(p.message).includes("started")) resolve();
          },
        })
        .catch(() => {});
    });
    await started;
    // The start event is sent just before the CLI spawns: wait until it is there.
    const until = Date.now() + 5000;
    while (sandboxProcesses({ home, root: home }).length === 0 && Date.now() < until) await sleep(20);
    expect(sandboxProcesses({ home, root: home }).length).toBeGreaterThan(0);
    controller.abort();
    const deadline = Date.now() + 5000;
    while (sandboxProcesses({ home, root: home }).length > 0 && Date.now() < deadline) await sleep(50);
    expect(sandboxProcesses({ home, root: home })).toEqual([]);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("workflows", () => {
  it("compare: every backend's answer, side by side", async () => {
    const { client } = await connect();
    const result = await call(client, "compare", { prompt: "which is best?", backends: ["claude", "codex"] });
    expect(textOf(result)).toMatch(/^2 of 2 backends answered/);
    expect(textOf(result)).toContain("## claude (claude): completed\necho: which is best?");
    expect(textOf(result)).toContain("## codex (codex): completed\necho: which is best?");
    expect(result.structuredContent).toMatchObject({
      backends: ["claude", "codex"],
      results: [
        { backend: "claude", status: "completed" },
        { backend: "codex", status: "completed" },
      ],
    });
  });

  it("parallel: tasks with a dependency, each answer in the result", async () => {
    const { client } = await connect();
    const result = await call(client, "parallel", {
      tasks: [
        { id: "a", backend: "gemini", prompt: "first" },
        { id: "b", backend: "codex", prompt: "after {{tasks.a.output}}", depends_on: ["a"] },
      ],
    });
    expect(result.structuredContent).toMatchObject({ total_tasks: 2, completed: 2 });
    expect(textOf(result)).toContain("echo: after echo: first");
  });

  it("chain: a step gets the answer before it", async () => {
    const { client } = await connect();
    const result = await call(client, "chain", {
      steps: [
        { name: "draft", backend: "claude", prompt: "draft it" },
        { name: "review", backend: "gemini", prompt: "review: {{previous}}" },
      ],
    });
    expect(result.structuredContent).toMatchObject({ total_steps: 2, completed_steps: 2 });
    expect(textOf(result)).toContain("## step 2 (review) (gemini): completed\necho: review: echo: draft it");
  });

  it("a workflow the planner refuses is a tool error naming the task", async () => {
    const { client } = await connect();
    const result = await call(client, "parallel", {
      tasks: [{ id: "a", prompt: "x", depends_on: ["nope"] }],
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/task 1 \(a\).*nope/);
  });
});

describe("sessions", () => {
  it("sessions_list and session_show find a run's session", async () => {
    const { client } = await connect();
    const run = await call(client, "run", { prompt: "keep me", backend: "gemini" });
    const id = String(run.structuredContent?.session_id);
    const list = await call(client, "sessions_list", { backend: "gemini" });
    expect(list.structuredContent).toMatchObject({ total: 1, sessions: [{ id, backend: "gemini" }] });
    expect(textOf(list)).toContain(id);
    const none = await call(client, "sessions_list", { backend: "codex" });
    expect(none.structuredContent).toMatchObject({ total: 0, sessions: [] });
    const shown = await call(client, "session_show", { session_id: id.slice(0, 6) });
    expect(shown.structuredContent).toMatchObject({ id, backend: "gemini", turn_count: 1 });
  });
});
