/**
 * A chat conversation as both surfaces send it, reduced to what a CLI can take: a system prompt and
 * alternating user and assistant turns of text, where an assistant turn may call the client's tools
 * and the user's next turn carries their results. Its fingerprint (a hash chain over the turns,
 * tool calls and results included) is what lets a client that replays the whole history each call
 * continue one CLI session.
 */
import { createHash } from "node:crypto";

export type Role = "user" | "assistant";

/** A call of a client tool in an assistant turn; `arguments` is the JSON text the client saw. */
export interface ToolCallPart {
  id: string;
  name: string;
  arguments: string;
}

/** The client's result of a tool call, in the user's turn after it. */
export interface ToolResultPart {
  id: string;
  content: string;
  isError?: boolean;
}

export interface Turn {
  role: Role;
  text: string;
  calls?: ToolCallPart[];
  results?: ToolResultPart[];
}

const hasTools = (turn: Turn) => Boolean(turn.calls?.length || turn.results?.length);

export interface Conversation {
  system?: string;
  turns: Turn[];
}

/** Clients differ in line endings and outer whitespace when they replay an answer; not in the words. */
export function normalizeText(text: string): string {
  return text.replace(/\r\n?/g, "\n").trim();
}

/** Consecutive messages of one role are one turn, as both APIs treat them; empty ones drop out. */
export function mergeTurns(turns: readonly Turn[]): Turn[] {
  const merged: Turn[] = [];
  for (const turn of turns) {
    const text = normalizeText(turn.text);
    if (!text && !hasTools(turn)) continue;
    const last = merged.at(-1);
    if (last?.role === turn.role) {
      if (text) last.text = last.text ? `${last.text}\n\n${text}` : text;
      if (turn.calls?.length) last.calls = [...(last.calls ?? []), ...turn.calls];
      if (turn.results?.length) last.results = [...(last.results ?? []), ...turn.results];
    } else {
      merged.push({
        role: turn.role,
        text,
        ...(turn.calls?.length ? { calls: [...turn.calls] } : {}),
        ...(turn.results?.length ? { results: [...turn.results] } : {}),
      });
    }
  }
  return merged;
}

/** A request's system parts and turns as a conversation (turns merged); `endsWithUser` says if a CLI can answer it. */
export function conversationOf(system: readonly string[], turns: readonly Turn[]): Conversation {
  return { ...(system.length ? { system: system.join("\n\n") } : {}), turns: mergeTurns(turns) };
}

export const endsWithUser = (conversation: Conversation) => conversation.turns.at(-1)?.role === "user";

const SEED = createHash("sha256").update("clinvk-conversation-v1").digest("hex");

/** The fingerprint after one more turn. A chain, so that a stored fingerprint can be extended. */
export function extendFingerprint(previous: string | undefined, turn: Turn): string {
  const hash = createHash("sha256")
    .update(previous ?? SEED)
    .update("\0")
    .update(turn.role)
    .update("\0")
    .update(normalizeText(turn.text));
  // Calls by id and name (clients re-serialize arguments), results by id and content.
  for (const call of turn.calls ?? []) hash.update("\0call\0").update(call.id).update("\0").update(call.name);
  for (const result of turn.results ?? []) {
    hash.update("\0result\0").update(result.id).update("\0").update(normalizeText(result.content));
  }
  return hash.digest("hex");
}

export function fingerprint(turns: readonly Turn[], from?: string): string {
  let hash = from;
  for (const turn of turns) hash = extendFingerprint(hash, turn);
  return hash ?? SEED;
}

/** prefixes[i] is the fingerprint of turns[0..i]. */
export function prefixFingerprints(turns: readonly Turn[]): string[] {
  const out: string[] = [];
  let hash: string | undefined;
  for (const turn of turns) {
    hash = extendFingerprint(hash, turn);
    out.push(hash);
  }
  return out;
}

/** The turns up to the last assistant answer, and the user's messages after it. */
export function splitLatest(turns: readonly Turn[]): { history: Turn[]; latest: Turn[] } {
  let index = turns.length;
  while (index > 0 && turns[index - 1]?.role === "user") index--;
  return { history: turns.slice(0, index), latest: turns.slice(index) };
}

/** A turn as a CLI reads it in a transcript: its text, then its tool calls or results. */
function turnText(turn: Turn): string {
  const parts = turn.text ? [turn.text] : [];
  for (const call of turn.calls ?? []) {
    parts.push(`<tool_call id="${call.id}" name="${call.name}">${call.arguments}</tool_call>`);
  }
  for (const result of turn.results ?? []) {
    parts.push(
      `<tool_result id="${result.id}"${result.isError ? ' error="true"' : ""}>${result.content}</tool_result>`,
    );
  }
  return parts.join("\n");
}

/**
 * The prompt that gives a CLI these turns: the user's newest messages as they are, preceded (when
 * there are earlier turns the CLI has not seen) by those turns as a transcript.
 */
export function promptFor(turns: readonly Turn[]): string {
  const { history, latest } = splitLatest(turns);
  const message = latest.map(latestText).join("\n\n");
  if (history.length === 0) return message;
  const transcript = history.map((turn) => `<turn role="${turn.role}">\n${turnText(turn)}\n</turn>`).join("\n");
  return [
    "This conversation began before this session. Its earlier turns, for context:",
    "",
    transcript,
    "",
    "The user's new message:",
    "",
    message,
  ].join("\n");
}

/** The user's newest turn; tool results in it are said for what they are. */
function latestText(turn: Turn): string {
  if (!turn.results?.length) return turn.text;
  const results = turn.results.map(
    (result) =>
      `<tool_result id="${result.id}"${result.isError ? ' error="true"' : ""}>\n${result.content}\n</tool_result>`,
  );
  return [`The results of the tool calls:`, ...results, ...(turn.text ? [turn.text] : [])].join("\n");
}

/** The fingerprints of the conversation up to each of its answers, newest first: where a session may hold it. */
export function answeredPrefixes(turns: readonly Turn[]): { fingerprint: string; index: number }[] {
  const prefixes = prefixFingerprints(turns);
  const found: { fingerprint: string; index: number }[] = [];
  for (let index = turns.length - 2; index >= 0; index--) {
    if (turns[index]?.role === "assistant") found.push({ fingerprint: prefixes[index] as string, index });
  }
  return found;
}

/** A session title from the first thing the user said. */
export function titleOf(turns: readonly Turn[]): string | undefined {
  const first = turns
    .find((turn) => turn.role === "user")
    ?.text.replace(/\s+/g, " ")
    .trim();
  if (!first) return undefined;
  return first.length > 60 ? `${first.slice(0, 57)}...` : first;
}
