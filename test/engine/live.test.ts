// The live host (LiveCli, LivePool, the engine's live path) against a fake long-lived CLI.
import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/core/events.js";
import type { RunRequest } from "../../src/core/request.js";
import { Engine } from "../../src/engine/engine.js";
import { tooOldForLive } from "../../src/engine/live-choice.js";
import { LivePool } from "../../src/engine/live-pool.js";
import { fakeLiveProtocol, fakeLiveRegistry } from "./fake-live-protocol.js";

const isAlive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function collect(engine: Engine, request: Partial<RunRequest>, control = {}) {
  const events: RunEvent[] = [];
  const stream = engine.stream({ backend: "claude", prompt: "hi", live: true, ...request }, control);
  while (true) {
    const step = await stream.next();
    if (step.done) return { events, result: step.value };
    events.push(step.value);
  }
}

const historyOf = (events: RunEvent[]) =>
  JSON.parse(
    (events.find((e) => e.type === "notice" && e.message.startsWith("history:")) as { message: string }).message.slice(
      9,
    ),
  );
const startOf = (events: RunEvent[]) => events.find((e) => e.type === "start") as Extract<RunEvent, { type: "start" }>;

describe("live runs", () => {
  it("a turn without a pool opens a process, streams its text and closes it", async () => {
    const engine = new Engine({ registry: fakeLiveRegistry() });
    const { events, result } = await collect(engine, { prompt: "slow" });
    expect(startOf(events).live).toBe("cold");
    expect(events.filter((e) => e.type === "text").map((e) => (e as { text: string }).text)).toEqual(["a", "b", "c"]);
    expect(result).toMatchObject({ status: "success", text: "abc", exit_code: 0 });
    const conversation = result.backend_session_id as string;
    expect(isAlive(Number(conversation.slice(5)))).toBe(false);
  });

  it("with a pool, the next turn of the conversation goes to the same warm process", async () => {
    const pool = new LivePool({ maxIdlePerBackend: 2, idleMs: 60_000 });
    const engine = new Engine({ registry: fakeLiveRegistry(), livePool: pool });
    try {
      const first = await collect(engine, { prompt: "one" });
      const conversation = first.result.backend_session_id as string;
      expect(pool.stats().claude).toEqual({ idle: 1, busy: 0 });
      const second = await collect(engine, { prompt: "two", resume: { backendSessionId: conversation } });
      expect(startOf(second.events).live).toBe("warm");
      expect(historyOf(second.events)).toEqual(["one", "two"]);
      expect(second.result.backend_session_id).toBe(conversation);
      // Another conversation's turn does not take it: it starts its own process, resumed.
      const other = await collect(engine, { prompt: "three", resume: { backendSessionId: "conv-elsewhere" } });
      expect(startOf(other.events).live).toBe("cold");
      expect(historyOf(other.events)).toEqual(["(resumed conv-elsewhere)", "three"]);
      expect(pool.stats().claude).toEqual({ idle: 2, busy: 0 });
    } finally {
      await pool.close();
    }
    expect(pool.stats()).toEqual({});
  });

  it("the cap per backend closes the oldest idle process, and the idle timeout closes the rest", async () => {
    const pool = new LivePool({ maxIdlePerBackend: 1, idleMs: 300 });
    const engine = new Engine({ registry: fakeLiveRegistry(), livePool: pool });
    const a = await collect(engine, { prompt: "a" });
    const b = await collect(engine, { prompt: "b" });
    const pidOf = (r: typeof a) => Number((r.result.backend_session_id as string).slice(5));
    expect(pool.stats().claude).toEqual({ idle: 1, busy: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isAlive(pidOf(a))).toBe(false);
    expect(isAlive(pidOf(b))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(pool.stats()).toEqual({});
    expect(isAlive(pidOf(b))).toBe(false);
  });

  it("an interrupt ends the turn as interrupted and keeps the process and its conversation", async () => {
    const pool = new LivePool({ maxIdlePerBackend: 1, idleMs: 60_000 });
    const engine = new Engine({ registry: fakeLiveRegistry(), livePool: pool });
    try {
      const interrupt = new AbortController();
      const run = collect(engine, { prompt: "hang" }, { interrupt: interrupt.signal });
      setTimeout(() => interrupt.abort(), 200);
      const { result } = await run;
      expect(result.status).toBe("error");
      expect(result.error?.code).toBe("interrupted");
      expect(result.text).toBe("thinking...");
      const next = await collect(engine, {
        prompt: "after",
        resume: { backendSessionId: result.backend_session_id as string },
      });
      expect(startOf(next.events).live).toBe("warm");
      expect(historyOf(next.events)).toEqual(["hang", "after"]);
    } finally {
      await pool.close();
    }
  });

  it("a cancel kills the process: it never goes back to the pool", async () => {
    const pool = new LivePool({ maxIdlePerBackend: 1, idleMs: 60_000 });
    const engine = new Engine({ registry: fakeLiveRegistry(), livePool: pool });
    const cancel = new AbortController();
    const run = collect(engine, { prompt: "hang" }, { signal: cancel.signal });
    setTimeout(() => cancel.abort(), 200);
    const { result } = await run;
    expect(result.error?.code).toBe("cancelled");
    expect(pool.stats()).toEqual({});
    await pool.close();
  });

  it("asks the permission handler and honours allow with an edited input, and deny", async () => {
    const engine = new Engine({ registry: fakeLiveRegistry() });
    const asked: unknown[] = [];
    const allowed = await collect(engine, {
      prompt: "ask",
      onPermissionRequest: async (request, context) => {
        asked.push({ tool: request.tool, input: request.input, backend: context.backend });
        return { behavior: "allow", input: { command: "pwd" } };
      },
    });
    expect(asked).toEqual([{ tool: "Bash", input: { command: "ls" }, backend: "claude" }]);
    expect(allowed.result.text).toBe('ran {"command":"pwd"}');
    const states = allowed.events.filter((e) => e.type === "permission").map((e) => (e as { state: string }).state);
    expect(states).toEqual(["asked", "allowed"]);

    const denied = await collect(engine, {
      prompt: "ask",
      onPermissionRequest: async () => ({ behavior: "deny", message: "no" }),
    });
    expect(denied.result.text).toBe("not run");
    expect(denied.events.find((e) => e.type === "permission" && e.state === "denied")).toMatchObject({ message: "no" });

    // No handler: refused as the CLI refuses on its own, and reported as a denial.
    const unasked = await collect(engine, { prompt: "ask" });
    expect(unasked.result.text).toBe("not run");
    expect(unasked.result.permission_denials).toEqual([{ tool: "Bash", input: { command: "ls" } }]);
    expect(unasked.events.some((e) => e.type === "permission")).toBe(false);
  });

  it("a process that dies mid-turn ends the turn with the codec's error and leaves the pool", async () => {
    const pool = new LivePool({ maxIdlePerBackend: 1, idleMs: 60_000 });
    const engine = new Engine({ registry: fakeLiveRegistry(), livePool: pool });
    const { result } = await collect(engine, { prompt: "crash" });
    expect(result.error).toMatchObject({ code: "backend_crashed", message: "fake exited with 3" });
    expect(result.exit_code).toBe(3);
    expect(pool.stats()).toEqual({});
    await pool.close();
  });

  it("a run the live mode cannot carry goes one-shot and says why", () => {
    const engine = new Engine({ registry: fakeLiveRegistry() });
    const prepared = engine.prepare({
      backend: "claude",
      prompt: "hi",
      live: true,
      resume: { backendSessionId: "abc", fork: true },
    });
    expect(prepared.live).toBeUndefined();
    expect(prepared.warnings).toContain("not live: a fork runs one-shot");
  });

  it("a new conversation never goes to a process that has held one, whatever the protocol opens", async () => {
    const pool = new LivePool({ maxIdlePerBackend: 4, idleMs: 60_000 });
    const engine = new Engine({ registry: fakeLiveRegistry("any"), livePool: pool });
    try {
      const first = await collect(engine, { prompt: "one" });
      const second = await collect(engine, { prompt: "two" });
      expect(startOf(second.events).live).toBe("cold");
      expect(historyOf(second.events)).toEqual(["two"]);
      // A turn of the first conversation finds the process holding it.
      const again = await collect(engine, {
        prompt: "three",
        resume: { backendSessionId: first.result.backend_session_id as string },
      });
      expect(startOf(again.events).live).toBe("warm");
      expect(historyOf(again.events)).toEqual(["one", "three"]);
    } finally {
      await pool.close();
    }
  });

  it("a protocol that may go on only with its own conversation runs a resume no warm process holds one-shot", async () => {
    const pool = new LivePool({ maxIdlePerBackend: 4, idleMs: 60_000 });
    const engine = new Engine({ registry: fakeLiveRegistry("own"), livePool: pool });
    try {
      const first = await collect(engine, { prompt: "one" });
      const conversation = first.result.backend_session_id as string;
      const warm = await collect(engine, { prompt: "two", resume: { backendSessionId: conversation } });
      expect(startOf(warm.events).live).toBe("warm");
      const elsewhere = engine.prepare({
        backend: "claude",
        prompt: "x",
        live: true,
        resume: { backendSessionId: "conv-1" },
      });
      expect(elsewhere.live?.conversation).toBe("conv-1");
      const cold = await collect(engine, { prompt: "three", resume: { backendSessionId: "conv-gone" } });
      expect(startOf(cold.events).live).toBeUndefined();
      expect(startOf(cold.events).command).toContain("--resume=conv-gone");
    } finally {
      await pool.close();
    }
  });

  it("a CLI older than its live protocol runs one-shot; a newer or unknown one runs live", () => {
    const protocol = fakeLiveProtocol();
    expect(tooOldForLive("2.1.196 (Claude Code)", { ...protocol, minVersion: "2.1.197" }, "claude")).toContain(
      "claude 2.1.196 (Claude Code) is older than its live protocol (2.1.197)",
    );
    expect(tooOldForLive("2.2.0", { ...protocol, minVersion: "2.1.197" }, "claude")).toBeUndefined();
    expect(tooOldForLive("2.1.197", { ...protocol, minVersion: "2.1.197" }, "claude")).toBeUndefined();
    expect(tooOldForLive("codex-cli 0.99.1", { ...protocol, minVersion: "0.169.0" }, "codex")).toBeDefined();
    expect(tooOldForLive(undefined, protocol, "claude")).toBeUndefined();
  });
});
