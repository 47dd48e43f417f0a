/**
 * Error handling on a surface's own scope, so that every failure under its prefix (validation,
 * unknown routes, the API-key check, rate limits, runs that failed) comes out in its format, with
 * the status its SDK acts on and the retry headers that SDKs honour.
 */
import { isAbsolute } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import { CompatError, type Failure, failureOf } from "./errors.js";
import { SESSION_HEADER } from "./turn.js";

export interface RenderedError {
  status: number;
  body: unknown;
}

export type ErrorRenderer = (failure: Failure) => RenderedError;

/** Retry-After for the statuses that clients retry; x-should-retry: false where waiting cannot help. */
export function retryHeaders(reply: FastifyReply, failure: Failure): void {
  if (failure.retryAfter && !reply.hasHeader("retry-after")) reply.header("retry-after", String(failure.retryAfter));
  if (failure.retryable === false) reply.header("x-should-retry", "false");
}

export function registerSurfaceErrors(scope: FastifyInstance, render: ErrorRenderer): void {
  scope.setErrorHandler((error, request, reply) => {
    const { failure, unexpected } = failureOf(error);
    if (unexpected) request.log.error({ err: error }, "request failed");
    const { status, body } = render(failure);
    retryHeaders(reply, failure);
    return reply.status(status).send(body);
  });
  scope.setNotFoundHandler((request, reply) => {
    const { status, body } = render({
      kind: "not_found",
      message: `no route ${request.method} ${request.url.split("?")[0]}`,
      code: "not_found",
    });
    return reply.status(status).send(body);
  });
}

export const WORKDIR_HEADER = "x-clinvk-workdir";

/** The X-Clinvk-Workdir a client sent: where the agent's own tools work (an absolute path; the workdir policy judges it). */
export function workdirHeader(request: FastifyRequest): string | undefined {
  const value = request.headers[WORKDIR_HEADER];
  if (typeof value !== "string" || !value.trim()) return undefined;
  const dir = value.trim();
  if (!isAbsolute(dir) || dir.includes("\0")) {
    throw new CompatError("invalid_request", `${WORKDIR_HEADER} must be an absolute path, not ${JSON.stringify(dir)}`, {
      param: WORKDIR_HEADER,
      code: "invalid_value",
    });
  }
  return dir;
}

/** The X-Clinvk-Session a client sent, if any. */
export function sessionHeader(request: FastifyRequest): string | undefined {
  const value = request.headers[SESSION_HEADER];
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

const ModelParams = Type.Object({ model: Type.String() });

/** GET /models and /models/{id}: ids hold a slash (claude/sonnet), as one encoded segment (what the SDKs send) or as two. */
export function modelRoutes(
  app: FastifyInstance,
  list: () => Promise<unknown>,
  retrieve: (id: string) => Promise<unknown>,
): void {
  app.get("/models", { schema: { summary: "The models: every backend, its known models and aliases" } }, list);
  app.get("/models/:model", { schema: { summary: "One model", params: ModelParams } }, async (request) =>
    retrieve((request.params as { model: string }).model),
  );
  app.get("/models/*", { schema: { hide: true } }, async (request) =>
    retrieve((request.params as { "*": string })["*"]),
  );
}
