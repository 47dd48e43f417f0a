/**
 * Runs one engine request for an HTTP client: as one JSON response, or streamed (NDJSON or SSE)
 * event by event. A client that goes away cancels its run (or, with server.on_disconnect: detach,
 * lets it finish into its session).
 */
import type { FastifyReply } from "fastify";
import { toClinvkError } from "../engine/errors.js";
import type { RunRequest, RunResult } from "../engine/request.js";
import type { ServerContext } from "./context.js";
import { openClientStream, type StreamKind } from "./streaming.js";

/** Calls `listener` if the client's connection closes before the response is complete. */
export function onDisconnect(reply: FastifyReply, listener: () => void): () => void {
  const onClose = () => {
    if (!reply.raw.writableFinished) listener();
  };
  reply.raw.on("close", onClose);
  return () => reply.raw.off("close", onClose);
}

export async function runForClient(
  context: ServerContext,
  reply: FastifyReply,
  run: RunRequest,
  stream: StreamKind | undefined,
  respond: (result: RunResult) => unknown,
): Promise<unknown> {
  // Invalid requests fail here, as a 4xx, before any stream has started.
  context.engine.prepare(run);
  const controller = new AbortController();
  context.active.add(controller);
  const detach = context.config.current.server.on_disconnect === "detach";
  try {
    if (!stream) {
      const stop = onDisconnect(reply, () => {
        if (!detach) controller.abort();
      });
      try {
        return respond(await context.engine.run(run, { signal: controller.signal }));
      } finally {
        stop();
      }
    }
    const events = context.engine.stream(run, { signal: controller.signal });
    // Refusals (a full queue, an open circuit) come with the first step: still a proper HTTP error.
    let step = await events.next();
    const out = openClientStream(context, reply, stream);
    out.onGone(() => {
      if (!detach) controller.abort();
    });
    try {
      while (!step.done) {
        out.send(step.value, stream === "sse" ? step.value.type : undefined);
        await out.drain();
        step = await events.next();
      }
    } catch (error) {
      // Headers are gone: the failure travels as the stream's last event.
      const info = toClinvkError(error).toInfo();
      out.send({ type: "error", error: info }, stream === "sse" ? "error" : undefined);
    }
    out.end();
    return reply;
  } finally {
    context.active.delete(controller);
  }
}
