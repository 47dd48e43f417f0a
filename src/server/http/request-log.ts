/**
 * One log line per request, when it ends (method, url, client, status, time), instead of Fastify's
 * two ("incoming request" and "request completed"): half the logging cost on every request. Logged
 * through request.log, which carries the trace ids (tracing.ts).
 */
import { type FastifyReply, type FastifyRequest, LogController } from "fastify";

export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) request.log.error({ ...fields, err: error }, "request errored");
    else request.log.info(fields, "request completed");
  }
}
