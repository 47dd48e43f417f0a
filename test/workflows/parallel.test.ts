import { describe, expect, it } from "vitest";
import type { WorkflowEvent } from "../../src/workflows/events.js";
import { runParallel } from "../../src/workflows/parallel.js";
import type { TaskSpec } from "../../src/workflows/specs.js";
import { drain, echoEngine, maxOverlap } from "./fake-engine.js";

const base = { defaultBackend: "claude" as const, maxParallel: 3 };

describe("runParallel", () => {
  it("runs every task, never more at once than the cap, and reports each", async () => {
    const { engine, runs } = echoEngine(300);
    const tasks: TaskSpec[] = Array.from({ length: 6 }, (_, i) => ({ prompt: `p${i}`, id: `t${i}` }));
    const { events, summary } = await drain(runParallel(engine, tasks, { ...base, maxParallel: 2 }));
    expect(summary).toMatchObject({ total_tasks: 6, completed: 6, failed: 0 });
    expect(summary.results.map((r) => r.output)).toEqual(tasks.map((t) => `echo: ${t.prompt}`));
    expect(summary.results[0]).toMatchObject({
      index: 0,
      task_id: "t0",
      backend: "claude",
      exit_code: 0,
      status: "completed",
    });
    expect(maxOverlap(runs())).toBe(2);
    const types = (index: number) => events.filter((e) => "index" in e && e.index === index).map((e) => e.type);
    expect(types(3)[0]).toBe("task_queued");
    expect(types(3)).toContain("task_started");
    expect(types(3)).toContain("task_output");
    expect(types(3).at(-1)).toBe("task_finished");
  });

  it("fail-fast cancels the waiting tasks and kills the running ones", async () => {
    const { engine } = echoEngine(10_000);
    const tasks: TaskSpec[] = [
      { prompt: "slow" },
      { prompt: "FAIL now" },
      { prompt: "never starts" },
      { prompt: "nor this" },
    ];
    const started = Date.now();
    const { summary } = await drain(runParallel(engine, tasks, { ...base, maxParallel: 2, failFast: true }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(summary.results.map((r) => r.status)).toEqual(["cancelled", "failed", "cancelled", "cancelled"]);
    expect(summary.results[2]).toMatchObject({ exit_code: -1, error: "canceled (fail-fast)" });
    expect(summary).toMatchObject({ failed: 1, cancelled: 3, completed: 0 });
  });

  it("depends_on orders tasks, passes answers on, and skips after a failure", async () => {
    const { engine, runs } = echoEngine(100);
    const tasks: TaskSpec[] = [
      { id: "review", prompt: "review it", depends_on: ["analyse"] },
      { id: "analyse", prompt: "analyse" },
      { id: "broken", prompt: "FAIL" },
      { id: "after-broken", prompt: "use {{tasks.broken.output}}", depends_on: ["broken"] },
      { id: "summary", prompt: "sum up: {{tasks.review.output}}", depends_on: ["review"] },
    ];
    const { summary } = await drain(runParallel(engine, tasks, base));
    const byId = Object.fromEntries(summary.results.map((r) => [r.task_id, r]));
    expect(byId.summary?.output).toBe("echo: sum up: echo: review it");
    expect(byId["after-broken"]).toMatchObject({ status: "skipped", exit_code: -1 });
    expect(byId["after-broken"]?.error).toContain("broken");
    const order = runs()
      .sort((a, b) => a.started - b.started)
      .map((r) => r.prompt);
    expect(order.indexOf("analyse")).toBeLessThan(order.indexOf("review it"));
    const analyse = runs().find((r) => r.prompt === "analyse");
    const review = runs().find((r) => r.prompt === "review it");
    expect(review!.started).toBeGreaterThanOrEqual(analyse!.ended);
  });

  it.each([
    [
      [
        { id: "a", prompt: "x", depends_on: ["b"] },
        { id: "b", prompt: "y", depends_on: ["a"] },
      ],
      /cycle: a → b → a|cycle: b → a → b/,
    ],
    [[{ id: "a", prompt: "x", depends_on: ["zzz"] }], /task 1 \(a\): depends_on names an unknown task "zzz"/],
    [
      [
        { id: "a", prompt: "x" },
        { id: "a", prompt: "y" },
      ],
      /used twice/,
    ],
    [
      [
        { id: "a", prompt: "{{tasks.b.output}}" },
        { id: "b", prompt: "y" },
      ],
      /needs "b" in depends_on/,
    ],
    [[{ prompt: "{{previous}}" }], /belongs in chains/],
    [[{ prompt: "{{nonsense}}" }], /unknown placeholder/],
    [[{ prompt: "x" }, { prompt: "y", model: "--evil" }], /task 2: invalid model name/],
    [[{ prompt: "x", extra: ["--dangerously-skip-permissions"] }], /task 1: extra flag not allowed/],
  ] as [TaskSpec[], RegExp][])("rejects bad tasks before any runs: %j", async (tasks, message) => {
    const { engine, runs } = echoEngine();
    await expect(drain(runParallel(engine, tasks, base))).rejects.toThrow(message);
    expect(runs()).toHaveLength(0);
  });

  it("an abort cancels everything and still returns the summary", async () => {
    const { engine } = echoEngine(5000);
    const controller = new AbortController();
    const tasks: TaskSpec[] = [{ prompt: "a" }, { prompt: "b" }, { prompt: "c" }];
    setTimeout(() => controller.abort(), 400);
    const started = Date.now();
    const { events, summary } = await drain(
      runParallel(engine, tasks, { ...base, maxParallel: 2, signal: controller.signal }),
    );
    expect(Date.now() - started).toBeLessThan(4000);
    expect(summary.results.map((r) => r.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
    expect(events.filter((e: WorkflowEvent) => e.type === "task_started")).toHaveLength(2);
  });
});
