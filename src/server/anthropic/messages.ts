/**
 * The Messages API (`POST /messages`) and the engine, translated both ways: the request into a
 * conversation of text turns, a run's answer into a Message.
 *
 * Parameters a CLI cannot honour. Accepted and ignored: temperature, top_p, top_k, stop_sequences,
 * metadata, service_tier, thinking, tools (the CLI's agent uses its own), max_tokens (required, as
 * by Anthropic, but a CLI takes no limit), cache_control and unknown fields; thinking blocks that
 * a client replays are skipped. Rejected with a 400: tool_choice any/tool (a forced tool call),
 * and content other than text and images (documents, tool_use, tool_result). Base64 images are
 * taken out before (compat/images.ts); output_config.format is structured output
 * (structured-output.ts).
 */
import { randomBytes } from "node:crypto";
import { type Conversation, conversationOf, endsWithUser, type Turn } from "../compat/conversation.js";
import { invalidValue, unsupported } from "../compat/errors.js";
import type { TokenCounts } from "../compat/tokens.js";
import type { CountTokensBody, MessageParam, MessagesBody } from "./schemas.js";

/** Blocks that a client sends back from earlier answers and that mean nothing to a CLI. */
const SKIPPED = new Set(["thinking", "redacted_thinking"]);

function blocksText(content: MessageParam["content"], param: string): string {
  if (typeof content === "string") return content;
  const texts: string[] = [];
  content.forEach((block, index) => {
    if (block.type === "text") {
      if (typeof block.text !== "string") throw invalidValue(`${param}.${index}.text`, "a text block needs its text");
      texts.push(block.text);
    } else if (!SKIPPED.has(block.type)) {
      throw invalidValue(
        `${param}.${index}.type`,
        `content blocks of type ${block.type} are not supported: only text and inline images reach a CLI`,
      );
    }
  });
  return texts.join("\n");
}

export function checkMessagesParams(body: CountTokensBody): void {
  const choice = body.tool_choice?.type;
  if (choice && choice !== "auto" && choice !== "none") {
    throw unsupported(
      "tool_choice",
      `tool_choice ${choice} is not supported: the CLI's agent runs its own tools and never returns tool_use blocks`,
    );
  }
}

/** `system` and `messages` as a conversation; for a message to answer, the last turn is the user's. */
export function messagesConversation(body: CountTokensBody, options: { answer: boolean }): Conversation {
  const system: string[] = [];
  if (typeof body.system === "string") {
    if (body.system.trim()) system.push(body.system.trim());
  } else if (body.system) {
    for (const block of body.system) if (block.text.trim()) system.push(block.text.trim());
  }
  const turns: Turn[] = [];
  body.messages.forEach((message, index) => {
    const param = `messages.${index}`;
    const text = blocksText(message.content, `${param}.content`);
    if (message.role === "user" || message.role === "assistant") turns.push({ role: message.role, text });
    else if (message.role === "system") {
      if (text.trim()) system.push(text.trim());
    } else throw invalidValue(`${param}.role`, `unexpected role "${message.role}"; use "user" or "assistant"`);
  });
  const conversation = conversationOf(system, turns);
  if (options.answer && !endsWithUser(conversation)) {
    throw invalidValue(
      "messages",
      "the last message must be the user's (with some text): a CLI cannot continue a prefilled assistant message",
    );
  }
  return conversation;
}

export const messageId = () => `msg_${randomBytes(12).toString("hex")}`;

/** Anthropic counts cached input apart from `input_tokens`. */
export function messageUsage(counts: TokenCounts) {
  return {
    input_tokens: Math.max(0, counts.input - counts.cached),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: counts.cached,
    output_tokens: counts.output,
  };
}

export interface MessageMeta {
  id: string;
  model: string;
}

export function message(meta: MessageMeta, text: string, counts: TokenCounts) {
  return {
    id: meta.id,
    type: "message" as const,
    role: "assistant" as const,
    model: meta.model,
    // No `citations: null`: the Vercel AI SDK's schema rejects it; Anthropic omits what a block lacks.
    content: [{ type: "text" as const, text }],
    stop_reason: "end_turn" as const,
    stop_sequence: null,
    usage: messageUsage(counts),
  };
}

export type { MessagesBody };
