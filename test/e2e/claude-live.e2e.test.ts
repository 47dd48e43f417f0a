// claude's live mode end to end: the REAL pinned CLI driven through its codec (src/backends/claude-live.ts) by the
// host (src/engine/live-cli.ts), offline against the provider stub. Two turns in one process, interrupt and go on,
// permission requests allowed and denied, resume in a fresh process, and no process left after close.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { claudeLive } from "../../src/backends/claude-live.js";
import type { LiveLaunchOptions } from "../../src/backends/live-protocol.js";
import type { RunEvent } from "../../src/core/events.js";
import type { RunRequest } from "../../src/core/request.js";
import { Engine } from "../../src/engine/engine.js";
import type { LiveCli, LiveTurnControl } from "../../src/engine/live-cli.js";
import { LivePool } from "../../src/engine/live-pool.js";
import { BackendRegistry } from "../../src/engine/registry.js";
import { type CliSandbox, prepareCliSandbox } from "./cli-env.js";
import { openLive, runTurn, textOf } from "./live-host.js";
import { waitForNoSandboxProcesses } from "./processes.js";
import { type ProviderStub, startProviderStub } from "./stub/index.js";

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
  sb = prepareCliSandbox("claude", stub.url, { retries: 0 });
});
afterEach(async () => {
  for (const cli of open.splice(0)) await cli.close();
  sb.cleanup();
});

async function start(options: Partial<LiveLaunchOptions> = {}): Promise<LiveCli> {
  const cli = await openLive("claude", claudeLive, sb, { askPermissions: false, ...options });
  open.push(cli);
  return cli;
}

/** Runs one turn to its end: its events and its outcome. `onEvent` sees each event as it comes. */
const turn = runTurn;
const text = textOf;
const sentText = (index: number) => JSON.stringify(stub.mainRequests("anthropic")[index]?.body?.messages ?? []);

describe("claude live (real CLI)", () => {
  it("runs two turns in one process: the second request carries the first turn", async () => {
    stub.script("First answer.", "Second answer.");
    const cli = await start();
    const pid = cli.pid;
    const first = await turn(cli, { prompt: "remember the word pelican" });
    expect(first.outcome.parsed.error).toBeUndefined();
    expect(first.outcome.parsed.text).toBe("First answer.");
    expect(text(first.events)).toBe("First answer.");
    const conversation = cli.conversationId;
    expect(conversation).toMatch(/^[0-9a-f-]{36}$/);
    const second = await turn(cli, { prompt: "which word?" });
    expect(second.outcome.parsed.text).toBe("Second answer.");
    expect(second.outcome.parsed.backendSessionId).toBe(conversation);
    expect(cli.pid).toBe(pid);
    const main = stub.mainRequests("anthropic");
    expect(main).toHaveLength(2);
    expect(main[1]?.userText).toBe("which word?");
    expect(sentText(1)).toContain("remember the word pelican");
    expect(sentText(1)).toContain("First answer.");
  });

  it("interrupts a turn and goes on in the same conversation", async () => {
    stub.script(
      { text: "A long story that streams slowly, a few characters at a time.", chunkSize: 4, chunkDelayMs: 150 },
      "Going on.",
    );
    const cli = await start();
    const interrupt = new AbortController();
    const cut = await turn(cli, { prompt: "tell me a long story" }, { interrupt: interrupt.signal }, (event) => {
      if (event.type === "text") interrupt.abort();
    });
    expect(cut.outcome.parsed.interrupted).toBe(true);
    expect(cut.outcome.parsed.error?.code).toBe("interrupted");
    expect(cut.outcome.exit).toBeUndefined();
    expect(cut.outcome.parsed.text.length).toBeGreaterThan(0);
    expect(cli.alive).toBe(true);
    const next = await turn(cli, { prompt: "go on" });
    expect(next.outcome.parsed.error).toBeUndefined();
    expect(next.outcome.parsed.text).toBe("Going on.");
    expect(next.outcome.parsed.backendSessionId).toBe(cut.outcome.parsed.backendSessionId);
    expect(sentText(1)).toContain("tell me a long story");
  });

  it("asks before a tool runs: an allowed write runs, a denied one does not", async () => {
    const allowed = join(sb.workDir, "allowed.txt");
    const denied = join(sb.workDir, "denied.txt");
    stub.script(
      { toolCall: { name: "Write", input: { file_path: allowed, content: "allowed\n" } } },
      "Wrote it.",
      { toolCall: { name: "Write", input: { file_path: denied, content: "denied\n" } } },
      "Did not write it.",
    );
    const cli = await start({ askPermissions: true });
    const asked: string[] = [];
    const onPermission: LiveTurnControl["onPermission"] = async (request) => {
      const path = (request.input as { file_path?: string }).file_path ?? "";
      asked.push(`${request.tool} ${path}`);
      return path === allowed ? { behavior: "allow" } : { behavior: "deny", message: "Not this one." };
    };
    const yes = await turn(cli, { prompt: "write allowed.txt" }, { onPermission });
    expect(yes.outcome.parsed.error).toBeUndefined();
    expect(readFileSync(allowed, "utf8")).toBe("allowed\n");
    const no = await turn(cli, { prompt: "write denied.txt" }, { onPermission });
    expect(no.outcome.parsed.error).toBeUndefined();
    expect(existsSync(denied)).toBe(false);
    expect(asked).toEqual([`Write ${allowed}`, `Write ${denied}`]);
    const states = [...yes.events, ...no.events].flatMap((event) => (event.type === "permission" ? [event.state] : []));
    expect(states).toEqual(["asked", "allowed", "asked", "denied"]);
    // The agent was told why.
    expect(stub.mainRequests("anthropic")[3]?.toolResults.at(-1)?.output).toBe("Not this one.");
    expect(no.outcome.parsed.permissionDenials).toBeUndefined();
  });

  it("without asking, the permission mode refuses the write as a one-shot run does", async () => {
    const refused = join(sb.workDir, "refused.txt");
    stub.script({ toolCall: { name: "Write", input: { file_path: refused, content: "x\n" } } }, "Could not.");
    const cli = await start();
    let asked = 0;
    const { outcome } = await turn(
      cli,
      { prompt: "write refused.txt" },
      {
        onPermission: async () => {
          asked += 1;
          return { behavior: "allow" };
        },
      },
    );
    expect(asked).toBe(0);
    expect(existsSync(refused)).toBe(false);
    expect(outcome.parsed.permissionDenials?.map((denial) => denial.tool)).toEqual(["Write"]);
  });

  it("resumes an earlier conversation in a fresh process", async () => {
    stub.script("Noted.", "You said pelican.");
    const first = await start();
    await turn(first, { prompt: "remember the word pelican" });
    const conversation = first.conversationId;
    await first.close();
    const resumed = await start({ resume: conversation });
    expect(resumed.pid).not.toBe(first.pid);
    expect(resumed.conversationId).toBe(conversation);
    const { outcome } = await turn(resumed, { prompt: "which word?" });
    expect(outcome.parsed.text).toBe("You said pelican.");
    expect(outcome.parsed.backendSessionId).toBe(conversation);
    expect(sentText(1)).toContain("remember the word pelican");
  });

  it("leaves no process behind after close", async () => {
    const cli = await start();
    await turn(cli, { prompt: "hello" });
    const pid = cli.pid as number;
    expect(() => process.kill(pid, 0)).not.toThrow();
    await cli.close();
    expect(cli.alive).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await waitForNoSandboxProcesses(sb)).toEqual([]);
  });
});

describe("claude live through the engine (real CLI)", () => {
  async function collect(engine: Engine, request: Partial<RunRequest>) {
    const events: RunEvent[] = [];
    const stream = engine.stream({ backend: "claude", prompt: "hi", live: true, workdir: sb.workDir, ...request });
    while (true) {
      const step = await stream.next();
      if (step.done) return { events, result: step.value };
      events.push(step.value);
    }
  }
  const liveOf = (events: RunEvent[]) =>
    (events.find((e) => e.type === "start") as { live?: string } | undefined)?.live;

  it("keeps the process warm for the conversation's next turn, and asks before a write", async () => {
    const note = join(sb.workDir, "note.txt");
    stub.script("First.", { toolCall: { name: "Write", input: { file_path: note, content: "n\n" } } }, "Wrote it.");
    const pool = new LivePool({ maxIdlePerBackend: 1, idleMs: 60_000 });
    const engine = new Engine({
      registry: new BackendRegistry({ binaries: { claude: sb.commands.claude } }),
      env: sb.env,
      livePool: pool,
    });
    try {
      // Asking is fixed at launch (--permission-prompt-tool): both turns ask, so that one process serves both.
      const onPermissionRequest: RunRequest["onPermissionRequest"] = async (request) =>
        request.tool === "Write" ? { behavior: "allow" } : { behavior: "deny", message: "only writes" };
      const first = await collect(engine, { prompt: "hello", onPermissionRequest });
      expect(first.result).toMatchObject({ status: "success", text: "First." });
      expect(liveOf(first.events)).toBe("cold");
      const conversation = first.result.backend_session_id as string;
      expect(pool.stats().claude).toEqual({ idle: 1, busy: 0 });
      const second = await collect(engine, {
        prompt: "write note.txt",
        resume: { backendSessionId: conversation },
        onPermissionRequest,
      });
      expect(liveOf(second.events)).toBe("warm");
      expect(second.result).toMatchObject({ status: "success", text: "Wrote it.", backend_session_id: conversation });
      expect(readFileSync(note, "utf8")).toBe("n\n");
      expect(second.events.filter((e) => e.type === "permission").map((e) => (e as { state: string }).state)).toEqual([
        "asked",
        "allowed",
      ]);
      expect(stub.mainRequests("anthropic")).toHaveLength(3);
    } finally {
      await pool.close();
    }
    expect(await waitForNoSandboxProcesses(sb)).toEqual([]);
  });
});
