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

/** The engine request for a task spec, before placeholders are filled. */
export function taskRequest(
  spec: Omit<TaskSpec, "id" | "name" | "tags" | "meta" | "depends_on">,
  backend: BackendName,
  dryRun: boolean,
): RunRequest {
  return {
    backend,
    prompt: spec.prompt,
    model: spec.model,
    workdir: spec.workdir,
    approvalMode: spec.approval_mode,
    sandboxMode: spec.sandbox_mode,
    maxTurns: spec.max_turns,
    systemPrompt: spec.system_prompt,
    extraFlags: spec.extra,
    ephemeral: spec.ephemeral ?? true,
    dryRun: spec.dry_run || dryRun || undefined,
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
