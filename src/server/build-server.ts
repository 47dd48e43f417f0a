/**
 * The HTTP server: one Fastify app with the cross-cutting plugins (CORS, tracing, API keys, rate
 * limits, metrics) and the route files of each surface. It only translates between HTTP and the
 * engine; runs, sessions and workflows are the engine's.
 */
import { randomUUID } from "node:crypto";
import { createServer, type RequestListener, type Server } from "node:http";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { LiveConfig } from "../config/live.js";
import type { Engine } from "../engine/engine.js";
import { LocalRunDirectory, type RunDirectory } from "../engine/run-directory.js";
import { MemoryRunTracker, type RunTracker } from "../engine/run-tracker.js";
import type { SessionStore } from "../sessions/store.js";
import { VERSION } from "../version.js";
import { type AnthropicSurfaceOptions, anthropicSurface } from "./anthropic/routes.js";
import { PromptOverheads } from "./compat/prompt-overhead.js";
import { ToolRuns } from "./compat/tool-runs.js";
import type { RouteFile, ServerContext } from "./context.js";
import { registerErrorHandling } from "./http/error-handler.js";
import { OneLinePerRequest } from "./http/request-log.js";
import { mcpRoutes } from "./mcp/routes.js";
import { Approvals } from "./native/approvals.js";
import { approvalsRoutes } from "./native/approvals-routes.js";
import { apiRoutes } from "./native/routes.js";
import { runsRoutes } from "./native/runs-routes.js";
import { sessionEditRoutes } from "./native/session-edit-routes.js";
import { sessionTurnsRoutes } from "./native/session-turns-routes.js";
import { openaiRoutes } from "./openai/routes.js";
import { ApiKeyRing } from "./plugins/api-keys.js";
import { authPlugin } from "./plugins/auth.js";
import { corsPlugin } from "./plugins/cors.js";
import { hostCheckPlugin } from "./plugins/host-check.js";
import { metricsPlugin } from "./plugins/metrics.js";
import { rateLimitPlugin } from "./plugins/rate-limit.js";
import { tracingPlugin } from "./plugins/tracing.js";
import { networkRunGuard } from "./policy/run-policy.js";
import { docsRoutes } from "./service/docs.js";
import { healthRoutes } from "./service/health.js";
import { uiRoutes } from "./service/ui.js";

export interface ServerOptions {
  engine: Engine;
  store: SessionStore;
  config: LiveConfig;
  logger?: FastifyServerOptions["logger"];
  /** The admin's word that the network is trusted: a network address may go without API keys. */
  insecureNoAuth?: boolean;
  /** Settings of the Anthropic surface (its ping interval). */
  anthropic?: AnthropicSurfaceOptions;
  /** The dashboard's built files (default: the package's dist/ui). */
  uiDirectory?: string;
  /** Where every run is recorded (default: this process's memory). */
  tracker?: RunTracker;
  /** What the runs API reads (default: the tracker's runs; with Redis, every instance's). */
  runs?: RunDirectory;
  /** The Redis that instances share: rate-limit buckets live there. */
  redis?: ServerContext["redis"];
  /** `server.role` (default all); a worker serves /health only. */
  role?: ServerContext["role"];
  queues?: ServerContext["queues"];
  instance?: ServerContext["instance"];
}

const routes =
  (file: RouteFile, context: ServerContext) =>
  (scope: FastifyInstance, _options: unknown, done: (error?: Error) => void) => {
    file(scope, context);
    done();
  };

/**
 * Node's HTTP server with the config's timeouts: a request (headers and body) must arrive within
 * read_timeout_secs, checked every second (Node's default check runs every 30 s, so a slow body
 * was cut only after 60 to 90 s); idle keep-alive connections close after idle_timeout_secs.
 */
function httpServer(server: ServerOptions["config"]["current"]["server"], handler: RequestListener): Server {
  const read = server.read_timeout_secs * 1000;
  return createServer(
    {
      requestTimeout: read,
      headersTimeout: read || 60_000,
      connectionsCheckingInterval: 1000,
      keepAliveTimeout: server.idle_timeout_secs * 1000,
    },
    handler,
  );
}

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
    serverFactory: (handler) => httpServer(server, handler),
    return503OnClosing: true,
    logController: new OneLinePerRequest(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
  });
  const tracker = options.tracker ?? new MemoryRunTracker();
  const context: ServerContext = {
    // Every run a network client starts is judged by the server's policy, whichever route starts it.
    engine: options.engine
      .forNetwork({
        guard: networkRunGuard(() => options.config.current),
        envAllowlist: () => options.config.current.server.child_env,
        maxTimeoutMs: () => options.config.current.server.request_timeout_secs * 1000,
      })
      .withTracker(tracker),
    runs: options.runs ?? new LocalRunDirectory(tracker),
    store: options.store,
    config: options.config,
    apiKeys: new ApiKeyRing(
      options.config,
      (error) => app.log.error({ err: error }, "keeping the previous API keys"),
      options.insecureNoAuth,
    ),
    active: new Set(),
    toolRuns: new ToolRuns(() => options.config.current.server.client_tool_wait_secs * 1000),
    approvals: new Approvals({
      waitMs: () => options.config.current.server.approval_wait_secs * 1000,
      timeoutDecision: () => options.config.current.server.approval_timeout_decision,
    }),
    promptOverheads: new PromptOverheads(),
    startedAt: Date.now(),
    version: VERSION,
    role: options.role ?? "all",
    ...(options.queues ? { queues: options.queues } : {}),
    ...(options.instance ? { instance: options.instance } : {}),
    ...(options.redis ? { redis: options.redis } : {}),
  };

  app.decorate("clinvk", context);
  // Runs parked on their client's tool results are no request that closing would wait for.
  app.addHook("onClose", async () => context.toolRuns.stopAll());
  // A run waiting for a decision is no request that closing should wait for: its questions are denied.
  app.addHook("preClose", (done) => {
    context.approvals.stopAll();
    done();
  });
  // No live process outlives the server.
  app.addHook("onClose", async () => context.engine.closeLive());
  app.removeContentTypeParser("text/plain"); // JSON only: anything else is a 415
  registerErrorHandling(app);
  // The hooks that run on every request take a callback: an async hook costs a promise each time.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
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
  // The Host first (a rebound page gets nothing, not even a preflight); then CORS, so that
  // preflights are answered without a key; then who is asking, then how often.
  await app.register(hostCheckPlugin, context);
  await app.register(corsPlugin, context);
  await app.register(tracingPlugin, context);
  await app.register(rateLimitPlugin, context);
  await app.register(authPlugin, context);
  await app.register(metricsPlugin, context);
  await app.register(routes(healthRoutes, context));
  // A worker takes its runs from the queue, not from clients.
  if (context.role === "worker") return app;
  await app.register(routes(docsRoutes, context));
  await app.register(routes(apiRoutes, context), { prefix: "/api/v1" });
  await app.register(routes(runsRoutes, context), { prefix: "/api/v1" });
  await app.register(routes(approvalsRoutes, context), { prefix: "/api/v1" });
  await app.register(routes(sessionEditRoutes, context), { prefix: "/api/v1" });
  await app.register(routes(sessionTurnsRoutes, context), { prefix: "/api/v1" });
  await app.register(routes(openaiRoutes, context));
  await app.register(routes(anthropicSurface(options.anthropic), context));
  await app.register(routes(mcpRoutes, context));
  await app.register(routes(uiRoutes(options.uiDirectory), context));
  return app;
}
