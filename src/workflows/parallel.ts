/**
 * Many tasks at once, at most `maxParallel` running, optionally ordered by `depends_on` (a task
 * starts once every task it depends on succeeded, and may use their answers as
 * `{{tasks.ID.output}}`). Fail-fast cancels the rest and kills the running ones. Everything that
 * can be wrong with the tasks is found before the first one starts.
 */
import { setMaxListeners } from "node:events";
import type { BackendName } from "../core/backend-names.js";
import type { RunRequest } from "../core/request.js";
import type { Engine } from "../engine/engine.js";
import { AsyncQueue } from "./async-queue.js";
import type { TaskResult, WorkflowEvent } from "./events.js";
import { notRun, runTask, type TaskIdentity } from "./run-task.js";
import type { TaskSpec } from "./specs.js";
import { checkPlaceholders, checkRequest, invalid, type TaskDefaults, taskRequest } from "./task-request.js";
import { fillTemplate, placeholdersIn, TemplateError } from "./templates.js";

export interface ParallelOptions extends TaskDefaults {
  maxParallel: number;
  failFast?: boolean;
  signal?: AbortSignal;
  /** Backend for tasks that name none. */
  defaultBackend: BackendName;
}

export interface ParallelSummary {
  total_tasks: number;
  completed: number;
  failed: number;
  cancelled: number;
  skipped: number;
  total_duration_seconds: number;
  start_time: string;
  end_time: string;
  results: TaskResult[];
}

interface PlannedTask {
  identity: TaskIdentity;
  spec: TaskSpec;
  request: RunRequest;
  dependsOn: number[];
}

function taskLabel(spec: TaskSpec, index: number): string {
  return spec.name || spec.id || `task ${index + 1}`;
}

function describe(spec: TaskSpec, index: number): string {
  return `task ${index + 1}${spec.id ? ` (${spec.id})` : spec.name ? ` (${spec.name})` : ""}`;
}

/** Checks ids, dependencies, placeholders and every request; throws `invalid_request` naming the task. */
function planParallel(engine: Engine, tasks: readonly TaskSpec[], options: ParallelOptions): PlannedTask[] {
  const byId = new Map<string, number>();
  tasks.forEach((spec, index) => {
    if (!spec.id) return;
    if (byId.has(spec.id)) throw invalid(`${describe(spec, index)}: the id "${spec.id}" is used twice`);
    byId.set(spec.id, index);
  });
  const planned = tasks.map((spec, index): PlannedTask => {
    const backend = spec.backend ?? options.defaultBackend;
    const dependsOn = (spec.depends_on ?? []).map((id) => {
      const target = byId.get(id);
      if (target === undefined) throw invalid(`${describe(spec, index)}: depends_on names an unknown task "${id}"`);
      if (target === index) throw invalid(`${describe(spec, index)}: a task cannot depend on itself`);
      return target;
    });
    checkPlaceholders(describe(spec, index), () => {
      for (const placeholder of placeholdersIn(spec.prompt)) {
        if (placeholder.kind !== "task") {
          throw new TemplateError(`{{${placeholder.kind}}} belongs in chains; tasks use {{tasks.ID.output}}`);
        }
        const target = byId.get(placeholder.id);
        if (target === undefined || !dependsOn.includes(target)) {
          throw new TemplateError(`{{tasks.${placeholder.id}.output}} needs "${placeholder.id}" in depends_on`);
        }
      }
    });
    const request = checkRequest(engine, describe(spec, index), taskRequest(spec, backend, options));
    return {
      identity: {
        index,
        label: taskLabel(spec, index),
        backend,
        task_id: spec.id,
        task_name: spec.name,
        tags: spec.tags,
        meta: spec.meta,
      },
      spec,
      request,
      dependsOn,
    };
  });
  const cycle = findCycle(planned.map((task) => task.dependsOn));
  if (cycle) throw invalid(`depends_on has a cycle: ${cycle.map((i) => tasks[i]?.id ?? `task ${i + 1}`).join(" → ")}`);
  return planned;
}

function findCycle(edges: number[][]): number[] | undefined {
  const state = new Array<number>(edges.length).fill(0); // 0 new, 1 on the path, 2 done
  const path: number[] = [];
  const visit = (node: number): number[] | undefined => {
    state[node] = 1;
    path.push(node);
    for (const next of edges[node] ?? []) {
      if (state[next] === 1) return [...path.slice(path.indexOf(next)), next];
      if (state[next] === 0) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state[node] = 2;
    return undefined;
  };
  for (let node = 0; node < edges.length; node++) {
    if (state[node] === 0) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return undefined;
}

export async function* runParallel(
  engine: Engine,
  tasks: readonly TaskSpec[],
  options: ParallelOptions,
): AsyncGenerator<WorkflowEvent, ParallelSummary, undefined> {
  const plan = planParallel(engine, tasks, options);
  const started = new Date();
  const events = new AsyncQueue<WorkflowEvent>();
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one listener per running task
  const onAbort = () => controller.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) controller.abort();

  const results = new Array<TaskResult | undefined>(plan.length);
  const state = new Array<"waiting" | "running" | "done">(plan.length).fill("waiting");
  let running = 0;
  const cap = Math.max(1, options.maxParallel);

  const finish = (index: number, result: TaskResult) => {
    results[index] = result;
    state[index] = "done";
  };
  const notRunning = (task: PlannedTask, status: "cancelled" | "skipped", why: string) => {
    const result = notRun(task.identity, status, why);
    finish(task.identity.index, result);
    events.push({ type: "task_finished", index: task.identity.index, label: task.identity.label, result });
  };
  const pump = () => {
    let changed = true;
    // A skip can make another task skippable or startable: go round until nothing changes.
    while (changed) {
      changed = false;
      for (const task of plan) {
        const index = task.identity.index;
        if (state[index] !== "waiting") continue;
        // Aborted by the caller, or by fail-fast after a failure.
        if (controller.signal.aborted) {
          notRunning(task, "cancelled", options.signal?.aborted ? "cancelled" : "canceled (fail-fast)");
          changed = true;
          continue;
        }
        const failedDependency = task.dependsOn.find(
          (dep) => state[dep] === "done" && results[dep]?.status !== "completed",
        );
        if (failedDependency !== undefined) {
          notRunning(task, "skipped", `dependency "${plan[failedDependency]?.identity.label}" did not succeed`);
          changed = true;
          continue;
        }
        if (running >= cap || !task.dependsOn.every((dep) => state[dep] === "done")) continue;
        state[index] = "running";
        running += 1;
        const request = fillDependencies(task, plan, results);
        void runTask(engine, task.identity, request, controller.signal, (event) => events.push(event)).then(
          (result) => {
            running -= 1;
            finish(index, result);
            if (result.status === "failed" && options.failFast) controller.abort();
            pump();
          },
        );
      }
    }
    if (state.every((s) => s === "done")) events.close();
  };

  for (const task of plan) {
    events.push({
      type: "task_queued",
      index: task.identity.index,
      label: task.identity.label,
      backend: task.identity.backend,
    });
  }
  pump();
  try {
    for await (const event of events) yield event;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    if (!state.every((s) => s === "done")) controller.abort(); // The consumer stopped early.
  }
  const ended = new Date();
  const done = results as TaskResult[];
  return {
    total_tasks: done.length,
    completed: done.filter((r) => r.status === "completed").length,
    failed: done.filter((r) => r.status === "failed").length,
    cancelled: done.filter((r) => r.status === "cancelled").length,
    skipped: done.filter((r) => r.status === "skipped").length,
    total_duration_seconds: (ended.getTime() - started.getTime()) / 1000,
    start_time: started.toISOString(),
    end_time: ended.toISOString(),
    results: done,
  };
}

function fillDependencies(task: PlannedTask, plan: PlannedTask[], results: (TaskResult | undefined)[]): RunRequest {
  if (task.dependsOn.length === 0) return task.request;
  const outputs = new Map(
    plan.filter((t) => t.spec.id).map((t) => [t.spec.id as string, results[t.identity.index]?.output ?? ""]),
  );
  return {
    ...task.request,
    prompt: fillTemplate(task.request.prompt, (placeholder) =>
      placeholder.kind === "task" ? (outputs.get(placeholder.id) ?? "") : "",
    ),
  };
}
