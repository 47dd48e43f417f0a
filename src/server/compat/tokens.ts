/**
 * Token counts for the surfaces' `usage`: the CLI's real counts when it reports them, else an
 * estimate. The estimate follows how BPE tokenizers split text (short words are one token, long
 * ones several, punctuation and non-Latin characters about one each); it is an estimate, within
 * some tens of percent for English prose and code, and says so nowhere it could be mistaken.
 */
import type { Usage } from "../../core/events.js";
import type { Conversation } from "./conversation.js";

export const PIECES = /[\p{L}\p{M}]+|\p{N}+|[^\s\p{L}\p{M}\p{N}]/gu;
// Scripts without spaces between words (CJK, Thai...) come out near one token per character.
export const DENSE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;

export function estimateTokens(text: string): number {
  let tokens = 0;
  for (const [piece] of text.matchAll(PIECES)) {
    if (DENSE.test(piece)) tokens += piece.length;
    else if (/^\p{N}/u.test(piece)) tokens += Math.ceil(piece.length / 3);
    else if (/^[\p{L}\p{M}]/u.test(piece)) tokens += Math.ceil(piece.length / 4);
    else tokens += 1;
  }
  return tokens;
}

/** What a model would read for this conversation: each message costs a few tokens of framing. */
export function estimateConversation(conversation: Conversation): number {
  const framing = 4;
  let tokens = conversation.system ? estimateTokens(conversation.system) + framing : 0;
  for (const turn of conversation.turns) tokens += estimateTokens(turn.text) + framing;
  return tokens;
}

export interface TokenCounts {
  /** Input tokens, cached ones included. */
  input: number;
  output: number;
  cached: number;
  reasoning: number;
  estimated: boolean;
}

/** The run's real counts when the CLI gave any, else estimates of the prompt and the answer. */
export function tokenCounts(usage: Usage | undefined, promptTokens: number, answer: string): TokenCounts {
  if (usage && (usage.input_tokens > 0 || usage.output_tokens > 0)) {
    return {
      input: usage.input_tokens,
      output: usage.output_tokens,
      cached: usage.cached_tokens,
      reasoning: usage.reasoning_tokens,
      estimated: false,
    };
  }
  return { input: promptTokens, output: estimateTokens(answer), cached: 0, reasoning: 0, estimated: true };
}
