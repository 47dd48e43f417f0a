/**
 * A chat conversation as both surfaces send it, reduced to what a CLI can take: a system prompt and
 * alternating user and assistant turns of text. Its fingerprint (a hash chain over the turns) is
 * what lets a client that replays the whole history each call continue one CLI session.
 */
import { createHash } from "node:crypto";

export type Role = "user" | "assistant";

export interface Turn {
  role: Role;
  text: string;
}

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
    if (!text) continue;
    const last = merged.at(-1);
    if (last?.role === turn.role) last.text = `${last.text}\n\n${text}`;
    else merged.push({ role: turn.role, text });
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
  return createHash("sha256")
    .update(previous ?? SEED)
    .update("\0")
    .update(turn.role)
    .update("\0")
    .update(normalizeText(turn.text))
    .digest("hex");
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

/**
 * The prompt that gives a CLI these turns: the user's newest messages as they are, preceded (when
 * there are earlier turns the CLI has not seen) by those turns as a transcript.
 */
export function promptFor(turns: readonly Turn[]): string {
  const { history, latest } = splitLatest(turns);
  const message = latest.map((turn) => turn.text).join("\n\n");
  if (history.length === 0) return message;
  const transcript = history.map((turn) => `<turn role="${turn.role}">\n${turn.text}\n</turn>`).join("\n");
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

/** A session title from the first thing the user said. */
export function titleOf(turns: readonly Turn[]): string | undefined {
  const first = turns
    .find((turn) => turn.role === "user")
    ?.text.replace(/\s+/g, " ")
    .trim();
  if (!first) return undefined;
  return first.length > 60 ? `${first.slice(0, 57)}...` : first;
}
