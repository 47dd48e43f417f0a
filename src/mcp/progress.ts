/**
 * MCP progress notifications from a run's or a workflow's events, for a caller that asked for them
 * (a progressToken in the call). Each notification says in a few words what is happening; text is
 * reported at most every `textIntervalMs`, so that a fast stream of deltas is not a flood.
 */
import type { RunEvent } from "../core/events.js";
import type { WorkflowEvent } from "../workflows/events.js";

export interface ProgressUpdate {
  progress: number;
  message: string;
}

export type SendProgress = (update: ProgressUpdate) => void;

const SNIPPET = 80;
const snippet = (text: string) => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > SNIPPET ? `${line.slice(0, SNIPPET - 1)}…` : line;
};

/** What a run event is worth telling, or undefined. */
export function describeRunEvent(event: RunEvent): string | undefined {
  switch (event.type) {
    case "queued":
      return `${event.backend}: waiting for a free slot (position ${event.position})`;
    case "start":
      return `${event.backend}: started${event.model ? ` (${event.model})` : ""}`;
    case "tool_call":
      return `${event.backend}: using ${event.name}`;
    case "text":
      return `${event.backend}: ${snippet(event.text)}`;
    case "notice":
      return `${event.backend}: ${event.message}`;
    case "error":
      return `${event.backend}: ${event.error.message}`;
    case "result":
      return `${event.backend}: ${event.status === "success" ? "finished" : "failed"}`;
    default:
      return undefined;
  }
}

/** What a workflow event is worth telling, or undefined. */
export function describeWorkflowEvent(event: WorkflowEvent): string | undefined {
  switch (event.type) {
    case "task_started":
      return `${event.label} (${event.backend}): started`;
    case "task_finished":
      return `${event.label} (${event.result.backend}): ${event.result.status}`;
    case "task_output":
      return event.event.type === "tool_call" ? describeRunEvent(event.event) : undefined;
    default:
      return undefined;
  }
}

/**
 * Follows events and sends progress. `progress` counts notifications (MCP wants it to grow with each
 * one); a workflow's messages say how many of its `tasks` have finished.
 */
export class ProgressReporter {
  private count = 0;
  private finished = 0;
  private lastText = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly send: SendProgress,
    private readonly tasks?: number,
    private readonly textIntervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  run(event: RunEvent): void {
    if (event.type === "text") {
      if (this.now() - this.lastText < this.textIntervalMs) return;
      this.lastText = this.now();
    }
    const message = describeRunEvent(event);
    if (message) this.emit(message);
  }

  workflow(event: WorkflowEvent): void {
    if (event.type === "task_finished") this.finished += 1;
    const message = describeWorkflowEvent(event);
    if (message) this.emit(this.tasks ? `${message} [${this.finished}/${this.tasks} done]` : message);
  }

  private emit(message: string): void {
    this.count += 1;
    this.send({ progress: this.count, message });
  }
}
