/**
 * Engine outcomes as MCP tool results: text for the model to read (the answer first, then what it
 * needs to go on, such as the session id) and the same facts as structuredContent for programs.
 * A run that failed, and a call that was refused, are tool results with isError, never protocol
 * errors, so that the calling model sees what went wrong and can correct its call.
 */
import type { ErrorInfo } from "../core/errors.js";
import type { RunResult } from "../core/request.js";
import { displayName, type Session, type SessionPage } from "../sessions/session.js";
import type { ChainSummary } from "../workflows/chain.js";
import type { CompareSummary } from "../workflows/compare.js";
import type { TaskResult } from "../workflows/events.js";
import type { ParallelSummary } from "../workflows/parallel.js";

export interface ToolResult {
  [key: string]: unknown;
  content: { type: "text"; text: string }[];
  structuredContent: Record<string, unknown>;
  isError?: boolean;
}

const text = (body: string) => [{ type: "text" as const, text: body }];

function describeError(error: ErrorInfo): string {
  return `${error.message} (${error.code})${error.hint ? `\nhint: ${error.hint}` : ""}`;
}

/** A call refused before anything ran: invalid arguments, a policy refusal, an unknown session. */
export function errorResult(error: ErrorInfo): ToolResult {
  return { content: text(`error: ${describeError(error)}`), structuredContent: { error }, isError: true };
}

export function runResult(result: RunResult): ToolResult {
  // Absent facts (no session, no error) are undefined, and so are left out of the JSON sent.
  const structured = {
    status: result.status,
    backend: result.backend,
    output: result.text,
    session_id: result.session_id,
    backend_session_id: result.backend_session_id,
    model: result.model,
    usage: result.usage,
    duration_ms: result.duration_ms,
    exit_code: result.exit_code,
    error: result.error,
  };
  const about = result.session_id
    ? `[${result.backend} run, clinvoker session ${result.session_id}: pass it as session_id to continue]`
    : `[${result.backend} run, no session kept]`;
  const body = result.error
    ? `${result.backend} failed: ${describeError(result.error)}${result.text ? `\n\n${result.text}` : ""}`
    : result.text || "(the agent gave no answer)";
  return {
    content: text(`${body}\n\n${about}`),
    structuredContent: structured,
    ...(result.error ? { isError: true } : {}),
  };
}

function describeTask(label: string, result: TaskResult): string {
  const answer = result.output || (result.error ? `error: ${result.error}` : "(no answer)");
  return `## ${label} (${result.backend}): ${result.status}\n${answer.trimEnd()}`;
}

const done = (results: readonly TaskResult[]) => results.filter((r) => r.status === "completed").length;

export function parallelResult(summary: ParallelSummary): ToolResult {
  const sections = summary.results.map((r) => describeTask(r.task_name || r.task_id || `task ${r.index + 1}`, r));
  return workflowResult(`${done(summary.results)} of ${summary.total_tasks} tasks completed`, sections, summary);
}

export function chainResult(summary: ChainSummary): ToolResult {
  const sections = summary.results.map((r) => describeTask(`step ${r.step}${r.name ? ` (${r.name})` : ""}`, r));
  return workflowResult(`${summary.completed_steps} of ${summary.total_steps} steps completed`, sections, summary);
}

export function compareResult(summary: CompareSummary): ToolResult {
  const sections = summary.results.map((r) => describeTask(r.backend, r));
  return workflowResult(`${done(summary.results)} of ${summary.backends.length} backends answered`, sections, summary);
}

function workflowResult(headline: string, sections: string[], summary: object): ToolResult {
  return {
    content: text([headline, ...sections].join("\n\n")),
    structuredContent: summary as Record<string, unknown>,
  };
}

export function sessionsResult(page: SessionPage, offset: number): ToolResult {
  const lines = page.sessions.map(
    (s) =>
      `${s.id}  ${s.backend}  ${s.status}  ${s.turn_count} turn${s.turn_count === 1 ? "" : "s"}  ${s.working_dir}  ${displayName(s)}`,
  );
  const shown = page.sessions.length
    ? `sessions ${offset + 1}-${offset + page.sessions.length} of ${page.total}, newest first`
    : `no sessions (of ${page.total})`;
  return { content: text([shown, ...lines].join("\n")), structuredContent: { ...page } };
}

export function sessionResult(session: Session): ToolResult {
  return { content: text(JSON.stringify(session, null, 2)), structuredContent: { ...session } };
}
