/**
 * Every failure of the native API as `{error: {code, message, details}}` with its status: schema
 * violations and malformed JSON are 400s, never 500s; unexpected errors are logged, not shown.
 */
import type { FastifyError, FastifyInstance } from "fastify";
import { ClinvkError } from "../../core/errors.js";
import { apiError, RefusedRequest, retryAfterSeconds, statusOf } from "./errors.js";

export function toApiError(error: FastifyError | Error): { status: number; body: ReturnType<typeof apiError> } {
  if (error instanceof RefusedRequest) {
    return { status: error.statusCode, body: apiError(error.code, error.message, undefined, error.hint) };
  }
  if (error instanceof ClinvkError) {
    return { status: statusOf(error.code), body: apiError(error.code, error.message, undefined, error.hint) };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const details = fastifyError.validation.map((v) => ({
      path: `${fastifyError.validationContext ?? "body"}${v.instancePath}`,
      message: v.message,
      ...(v.params && "additionalProperty" in v.params ? { field: v.params.additionalProperty } : {}),
    }));
    const first = details[0];
    const summary = first?.field
      ? `unknown field "${String(first.field)}" in ${first.path}`
      : `${first?.path}: ${first?.message}`;
    return { status: 400, body: apiError("invalid_request", `invalid request: ${summary}`, details) };
  }
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, body: apiError("payload_too_large", "request body is too large") };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { status: 415, body: apiError("invalid_request", "send the request body as application/json") };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { status: 400, body: apiError("invalid_request", "the request body is empty") };
  }
  if (fastifyError.statusCode === 429) {
    return { status: 429, body: apiError("rate_limit", fastifyError.message || "rate limit exceeded, retry later") };
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const message =
      error instanceof SyntaxError || /JSON/.test(error.message) ? "malformed JSON in the request body" : error.message;
    return { status: fastifyError.statusCode, body: apiError("invalid_request", message) };
  }
  return { status: 500, body: apiError("internal", "internal server error") };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = toApiError(error);
    if (status >= 500) request.log.error({ err: error }, "request failed");
    // A refusal of the admission gate or a breaker (a run's own failures are 200 results on this API).
    if (error instanceof ClinvkError && (error.code === "queue_full" || error.code === "circuit_open")) {
      reply.header("retry-after", String(retryAfterSeconds(error)));
    }
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(apiError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`)),
  );
}
