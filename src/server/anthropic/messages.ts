/**
 * The Messages API (`POST /messages`) and the engine, translated both ways: the request into a
 * conversation of text turns, a run's answer into a Message.
 *
 * Parameters a CLI cannot honour. Honoured after the fact, by cutting the answer
 * (compat/answer-cut.ts): stop_sequences and max_tokens (required, as by Anthropic). Accepted and
 * ignored: temperature, top_p, top_k, metadata, service_tier, thinking, disable_parallel_tool_use, cache_control and unknown fields; thinking blocks that a
 * client replays are skipped. Client tools, tool_choice, tool_use and tool_result blocks are
 * honoured (compat/client-tools.ts). Rejected with a 400: server tools (web search, code
 * execution...) and content other than text, images and tools (documents). Base64 images are
 * taken out before (compat/images.ts); output_config.format is structured output
 * (structured-output.ts).
 */
import { randomBytes } from "node:crypto";
import type { ClientToolChoice } from "../../core/tools.js";
import { type AnswerLimits, stopSequences, tokenLimit } from "../compat/answer-cut.js";
import { argumentsObject, clientTool, type RequestTools, requestTools } from "../compat/client-tools.js";
import {
  type Conversation,
  conversationOf,
  endsWithUser,
  type ToolCallPart,
  type ToolResultPart,
  type Turn,
} from "../compat/conversation.js";
import type { TurnOutcome } from "../compat/drive.js";
import { invalidValue, unsupported } from "../compat/errors.js";
import type { TokenCounts } from "../compat/tokens.js";
import type { CountTokensBody, MessageParam, MessagesBody } from "./schemas.js";

/** Blocks that a client sends back from earlier answers and that mean nothing to a CLI. */
const SKIPPED = new Set(["thinking", "redacted_thinking"]);

interface MessageParts {
  text: string;
  calls: ToolCallPart[];
  results: ToolResultPart[];
}

function blocksOf(content: MessageParam["content"], param: string): MessageParts {
  if (typeof content === "string") return { text: content, calls: [], results: [] };
  const texts: string[] = [];
  const calls: ToolCallPart[] = [];
  const results: ToolResultPart[] = [];
  content.forEach((block, index) => {
    const at = `${param}.${index}`;
    const loose = block as Record<string, unknown>;
    if (block.type === "text") {
      if (typeof block.text !== "string") throw invalidValue(`${at}.text`, "a text block needs its text");
      texts.push(block.text);
    } else if (block.type === "tool_use") {
      if (typeof loose.id !== "string" || typeof loose.name !== "string") {
        throw invalidValue(at, "a tool_use block has an id and a name");
      }
      calls.push({ id: loose.id, name: loose.name, arguments: JSON.stringify(loose.input ?? {}) });
    } else if (block.type === "tool_result") {
      if (typeof loose.tool_use_id !== "string") throw invalidValue(`${at}.tool_use_id`, "tool_use_id is required");
      results.push({
        id: loose.tool_use_id,
        content: resultText(loose.content, `${at}.content`),
        ...(loose.is_error === true ? { isError: true } : {}),
      });
    } else if (!SKIPPED.has(block.type)) {
      throw invalidValue(
        `${at}.type`,
        `content blocks of type ${block.type} are not supported: only text, inline images and tools reach a CLI`,
      );
    }
  });
  return { text: texts.join("\n"), calls, results };
}

/** A tool_result's content: text, or text blocks. */
function resultText(content: unknown, param: string): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalidValue(param, "a tool result's content is text or a list of blocks");
  return content
    .map((block, index) => {
      if (block?.type !== "text" || typeof block.text !== "string") {
        throw invalidValue(`${param}.${index}`, "only text blocks can be a tool result that reaches a CLI");
      }
      return block.text as string;
    })
    .join("\n");
}

/** The request's custom tools and tool_choice as client tools; undefined when none are offered. */
export function messagesTools(body: CountTokensBody): RequestTools | undefined {
  const tools = (body.tools ?? []).map((tool, index) => {
    const entry = tool as { type?: unknown; name?: unknown; description?: unknown; input_schema?: unknown };
    if (entry.type !== undefined && entry.type !== "custom") {
      throw unsupported(
        `tools.${index}.type`,
        `server tools (${String(entry.type)}) are not supported: only custom tools`,
      );
    }
    return clientTool(`tools.${index}`, entry.name, entry.description, entry.input_schema);
  });
  return requestTools("tools", tools, messagesToolChoice(body.tool_choice));
}

function messagesToolChoice(choice: CountTokensBody["tool_choice"]): ClientToolChoice | "none" {
  switch (choice?.type) {
    case undefined:
    case "auto":
      return "auto";
    case "none":
      return "none";
    case "any":
      return "required";
    case "tool": {
      const name = (choice as { name?: unknown }).name;
      if (typeof name === "string") return { name };
      throw invalidValue("tool_choice.name", "a tool_choice of type tool names the tool");
    }
    default:
      throw invalidValue("tool_choice.type", `unknown tool_choice type "${choice?.type}"`);
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
    const { text, calls, results } = blocksOf(message.content, `${param}.content`);
    if (message.role === "user" || message.role === "assistant") {
      if (message.role === "user" && calls.length) throw invalidValue(param, "tool_use blocks belong to the assistant");
      if (message.role === "assistant" && results.length)
        throw invalidValue(param, "tool_result blocks belong to the user");
      // Tool results come first in a user message: the CLI reads them, then the user's text.
      turns.push({
        role: message.role,
        text,
        ...(calls.length ? { calls } : {}),
        ...(results.length ? { results } : {}),
      });
    } else if (message.role === "system") {
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

/** At most this many stop sequences in a request. */
const MAX_STOP_SEQUENCES = 16;

export function messagesLimits(body: MessagesBody): AnswerLimits {
  return {
    stop: stopSequences(body.stop_sequences, "stop_sequences", MAX_STOP_SEQUENCES),
    maxTokens: tokenLimit(body.max_tokens, "max_tokens"),
  };
}

/** Why the message ended: its tool calls, a stop sequence (named), the token limit, or its end. */
export function stopReason(outcome: Pick<TurnOutcome, "calls" | "cut">) {
  const { cut } = outcome;
  if (outcome.calls.length > 0) return { stop_reason: "tool_use" as const, stop_sequence: null };
  if (cut?.reason === "stop_sequence") return { stop_reason: "stop_sequence" as const, stop_sequence: cut.sequence };
  if (cut?.reason === "max_tokens") return { stop_reason: "max_tokens" as const, stop_sequence: null };
  return { stop_reason: "end_turn" as const, stop_sequence: null };
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

/** A call as a tool_use block. */
export const toolUseBlock = (call: { id: string; name: string; arguments: string }) => ({
  type: "tool_use" as const,
  id: call.id,
  name: call.name,
  input: argumentsObject(call.arguments),
});

export function message(meta: MessageMeta, outcome: TurnOutcome) {
  const { text, calls } = outcome;
  // No `citations: null`: the Vercel AI SDK's schema rejects it; Anthropic omits what a block lacks.
  const textBlocks = text || calls.length === 0 ? [{ type: "text" as const, text }] : [];
  return {
    id: meta.id,
    type: "message" as const,
    role: "assistant" as const,
    model: meta.model,
    content: [...textBlocks, ...calls.map(toolUseBlock)],
    ...stopReason(outcome),
    usage: messageUsage(outcome.counts),
  };
}

export type { MessagesBody };
