/**
 * Session search (`SessionFilter.q`): a plain, case-insensitive substring of the title, a tag, the
 * workdir, the initial prompt or a kept turn's prompt. No wildcards or syntax: what is typed is what
 * is looked for, in both stores.
 */
import { ClinvkError } from "../core/errors.js";
import type { Session, SessionSummary } from "./session.js";

/** Longest search text taken. */
export const MAX_QUERY_LENGTH = 200;

/** The search text, trimmed; undefined when there is none. Too long is an error, not a silent cut. */
export function searchText(q: string | undefined): string | undefined {
  if (q === undefined) return undefined;
  if (typeof q !== "string") throw new ClinvkError("invalid_request", "a session search must be text");
  const trimmed = q.trim();
  if (trimmed.length > MAX_QUERY_LENGTH) {
    throw new ClinvkError(
      "invalid_request",
      `a session search is at most ${MAX_QUERY_LENGTH} characters (this one has ${trimmed.length})`,
    );
  }
  return trimmed || undefined;
}

const has = (text: string | undefined, needle: string) => Boolean(text?.toLowerCase().includes(needle));

/** What the summary alone can tell (the file store's index holds summaries). `needle` is lowercase. */
export function summaryMatchesText(summary: SessionSummary, needle: string): boolean {
  return (
    has(summary.title, needle) ||
    has(summary.working_dir, needle) ||
    has(summary.prompt_preview, needle) ||
    summary.tags.some((tag) => has(tag, needle))
  );
}

/** What needs the whole record: the initial prompt past its preview, and the turns' prompts. */
export function promptsMatchText(session: Session, needle: string): boolean {
  return (
    has(session.initial_prompt, needle) ||
    (Array.isArray(session.turns) && session.turns.some((turn) => has(turn.prompt, needle)))
  );
}

/** A LIKE pattern that matches `text` literally anywhere (escape character: backslash). */
export function likeContaining(text: string): string {
  return `%${text.replace(/[\\%_]/g, "\\$&")}%`;
}
