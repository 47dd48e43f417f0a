/**
 * Chat Completions (`POST /chat/completions`) and the engine, translated both ways: messages into
 * a conversation of turns (tool calls and tool messages included), the request's tools into client
 * tools, a run's answer or its tool calls into a `chat.completion` or its chunks, shaped as the
 * openai SDKs read them.
 */
import { randomBytes } from "node:crypto";
import type { ClientToolChoice } from "../../core/tools.js";
import { clientTool, type RequestTools, requestTools } from "../compat/client-tools.js";
import {
  type Conversation,
  conversationOf,
  endsWithUser,
  type ToolCallPart,
  type Turn,
} from "../compat/conversation.js";
import type { TurnOutcome } from "../compat/drive.js";
import { invalidValue, unsupported } from "../compat/errors.js";
import type { TokenCounts } from "../compat/tokens.js";
import type { ChatBody, ChatMessage } from "./schemas.js";

/** The text of a message's content: a string, or text parts (refusals skipped; media refused). */
export function contentText(content: ChatMessage["content"], param: string): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  const texts: string[] = [];
  content.forEach((part, index) => {
    if (part.type === "text" || part.type === "input_text" || part.type === "output_text") {
      if (typeof part.text !== "string") throw invalidValue(`${param}[${index}].text`, "a text part needs its text");
      texts.push(part.text);
    } else if (part.type !== "refusal") {
      throw invalidValue(
        `${param}[${index}].type`,
        `content of type ${part.type} is not supported: only text and inline images reach a CLI`,
      );
    }
  });
  return texts.join("\n");
}

/** Messages as a conversation; the last must be the user's. */
export function chatConversation(messages: readonly ChatMessage[]): Conversation {
  const system: string[] = [];
  const turns: Turn[] = [];
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    const text = contentText(message.content, `${param}.content`);
    switch (message.role) {
      case "system":
      case "developer":
        if (text.trim()) system.push(text.trim());
        return;
      case "user":
        turns.push({ role: "user", text });
        return;
      case "assistant": {
        if (message.function_call) {
          throw invalidValue(`${param}.function_call`, "legacy function calls are not supported: use tool_calls");
        }
        const calls = assistantCalls(message.tool_calls, `${param}.tool_calls`);
        turns.push({ role: "assistant", text, ...(calls.length ? { calls } : {}) });
        return;
      }
      case "tool": {
        const id = (message as { tool_call_id?: unknown }).tool_call_id;
        if (typeof id !== "string" || !id)
          throw invalidValue(`${param}.tool_call_id`, "a tool message names its tool_call_id");
        turns.push({ role: "user", text: "", results: [{ id, content: text }] });
        return;
      }
      case "function":
        throw invalidValue(`${param}.role`, "legacy function messages are not supported: use tool messages");
      default:
        throw invalidValue(`${param}.role`, `unknown role "${message.role}"`);
    }
  });
  const conversation = conversationOf(system, turns);
  if (!endsWithUser(conversation)) {
    throw invalidValue(
      "messages",
      "the last message must be the user's or a tool's (with some content): a CLI answers a user message",
    );
  }
  return conversation;
}

/** An assistant message's tool_calls as the turn's calls. */
function assistantCalls(value: unknown, param: string): ToolCallPart[] {
  if (value == null) return [];
  if (!Array.isArray(value)) throw invalidValue(param, "tool_calls is a list");
  return value.map((call, index) => {
    const fn = call?.function;
    if (typeof call?.id !== "string" || typeof fn?.name !== "string") {
      throw invalidValue(`${param}[${index}]`, "a tool call has an id and a function with a name");
    }
    const args = typeof fn.arguments === "string" ? fn.arguments : JSON.stringify(fn.arguments ?? {});
    return { id: call.id, name: fn.name, arguments: args };
  });
}

/** The request's tools and tool_choice as client tools; undefined when none are offered. */
export function chatTools(body: ChatBody): RequestTools | undefined {
  if (body.functions?.length) throw unsupported("functions", "legacy functions are not supported: use tools");
  const tools = (body.tools ?? []).map((tool, index) => {
    const param = `tools[${index}]`;
    const entry = tool as {
      type?: unknown;
      function?: { name?: unknown; description?: unknown; parameters?: unknown };
    };
    if (entry?.type !== "function" || !entry.function) {
      throw unsupported(`${param}.type`, `tools of type ${String(entry?.type)} are not supported: only function tools`);
    }
    return clientTool(`${param}.function`, entry.function.name, entry.function.description, entry.function.parameters);
  });
  return requestTools("tools", tools, chatToolChoice(body.tool_choice));
}

function chatToolChoice(choice: ChatBody["tool_choice"]): ClientToolChoice | "none" {
  if (choice == null || choice === "auto") return "auto";
  if (choice === "none" || choice === "required") return choice;
  if (typeof choice === "object" && choice.type === "function") {
    const name = (choice as { function?: { name?: unknown } }).function?.name;
    if (typeof name === "string") return { name };
  }
  throw invalidValue(
    "tool_choice",
    `tool_choice ${JSON.stringify(choice)} is not one of none, auto, required or a function`,
  );
}

export const completionId = () => `chatcmpl-${randomBytes(12).toString("hex")}`;

export interface ChatMeta {
  id: string;
  created: number;
  model: string;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

export function chatUsage(counts: TokenCounts): ChatUsage {
  return {
    prompt_tokens: counts.input,
    completion_tokens: counts.output,
    total_tokens: counts.input + counts.output,
    prompt_tokens_details: { cached_tokens: counts.cached },
    completion_tokens_details: { reasoning_tokens: counts.reasoning },
  };
}

/** The calls of a response, as `tool_calls`. */
export const chatToolCalls = (outcome: Pick<TurnOutcome, "calls">) =>
  outcome.calls.map((call) => ({
    id: call.id,
    type: "function" as const,
    function: { name: call.name, arguments: call.arguments },
  }));

/** Why the answer ended: its tool calls, the token limit, or its end (a stop sequence included). */
export function finishReason(outcome: Pick<TurnOutcome, "calls" | "cut">): FinishReason {
  if (outcome.calls.length > 0) return "tool_calls";
  return outcome.cut?.reason === "max_tokens" ? "length" : "stop";
}

export type FinishReason = "stop" | "length" | "tool_calls";

export function chatCompletion(meta: ChatMeta, outcome: TurnOutcome) {
  const calls = outcome.calls.length > 0;
  return {
    id: meta.id,
    object: "chat.completion" as const,
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant" as const,
          content: calls && !outcome.text ? null : outcome.text,
          refusal: null,
          annotations: [],
          ...(calls ? { tool_calls: chatToolCalls(outcome) } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(outcome),
      },
    ],
    usage: chatUsage(outcome.counts),
    system_fingerprint: null,
  };
}

export type ChunkDelta = {
  role?: "assistant";
  content?: string;
  tool_calls?: { index: number; id?: string; type?: "function"; function: { name?: string; arguments: string } }[];
};

export type ChunkChoice = {
  index: 0;
  delta: ChunkDelta;
  logprobs: null;
  finish_reason: FinishReason | null;
};

/** One `chat.completion.chunk`; with include_usage every chunk has `usage`, null but in the last. */
export function chatChunk(meta: ChatMeta, choices: ChunkChoice[], usage: ChatUsage | null | undefined) {
  return {
    id: meta.id,
    object: "chat.completion.chunk" as const,
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices,
    ...(usage !== undefined ? { usage } : {}),
  };
}

export const wantsUsage = (body: ChatBody) => body.stream_options?.include_usage === true;
