/**
 * The HTTP server: one Fastify app with the cross-cutting plugins (CORS, tracing, API keys, rate
 * limits, metrics) and the route files of each surface. It only translates between HTTP and the
 * engine; runs, sessions and workflows are the engine's.
 */
import { randomUUID } from "node:crypto";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { LiveConfig } from "../config/live.js";
import type { Engine } from "../engine/engine.js";
import type { SessionStore } from "../sessions/store.js";
import { VERSION } from "../version.js";
import { ApiKeyRing } from "./api-keys.js";
import type { ServerContext } from "./context.js";
import { authPlugin } from "./plugins/auth.js";
import { corsPlugin } from "./plugins/cors.js";
import { registerErrorHandling } from "./plugins/errors.js";
import { metricsPlugin } from "./plugins/metrics.js";
import { rateLimitPlugin } from "./plugins/rate-limit.js";
import { tracingPlugin } from "./plugins/tracing.js";
import { OneLinePerRequest } from "./request-log.js";
import { apiRoutes } from "./routes/api.js";
import { docsRoutes } from "./routes/docs.js";
import { healthRoutes } from "./routes/health.js";
import { mcpRoutes } from "./routes/mcp.js";

export interface ServerOptions {
  engine: Engine;
  store: SessionStore;
  config: LiveConfig;
  logger?: FastifyServerOptions["logger"];
  /** Extra surfaces (the OpenAI and Anthropic APIs) registered with the same context. */
  surfaces?: RouteFile[];
}

/** A file of routes: registers them on its own encapsulated scope. */
export type RouteFile = (app: FastifyInstance, context: ServerContext) => void;

const routes =
  (file: RouteFile, context: ServerContext) =>
  (scope: FastifyInstance, _options: unknown, done: (error?: Error) => void) => {
    file(scope, context);
    done();
  };

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module "fastify" {
  interface FastifyInstance {
    /** The server's shared state: engine, store, live config, runs in flight. */
    clinvk: ServerContext;
  }
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const server = options.config.current.server;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: server.max_request_body_bytes || 1024 ** 3,
    trustProxy: server.trusted_proxies.length > 0 ? server.trusted_proxies : false,
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestTimeout: server.read_timeout_secs * 1000,
    keepAliveTimeout: server.idle_timeout_secs * 1000,
    return503OnClosing: true,
    logController: new OneLinePerRequest(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
  });
  const context: ServerContext = {
    engine: options.engine,
    store: options.store,
    config: options.config,
    apiKeys: new ApiKeyRing(options.config, (error) => app.log.error({ err: error }, "keeping the previous API keys")),
    active: new Set(),
    startedAt: Date.now(),
    version: VERSION,
  };

  app.decorate("clinvk", context);
  app.removeContentTypeParser("text/plain"); // JSON only: anything else is a 415
  registerErrorHandling(app);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: "clinvoker API",
        version: VERSION,
        description: "Claude Code, Codex and Gemini CLI as an HTTP API.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: "apiKey", in: "header", name: "X-Api-Key" },
          bearer: { type: "http", scheme: "bearer" },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }],
    },
  });
  // CORS first, so that preflights are answered without a key; then who is asking, then how often.
  await app.register(corsPlugin, context);
  await app.register(tracingPlugin, context);
  await app.register(rateLimitPlugin, context);
  await app.register(authPlugin, context);
  await app.register(metricsPlugin, context);
  await app.register(routes(healthRoutes, context));
  await app.register(routes(docsRoutes, context));
  await app.register(routes(apiRoutes, context), { prefix: "/api/v1" });
  await app.register(routes(mcpRoutes, context));
  for (const surface of options.surfaces ?? []) await app.register(routes(surface, context));
  return app;
}
