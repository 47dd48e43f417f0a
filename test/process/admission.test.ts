import { afterEach, describe, expect, it, vi } from "vitest";
import { ClinvkError } from "../../src/core/errors.js";
import { AdmissionGate, type AdmissionLimits } from "../../src/process/admission.js";

const limits = (overrides: Partial<AdmissionLimits> = {}): AdmissionLimits => ({
  maxRunning: 1,
  maxQueued: 10,
  queueTimeoutMs: 0,
  ...overrides,
});

/** Lets pending promise callbacks run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Tracks which acquires have been admitted, in order, without awaiting each one. */
function tracker(gate: AdmissionGate) {
  const order: string[] = [];
  const releases = new Map<string, () => void>();
  const acquire = (label: string, key = "claude", onQueued?: (position: number) => void) => {
    const promise = gate.acquire(key, { onQueued });
    promise.then(
      (release) => {
        order.push(label);
        releases.set(label, release);
      },
      () => {},
    );
    return promise;
  };
  const release = (label: string) => releases.get(label)!();
  return { order, acquire, release };
}

async function rejection(promise: Promise<unknown>): Promise<ClinvkError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClinvkError);
  return error as ClinvkError;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("AdmissionGate", () => {
  it("never exceeds the caps under 200 concurrent acquires with random hold times", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 7, maxQueued: 200, perKey: { codex: 2 } }));
    const keys = ["claude", "codex", "gemini"];
    let running = 0;
    let peak = 0;
    const runningByKey: Record<string, number> = {};
    let peakCodex = 0;
    const run = async (i: number) => {
      const key = keys[i % keys.length]!;
      const release = await gate.acquire(key);
      running++;
      runningByKey[key] = (runningByKey[key] ?? 0) + 1;
      peak = Math.max(peak, running);
      peakCodex = Math.max(peakCodex, runningByKey.codex ?? 0);
      // The gate counts slots granted to callers not yet resumed, so it may be ahead of us, never beyond the cap.
      expect(gate.stats().running).toBeGreaterThanOrEqual(running);
      expect(gate.stats().running).toBeLessThanOrEqual(7);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      running--;
      runningByKey[key]!--;
      release();
    };
    await Promise.all(Array.from({ length: 200 }, (_, i) => run(i)));
    expect(peak).toBe(7);
    expect(peakCodex).toBe(2);
    expect(gate.stats()).toEqual({ running: 0, queued: 0, runningByKey: {}, queuedByKey: {} });
  });

  it("admits waiters in FIFO order", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 1 }));
    const t = tracker(gate);
    for (const label of ["a", "b", "c", "d"]) void t.acquire(label);
    await flush();
    expect(t.order).toEqual(["a"]);
    for (const label of ["a", "b", "c"]) {
      t.release(label);
      await flush();
    }
    expect(t.order).toEqual(["a", "b", "c", "d"]);
  });

  it("does not let a waiter at its per-key cap block other keys, and keeps its place for its own key", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 3, perKey: { codex: 1 } }));
    const t = tracker(gate);
    void t.acquire("codex1", "codex");
    void t.acquire("codex2", "codex"); // blocked by codex's cap, with room globally
    void t.acquire("claude1", "claude"); // behind codex2, but must not wait for it
    await flush();
    expect(t.order).toEqual(["codex1", "claude1"]);
    expect(gate.stats()).toEqual({
      running: 2,
      queued: 1,
      runningByKey: { codex: 1, claude: 1 },
      queuedByKey: { codex: 1 },
    });
    void t.acquire("claude2", "claude"); // the last global slot
    void t.acquire("claude3", "claude"); // global cap reached: waits behind codex2
    await flush();
    expect(t.order).toEqual(["codex1", "claude1", "claude2"]);
    t.release("claude1"); // frees a global slot, but codex2 still cannot run: claude3 goes
    await flush();
    expect(t.order.at(-1)).toBe("claude3");
    void t.acquire("codex3", "codex");
    t.release("codex1"); // codex2 comes before codex3 for its own key
    await flush();
    expect(t.order.slice(-1)).toEqual(["codex2"]);
    t.release("codex2");
    await flush();
    expect(t.order.slice(-1)).toEqual(["codex3"]);
  });

  it("refuses with queue_full beyond the bound, and at once when there is no queue", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 1, maxQueued: 2 }));
    await gate.acquire("claude");
    void gate.acquire("claude");
    void gate.acquire("claude");
    const error = await rejection(gate.acquire("claude"));
    expect(error.code).toBe("queue_full");
    expect(error.message).toContain("1 running and 2 waiting");
    expect(error.hint).toBe("retry later");
    expect(gate.stats().queued).toBe(2);

    const noQueue = new AdmissionGate(limits({ maxRunning: 1, maxQueued: 0 }));
    await noQueue.acquire("claude");
    expect((await rejection(noQueue.acquire("claude"))).code).toBe("queue_full");
  });

  it("counts a request blocked only by its per-key cap against the queue bound", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 5, maxQueued: 0, perKey: { gemini: 1 } }));
    await gate.acquire("gemini");
    expect((await rejection(gate.acquire("gemini"))).code).toBe("queue_full");
    await gate.acquire("claude");
  });

  it("times out a waiter, removes it from the queue and moves those behind it up", async () => {
    vi.useFakeTimers();
    const gate = new AdmissionGate(limits({ maxRunning: 1, queueTimeoutMs: 1000 }));
    const release = await gate.acquire("claude");
    const first = gate.acquire("claude");
    const firstError = rejection(first);
    await vi.advanceTimersByTimeAsync(500);
    const positions: number[] = [];
    const second = gate.acquire("claude", { onQueued: (p) => positions.push(p) });
    await vi.advanceTimersByTimeAsync(500);
    const error = await firstError;
    expect(error.code).toBe("queue_full");
    expect(error.message).toContain("waiting for a slot");
    expect(positions).toEqual([2, 1]);
    expect(gate.stats().queued).toBe(1);
    release();
    await second;
    expect(vi.getTimerCount()).toBe(0); // the admitted waiter's timer was cleared
  });

  it("waits forever when queueTimeoutMs is 0, without a timer", async () => {
    vi.useFakeTimers();
    const gate = new AdmissionGate(limits({ maxRunning: 1 }));
    await gate.acquire("claude");
    void gate.acquire("claude");
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * 24 * 3600 * 1000);
    expect(gate.stats().queued).toBe(1);
  });

  it("cancels a waiter on abort, removes its listener and timer, and updates the positions behind it", async () => {
    vi.useFakeTimers();
    const gate = new AdmissionGate(limits({ maxRunning: 1, queueTimeoutMs: 60_000 }));
    const release = await gate.acquire("claude");
    const controller = new AbortController();
    const removed = vi.spyOn(controller.signal, "removeEventListener");
    const positions: Record<string, number[]> = { a: [], b: [], c: [] };
    const a = gate.acquire("claude", { onQueued: (p) => positions.a!.push(p) });
    const b = gate.acquire("claude", { signal: controller.signal, onQueued: (p) => positions.b!.push(p) });
    const c = gate.acquire("claude", { onQueued: (p) => positions.c!.push(p) });
    expect(positions).toEqual({ a: [1], b: [2], c: [3] });
    expect(vi.getTimerCount()).toBe(3);
    controller.abort();
    const error = await rejection(b);
    expect(error.code).toBe("cancelled");
    expect(removed).toHaveBeenCalledWith("abort", expect.any(Function));
    expect(vi.getTimerCount()).toBe(2);
    expect(positions).toEqual({ a: [1], b: [2], c: [3, 2] });
    expect(gate.stats().queued).toBe(2);
    release();
    (await a)();
    (await c)();
    expect(positions.c).toEqual([3, 2, 1]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("refuses an already aborted signal at once, even with free slots", async () => {
    const gate = new AdmissionGate(limits());
    const error = await rejection(gate.acquire("claude", { signal: AbortSignal.abort() }));
    expect(error.code).toBe("cancelled");
    expect(gate.stats().running).toBe(0);
  });

  it("ignores an abort after admission; the caller owns the slot", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 1 }));
    const hold = await gate.acquire("claude");
    const controller = new AbortController();
    const waiting = gate.acquire("claude", { signal: controller.signal });
    hold();
    const release = await waiting;
    controller.abort();
    expect(gate.stats().running).toBe(1);
    release();
    expect(gate.stats().running).toBe(0);
  });

  it("admits waiters at once when limits are raised", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 1, perKey: { codex: 1 } }));
    const t = tracker(gate);
    for (const label of ["a", "b", "c"]) void t.acquire(label, "codex");
    await flush();
    expect(t.order).toEqual(["a"]);
    gate.setLimits(limits({ maxRunning: 3, perKey: { codex: 1 } }));
    await flush();
    expect(t.order).toEqual(["a"]); // the per-key cap still holds
    gate.setLimits(limits({ maxRunning: 3 }));
    await flush();
    expect(t.order).toEqual(["a", "b", "c"]);
  });

  it("never stops running runs when limits are lowered, and admits again only below the new cap", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 3 }));
    const t = tracker(gate);
    for (const label of ["a", "b", "c", "d"]) void t.acquire(label);
    await flush();
    expect(t.order).toEqual(["a", "b", "c"]);
    gate.setLimits(limits({ maxRunning: 1 }));
    expect(gate.stats()).toMatchObject({ running: 3, queued: 1 });
    t.release("a");
    t.release("b");
    await flush();
    expect(t.order).toEqual(["a", "b", "c"]);
    t.release("c");
    await flush();
    expect(t.order).toEqual(["a", "b", "c", "d"]);
  });

  it("keeps queued waiters when maxQueued is lowered, refusing only new ones", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 1, maxQueued: 3 }));
    await gate.acquire("claude");
    void gate.acquire("claude");
    void gate.acquire("claude");
    gate.setLimits(limits({ maxRunning: 1, maxQueued: 1 }));
    expect(gate.stats().queued).toBe(2);
    expect((await rejection(gate.acquire("claude"))).code).toBe("queue_full");
  });

  it("frees one slot only when a release is called twice", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 2 }));
    const first = await gate.acquire("claude");
    await gate.acquire("claude");
    const t = tracker(gate);
    void t.acquire("c");
    void t.acquire("d");
    first();
    first();
    await flush();
    expect(t.order).toEqual(["c"]);
    expect(gate.stats()).toMatchObject({ running: 2, queued: 1 });
  });

  it("reports running and queued counts per key", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 2, perKey: { claude: 1 } }));
    const claude = await gate.acquire("claude");
    await gate.acquire("codex");
    void gate.acquire("claude");
    void gate.acquire("gemini");
    void gate.acquire("gemini");
    expect(gate.stats()).toEqual({
      running: 2,
      queued: 3,
      runningByKey: { claude: 1, codex: 1 },
      queuedByKey: { claude: 1, gemini: 2 },
    });
    claude(); // a global slot frees: the claude waiter is first in line and fits
    expect(gate.stats()).toEqual({
      running: 2,
      queued: 2,
      runningByKey: { claude: 1, codex: 1 },
      queuedByKey: { gemini: 2 },
    });
  });

  it("keeps admitting when an onQueued callback throws", async () => {
    const gate = new AdmissionGate(limits({ maxRunning: 1 }));
    const release = await gate.acquire("claude");
    const waiting = gate.acquire("claude", {
      onQueued: () => {
        throw new Error("boom");
      },
    });
    release();
    await expect(waiting).resolves.toBeTypeOf("function");
  });

  it("rejects invalid limits with invalid_config", () => {
    expect(() => new AdmissionGate(limits({ maxRunning: 0 }))).toThrow(/maxRunning/);
    expect(() => new AdmissionGate(limits({ maxQueued: -1 }))).toThrow(/maxQueued/);
    expect(() => new AdmissionGate(limits({ queueTimeoutMs: Number.NaN }))).toThrow(/queueTimeoutMs/);
    expect(() => new AdmissionGate(limits({ perKey: { claude: -2 } }))).toThrow(/perKey\.claude/);
    const gate = new AdmissionGate(limits());
    expect(() => gate.setLimits(limits({ maxRunning: 0 }))).toThrow(ClinvkError);
  });
});
