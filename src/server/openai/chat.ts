/**
 * Chat Completions (`POST /chat/completions`) and the engine, translated both ways: messages into
 * a conversation of text turns, a run's answer into a `chat.completion` or its chunks, shaped as
 * the openai SDKs read them.
 */
import { randomBytes } from "node:crypto";
import { type Conversation, conversationOf, endsWithUser, type Turn } from "../compat/conversation.js";
import { invalidValue } from "../compat/errors.js";
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
      case "assistant":
        if ((message.tool_calls && message.tool_calls.length > 0) || message.function_call) {
          throw invalidValue(
            `${param}.tool_calls`,
            "assistant tool calls are not supported: a CLI's agent runs its own",
          );
        }
        turns.push({ role: "assistant", text });
        return;
      case "tool":
      case "function":
        throw invalidValue(
          `${param}.role`,
          `${message.role} messages are not supported: a CLI's agent runs its own tools`,
        );
      default:
        throw invalidValue(`${param}.role`, `unknown role "${message.role}"`);
    }
  });
  const conversation = conversationOf(system, turns);
  if (!endsWithUser(conversation)) {
    throw invalidValue(
      "messages",
      "the last message must be the user's (with some text): a CLI answers a user message",
    );
  }
  return conversation;
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

export function chatCompletion(meta: ChatMeta, text: string, counts: TokenCounts) {
  return {
    id: meta.id,
    object: "chat.completion" as const,
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant" as const, content: text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: "stop" as const,
      },
    ],
    usage: chatUsage(counts),
    system_fingerprint: null,
  };
}

export type ChunkChoice = {
  index: 0;
  delta: { role?: "assistant"; content?: string };
  logprobs: null;
  finish_reason: "stop" | null;
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
