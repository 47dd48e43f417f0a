/**
 * Changes to a session over the native API, as the CLI's `sessions tag` and `sessions fork` make
 * them: tags added or removed, and a fork (claude only: the other CLIs' resume always continues the
 * one conversation, so a fork would share it).
 */
import type { FastifyInstance } from "fastify";
import Type, { type Static } from "typebox";
import { ClinvkError } from "../../core/errors.js";
import type { ServerContext } from "../context.js";
import { ErrorResponse, SessionIdParams } from "./schemas.js";

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };

export const TagsBody = Type.Object(
  {
    add: Type.Optional(
      Type.Array(Type.String({ pattern: "^[^,\\s][^,]{0,63}$" }), { maxItems: 32, description: "Tags to add." }),
    ),
    remove: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32, description: "Tags to remove." })),
  },
  { additionalProperties: false },
);
export type TagsBody = Static<typeof TagsBody>;

/** More tags than this on one session is a mistake, not a use. */
const MAX_TAGS = 64;

export function sessionEditRoutes(app: FastifyInstance, context: ServerContext): void {
  app.post(
    "/sessions/:id/tags",
    {
      schema: {
        summary: "Add or remove a session's tags",
        params: SessionIdParams,
        body: TagsBody,
        response: errors,
      },
    },
    async (request) => {
      const { id } = request.params as SessionIdParams;
      const body = request.body as TagsBody;
      const add = (body.add ?? []).map((tag) => tag.trim()).filter(Boolean);
      const remove = new Set(body.remove ?? []);
      if (add.length === 0 && remove.size === 0)
        throw new ClinvkError("invalid_request", "give tags to add or to remove");
      const found = await context.store.getByPrefix(id);
      const tags = [...new Set([...found.tags.filter((tag) => !remove.has(tag)), ...add])];
      if (tags.length > MAX_TAGS)
        throw new ClinvkError(
          "invalid_request",
          `a session keeps at most ${MAX_TAGS} tags (this would have ${tags.length})`,
        );
      return context.store.update(found.id, (session) => {
        session.tags = [...new Set([...session.tags.filter((tag) => !remove.has(tag)), ...add])];
      });
    },
  );

  app.post(
    "/sessions/:id/fork",
    {
      schema: {
        summary: "Fork a session",
        description: "A new session that goes on from where this one is, in a conversation of its own (claude only).",
        params: SessionIdParams,
        response: errors,
      },
    },
    async (request) => {
      const parent = await context.store.getByPrefix((request.params as SessionIdParams).id);
      if (!context.engine.registry.get(parent.backend).canFork) {
        throw new ClinvkError(
          "invalid_request",
          `${parent.backend} cannot fork a conversation: its resume always continues the one conversation`,
          "only claude sessions fork; resume the original or start a new session",
        );
      }
      return context.store.fork(parent.id);
    },
  );
}
