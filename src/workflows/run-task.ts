/** Runs one workflow task through the engine, reporting its events, and sums it up as a TaskResult. */
import type { BackendName } from "../core/backend-names.js";
import { toClinvkError } from "../core/errors.js";
import type { RunRequest, RunResult } from "../core/request.js";
import type { Engine } from "../engine/engine.js";
import type { TaskResult, WorkflowEvent } from "./events.js";

export interface TaskIdentity {
  index: number;
  label: string;
  backend: BackendName;
  task_id?: string;
  task_name?: string;
  tags?: string[];
  meta?: Record<string, string>;
}

export async function runTask(
  engine: Engine,
  task: TaskIdentity,
  request: RunRequest,
  signal: AbortSignal,
  emit: (event: WorkflowEvent) => void,
): Promise<TaskResult> {
  const started = new Date();
  emit({
    type: "task_started",
    index: task.index,
    label: task.label,
    backend: task.backend,
    at: started.toISOString(),
  });
  let result: RunResult | undefined;
  let failure: { message: string; code: TaskResult["error_code"] } | undefined;
  try {
    const events = engine.stream(request, { signal });
    while (true) {
      const step = await events.next();
      if (step.done) {
        result = step.value;
        break;
      }
      emit({ type: "task_output", index: task.index, event: step.value });
    }
  } catch (error) {
    const clinvkError = toClinvkError(error);
    failure = { message: clinvkError.message, code: clinvkError.code };
  }
  const ended = new Date();
  const outcome: TaskResult = {
    ...identityFields(task),
    status: result && !result.error ? "completed" : result?.error?.code === "cancelled" ? "cancelled" : "failed",
    exit_code: result ? (result.error && result.exit_code === 0 ? 1 : result.exit_code) : 1,
    start_time: started.toISOString(),
    end_time: ended.toISOString(),
    duration_seconds: (ended.getTime() - started.getTime()) / 1000,
  };
  if (result) {
    if (result.text) outcome.output = result.text;
    if (result.model) outcome.model = result.model;
    if (result.backend_session_id) outcome.backend_session_id = result.backend_session_id;
    if (result.session_id) outcome.session_id = result.session_id;
    outcome.usage = result.usage;
    if (result.error) {
      outcome.error = result.error.message;
      outcome.error_code = result.error.code;
    }
  } else if (failure) {
    outcome.error = failure.message;
    outcome.error_code = failure.code;
  }
  emit({ type: "task_finished", index: task.index, label: task.label, result: outcome });
  return outcome;
}

/** A task that never ran: cancelled before its turn, or skipped because a dependency failed. */
export function notRun(task: TaskIdentity, status: "cancelled" | "skipped", error: string): TaskResult {
  return { ...identityFields(task), status, exit_code: -1, error, duration_seconds: 0 };
}

function identityFields(
  task: TaskIdentity,
): Pick<TaskResult, "index" | "backend" | "task_id" | "task_name" | "tags" | "meta"> {
  const fields: Pick<TaskResult, "index" | "backend" | "task_id" | "task_name" | "tags" | "meta"> = {
    index: task.index,
    backend: task.backend,
  };
  if (task.task_id) fields.task_id = task.task_id;
  if (task.task_name) fields.task_name = task.task_name;
  if (task.tags?.length) fields.tags = task.tags;
  if (task.meta && Object.keys(task.meta).length) fields.meta = task.meta;
  return fields;
}
