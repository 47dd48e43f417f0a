/**
 * The Responses API (`POST /responses`) and the engine, translated both ways. A response's id
 * carries its clinvoker session, so that `previous_response_id` finds the CLI session to go on
 * with; `input` then holds only the new turns, as with OpenAI.
 */
import { randomBytes } from "node:crypto";
import type { ClientToolChoice } from "../../core/tools.js";
import { clientTool, type RequestTools, requestTools } from "../compat/client-tools.js";
import { type Conversation, conversationOf, endsWithUser, type Turn } from "../compat/conversation.js";
import type { TurnOutcome } from "../compat/drive.js";
import { CompatError, type Failure, invalidValue, unsupported } from "../compat/errors.js";
import type { PendingCall } from "../compat/live-turn.js";
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
      // The model's own reasoning, replayed, is nothing for a CLI; tools offered in the input are tools (responsesTools).
      if (type === "reasoning" || type === "additional_tools") return;
      if (type === "function_call" || type === "function_call_output") {
        turns.push(functionItem(item as FunctionItem, param));
        return;
      }
      if (type !== "message") {
        throw invalidValue(
          `${param}.type`,
          `input items of type ${type} are not supported: only messages, function calls and their outputs, and item references reach a CLI`,
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
      "the last input item must be the user's message or a function_call_output: a CLI answers a user message",
    );
  }
  return conversation;
}

interface FunctionItem {
  type: "function_call" | "function_call_output";
  call_id?: unknown;
  name?: unknown;
  arguments?: unknown;
  output?: unknown;
}

/** A function call replayed from an earlier response, or the client's output for one. */
function functionItem(item: FunctionItem, param: string): Turn {
  if (typeof item.call_id !== "string" || !item.call_id) throw invalidValue(`${param}.call_id`, "call_id is required");
  if (item.type === "function_call") {
    if (typeof item.name !== "string") throw invalidValue(`${param}.name`, "a function_call names its function");
    const args = typeof item.arguments === "string" ? item.arguments : JSON.stringify(item.arguments ?? {});
    return { role: "assistant", text: "", calls: [{ id: item.call_id, name: item.name, arguments: args }] };
  }
  const output =
    typeof item.output === "string"
      ? item.output
      : contentText((item.output ?? []) as Parameters<typeof contentText>[0], `${param}.output`);
  return { role: "user", text: "", results: [{ id: item.call_id, content: output }] };
}

interface FunctionTool {
  type?: unknown;
  name?: unknown;
  description?: unknown;
  parameters?: unknown;
  tools?: FunctionTool[];
}

/**
 * The request's function tools and tool_choice as client tools; undefined when none are offered.
 * Besides `tools`, Codex offers tools in `additional_tools` input items, grouped in namespaces: a
 * namespaced tool is offered as `<namespace>__<name>` and its calls name the namespace again. Codex's
 * freeform (`custom`) tools have no JSON Schema an MCP tool could carry: they are not offered.
 */
export function responsesTools(body: ResponsesBody): RequestTools | undefined {
  const tools = (body.tools ?? []).map((tool, index) => {
    const entry = tool as FunctionTool;
    if (entry?.type !== "function") {
      throw unsupported(
        `tools[${index}].type`,
        `tools of type ${String(entry?.type)} are not supported: only function tools`,
      );
    }
    return clientTool(`tools[${index}]`, entry.name, entry.description, entry.parameters);
  });
  const input = Array.isArray(body.input) ? body.input : [];
  input.forEach((item, index) => {
    if (item.type !== "additional_tools") return;
    const add = (entry: FunctionTool, param: string, namespace?: string) => {
      if (entry?.type === "namespace" && Array.isArray(entry.tools)) {
        for (const [i, inner] of entry.tools.entries()) add(inner, `${param}.tools[${i}]`, String(entry.name));
      } else if (entry?.type === "function" && typeof entry.name === "string") {
        const name = namespace && namespace !== "functions" ? `${namespace}__${entry.name}` : entry.name;
        tools.push(clientTool(param, name, entry.description, entry.parameters));
      }
    };
    for (const [i, entry] of ((item as { tools?: FunctionTool[] }).tools ?? []).entries()) {
      add(entry, `input[${index}].tools[${i}]`);
    }
  });
  return requestTools("tools", tools, responsesToolChoice(body.tool_choice));
}

/** A call's function as Responses names it: a tool offered as `<namespace>__<name>` names its namespace. */
function functionName(name: string): { name: string; namespace?: string } {
  const split = /^(.+?)__(.+)$/.exec(name);
  return split ? { namespace: split[1] as string, name: split[2] as string } : { name };
}

function responsesToolChoice(choice: ResponsesBody["tool_choice"]): ClientToolChoice | "none" {
  if (choice == null || choice === "auto") return "auto";
  if (choice === "none" || choice === "required") return choice;
  if (typeof choice === "object" && choice.type === "function") {
    const name = (choice as { name?: unknown }).name;
    if (typeof name === "string") return { name };
  }
  throw invalidValue(
    "tool_choice",
    `tool_choice ${JSON.stringify(choice)} is not one of none, auto, required or a function`,
  );
}

/** A call as a Responses output item. */
export function functionCallItem(call: PendingCall, itemId: string, status: "in_progress" | "completed") {
  return {
    id: itemId,
    type: "function_call" as const,
    status,
    call_id: call.id,
    ...functionName(call.name),
    arguments: status === "completed" ? call.arguments : "",
  };
}

export const functionCallItemId = () => `fc_${randomBytes(16).toString("hex")}`;

/** A response cut at max_output_tokens is `incomplete`, its message too, as OpenAI's are. */
export function responseStatus(outcome: Pick<TurnOutcome, "calls" | "cut">): "completed" | "incomplete" {
  return outcome.calls.length === 0 && outcome.cut?.reason === "max_tokens" ? "incomplete" : "completed";
}

/** A response's output: its message (when it has text or no calls), then its function calls. */
export function responseOutput(outcome: TurnOutcome, messageId: string) {
  const message =
    outcome.text || outcome.calls.length === 0 ? [outputMessage(messageId, outcome.text, responseStatus(outcome))] : [];
  return [...message, ...outcome.calls.map((call) => functionCallItem(call, functionCallItemId(), "completed"))];
}

export interface ResponseMeta {
  id: string;
  createdAt: number;
  model: string;
  body: ResponsesBody;
  /** Whether the response can be continued with previous_response_id. */
  stored: boolean;
}

export function outputMessage(id: string, text: string, status: "in_progress" | "completed" | "incomplete") {
  return {
    id,
    type: "message" as const,
    status,
    role: "assistant" as const,
    content: status === "in_progress" ? [] : [outputText(text)],
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
    | {
        status: "completed" | "incomplete";
        output: (ReturnType<typeof outputMessage> | ReturnType<typeof functionCallItem>)[];
        usage: ReturnType<typeof responseUsage>;
      }
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
    incomplete_details: state.status === "incomplete" ? { reason: "max_output_tokens" as const } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    model: meta.model,
    output: "output" in state ? state.output : [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    service_tier: "default",
    store: meta.stored,
    temperature: body.temperature ?? 1,
    // The format asked for (structured output), as OpenAI echoes it.
    text: { format: body.text?.format ?? { type: "text" as const } },
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tool_choice === "none" ? [] : (body.tools ?? []),
    top_logprobs: 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? "disabled",
    usage: "usage" in state ? state.usage : null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}
