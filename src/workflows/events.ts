/** What workflows report while they run, so that every face can show progress live. */
import type { BackendName } from "../core/backend-names.js";
import type { ErrorCode } from "../core/errors.js";
import type { RunEvent, Usage } from "../core/events.js";

export type TaskStatus = "completed" | "failed" | "cancelled" | "skipped";

/** One task's (or step's, or backend's) outcome; field names are the Go clinvoker's. */
export interface TaskResult {
  /** 0-based position in the workflow. */
  index: number;
  task_id?: string;
  task_name?: string;
  tags?: string[];
  meta?: Record<string, string>;
  backend: BackendName;
  status: TaskStatus;
  exit_code: number;
  error?: string;
  error_code?: ErrorCode;
  output?: string;
  model?: string;
  backend_session_id?: string;
  session_id?: string;
  usage?: Usage;
  start_time?: string;
  end_time?: string;
  duration_seconds: number;
}

export type WorkflowEvent =
  | { type: "task_queued"; index: number; label: string; backend: BackendName }
  | { type: "task_started"; index: number; label: string; backend: BackendName; at: string }
  | { type: "task_output"; index: number; event: RunEvent }
  | { type: "task_finished"; index: number; label: string; result: TaskResult };

/** Runs a workflow to its end, handing each progress event to `onEvent`; its value is the summary. */
export async function drainWorkflow<S>(
  workflow: AsyncGenerator<WorkflowEvent, S>,
  onEvent?: (event: WorkflowEvent) => void,
): Promise<S> {
  while (true) {
    const step = await workflow.next();
    if (step.done) return step.value;
    onEvent?.(step.value);
  }
}
