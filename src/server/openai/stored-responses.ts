/**
 * Stored responses of the Responses API: the latest response of each conversation is kept with its
 * session, so that a client can retrieve it (`GET /responses/{id}`), delete it, and name its output
 * in a later request (`{"type": "item_reference", "id": "msg_..."}`, which the Vercel AI SDK sends
 * for earlier answers). An output message's id is its response's id with another prefix, so that a
 * reference leads to the response and its session as `previous_response_id` does; only the latest
 * response of a conversation is kept, as only it can be continued.
 */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import { META } from "../../sessions/conversations.js";
import { CompatError, invalidValue } from "../compat/errors.js";
import type { TokenCounts } from "../compat/tokens.js";
import type { ServerContext } from "../context.js";
import { outputMessage, type ResponseMeta, responseObject, responseUsage } from "./responses.js";
import type { InputItem, ResponsesBody } from "./schemas.js";

const STORED_ID = /^resp_([a-f0-9]{32})[a-f0-9]{16}$/;
const MESSAGE_ID = /^msg_([a-f0-9]{48})$/;
/** Answers longer than this are not kept for retrieval (the conversation still goes on). */
const MAX_RECORD_CHARS = 512 * 1024;

/** The id of a response's output message: its own id, so that a reference finds the response. */
export const messageIdOf = (responseId: string) => `msg_${responseId.slice("resp_".length)}`;

/** The response whose output message this is, if it is one of ours. */
export function responseIdOfMessage(id: string): string | undefined {
  const hex = MESSAGE_ID.exec(id)?.[1];
  return hex ? `resp_${hex}` : undefined;
}

interface StoredResponse {
  id: string;
  created_at: number;
  model: string;
  instructions: string | null;
  previous_response_id: string | null;
  text: string;
  usage: ReturnType<typeof responseUsage>;
  /** Cut at max_output_tokens. */
  incomplete?: boolean;
}

/** The record a session keeps of its latest response; none for an answer too long to keep. */
export function responseRecord(
  meta: ResponseMeta,
  text: string,
  counts: TokenCounts,
  incomplete = false,
): string | undefined {
  // store: false asks that nothing be kept to retrieve (its session goes on holding the conversation).
  if (!meta.stored || text.length > MAX_RECORD_CHARS) return undefined;
  const stored: StoredResponse = {
    id: meta.id,
    created_at: meta.createdAt,
    model: meta.model,
    instructions: meta.body.instructions ?? null,
    previous_response_id: meta.body.previous_response_id ?? null,
    text,
    usage: responseUsage(counts),
    ...(incomplete ? { incomplete } : {}),
  };
  return JSON.stringify(stored);
}

export interface ResolvedReferences {
  body: ResponsesBody;
  /** The response the last reference names: the conversation goes on from it. */
  previousResponseId?: string;
}

/**
 * Input that names earlier output items. The last reference names the response the conversation
 * goes on from (as previous_response_id); what came before it is in that response's session, so
 * only system and developer messages are kept of it, and what follows is new.
 */
export function resolveReferences(body: ResponsesBody): ResolvedReferences {
  if (!Array.isArray(body.input)) return { body };
  const input: InputItem[] = body.input;
  const last = input.findLastIndex((item) => item.type === "item_reference");
  if (last < 0) return { body };
  let previousResponseId: string | undefined;
  input.forEach((item, index) => {
    if (item.type !== "item_reference") return;
    const id = (item as { id?: unknown }).id;
    const param = `input[${index}].id`;
    if (typeof id !== "string" || !id) throw invalidValue(param, "an item_reference needs the id of an output item");
    const response = responseIdOfMessage(id);
    if (!response) {
      throw invalidValue(
        param,
        `item_reference ${id} names no output message of this server: only the answers of stored responses (msg_...) can be referenced`,
      );
    }
    if (index === last) previousResponseId = response;
  });
  const previous = body.previous_response_id;
  if (previous && previous !== previousResponseId) {
    throw invalidValue(
      `input[${last}].id`,
      `item_reference ${(input[last] as { id: string }).id} is not the output of previous_response_id ${previous}`,
    );
  }
  const earlier = input
    .slice(0, last)
    .filter((item) => item.type !== "item_reference" && (item.role === "system" || item.role === "developer"));
  return { body: { ...body, input: [...earlier, ...input.slice(last + 1)] }, previousResponseId };
}

function notFound(id: string): CompatError {
  return new CompatError(
    "not_found",
    `Response with id '${id}' not found (only the latest response of each stored conversation is kept).`,
    { param: "response_id", code: "not_found" },
  );
}

/** The session holding a response, with its record, or a 404. */
async function storedResponse(context: ServerContext, id: string) {
  const sessionId = STORED_ID.exec(id)?.[1];
  if (!sessionId) throw notFound(id);
  const session = await context.store.get(sessionId).catch(() => undefined);
  const raw = session?.metadata[META.response] === id ? session.metadata[META.responseRecord] : undefined;
  if (!session || !raw) throw notFound(id);
  return { session, stored: JSON.parse(raw) as StoredResponse };
}

const ResponseParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export function storedResponseRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get(
    "/responses/:id",
    { schema: { summary: "Retrieve a stored response (the latest of its conversation)", params: ResponseParams } },
    async (request) => {
      const { stored } = await storedResponse(context, (request.params as { id: string }).id);
      const body = { instructions: stored.instructions, previous_response_id: stored.previous_response_id };
      const meta: ResponseMeta = {
        id: stored.id,
        createdAt: stored.created_at,
        model: stored.model,
        body: body as ResponsesBody,
        stored: true,
      };
      const status = stored.incomplete ? "incomplete" : "completed";
      return responseObject(meta, {
        status,
        output: [outputMessage(messageIdOf(stored.id), stored.text, status)],
        usage: stored.usage,
      });
    },
  );

  app.delete(
    "/responses/:id",
    {
      schema: {
        summary: "Delete a stored response",
        description:
          "Forgets the response: it can no longer be retrieved or continued. The clinvoker session (and the CLI's) stays.",
        params: ResponseParams,
      },
    },
    async (request) => {
      const id = (request.params as { id: string }).id;
      const { session } = await storedResponse(context, id);
      await context.store.update(session.id, (s) => {
        if (s.metadata[META.response] !== id) return;
        delete s.metadata[META.response];
        delete s.metadata[META.responseRecord];
      });
      return { id, object: "response" as const, deleted: true };
    },
  );
}
