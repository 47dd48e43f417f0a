/**
 * Runs one engine request for an HTTP client: as one JSON response, or streamed (NDJSON or SSE)
 * event by event. A client that goes away cancels its run (or, with server.on_disconnect: detach,
 * lets it finish into its session).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { RunRequest, RunResult } from "../engine/request.js";
import type { ServerContext } from "./context.js";
import { openStream, type StreamKind } from "./streaming.js";

export async function runForClient(
  context: ServerContext,
  request: FastifyRequest,
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
      const onClose = () => {
        if (!reply.raw.writableEnded && !detach) controller.abort();
      };
      request.raw.on("close", onClose);
      try {
        return respond(await context.engine.run(run, { signal: controller.signal }));
      } finally {
        request.raw.off("close", onClose);
      }
    }
    const out = openStream(request, reply, stream);
    out.onGone(() => {
      if (!detach) controller.abort();
    });
    const events = context.engine.stream(run, { signal: controller.signal });
    while (true) {
      const step = await events.next();
      if (step.done) break;
      out.send(step.value, stream === "sse" ? step.value.type : undefined);
    }
    out.end();
    return reply;
  } finally {
    context.active.delete(controller);
  }
}
