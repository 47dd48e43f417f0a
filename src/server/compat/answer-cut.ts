/**
 * Stop sequences and output-token limits, honoured after the fact: no CLI takes them, so the answer
 * is cut where the model would have stopped. At the first stop sequence (the sequence itself not
 * included), or where the answer's estimated tokens (tokens.ts, the estimate usage uses) reach the
 * limit. Streamed, the cutter holds back what a later delta could still change (a suffix that may
 * begin a stop sequence; with a limit, trailing whitespace that a cut before the next word drops),
 * so that no text after the cut is ever sent, and the streamed cut is the one the whole answer gets.
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

/** How much text that nothing needs is kept before it is dropped (answer-cut's buffer). */
const DROP_AT = 4096;

/** Where text before `end` ends without its trailing whitespace. */
function trimmedEnd(text: string, end: number): number {
  let at = end;
  while (at > 0 && /\s/u.test(text.charAt(at - 1))) at--;
  return at;
}

/**
 * Counts an answer's estimated tokens piece by piece as it grows, resuming where it left off (a
 * long answer of many deltas is not counted again for each). A piece that ends before the text
 * counted so far is final; the last one may grow in a later delta, which only makes it cost more,
 * so a cut found early stays where it is.
 */
class TokenCounter {
  /** Where the next uncounted piece begins, and the tokens before it. */
  private at = 0;
  private used = 0;
  /** Its own copy: a global regex carries its position. */
  private readonly pieces = new RegExp(PIECES.source, PIECES.flags);

  constructor(private readonly max: number) {}

  /**
   * Where the text up to `end` reaches the limit: before the first piece that does not fit, or
   * within a long word (as many characters as the remaining tokens cover). Undefined if it fits.
   */
  cut(text: string, base: number, end: number): number | undefined {
    const pieces = this.pieces;
    pieces.lastIndex = this.at - base;
    const until = end - base;
    for (let match = pieces.exec(text); match !== null && match.index < until; match = pieces.exec(text)) {
      const piece = match[0].slice(0, until - match.index);
      const cost = estimateTokens(piece);
      if (this.used + cost > this.max) {
        const keep = (this.max - this.used) * charsPerToken(piece);
        return base + (keep > 0 ? match.index + keep : trimmedEnd(text, match.index));
      }
      if (match.index + piece.length >= until) break;
      this.used += cost;
      this.at = base + match.index + piece.length;
    }
    return undefined;
  }

  /** Where the text it still needs begins. */
  get start(): number {
    return this.at;
  }
}

/** Finds the earliest stop sequence, searching only what is new since the last call. */
class StopFinder {
  private from = 0;
  private found: { at: number; sequence: string } | undefined;
  private readonly longest: number;

  constructor(private readonly stop: readonly string[]) {
    this.longest = Math.max(0, ...stop.map((sequence) => sequence.length));
  }

  find(text: string, base: number): { at: number; sequence: string } | undefined {
    // The earliest occurrence, once found, stays the earliest.
    if (this.found) return this.found;
    for (const sequence of this.stop) {
      const at = text.indexOf(sequence, this.from - base);
      if (at >= 0 && (this.found === undefined || base + at < this.found.at)) this.found = { at: base + at, sequence };
    }
    // An occurrence not found yet ends after the text so far, so it begins in its last characters.
    this.from = Math.max(this.from, base + text.length - this.longest + 1);
    return this.found;
  }

  /** Where the text it still needs begins. */
  get start(): number {
    return this.found ? this.found.at : this.from;
  }

  /** Where a suffix of text begins that could be the start of a stop sequence (text.length if none). */
  hold(text: string, base: number): number {
    let hold = text.length;
    const last = text.charCodeAt(text.length - 1);
    for (const sequence of this.stop) {
      for (let length = Math.min(sequence.length - 1, text.length); length > 0; length--) {
        if (sequence.charCodeAt(length - 1) !== last) continue;
        if (text.endsWith(sequence.slice(0, length))) {
          hold = Math.min(hold, text.length - length);
          break;
        }
      }
    }
    return base + hold;
  }
}

/** The whole answer, cut. */
export function cutAnswer(text: string, limits: AnswerLimits): { text: string; cut?: Cut } {
  const cutter = new AnswerCutter(limits);
  const sent = cutter.push(text) + cutter.end();
  return { text: sent, ...(cutter.cut ? { cut: cutter.cut } : {}) };
}

export class AnswerCutter {
  /**
   * The answer from `base` on: what is sent and no longer needed (by the counters, or to undo a
   * length cut) is dropped, so that each delta costs what is new, not the whole answer.
   */
  private buffer = "";
  private base = 0;
  private sent = 0;
  private done: Cut | undefined;
  /** Text held after a length cut, in case the run's real count shows that it fits. */
  private overflow = false;
  private readonly stops: StopFinder;
  private readonly tokens: TokenCounter | undefined;

  constructor(private readonly limits: AnswerLimits) {
    this.stops = new StopFinder(limits.stop ?? []);
    this.tokens = limits.maxTokens === undefined ? undefined : new TokenCounter(limits.maxTokens);
  }

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
    const base = this.base;
    let end = base + text.length;
    let cut: Cut | undefined;
    const found = this.stops.find(text, base);
    if (found) {
      end = found.at;
      cut = { reason: "stop_sequence", sequence: found.sequence };
    } else if (!final) end = this.stops.hold(text, base);
    if (this.tokens && !ignoreLength) {
      const at = this.tokens.cut(text, base, end);
      if (at !== undefined) {
        end = at;
        cut = { reason: "max_tokens" };
        this.overflow = true;
        // Whitespace is held (below) until a word follows it: a cut before that word drops it.
      } else if (!final && !found) end = base + trimmedEnd(text, end - base);
    }
    this.done = cut;
    const upTo = Math.max(this.sent, end);
    const out = text.slice(this.sent - base, upTo - base);
    this.sent = upTo;
    this.drop();
    return out;
  }

  /** Drops what nothing needs any more, once there is enough of it to be worth a copy. */
  private drop(): void {
    const needed = Math.min(this.sent, this.stops.start, this.tokens?.start ?? this.sent);
    if (needed - this.base < DROP_AT) return;
    this.buffer = this.buffer.slice(needed - this.base);
    this.base = needed;
  }
}
