/**
 * The native API and the engine, translated both ways: request bodies into RunRequests and results
 * into response bodies. Pure: the network policy is the engine's guard (run-policy.ts).
 */
import type { Config } from "../../config/schema.js";
import type { RunRequest, RunResult } from "../../core/request.js";
import type { PromptBody, PromptResponse, ResumeBody } from "./schemas.js";

export type RunOptionsBody = Omit<ResumeBody, "prompt">;

/** Request fields common to new prompts and resumes. */
export function runOptions(body: RunOptionsBody): Omit<RunRequest, "backend" | "prompt"> {
  return {
    model: body.model || undefined,
    approvalMode: body.approval_mode,
    sandboxMode: body.sandbox_mode,
    systemPrompt: body.system_prompt,
    maxTurns: body.max_turns,
    allowedTools: body.allowed_tools,
    extraFlags: body.extra,
    dryRun: body.dry_run,
    includeRaw: body.include_raw,
    timeoutMs: body.timeout_secs !== undefined ? Math.round(body.timeout_secs * 1000) : undefined,
    // Only a live process can ask: asking for permissions makes a run live unless it says otherwise.
    live: body.live ?? (body.ask_permissions ? true : undefined),
  };
}

export function promptRequest(body: PromptBody, config: Config): RunRequest {
  return {
    ...runOptions(body),
    backend: body.backend ?? config.default_backend,
    prompt: body.prompt,
    workdir: body.workdir,
    ephemeral: body.ephemeral,
    title: body.title,
    metadata: body.metadata,
  };
}

export function promptResponse(result: RunResult): PromptResponse {
  const response: PromptResponse = {
    backend: result.backend,
    status: result.status,
    exit_code: result.exit_code,
    duration_ms: result.duration_ms,
    token_usage: result.usage,
    session_id: result.session_id ?? null,
  };
  if (result.text) response.output = result.text;
  if (result.error) {
    response.error = result.error.message;
    response.error_code = result.error.code;
    if (result.error.hint) response.error_hint = result.error.hint;
  }
  if (result.backend_session_id) response.backend_session_id = result.backend_session_id;
  if (result.model) response.model = result.model;
  if (result.dry_run) response.dry_run = true;
  return response;
}
