/**
 * A session's recent turns: what was asked, what came back, how it went. Kept inside the session
 * record (so both stores keep them with no table of their own), bounded in count and in size, since
 * the file store rewrites the whole record on every update.
 */
import type { Session, SessionTurn } from "./session.js";

export type { SessionTurn };

/** Turns kept per session; older ones are dropped and counted in `turns_dropped`. */
export const MAX_TURNS_KEPT = 30;
/** Characters of a turn's prompt kept. */
export const MAX_TURN_PROMPT_CHARS = 2000;
/** Characters of a turn's answer kept. */
export const MAX_TURN_ANSWER_CHARS = 4000;

export interface TurnInput {
  status: "success" | "error";
  errorCode?: string;
  model?: string;
  durationMs: number;
  usage?: SessionTurn["usage"];
  prompt: string;
  answer: string;
}

export interface TurnPolicy {
  /** Keep the prompt and the answer (they may be sensitive); off: only the turn's facts. */
  keepText: boolean;
}

/** At most `max` characters, never ending in half a surrogate pair. */
export function cut(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return { text: text.slice(0, end), truncated: true };
}

export function makeTurn(input: TurnInput, policy: TurnPolicy, now = new Date()): SessionTurn {
  const turn: SessionTurn = {
    at: now.toISOString(),
    status: input.status,
    ...(input.errorCode ? { error_code: input.errorCode } : {}),
    ...(input.model ? { model: input.model } : {}),
    duration_ms: Math.max(0, Math.round(input.durationMs)),
    ...(input.usage ? { usage: input.usage } : {}),
  };
  if (policy.keepText) {
    const prompt = cut(input.prompt, MAX_TURN_PROMPT_CHARS);
    const answer = cut(input.answer, MAX_TURN_ANSWER_CHARS);
    turn.prompt = prompt.text;
    if (prompt.truncated) turn.prompt_truncated = true;
    turn.answer = answer.text;
    if (answer.truncated) turn.answer_truncated = true;
  }
  return turn;
}

/** Appends a turn, dropping (and counting) the oldest beyond the cap. Old records have no `turns`. */
export function recordTurn(session: Session, turn: SessionTurn, max = MAX_TURNS_KEPT): void {
  const turns = Array.isArray(session.turns) ? session.turns : [];
  turns.push(turn);
  const excess = turns.length - max;
  if (excess > 0) {
    turns.splice(0, excess);
    session.turns_dropped = (session.turns_dropped ?? 0) + excess;
  }
  session.turns = turns;
}
