/**
 * Stop sequences and output-token limits, honoured after the fact: no CLI takes them, so the answer
 * is cut where the model would have stopped. At the first stop sequence (the sequence itself not
 * included), or where the answer's estimated tokens (tokens.ts, the estimate usage uses) reach the
 * limit. Streamed, the cutter holds back what a later delta could still change (a suffix that may
 * begin a stop sequence, a word that may go on), so that no text after the cut is ever sent.
 *
 * A length cut is undone when the run's real output tokens, known at its end, show that the whole
 * answer fits: the estimate can be high, and the CLI's count (its tool calls and reasoning
 * included) is never below the answer's.
 */
import { invalidValue } from "./errors.js";
import { DENSE, estimateTokens, PIECES } from "./tokens.js";

export interface AnswerLimits {
  stop?: readonly string[];
  maxTokens?: number;
}

/** Why an answer was cut: a stop sequence it reached, or the token limit. */
export type Cut = { reason: "stop_sequence"; sequence: string } | { reason: "max_tokens" };

/** Bounds on what a request may ask (OpenAI's own bound on `stop` is 4). */
export const MAX_STOP_LENGTH = 1000;

/** A request's stop sequences, checked: a list of non-empty strings of bounded length. */
export function stopSequences(value: unknown, param: string, max: number): string[] | undefined {
  if (value == null) return undefined;
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.some((entry) => typeof entry !== "string")) {
    throw invalidValue(param, "stop sequences are a string or a list of strings");
  }
  if (list.length > max) throw invalidValue(param, `at most ${max} stop sequences, not ${list.length}`);
  list.forEach((entry: string, index) => {
    if (entry === "") throw invalidValue(`${param}[${index}]`, "a stop sequence cannot be empty");
    if (entry.length > MAX_STOP_LENGTH) {
      throw invalidValue(`${param}[${index}]`, `a stop sequence has at most ${MAX_STOP_LENGTH} characters`);
    }
  });
  return list.length > 0 ? (list as string[]) : undefined;
}

/** A request's output-token limit, checked: a positive integer. */
export function tokenLimit(value: unknown, param: string): number | undefined {
  if (value == null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw invalidValue(param, `${param} is a positive integer, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** How many characters of a piece one token covers, by the estimate's own rule. */
function charsPerToken(piece: string): number {
  if (DENSE.test(piece)) return 1;
  if (/^\p{N}/u.test(piece)) return 3;
  return /^[\p{L}\p{M}]/u.test(piece) ? 4 : 1;
}

/**
 * Where text reaches `max` estimated tokens: before the first piece that does not fit, or within a
 * long word (as many characters as the remaining tokens cover). Undefined when the text fits. A
 * piece that grows in a later delta only costs more, so a cut found early stays where it is.
 */
function tokenCut(text: string, max: number): number | undefined {
  let used = 0;
  for (const match of text.matchAll(PIECES)) {
    const [piece] = match;
    const cost = estimateTokens(piece);
    if (used + cost > max) {
      const keep = (max - used) * charsPerToken(piece);
      return keep > 0 ? match.index + keep : text.slice(0, match.index).trimEnd().length;
    }
    used += cost;
  }
  return undefined;
}

/** Where the earliest stop sequence begins, and which. */
function stopAt(text: string, stop: readonly string[]): { at: number; sequence: string } | undefined {
  let found: { at: number; sequence: string } | undefined;
  for (const sequence of stop) {
    const at = text.indexOf(sequence);
    if (at >= 0 && (found === undefined || at < found.at)) found = { at, sequence };
  }
  return found;
}

/** Where a suffix of text begins that could be the start of a stop sequence (text.length if none). */
function stopHold(text: string, stop: readonly string[]): number {
  let hold = text.length;
  for (const sequence of stop) {
    for (let length = Math.min(sequence.length - 1, text.length); length > 0; length--) {
      if (text.endsWith(sequence.slice(0, length))) {
        hold = Math.min(hold, text.length - length);
        break;
      }
    }
  }
  return hold;
}

/** The whole answer, cut. */
export function cutAnswer(text: string, limits: AnswerLimits): { text: string; cut?: Cut } {
  const cutter = new AnswerCutter(limits);
  const sent = cutter.push(text) + cutter.end();
  return { text: sent, ...(cutter.cut ? { cut: cutter.cut } : {}) };
}

export class AnswerCutter {
  private buffer = "";
  private sent = 0;
  private done: Cut | undefined;
  /** Text held after a length cut, in case the run's real count shows that it fits. */
  private overflow = false;

  constructor(private readonly limits: AnswerLimits) {}

  get active(): boolean {
    return Boolean(this.limits.stop?.length || this.limits.maxTokens !== undefined);
  }

  /** Why the answer was cut, once it was. */
  get cut(): Cut | undefined {
    return this.done;
  }

  /** Takes a delta; returns what may be sent of it now. */
  push(delta: string): string {
    if (this.done?.reason === "stop_sequence" || !delta) return "";
    // After a length cut, the rest is kept (unsent) in case the run's real count undoes the cut.
    this.buffer += delta;
    return this.done ? "" : this.advance(false);
  }

  /**
   * The run ended: what is left to send. `outputTokens` is the run's real count, when the CLI gave
   * one: an answer that fits it is not cut for length.
   */
  end(outputTokens?: number): string {
    if (this.done?.reason === "stop_sequence") return "";
    const max = this.limits.maxTokens;
    if (this.overflow && max !== undefined && outputTokens !== undefined && outputTokens <= max) {
      this.done = undefined;
      this.overflow = false;
      return this.advance(true, true);
    }
    if (this.done) return "";
    return this.advance(true);
  }

  private advance(final: boolean, ignoreLength = false): string {
    const text = this.buffer;
    let end = text.length;
    let cut: Cut | undefined;
    const stop = this.limits.stop ?? [];
    const found = stopAt(text, stop);
    if (found) {
      end = found.at;
      cut = { reason: "stop_sequence", sequence: found.sequence };
    } else if (!final) end = stopHold(text, stop);
    const max = this.limits.maxTokens;
    if (max !== undefined && !ignoreLength) {
      const at = tokenCut(text.slice(0, end), max);
      if (at !== undefined) {
        end = at;
        cut = { reason: "max_tokens" };
        this.overflow = true;
        // Whitespace is held (below) until a word follows it: a cut before that word drops it.
      } else if (!final && !found) end = text.slice(0, end).trimEnd().length;
    }
    this.done = cut;
    const out = text.slice(this.sent, Math.max(this.sent, end));
    this.sent = Math.max(this.sent, end);
    return out;
  }
}
