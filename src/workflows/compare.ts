/** One prompt on several backends, side by side: parallel by default, or one after another. */
import type { BackendName } from "../backends/names.js";
import type { Engine } from "../engine/engine.js";
import type { TaskResult, WorkflowEvent } from "./events.js";
import { runParallel } from "./parallel.js";

export interface CompareOptions {
  prompt: string;
  backends: readonly BackendName[];
  model?: string;
  workdir?: string;
  sequential?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface CompareSummary {
  prompt: string;
  backends: BackendName[];
  results: TaskResult[];
  total_duration_seconds: number;
  start_time: string;
  end_time: string;
}

export async function* runCompare(
  engine: Engine,
  options: CompareOptions,
): AsyncGenerator<WorkflowEvent, CompareSummary, undefined> {
  const tasks = options.backends.map((backend) => ({
    backend,
    prompt: options.prompt,
    model: options.model,
    workdir: options.workdir,
    name: backend,
  }));
  const summary = yield* runParallel(engine, tasks, {
    maxParallel: options.sequential ? 1 : tasks.length,
    signal: options.signal,
    defaultBackend: options.backends[0] as BackendName,
    dryRun: options.dryRun,
  });
  return {
    prompt: options.prompt,
    backends: [...options.backends],
    results: summary.results,
    total_duration_seconds: summary.total_duration_seconds,
    start_time: summary.start_time,
    end_time: summary.end_time,
  };
}
