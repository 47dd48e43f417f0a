/**
 * Live progress of a workflow on stderr: on a terminal one line per task (spinner, state, elapsed
 * time, the latest words of its answer) redrawn in place; otherwise one plain line per change.
 */
import type { WorkflowEvent } from "../workflows/events.js";

interface Row {
  label: string;
  backend: string;
  state: "queued" | "running" | "completed" | "failed" | "cancelled" | "skipped";
  started?: number;
  seconds?: number;
  latest: string;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const MARK: Record<Row["state"], string> = {
  queued: "·",
  running: "",
  completed: "✓",
  failed: "✗",
  cancelled: "○",
  skipped: "-",
};

export interface Progress {
  event(event: WorkflowEvent): void;
  /** A message between the progress lines (the Ctrl+C notice), which the live lines must not overwrite. */
  say(text: string): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? liveProgress(stream) : plainProgress(stream);
}

export const silentProgress: Progress = { event: () => {}, say: (text) => process.stderr.write(text), stop: () => {} };

function update(rows: Map<number, Row>, event: WorkflowEvent): Row | undefined {
  switch (event.type) {
    case "task_queued":
      rows.set(event.index, { label: event.label, backend: event.backend, state: "queued", latest: "" });
      return rows.get(event.index);
    case "task_started": {
      const row = rows.get(event.index);
      if (row) Object.assign(row, { state: "running", started: Date.now() });
      return row;
    }
    case "task_output": {
      const row = rows.get(event.index);
      if (row && event.event.type === "text") row.latest = (row.latest + event.event.text).slice(-200);
      return undefined;
    }
    case "task_finished": {
      const row = rows.get(event.index);
      if (row) Object.assign(row, { state: event.result.status, seconds: event.result.duration_seconds });
      return row;
    }
  }
}

/** One line per change; `[k/n]` counts the tasks finished so far, whatever order they finish in. */
function plainProgress(stream: NodeJS.WriteStream): Progress {
  const rows = new Map<number, Row>();
  let finished = 0;
  return {
    event(event) {
      const row = update(rows, event);
      if (!row || event.type === "task_queued") return;
      if (event.type === "task_started") {
        stream.write(`started ${row.label} (${row.backend})\n`);
        return;
      }
      finished += 1;
      stream.write(
        `[${finished}/${rows.size}] ${row.state} ${row.label} (${row.backend}) in ${(row.seconds ?? 0).toFixed(1)}s\n`,
      );
    },
    say: (text) => stream.write(text),
    stop() {},
  };
}

function liveProgress(stream: NodeJS.WriteStream): Progress {
  const rows = new Map<number, Row>();
  let frame = 0;
  let drawn = 0;
  const draw = () => {
    if (rows.size === 0) return;
    frame = (frame + 1) % SPINNER.length;
    const width = stream.columns || 80;
    const lines = [...rows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, row]) => {
        const mark = row.state === "running" ? (SPINNER[frame] as string) : MARK[row.state];
        const seconds =
          row.state === "running" ? (Date.now() - (row.started ?? Date.now())) / 1000 : (row.seconds ?? 0);
        const time = row.state === "queued" ? "     " : `${seconds.toFixed(1).padStart(5)}s`;
        const latest = row.latest.replace(/\s+/g, " ").trim();
        const line = `${mark} ${String(index + 1).padStart(2)} ${row.backend.padEnd(6)} ${row.state.padEnd(9)} ${time}  ${row.label}${latest ? `  ${latest}` : ""}`;
        return line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line;
      });
    stream.write(`${drawn > 0 ? `\x1b[${drawn}A` : ""}${lines.map((line) => `\x1b[2K${line}`).join("\n")}\n`);
    drawn = lines.length;
  };
  // Up to the first live line and clear to the end of the screen (the terminal's "^C" echo too).
  const erase = () => {
    if (drawn > 0) stream.write(`\r\x1b[${drawn}A\x1b[J`);
    drawn = 0;
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    event(event) {
      update(rows, event);
    },
    say(text) {
      erase();
      stream.write(text);
      draw();
    },
    stop() {
      clearInterval(timer);
      draw();
    },
  };
}
