/**
 * Steps one after another, each on its own backend, each fed the answers before it through
 * `{{previous}}` and `{{steps.NAME.output}}`. Stops at the first failure unless told to go on.
 */
import { resolve } from "node:path";
import type { BackendName } from "../core/backend-names.js";
import type { RunRequest } from "../core/request.js";
import type { Engine } from "../engine/engine.js";
import { AsyncQueue } from "./async-queue.js";
import type { TaskResult, WorkflowEvent } from "./events.js";
import { notRun, runTask, type TaskIdentity } from "./run-task.js";
import type { ChainSpec, StepSpec } from "./specs.js";
import { checkPlaceholders, checkRequest, invalid, type TaskDefaults, taskRequest } from "./task-request.js";
import { fillTemplate, placeholdersIn, TemplateError } from "./templates.js";

export interface ChainOptions extends TaskDefaults {
  signal?: AbortSignal;
  defaultBackend: BackendName;
  /** Go on after a failed step (the file's stop_on_failure: false says the same). */
  continueOnFailure?: boolean;
  /** Directory that relative workdirs are resolved against. */
  cwd?: string;
}

export interface ChainStepResult extends TaskResult {
  /** 1-based. */
  step: number;
  name?: string;
}

export interface ChainSummary {
  total_steps: number;
  completed_steps: number;
  failed_step?: number;
  total_duration_seconds: number;
  start_time: string;
  end_time: string;
  results: ChainStepResult[];
}

const stepLabel = (step: StepSpec, index: number) => step.name || `Step ${index + 1}`;
const describe = (step: StepSpec, index: number) => `step ${index + 1}${step.name ? ` (${step.name})` : ""}`;

/** Checks placeholders, options and every step's request before the first step runs. */
function planChain(engine: Engine, spec: ChainSpec, options: ChainOptions): RunRequest[] {
  if (spec.pass_session_id || spec.persist_sessions) {
    throw invalid("chain is always ephemeral; pass_session_id and persist_sessions are not supported");
  }
  const names = new Map<string, number>();
  return spec.steps.map((step, index) => {
    checkPlaceholders(describe(step, index), () => {
      for (const placeholder of placeholdersIn(step.prompt)) {
        if (placeholder.kind === "session")
          throw new TemplateError("{{session}} is not supported: chains are ephemeral");
        if (placeholder.kind === "task") throw new TemplateError("{{tasks...}} belongs in parallel task files");
        if (placeholder.kind === "previous" && index === 0)
          throw new TemplateError("{{previous}} has no previous step");
        if (placeholder.kind === "step" && !names.has(placeholder.name) && !isEarlierNumber(placeholder.name, index)) {
          throw new TemplateError(`{{steps.${placeholder.name}.output}} names no earlier step`);
        }
      }
    });
    if (step.name) names.set(step.name, index);
    const defaults = { ...options, dryRun: spec.dry_run === true || options.dryRun === true };
    return checkRequest(
      engine,
      describe(step, index),
      taskRequest(step, step.backend ?? options.defaultBackend, defaults),
    );
  });
}

function isEarlierNumber(name: string, index: number): boolean {
  return /^\d+$/.test(name) && Number(name) >= 1 && Number(name) <= index;
}

export async function* runChain(
  engine: Engine,
  spec: ChainSpec,
  options: ChainOptions,
): AsyncGenerator<WorkflowEvent, ChainSummary, undefined> {
  const requests = planChain(engine, spec, options);
  const stopOnFailure = !(options.continueOnFailure || spec.stop_on_failure === false);
  const started = new Date();
  const signal = options.signal ?? new AbortController().signal;
  const results: ChainStepResult[] = [];
  const outputs: string[] = [];
  const byName = new Map<string, number>();
  let previousWorkdir: string | undefined;
  let stopped = false;

  const identities = spec.steps.map(
    (step, index): TaskIdentity => ({
      index,
      label: stepLabel(step, index),
      backend: step.backend ?? options.defaultBackend,
      task_name: step.name,
    }),
  );
  for (const identity of identities) {
    yield { type: "task_queued", index: identity.index, label: identity.label, backend: identity.backend };
  }
  for (const [index, step] of spec.steps.entries()) {
    const identity = identities[index] as TaskIdentity;
    if (stopped || signal.aborted) {
      const result = notRun(identity, "cancelled", signal.aborted ? "cancelled" : "an earlier step failed");
      results.push({ ...result, step: index + 1, ...(step.name ? { name: step.name } : {}) });
      yield { type: "task_finished", index, label: identity.label, result };
      continue;
    }
    const base = requests[index] as RunRequest;
    const workdir = step.workdir ?? (spec.pass_working_dir ? previousWorkdir : undefined) ?? options.workdir;
    const request: RunRequest = {
      ...base,
      workdir,
      prompt: fillTemplate(base.prompt, (placeholder) => {
        if (placeholder.kind === "previous") return outputs[index - 1] ?? "";
        if (placeholder.kind === "step")
          return outputs[byName.get(placeholder.name) ?? Number(placeholder.name) - 1] ?? "";
        return "";
      }),
    };
    const live = new AsyncQueue<WorkflowEvent>();
    const running = runTask(engine, identity, request, signal, (event) => live.push(event)).finally(() => live.close());
    for await (const event of live) yield event;
    const result = await running;
    results.push({ ...result, step: index + 1, ...(step.name ? { name: step.name } : {}) });
    outputs[index] = result.output ?? "";
    if (step.name) byName.set(step.name, index);
    previousWorkdir = workdir ? resolve(options.cwd ?? process.cwd(), workdir) : previousWorkdir;
    if (result.status !== "completed" && stopOnFailure) stopped = true;
  }

  const ended = new Date();
  const failed = results.find((r) => r.status === "failed");
  return {
    total_steps: results.length,
    completed_steps: results.filter((r) => r.status === "completed").length,
    ...(failed ? { failed_step: failed.step } : {}),
    total_duration_seconds: (ended.getTime() - started.getTime()) / 1000,
    start_time: started.toISOString(),
    end_time: ended.toISOString(),
    results,
  };
}
