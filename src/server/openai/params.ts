/**
 * What the OpenAI surface does with each parameter that a CLI cannot honour. A parameter whose
 * absence changes nothing a client relies on is accepted and ignored (sampling, length limits,
 * stop sequences, the client's tool list: the agent uses its own tools). One that promises what a
 * CLI cannot keep (several choices, logprobs, forced tool calls, JSON mode, audio, background
 * runs) is a 400 naming it, so that no client mistakes an answer for what it asked.
 *
 * Chat completions, ignored: temperature, top_p, max_tokens, max_completion_tokens, stop,
 * presence_penalty, frequency_penalty, logit_bias, seed, user, tools, parallel_tool_calls,
 * metadata, store, reasoning_effort, service_tier, prediction, web_search_options and unknown
 * fields. Rejected: n > 1, logprobs, top_logprobs > 0, tool_choice other than none/auto,
 * function_call naming a function, audio output. response_format json_schema and json_object are
 * structured output (structured-output.ts).
 *
 * Responses, ignored: temperature, top_p, max_output_tokens, max_tool_calls, tools,
 * parallel_tool_calls, reasoning, truncation, metadata, include, user, service_tier and unknown
 * fields; `store: false` makes a new conversation leave no session. Rejected: background,
 * conversation, prompt, tool_choice other than none/auto, top_logprobs > 0. text.format json_schema
 * and json_object are structured output (structured-output.ts).
 */
import { unsupported } from "../compat/errors.js";
import type { ChatBody, ResponsesBody } from "./schemas.js";

type ToolChoice = ChatBody["tool_choice"];

function checkToolChoice(param: string, choice: ToolChoice): void {
  if (choice === undefined || choice === null || choice === "none" || choice === "auto") return;
  throw unsupported(
    param,
    `${param} ${JSON.stringify(choice)} is not supported: the CLI's agent runs its own tools and never returns tool calls to the client`,
  );
}

export function checkChatParams(body: ChatBody): void {
  if (body.n != null && body.n > 1) throw unsupported("n", "n > 1 is not supported: a CLI gives one answer per run");
  if (body.logprobs) throw unsupported("logprobs", "logprobs are not available from a CLI");
  if (body.top_logprobs) throw unsupported("top_logprobs", "logprobs are not available from a CLI");
  checkToolChoice("tool_choice", body.tool_choice);
  if (body.function_call != null && typeof body.function_call !== "string") {
    throw unsupported("function_call", "function_call naming a function is not supported: the CLI returns no calls");
  }
  checkToolChoice("function_call", body.function_call as ToolChoice);
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
  checkToolChoice("tool_choice", body.tool_choice);
  if (body.top_logprobs) throw unsupported("top_logprobs", "logprobs are not available from a CLI");
}
