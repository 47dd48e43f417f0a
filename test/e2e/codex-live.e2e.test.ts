// The REAL codex (`codex app-server`, pinned) driven through clinvoker's codex live codec by the live host
// (LiveCli), offline against the provider stub: token streaming (one text event per delta the stub sent, and how
// soon each arrives), two turns in one process, interrupt then continue, approvals allowed and denied, resume in a
// fresh process and in a running one, and no process left after close.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { codexLive } from "../../src/backends/codex-live.js";
import type { LiveLaunchOptions } from "../../src/backends/live-protocol.js";
import type { EventBody, RunEvent } from "../../src/core/events.js";
import type { PermissionDecision, PermissionRequest } from "../../src/core/permissions.js";
import type { RunRequest } from "../../src/core/request.js";
import { Engine } from "../../src/engine/engine.js";
import type { LiveCli } from "../../src/engine/live-cli.js";
import { LivePool } from "../../src/engine/live-pool.js";
import { type CliSandbox, prepareCliSandbox } from "./cli-env.js";
import { openLive, runTurn } from "./live-host.js";
import { sandboxProcesses, waitForNoSandboxProcesses } from "./processes.js";
import { mcpToolCall, type ProviderStub, startProviderStub } from "./stub/index.js";
import { WeatherMcpServer } from "./weather-mcp.js";

let stub: ProviderStub;
let sb: CliSandbox;
const open: LiveCli[] = [];

beforeAll(async () => {
  stub = await startProviderStub();
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  stub.reset();
  sb = prepareCliSandbox("codex", stub.url, { retries: 0, apiTimeoutMs: 10_000 });
});
afterEach(async () => {
  for (const cli of open.splice(0)) await cli.close();
  sb.cleanup();
});

async function start(overrides: Partial<LiveLaunchOptions> = {}): Promise<LiveCli> {
  const cli = await openLive("codex", codexLive, sb, overrides);
  open.push(cli);
  return cli;
}

const turn = runTurn;

/**
 * Each delta reached us before the stub sent the next one (nothing was held back to be sent in one piece), and
 * typically within the 50 ms (the median: one slow moment of a loaded machine does not fail the run).
 */
function expectStreamed(latencies: number[], chunkDelayMs: number): void {
  expect(Math.min(...latencies)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...latencies)).toBeLessThan(chunkDelayMs);
  const sorted = [...latencies].sort((a, b) => a - b);
  expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(50);
}

const texts = (events: EventBody[]) =>
  events.filter((e) => e.type === "text") as Extract<EventBody, { type: "text" }>[];
const requestBody = (n: number) => JSON.stringify(stub.mainRequests("openai")[n]?.body?.input ?? []);
const execCall = (cmd: string) => ({
  toolCall: {
    name: "exec",
    input: `const r = await tools.exec_command({cmd: ${JSON.stringify(cmd)}});\ntext(r.output);`,
  },
});

describe("codex live (app-server) through the codec and the live host", () => {
  it("streams each delta as its own text event, as the stub sends it, and keeps the conversation across turns", async () => {
    const answer = "Hello there, this reply arrives in several chunks.";
    const chunkSize = 8;
    const chunkDelayMs = 150;
    stub.script({ text: answer, chunkSize, chunkDelayMs }, "Second answer.");
    const cli = await start();
    const pid = cli.pid;
    const first = await turn(cli, { prompt: "hello" });
    expect(first.outcome.parsed.error).toBeUndefined();
    expect(first.outcome.parsed.text).toBe(answer);
    const deltas = texts(first.events);
    const sent = stub.mainRequests("openai")[0]?.contentSentAt ?? [];
    expect(sent).toHaveLength(Math.ceil(answer.length / chunkSize));
    expect(deltas.map((e) => e.text).join("")).toBe(answer);
    expect(deltas).toHaveLength(sent.length);
    const textAt = first.events.flatMap((e, i) => (e.type === "text" ? [first.at[i] as number] : []));
    const latencies = textAt.map((t, i) => t - (sent[i] as number));
    console.log(`codex live: ${deltas.length} deltas, latency per delta (ms): ${latencies.join(", ")}`);
    expectStreamed(latencies, chunkDelayMs);

    const second = await turn(cli, { prompt: "again" });
    expect(second.outcome.parsed.text).toBe("Second answer.");
    expect(second.outcome.parsed.backendSessionId).toBe(first.outcome.parsed.backendSessionId);
    expect(cli.pid).toBe(pid);
    expect(stub.mainRequests("openai")).toHaveLength(2);
    expect(requestBody(1)).toContain(answer);
    expect(second.outcome.parsed.usage?.input_tokens).toBeGreaterThan(0);
  });

  it("interrupts a turn and continues the same conversation with the next prompt", async () => {
    stub.script({ text: "This slow answer is interrupted after its first piece.", chunkSize: 6, chunkDelayMs: 400 });
    const cli = await start();
    const interrupt = new AbortController();
    const slow = await turn(cli, { prompt: "slow one" }, { interrupt: interrupt.signal }, (event) => {
      if (event.type === "text") interrupt.abort();
    });
    expect(slow.outcome.parsed.interrupted).toBe(true);
    expect(slow.outcome.parsed.error?.code).toBe("interrupted");
    expect(slow.outcome.exit).toBeUndefined();
    expect(texts(slow.events).length).toBeLessThan(5);
    expect(cli.alive).toBe(true);

    const next = await turn(cli, { prompt: "after the interrupt" });
    expect(next.outcome.parsed.error).toBeUndefined();
    expect(next.outcome.parsed.text).toBe("stub reply: after the interrupt");
    expect(next.outcome.parsed.backendSessionId).toBe(slow.outcome.parsed.backendSessionId);
    expect(requestBody(1)).toContain("slow one");
  });

  it("asks before a command runs: an allow runs it, a deny is honoured", async () => {
    stub.script(execCall("touch allowed.txt"), "Allowed one.", execCall("touch denied.txt"), "Denied one.");
    const cli = await start({ approvalMode: "always", sandboxMode: "workspace" });
    const asked: PermissionRequest[] = [];
    const answer =
      (decision: PermissionDecision) =>
      async (request: PermissionRequest): Promise<PermissionDecision> => {
        asked.push(request);
        return decision;
      };
    const allowed = await turn(cli, { prompt: "touch a file" }, { onPermission: answer({ behavior: "allow" }) });
    expect(allowed.outcome.parsed.text).toBe("Allowed one.");
    expect(existsSync(join(sb.workDir, "allowed.txt"))).toBe(true);
    const denied = await turn(
      cli,
      { prompt: "touch another" },
      { onPermission: answer({ behavior: "deny", message: "not this one" }) },
    );
    expect(denied.outcome.parsed.text).toBe("Denied one.");
    expect(existsSync(join(sb.workDir, "denied.txt"))).toBe(false);
    expect(asked.map((r) => r.tool)).toEqual(["exec_command", "exec_command"]);
    expect(asked[1]?.input).toMatchObject({ command: expect.stringContaining("touch denied.txt") });
    const states = denied.events.filter((e) => e.type === "permission").map((e) => (e as { state: string }).state);
    expect(states).toEqual(["asked", "denied"]);
    const result = denied.events.find((e) => e.type === "tool_result") as { is_error: boolean } | undefined;
    expect(result?.is_error).toBe(true);
  });

  it("without askPermissions refuses what the approval mode leaves to asking, as one-shot does", async () => {
    stub.script(execCall("touch refused.txt"), "Refused.");
    const cli = await start({ approvalMode: "always", sandboxMode: "workspace", askPermissions: false });
    let asked = 0;
    const onPermission = async (): Promise<PermissionDecision> => {
      asked++;
      return { behavior: "allow" };
    };
    const run = await turn(cli, { prompt: "touch" }, { onPermission });
    expect(asked).toBe(0);
    expect(existsSync(join(sb.workDir, "refused.txt"))).toBe(false);
    expect(run.outcome.parsed.permissionDenials?.[0]?.tool).toBe("exec_command");
  });

  it("resumes a conversation in a fresh process, and in a running one", async () => {
    stub.script("First answer.", "Resumed answer.", "Switched answer.");
    const first = await start();
    const opened = await turn(first, { prompt: "remember this" });
    const thread = opened.outcome.parsed.backendSessionId as string;
    await first.close();

    const resumed = await start({ resume: thread });
    expect(resumed.conversationId).toBe(thread);
    const again = await turn(resumed, { prompt: "resumed" });
    expect(again.outcome.parsed.text).toBe("Resumed answer.");
    expect(again.outcome.parsed.backendSessionId).toBe(thread);
    expect(requestBody(1)).toContain("First answer.");
    await resumed.close();

    // A pre-warmed process (no conversation of its own yet) takes the conversation with the turn.
    const warm = await start();
    const switched = await turn(warm, { prompt: "switched", resume: thread });
    expect(switched.outcome.parsed.text).toBe("Switched answer.");
    expect(switched.outcome.parsed.backendSessionId).toBe(thread);
    expect(requestBody(2)).toContain("Resumed answer.");
  });

  it("gives codex the system prompt of the launch, and takes its added directories", async () => {
    const extra = join(sb.root, "extra");
    mkdirSync(extra);
    stub.script("Arr.");
    // The directories go in as sandbox_workspace_write.writable_roots (app-server answers thread/start with them in
    // its sandbox policy); the scratch dir is under the temporary dir, writable anyway, so only the start is checked.
    const cli = await start({ systemPrompt: "Answer like a pirate.", allowedDirs: [extra], sandboxMode: "workspace" });
    const run = await turn(cli, { prompt: "hello" });
    expect(run.outcome.parsed.text).toBe("Arr.");
    expect(requestBody(0)).toContain("Answer like a pirate.");
  });

  it("serves client tools through the one-shot's MCP overrides", async () => {
    const mcp = new WeatherMcpServer();
    await mcp.start();
    try {
      stub.script(
        { provider: "openai", toolCall: mcpToolCall("codex", "client", "get_weather", { city: "Paris" }) },
        "It is sunny in Paris.",
      );
      const clientTools = {
        name: "client",
        url: mcp.url,
        tools: ["get_weather"],
        keepBuiltins: false,
        token: "run-token",
        configDir: join(sb.root, "client-tools"),
      };
      const cli = await start({ clientTools });
      const run = await turn(cli, { prompt: "weather in Paris?" });
      expect(run.outcome.parsed.text).toBe("It is sunny in Paris.");
      expect(mcp.calls.map((c) => c.city)).toEqual(["Paris"]);
      const call = run.events.find((e) => e.type === "tool_call");
      expect(call).toMatchObject({ name: "client.get_weather", input: { city: "Paris" } });
      const result = run.events.find((e) => e.type === "tool_result");
      expect(result).toMatchObject({ name: "client.get_weather", is_error: false });
      expect(JSON.stringify(result)).toContain("Sunny in Paris, 21C");
      expect(stub.mainRequests("openai")[1]?.toolResults[0]?.output).toContain("Sunny in Paris, 21C");
    } finally {
      await mcp.close();
    }
  });

  it("keeps an ephemeral conversation off the disk", async () => {
    stub.script("Gone soon.");
    const cli = await start({ ephemeral: true });
    const run = await turn(cli, { prompt: "hello" });
    expect(run.outcome.parsed.text).toBe("Gone soon.");
    await cli.close();
    await expect(start({ resume: run.outcome.parsed.backendSessionId as string })).rejects.toMatchObject({
      code: "session_not_found",
    });
  });

  it("fails to start on a conversation codex does not have", async () => {
    await expect(start({ resume: "01a23544-0000-7000-8000-000000000000" })).rejects.toMatchObject({
      code: "session_not_found",
    });
  });

  it("leaves no process behind after close", async () => {
    writeFileSync(join(sb.workDir, "note.txt"), "hi\n");
    const cli = await start();
    await turn(cli, { prompt: "hello" });
    expect(sandboxProcesses(sb).length).toBeGreaterThan(0);
    await cli.close();
    expect(cli.alive).toBe(false);
    expect(await waitForNoSandboxProcesses(sb)).toEqual([]);
  });
});

describe("codex live through the engine (live: true)", () => {
  async function run(engine: Engine, request: Partial<RunRequest>) {
    const events: RunEvent[] = [];
    const at: number[] = [];
    const stream = engine.stream({ backend: "codex", prompt: "hi", live: true, ...request });
    while (true) {
      const step = await stream.next();
      if (step.done) return { events, at, result: step.value };
      events.push(step.value);
      at.push(Date.now());
    }
  }

  it("streams codex's text in as many deltas as the provider sent, and the next turn goes to the warm process", async () => {
    const answer = "Streaming through clinvoker, one delta per chunk of eight.";
    stub.script({ text: answer, chunkSize: 8, chunkDelayMs: 100 }, "Warm answer.");
    const pool = new LivePool({ maxIdlePerBackend: 1, idleMs: 60_000 });
    const engine = new Engine({
      env: sb.env,
      cwd: sb.workDir,
      backends: { codex: { binary: sb.commands.codex } },
      livePool: pool,
    });
    try {
      const first = await run(engine, { prompt: "stream please" });
      expect(first.result).toMatchObject({ status: "success", text: answer });
      const start = first.events.find((e) => e.type === "start") as { live?: string };
      expect(start.live).toBe("cold");
      const sent = stub.mainRequests("openai")[0]?.contentSentAt ?? [];
      const textAt = first.events.flatMap((e, i) => (e.type === "text" ? [first.at[i] as number] : []));
      expect(sent.length).toBe(Math.ceil(answer.length / 8));
      expect(textAt).toHaveLength(sent.length);
      const latencies = textAt.map((t, i) => t - (sent[i] as number));
      console.log(
        `codex live via the engine: ${textAt.length} deltas, latency per delta (ms): ${latencies.join(", ")}`,
      );
      expectStreamed(latencies, 100);

      const started = Date.now();
      const second = await run(engine, {
        prompt: "and again",
        resume: { backendSessionId: first.result.backend_session_id as string },
      });
      const reached = Date.parse(stub.mainRequests("openai")[1]?.time ?? "") - started;
      console.log(`codex live via the engine: a warm second turn reached the stub after ${reached} ms`);
      expect(second.result).toMatchObject({ status: "success", text: "Warm answer." });
      expect((second.events.find((e) => e.type === "start") as { live?: string }).live).toBe("warm");
      expect(second.result.backend_session_id).toBe(first.result.backend_session_id);
      expect(requestBody(1)).toContain(answer);
    } finally {
      await pool.close();
    }
    expect(await waitForNoSandboxProcesses(sb)).toEqual([]);
  });
});
