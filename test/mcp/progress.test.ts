import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/core/events.js";
import { ProgressReporter, type ProgressUpdate } from "../../src/mcp/progress.js";
import type { WorkflowEvent } from "../../src/workflows/events.js";

const event = (body: Record<string, unknown>) =>
  ({ v: 1, seq: 0, ts: "", backend: "codex", ...body }) as unknown as RunEvent;

describe("progress from events", () => {
  it("says what a run does, text at most once per interval, and counts up", () => {
    const sent: ProgressUpdate[] = [];
    let now = 0;
    const reporter = new ProgressReporter(
      (u) => sent.push(u),
      undefined,
      1000,
      () => now,
    );
    reporter.run(event({ type: "start", model: "gpt-5", workdir: "/w", command: [], resumed: false, warnings: [] }));
    reporter.run(event({ type: "text", text: "first   words\nof the answer" }));
    now = 500;
    reporter.run(event({ type: "text", text: "too soon" }));
    reporter.run(event({ type: "usage", usage: {} }));
    now = 1600;
    reporter.run(event({ type: "text", text: "x".repeat(200) }));
    reporter.run(event({ type: "tool_call", id: "1", name: "exec_command", input: {} }));
    expect(sent.map((u) => u.message)).toEqual([
      "codex: started (gpt-5)",
      "codex: first words of the answer",
      `codex: ${"x".repeat(79)}…`,
      "codex: using exec_command",
    ]);
    expect(sent.map((u) => u.progress)).toEqual([1, 2, 3, 4]);
  });

  it("a workflow's messages count its finished tasks", () => {
    const sent: ProgressUpdate[] = [];
    const reporter = new ProgressReporter((u) => sent.push(u), 2);
    const finished = (label: string, backend: string, status: string) =>
      ({ type: "task_finished", index: 0, label, result: { backend, status } }) as unknown as WorkflowEvent;
    reporter.workflow({ type: "task_queued", index: 0, label: "lint", backend: "codex" });
    reporter.workflow({ type: "task_started", index: 0, label: "lint", backend: "codex", at: "" });
    reporter.workflow(finished("lint", "codex", "completed"));
    reporter.workflow(finished("plan", "claude", "failed"));
    expect(sent.map((u) => u.message)).toEqual([
      "lint (codex): started [0/2 done]",
      "lint (codex): completed [1/2 done]",
      "plan (claude): failed [2/2 done]",
    ]);
    expect(sent.map((u) => u.progress)).toEqual([1, 2, 3]);
  });
});
