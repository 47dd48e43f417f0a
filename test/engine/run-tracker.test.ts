import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/core/events.js";
import type { RunResult } from "../../src/core/request.js";
import { MemoryRunTracker } from "../../src/engine/run-tracker.js";

const start = { backend: "claude" as const, workdir: "/tmp/w", prompt: "hello" };
const ev = (seq: number, body: Record<string, unknown>) =>
  ({ v: 1, seq, ts: "2026-01-01T00:00:00.000Z", backend: "claude", ...body }) as unknown as RunEvent;
const usage = { input_tokens: 5, output_tokens: 2, cached_tokens: 0, reasoning_tokens: 0, cost_usd: 0.01 };
const result = (fields: Partial<RunResult> = {}) =>
  ({
    backend: "claude",
    status: "success",
    text: "hi",
    usage,
    duration_ms: 3,
    exit_code: 0,
    ...fields,
  }) as RunResult;

describe("MemoryRunTracker", () => {
  it("follows a run from queued through running to succeeded, with its usage and session", () => {
    let now = 1000;
    const tracker = new MemoryRunTracker({ now: () => now });
    const run = tracker.begin(start);
    expect(run.id).toMatch(/^[a-f0-9]{32}$/);
    run.event(ev(0, { type: "queued", position: 2 }));
    expect(tracker.get(run.id)).toMatchObject({ state: "queued", queue_position: 2, prompt_preview: "hello" });
    now = 1500;
    run.event(ev(1, { type: "start", model: "opus", workdir: "/tmp/w", command: [], resumed: false, warnings: [] }));
    const running = tracker.get(run.id);
    expect(running).toMatchObject({ state: "running", model: "opus", duration_ms: 500 });
    expect(running).not.toHaveProperty("queue_position");
    run.event(ev(2, { type: "usage", usage, session_id: "a".repeat(32) }));
    now = 2000;
    run.finish(result({ session_id: "a".repeat(32) }));
    expect(tracker.get(run.id)).toMatchObject({
      state: "succeeded",
      usage,
      session_id: "a".repeat(32),
      duration_ms: 1000,
      event_count: 3,
    });
  });

  it("tells failed from cancelled, and an abandoned run counts as cancelled", () => {
    const tracker = new MemoryRunTracker();
    const failed = tracker.begin(start);
    failed.finish(result({ status: "error", error: { code: "auth", message: "no key" } }));
    const cancelled = tracker.begin(start);
    cancelled.finish(result({ status: "error", error: { code: "cancelled", message: "stop" } }));
    const abandoned = tracker.begin(start);
    abandoned.finish();
    const refused = tracker.begin(start);
    refused.finish(undefined, { code: "queue_full", message: "full" });
    expect(tracker.get(failed.id)).toMatchObject({ state: "failed", error: { code: "auth" } });
    expect(tracker.get(cancelled.id)?.state).toBe("cancelled");
    expect(tracker.get(abandoned.id)?.state).toBe("cancelled");
    expect(tracker.get(refused.id)).toMatchObject({ state: "failed", error: { code: "queue_full" } });
  });

  it("cancel aborts a live run's signal once, and refuses an ended or unknown one", () => {
    const tracker = new MemoryRunTracker();
    const run = tracker.begin(start);
    expect(run.signal.aborted).toBe(false);
    expect(tracker.cancel(run.id)).toBe(true);
    expect(run.signal.aborted).toBe(true);
    run.finish();
    expect(tracker.cancel(run.id)).toBe(false);
    expect(tracker.cancel("0".repeat(32))).toBeUndefined();
  });

  it("keeps a bounded buffer of events, by count and by bytes, and replays after an id", () => {
    const tracker = new MemoryRunTracker({ maxEvents: 5, maxEventBytes: 10_000 });
    const run = tracker.begin(start);
    for (let i = 0; i < 12; i++) run.event(ev(i, { type: "text", text: `t${i}` }));
    expect(tracker.events(run.id)?.map((e) => e.id)).toEqual([7, 8, 9, 10, 11]);
    expect(tracker.events(run.id, 9)?.map((e) => e.id)).toEqual([10, 11]);
    expect(tracker.get(run.id)?.event_count).toBe(12);
    const big = new MemoryRunTracker({ maxEventBytes: 3000 });
    const heavy = big.begin(start);
    for (let i = 0; i < 10; i++) heavy.event(ev(i, { type: "text", text: "x".repeat(1000) }));
    const kept = big.events(heavy.id) ?? [];
    expect(kept.length).toBeLessThanOrEqual(3);
    expect(kept.at(-1)?.id).toBe(9);
    expect(tracker.events("f".repeat(32))).toBeUndefined();
  });

  it("tells subscribers each event and the end, then lets them go", () => {
    const tracker = new MemoryRunTracker();
    const run = tracker.begin(start);
    const seen: string[] = [];
    tracker.subscribe(run.id, (m) => seen.push("end" in m ? `end:${m.end.state}` : m.event.type));
    run.event(ev(0, { type: "text", text: "a" }));
    run.finish(result());
    run.event(ev(1, { type: "text", text: "late" }));
    expect(seen).toEqual(["text", "end:succeeded"]);
  });

  it("forgets the oldest finished runs past its cap, never a live one; lists newest first with filters", () => {
    const tracker = new MemoryRunTracker({ maxFinished: 2 });
    const live = tracker.begin(start);
    const ids = [1, 2, 3].map(() => {
      const run = tracker.begin({ ...start, backend: "codex" });
      run.finish(result({ backend: "codex" }));
      return run.id;
    });
    expect(tracker.get(live.id)?.state).toBe("queued");
    expect(tracker.get(ids[0] as string)).toBeUndefined();
    expect(tracker.list().map((r) => r.id)).toEqual([ids[2], ids[1], live.id]);
    expect(tracker.list({ backend: "claude" }).map((r) => r.id)).toEqual([live.id]);
    expect(tracker.list({ state: "succeeded", limit: 1 }).map((r) => r.id)).toEqual([ids[2]]);
  });

  it("keeps a total budget of event bytes: past it, the oldest finished runs keep their record, not their events", () => {
    const tracker = new MemoryRunTracker({ maxTotalBytes: 5000 });
    const runs = [0, 1, 2].map(() => {
      const run = tracker.begin(start);
      for (let i = 0; i < 2; i++) run.event(ev(i, { type: "text", text: "y".repeat(1000) }));
      return run;
    });
    const live = tracker.begin(start);
    for (let i = 0; i < 2; i++) live.event(ev(i, { type: "text", text: "z".repeat(1000) }));
    for (const run of runs) run.finish(result());
    expect(tracker.events(runs[0]?.id as string)).toEqual([]);
    expect(tracker.get(runs[0]?.id as string)?.state).toBe("succeeded");
    expect(tracker.events(runs[2]?.id as string)).toHaveLength(2);
    expect(tracker.events(live.id)).toHaveLength(2);
  });
});
