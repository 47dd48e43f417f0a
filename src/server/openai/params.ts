/**
 * What the OpenAI surface does with each parameter that a CLI cannot honour. A parameter whose
 * absence changes nothing a client relies on is accepted and ignored (sampling). Stop sequences and
 * output-token limits are honoured after the fact: the answer is cut (compat/answer-cut.ts). One that promises what a CLI cannot keep (several choices, logprobs, JSON mode,
 * audio, background runs) is a 400 naming it, so that no client mistakes an answer for what it
 * asked. Function tools and tool_choice are honoured (compat/client-tools.ts).
 *
 * Chat completions, cut: stop (at most 4), max_completion_tokens (else max_tokens). Ignored:
 * temperature, top_p, presence_penalty, frequency_penalty, logit_bias, seed, user, parallel_tool_calls, metadata,
 * store, reasoning_effort, service_tier, prediction, web_search_options and unknown fields.
 * Rejected: n > 1, logprobs, top_logprobs > 0, legacy functions and function_call naming a
 * function, audio output. response_format json_schema and json_object are structured output
 * (structured-output.ts).
 *
 * Responses, cut: max_output_tokens. Ignored: temperature, top_p, max_tool_calls,
 * parallel_tool_calls, reasoning, truncation, metadata, include, user, service_tier and unknown
 * fields; `store: false` makes a new conversation leave no session. Rejected: background,
 * conversation, prompt, top_logprobs > 0, tools other than functions. text.format json_schema and
 * json_object are structured output (structured-output.ts).
 */
import { type AnswerLimits, stopSequences, tokenLimit } from "../compat/answer-cut.js";
import { unsupported } from "../compat/errors.js";
import type { ChatBody, ResponsesBody } from "./schemas.js";

export function checkChatParams(body: ChatBody): void {
  if (body.n != null && body.n > 1) throw unsupported("n", "n > 1 is not supported: a CLI gives one answer per run");
  if (body.logprobs) throw unsupported("logprobs", "logprobs are not available from a CLI");
  if (body.top_logprobs) throw unsupported("top_logprobs", "logprobs are not available from a CLI");
  if (body.function_call != null && body.function_call !== "none" && body.function_call !== "auto") {
    throw unsupported("function_call", "legacy function_call is not supported: use tools and tool_choice");
  }
  if (body.modalities?.some((modality) => modality !== "text") || body.audio) {
    throw unsupported(body.audio ? "audio" : "modalities", "only text output is supported");
  }
}

export function checkResponsesParams(body: ResponsesBody): void {
  if (body.background) throw unsupported("background", "background responses are not supported");
  if (body.conversation != null) {
    throw unsupported("conversation", "conversation objects are not supported; use previous_response_id");
  }
  if (body.prompt != null) throw unsupported("prompt", "prompt templates are not supported");
  if (body.top_logprobs) throw unsupported("top_logprobs", "logprobs are not available from a CLI");
}

/** Where a chat answer is cut: `max_completion_tokens` replaces the deprecated `max_tokens`, as with OpenAI. */
export function chatLimits(body: ChatBody): AnswerLimits {
  const maxTokens =
    body.max_completion_tokens != null
      ? tokenLimit(body.max_completion_tokens, "max_completion_tokens")
      : tokenLimit(body.max_tokens, "max_tokens");
  return { stop: stopSequences(body.stop, "stop", 4), maxTokens };
}

export function responsesLimits(body: ResponsesBody): AnswerLimits {
  return { maxTokens: tokenLimit(body.max_output_tokens, "max_output_tokens") };
}
