/**
 * The native API and the engine, translated both ways: request bodies into RunRequests (with the
 * server's policies applied) and results into response bodies. Pure apart from the workdir check.
 */
import type { Config } from "../config/schema.js";
import { ClinvkError } from "../engine/errors.js";
import type { RunRequest, RunResult } from "../engine/request.js";
import type { PromptBody, PromptResponse, ResumeBody } from "./schemas/api.js";
import { checkWorkdir } from "./workdir-policy.js";

export type RunOptionsBody = Omit<ResumeBody, "prompt">;

/** Network clients may not switch approvals or the sandbox off unless the server allows it. */
export function checkModes(body: Pick<RunOptionsBody, "approval_mode" | "sandbox_mode">, config: Config): void {
  if (config.server.allow_dangerous_modes) return;
  if (body.approval_mode === "none" || body.sandbox_mode === "full") {
    throw new ClinvkError(
      "invalid_request",
      `${body.approval_mode === "none" ? "approval_mode none" : "sandbox_mode full"} is not allowed from the network`,
      "the server's admin can allow it with server.allow_dangerous_modes: true",
    );
  }
}

/** A workflow task or step as the network may send it: modes checked, workdir within the policy. */
export function checkedTask<
  T extends Pick<RunOptionsBody, "approval_mode" | "sandbox_mode" | "extra"> & { workdir?: string },
>(task: T, config: Config): T {
  checkModes(task, config);
  checkExtraFlagPolicy(task.extra, config);
  return { ...task, workdir: allowedWorkdir(task.workdir, config) };
}

/** Extra flags that switch approvals or the sandbox, or pick a profile that may: the modes' job. */
const MODE_FLAGS = [
  "--permission-mode",
  "--sandbox",
  "-s",
  "--full-auto",
  "--approve-for-me",
  "--approval-mode",
  "--yolo",
  "-y",
  "--profile",
  "-p",
];
/** Extra flags that give the agent directories: subject to the workdir policy. */
const DIRECTORY_FLAGS = ["--add-dir", "--include-directories"];

/** The server's policies apply to the CLI's own flags too, not only to the unified fields. */
export function checkExtraFlagPolicy(extra: readonly string[] | undefined, config: Config): void {
  if (!extra) return;
  extra.forEach((token, index) => {
    const eq = token.indexOf("=");
    const name = (eq === -1 ? token : token.slice(0, eq)).toLowerCase();
    if (!config.server.allow_dangerous_modes && MODE_FLAGS.includes(name)) {
      throw new ClinvkError(
        "invalid_request",
        `extra flag ${name} is not allowed from the network`,
        "use approval_mode and sandbox_mode; the server's admin can allow more with server.allow_dangerous_modes",
      );
    }
    if (DIRECTORY_FLAGS.includes(name)) {
      const value = eq === -1 ? extra[index + 1] : token.slice(eq + 1);
      allowedWorkdir(value ?? "", config);
    }
  });
}

/** Request fields common to new prompts and resumes. */
export function runOptions(body: RunOptionsBody, config: Config): Omit<RunRequest, "backend" | "prompt"> {
  checkModes(body, config);
  checkExtraFlagPolicy(body.extra, config);
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
  };
}

export function allowedWorkdir(workdir: string | undefined, config: Config): string {
  return checkWorkdir(workdir || process.cwd(), {
    allowed: config.server.allowed_workdir_prefixes,
    blocked: config.server.blocked_workdir_prefixes,
  });
}

export function promptRequest(body: PromptBody, config: Config): RunRequest {
  return {
    ...runOptions(body, config),
    backend: body.backend ?? config.default_backend,
    prompt: body.prompt,
    workdir: allowedWorkdir(body.workdir, config),
    ephemeral: body.ephemeral,
    title: body.title,
    metadata: body.metadata,
  };
}

export function wantsStream(
  body: { output_format?: string },
  accept: string | undefined,
): "sse" | "ndjson" | undefined {
  if (accept?.includes("text/event-stream")) return "sse";
  if (body.output_format === "stream-json") return "ndjson";
  return undefined;
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
