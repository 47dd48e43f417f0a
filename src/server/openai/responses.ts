/**
 * The Responses API (`POST /responses`) and the engine, translated both ways. A response's id
 * carries its clinvoker session, so that `previous_response_id` finds the CLI session to go on
 * with; `input` then holds only the new turns, as with OpenAI.
 */
import { randomBytes } from "node:crypto";
import { type Conversation, conversationOf, endsWithUser, type Turn } from "../compat/conversation.js";
import { CompatError, type Failure, invalidValue } from "../compat/errors.js";
import type { TokenCounts } from "../compat/tokens.js";
import { contentText } from "./chat.js";
import { openaiErrorBody } from "./errors.js";
import type { ResponsesBody } from "./schemas.js";

const RESPONSE_ID = /^resp_([a-f0-9]{32})[a-f0-9]{16}$/;

/** A new response id; with a session, the session can be found from it. */
export function responseId(sessionId: string | undefined): string {
  return `resp_${sessionId ?? randomBytes(16).toString("hex")}${randomBytes(8).toString("hex")}`;
}

/** The session of a previous response, from its id. */
export function previousOf(id: string): { sessionId: string; responseId: string } {
  const sessionId = RESPONSE_ID.exec(id)?.[1];
  if (!sessionId) {
    throw new CompatError("invalid_request", `Previous response with id '${id}' not found.`, {
      param: "previous_response_id",
      code: "previous_response_not_found",
    });
  }
  return { sessionId, responseId: id };
}

export const messageId = () => `msg_${randomBytes(16).toString("hex")}`;

/** `instructions` and `input` as a conversation; the last turn must be the user's. */
export function responsesConversation(body: ResponsesBody): Conversation {
  const system: string[] = body.instructions?.trim() ? [body.instructions.trim()] : [];
  const turns: Turn[] = [];
  const input = body.input;
  if (input === undefined || (Array.isArray(input) && input.length === 0))
    throw invalidValue("input", "input is required");
  if (typeof input === "string") turns.push({ role: "user", text: input });
  else {
    input.forEach((item, index) => {
      const param = `input[${index}]`;
      const type = item.type ?? "message";
      if (type === "reasoning") return; // The model's own reasoning, replayed: nothing for a CLI.
      if (type !== "message") {
        throw invalidValue(
          `${param}.type`,
          `input items of type ${type} are not supported: a CLI's agent runs its own tools`,
        );
      }
      const text = contentText(item.content ?? "", `${param}.content`);
      switch (item.role) {
        case "system":
        case "developer":
          if (text.trim()) system.push(text.trim());
          return;
        case "user":
        case "assistant":
          turns.push({ role: item.role, text });
          return;
        default:
          throw invalidValue(`${param}.role`, `unknown role "${String(item.role)}"`);
      }
    });
  }
  const conversation = conversationOf(system, turns);
  if (!endsWithUser(conversation)) {
    throw invalidValue(
      "input",
      "the last input message must be the user's (with some text): a CLI answers a user message",
    );
  }
  return conversation;
}

export interface ResponseMeta {
  id: string;
  createdAt: number;
  model: string;
  body: ResponsesBody;
  /** Whether the response can be continued with previous_response_id. */
  stored: boolean;
}

export function outputMessage(id: string, text: string, status: "in_progress" | "completed") {
  return {
    id,
    type: "message" as const,
    status,
    role: "assistant" as const,
    content: status === "completed" ? [outputText(text)] : [],
  };
}

export const outputText = (text: string) => ({ type: "output_text" as const, text, annotations: [] as never[] });

export function responseUsage(counts: TokenCounts) {
  return {
    input_tokens: counts.input,
    input_tokens_details: { cached_tokens: counts.cached },
    output_tokens: counts.output,
    output_tokens_details: { reasoning_tokens: counts.reasoning },
    total_tokens: counts.input + counts.output,
  };
}

/** The Response object, in any of its states; fields echo the request where the API does. */
export function responseObject(
  meta: ResponseMeta,
  state:
    | { status: "in_progress" }
    | { status: "completed"; output: ReturnType<typeof outputMessage>[]; usage: ReturnType<typeof responseUsage> }
    | { status: "failed"; failure: Failure },
) {
  const { body } = meta;
  const error = state.status === "failed" ? openaiErrorBody(state.failure).error : undefined;
  return {
    id: meta.id,
    object: "response" as const,
    created_at: meta.createdAt,
    status: state.status,
    background: false,
    error: error ? { code: error.code ?? "server_error", message: error.message } : null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    model: meta.model,
    output: state.status === "completed" ? state.output : [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: "default",
    store: meta.stored,
    temperature: body.temperature ?? 1,
    // The format asked for (structured output), as OpenAI echoes it.
    text: { format: body.text?.format ?? { type: "text" as const } },
    tool_choice: body.tool_choice ?? "auto",
    // The client's tools are not offered to the CLI's agent: none are in effect.
    tools: [],
    top_logprobs: 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? "disabled",
    usage: state.status === "completed" ? state.usage : null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}
