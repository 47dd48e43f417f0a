/** One prompt on several backends, side by side: parallel by default, or one after another. */
import { BACKEND_NAMES, type BackendName } from "../core/backend-names.js";
import { ClinvkError } from "../core/errors.js";
import { isBackendName } from "../core/events.js";
import type { Engine } from "../engine/engine.js";
import type { BackendRegistry } from "../engine/registry.js";
import type { TaskResult, WorkflowEvent } from "./events.js";
import { runParallel } from "./parallel.js";

export interface CompareOptions {
  prompt: string;
  backends: readonly BackendName[];
  model?: string;
  workdir?: string;
  sequential?: boolean;
  dryRun?: boolean;
  /** False keeps each backend's answer as a session (default: ephemeral, like every task). */
  ephemeral?: boolean;
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

/**
 * The backends to compare: every enabled and installed one (`all`), or the named ones less those not
 * installed (each told to `onSkip`; a dry run needs no CLI). Throws when a name is unknown or none is left.
 */
export function selectBackends(
  registry: BackendRegistry,
  choice: { all?: boolean; names?: readonly string[]; dryRun?: boolean; onSkip?: (name: BackendName) => void },
): BackendName[] {
  let backends: BackendName[];
  if (choice.all) {
    backends = BACKEND_NAMES.filter((name) => registry.isEnabled(name) && registry.locate(name));
  } else {
    const named = choice.names ?? [];
    for (const name of named) {
      if (!isBackendName(name))
        throw new ClinvkError("backend_unknown", `unknown backend "${name}"`, "use claude, codex or gemini");
    }
    backends = [...new Set(named as BackendName[])].filter((name) => {
      if (choice.dryRun || registry.locate(name)) return true;
      choice.onSkip?.(name);
      return false;
    });
  }
  if (backends.length === 0) {
    throw new ClinvkError(
      "backend_unavailable",
      "no available backends to compare",
      "`clinvk doctor` shows which CLIs are installed",
    );
  }
  return backends;
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
    ...(options.ephemeral === false ? { ephemeral: false } : {}),
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
