/**
 * The runs API under /api/v1: every run of this server, from any surface, while it runs and a while
 * after (the engine's run tracker). A run's events stream as Server-Sent Events whose ids are the
 * events' seq, so that a client that reconnects with Last-Event-ID gets what it missed from the
 * run's bounded buffer; cancelling a run kills its CLI's process group; interrupting one stops its
 * turn and keeps its session (a live run keeps its process too).
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ServerContext } from "../context.js";
import { apiError } from "../http/errors.js";
import { openStream } from "../http/stream.js";
import {
  CancelResponse,
  InterruptResponse,
  RunEventsHeaders,
  RunIdParams,
  RunListResponse,
  RunRecordSchema,
  RunsQuery,
} from "./runs-schemas.js";
import { ErrorResponse } from "./schemas.js";

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
/** A follower that lets this much pile up unread is dropped: it can reconnect with Last-Event-ID. */
const MAX_UNREAD_BYTES = 4 * 1024 * 1024;

const noRun = (reply: FastifyReply, id: string) =>
  reply.status(404).send(apiError("not_found", `no run ${id}: it never ran here or was forgotten`));

export function runsRoutes(app: FastifyInstance, context: ServerContext): void {
  const runs = context.runs;

  app.get(
    "/runs",
    {
      schema: {
        summary: "Runs in flight and recently finished, newest first",
        querystring: RunsQuery,
        response: { 200: RunListResponse, 400: ErrorResponse },
      },
    },
    async (request) => {
      const { limit, ...filter } = request.query as RunsQuery;
      return { runs: await runs.list({ ...filter, limit: Math.min(1000, Number(limit ?? 100)) }) };
    },
  );

  app.get(
    "/runs/:id",
    { schema: { summary: "One run", params: RunIdParams, response: { 200: RunRecordSchema, ...errors } } },
    async (request, reply) => {
      const { id } = request.params as RunIdParams;
      return (await runs.get(id)) ?? noRun(reply, id);
    },
  );

  app.post(
    "/runs/:id/cancel",
    {
      schema: {
        summary: "Cancel a queued or running run",
        description:
          "Stops the run, whichever instance runs it: out of the queue, or its CLI's whole process group killed. 409 if it had ended.",
        params: RunIdParams,
        response: { 200: CancelResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as RunIdParams;
      const cancelled = await runs.cancel(id);
      if (cancelled === undefined) return noRun(reply, id);
      if (!cancelled) return reply.status(409).send(apiError("run_finished", `run ${id} has already ended`));
      return { cancelled, run: await runs.get(id) };
    },
  );

  app.post(
    "/runs/:id/interrupt",
    {
      schema: {
        summary: "Interrupt a run's turn, keeping its session",
        description:
          "A live run's turn stops and its CLI process stays, with its conversation: the session's next prompt goes on from it (the turn ends with state interrupted, error code interrupted). A one-shot run is stopped like a cancel and ends as interrupted. 409 if it had ended.",
        params: RunIdParams,
        response: { 200: InterruptResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as RunIdParams;
      const interrupted = await runs.interrupt(id);
      if (interrupted === undefined) return noRun(reply, id);
      if (!interrupted) return reply.status(409).send(apiError("run_finished", `run ${id} has already ended`));
      return { interrupted, run: await runs.get(id) };
    },
  );

  app.get(
    "/runs/:id/events",
    {
      schema: {
        summary: "A run's events as Server-Sent Events",
        description:
          "Replays the run's buffered events (after Last-Event-ID when given), then follows it live, through whichever instance runs it; ends with an `end` event carrying the run. Each event's id is its place in the run (its seq, for a run of one attempt).",
        params: RunIdParams,
        headers: RunEventsHeaders,
        response: errors,
      },
    },
    async (request, reply) => {
      const { id } = request.params as RunIdParams;
      const after = Number((request.headers["last-event-id"] as string | undefined) ?? -1);
      const gone = new AbortController();
      const messages = await runs.follow(id, after, gone.signal);
      if (!messages) return noRun(reply, id);
      const out = openStream(reply, "sse", { maxUnreadBytes: MAX_UNREAD_BYTES });
      out.onGone(() => gone.abort());
      try {
        for await (const message of messages) {
          if ("end" in message) out.send(message.end, "end");
          else out.send(message.event, message.event.type, message.id);
        }
      } finally {
        out.end();
      }
    },
  );
}
