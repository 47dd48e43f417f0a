import { describe, expect, it } from "vitest";
import { createProgress } from "../../src/cli/progress.js";
import type { TaskResult, WorkflowEvent } from "../../src/workflows/events.js";

const ESC = String.fromCharCode(27);

function terminal(isTTY: boolean) {
  let written = "";
  const write = (chunk: string) => {
    written += chunk;
    return true;
  };
  const stream = { isTTY, columns: 80, write };
  return { stream: stream as unknown as NodeJS.WriteStream, output: () => written };
}

const result = (index: number): TaskResult => ({
  index,
  backend: "codex",
  status: "completed",
  exit_code: 0,
  duration_seconds: 1,
});

const events = (label: (i: number) => string): WorkflowEvent[] => [
  { type: "task_queued", index: 0, label: label(0), backend: "codex" },
  { type: "task_queued", index: 1, label: label(1), backend: "codex" },
  { type: "task_started", index: 0, label: label(0), backend: "codex", at: "2026-01-01T00:00:00Z" },
  { type: "task_started", index: 1, label: label(1), backend: "codex", at: "2026-01-01T00:00:00Z" },
];

describe("workflow progress", () => {
  it("plain lines count finished tasks in the order they finish", () => {
    const { stream, output } = terminal(false);
    const progress = createProgress(stream);
    for (const event of events((i) => `t${i}`)) progress.event(event);
    progress.event({ type: "task_finished", index: 1, label: "t1", result: result(1) });
    progress.event({ type: "task_finished", index: 0, label: "t0", result: result(0) });
    progress.stop();
    expect(output()).toBe(
      "started t0 (codex)\nstarted t1 (codex)\n[1/2] completed t1 (codex) in 1.0s\n[2/2] completed t0 (codex) in 1.0s\n",
    );
  });

  it("on a terminal, a message (the Ctrl+C notice) first erases the live lines, which are drawn again below it", async () => {
    const { stream, output } = terminal(true);
    const progress = createProgress(stream);
    for (const event of events((i) => `t${i}`)) progress.event(event);
    await new Promise((resolve) => setTimeout(resolve, 150)); // one redraw: two live lines
    const before = output().length;
    progress.say("\nclinvk: cancelling\n");
    progress.stop();
    const after = output().slice(before);
    expect(after.startsWith("\r\x1b[2A\x1b[J\nclinvk: cancelling\n")).toBe(true);
    // Every redraw after the message moves up over the lines it drew itself, never over the message.
    const ups = [...after.matchAll(new RegExp(`${ESC}\\[(\\d+)A`, "g"))].map((m) => Number(m[1]));
    expect(ups.slice(1).every((n) => n === 2)).toBe(true);
  });
});
