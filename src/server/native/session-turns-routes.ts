/**
 * A session's kept turns over the native API (`GET /api/v1/sessions/{id}/turns`): the dashboard's
 * session page reads them here, with a schema of their own, rather than from the whole record.
 */
import type { FastifyInstance } from "fastify";
import Type from "typebox";
import { UsageSchema } from "../../core/events.js";
import { MAX_TURN_ANSWER_CHARS, MAX_TURN_PROMPT_CHARS, MAX_TURNS_KEPT } from "../../sessions/turns.js";
import type { ServerContext } from "../context.js";
import { ErrorResponse, SessionIdParams } from "./schemas.js";

export const SessionTurnSchema = Type.Object({
  at: Type.String({ description: "When the turn ended (ISO 8601)." }),
  status: Type.Union([Type.Literal("success"), Type.Literal("error")]),
  error_code: Type.Optional(Type.String({ description: "The error's code when the turn failed." })),
  model: Type.Optional(Type.String()),
  duration_ms: Type.Integer({ minimum: 0 }),
  usage: Type.Optional(UsageSchema),
  prompt: Type.Optional(
    Type.String({
      description: `The prompt's first ${MAX_TURN_PROMPT_CHARS} characters; absent when session.keep_turns is off.`,
    }),
  ),
  prompt_truncated: Type.Optional(Type.Boolean()),
  answer: Type.Optional(
    Type.String({
      description: `The answer's first ${MAX_TURN_ANSWER_CHARS} characters; absent when session.keep_turns is off.`,
    }),
  ),
  answer_truncated: Type.Optional(Type.Boolean()),
});

export const SessionTurnsResponse = Type.Object({
  session_id: Type.String(),
  turn_count: Type.Integer({ minimum: 0, description: "Every turn the session has had." }),
  turns_dropped: Type.Integer({
    minimum: 0,
    description: `Oldest turns no longer kept (at most ${MAX_TURNS_KEPT} are).`,
  }),
  turns: Type.Array(SessionTurnSchema, { description: "The kept turns, oldest first." }),
});

export function sessionTurnsRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get(
    "/sessions/:id/turns",
    {
      schema: {
        summary: "A session's turns",
        description: `Its newest turns (at most ${MAX_TURNS_KEPT}), oldest first, with their prompts and answers (bounded), status, usage, duration and model. Sessions from before turns were kept have none.`,
        params: SessionIdParams,
        response: { 200: SessionTurnsResponse, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => {
      const session = await context.store.getByPrefix((request.params as SessionIdParams).id);
      return {
        session_id: session.id,
        turn_count: session.turn_count,
        turns_dropped: session.turns_dropped ?? 0,
        turns: Array.isArray(session.turns) ? session.turns : [],
      };
    },
  );
}
