/**
 * What parallel and chain share when they plan: a task or step spec as an engine request, and the
 * checks that name the task at fault (its placeholders, then the request the engine would run).
 */
import type { BackendName } from "../core/backend-names.js";
import { ClinvkError, toClinvkError } from "../core/errors.js";
import type { RunRequest } from "../core/request.js";
import type { Engine } from "../engine/engine.js";
import type { TaskSpec } from "./specs.js";
import { TemplateError } from "./templates.js";

export function invalid(message: string, hint?: string): ClinvkError {
  return new ClinvkError("invalid_request", message, hint);
}

/**
 * What the caller sets for every task: a dry run, no sessions, and the model and workdir of the
 * tasks that name none (the command line's `--dry-run`, `--ephemeral`, `-m` and `-w`).
 */
export interface TaskDefaults {
  dryRun?: boolean;
  ephemeral?: boolean;
  model?: string;
  workdir?: string;
}

/** The engine request for a task spec, before placeholders are filled. */
export function taskRequest(
  spec: Omit<TaskSpec, "id" | "name" | "tags" | "meta" | "depends_on">,
  backend: BackendName,
  defaults: TaskDefaults,
): RunRequest {
  return {
    backend,
    prompt: spec.prompt,
    model: spec.model ?? defaults.model,
    workdir: spec.workdir ?? defaults.workdir,
    approvalMode: spec.approval_mode,
    sandboxMode: spec.sandbox_mode,
    maxTurns: spec.max_turns,
    systemPrompt: spec.system_prompt,
    extraFlags: spec.extra,
    ephemeral: defaults.ephemeral || (spec.ephemeral ?? true),
    dryRun: spec.dry_run || defaults.dryRun || undefined,
  };
}

/** Runs a placeholder check; a TemplateError becomes `invalid_request` naming the task. */
export function checkPlaceholders(label: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof TemplateError) throw invalid(`${label}: ${error.message}`);
    throw error;
  }
}

/** Prepares the request as the engine would run it, so that a bad one fails before anything runs. */
export function checkRequest(engine: Engine, label: string, request: RunRequest): RunRequest {
  try {
    engine.prepare(request);
  } catch (error) {
    const clinvkError = toClinvkError(error);
    throw new ClinvkError(clinvkError.code, `${label}: ${clinvkError.message}`, clinvkError.hint);
  }
  return request;
}
