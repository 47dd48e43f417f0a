/**
 * Prometheus metrics at /metrics (when server.metrics_enabled): requests and their latency by
 * route, runs by backend and outcome, run durations, tokens, and runs in flight. One registry per
 * server, so that tests and several servers in one process do not mix their counts.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ServerContext } from "../context.js";
import { apiError } from "../http/errors.js";

export const metricsPlugin = fp(
  async (app: FastifyInstance, context: ServerContext) => {
    const registry = new Registry();
    // The process metrics watch every GC and the event loop: started only once metrics are on.
    let collecting = false;
    const collectIfEnabled = () => {
      if (collecting || !context.config.current.server.metrics_enabled) return;
      collecting = true;
      collectDefaultMetrics({ register: registry, prefix: "clinvk_" });
    };
    collectIfEnabled();
    const unfollow = context.config.onChange(collectIfEnabled);
    const requests = new Counter({
      name: "clinvk_http_requests_total",
      help: "HTTP requests by method, route and status.",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    });
    const latency = new Histogram({
      name: "clinvk_http_request_duration_seconds",
      help: "HTTP request duration by method and route (streams: until the stream ends).",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300],
      registers: [registry],
    });
    const runs = new Counter({
      name: "clinvk_runs_total",
      help: "Finished runs by backend and outcome (success, or the error code).",
      labelNames: ["backend", "outcome"],
      registers: [registry],
    });
    const runDuration = new Histogram({
      name: "clinvk_run_duration_seconds",
      help: "Run duration by backend.",
      labelNames: ["backend"],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    });
    const tokens = new Counter({
      name: "clinvk_tokens_total",
      help: "Tokens by backend and kind (input, output, cached, reasoning).",
      labelNames: ["backend", "kind"],
      registers: [registry],
    });
    new Gauge({
      name: "clinvk_runs_active",
      help: "Runs in flight through this server.",
      registers: [registry],
      collect() {
        this.set(context.active.size);
      },
    });
    const admission = () => context.engine.admissionStats();
    new Gauge({
      name: "clinvk_runs_running",
      help: "Runs holding a slot of the admission gate.",
      registers: [registry],
      collect() {
        this.set(admission()?.running ?? 0);
      },
    });
    new Gauge({
      name: "clinvk_runs_queued",
      help: "Runs waiting for a slot of the admission gate.",
      registers: [registry],
      collect() {
        this.set(admission()?.queued ?? 0);
      },
    });

    const stop = context.engine.observe((result) => {
      runs.inc({ backend: result.backend, outcome: result.error?.code ?? "success" });
      runDuration.observe({ backend: result.backend }, result.duration_ms / 1000);
      for (const kind of ["input", "output", "cached", "reasoning"] as const) {
        const count = result.usage[`${kind}_tokens`];
        if (count > 0) tokens.inc({ backend: result.backend, kind }, count);
      }
    });
    app.addHook("onClose", async () => {
      stop();
      unfollow();
    });

    // A callback, not an async hook: no promise per request while metrics are off (the default).
    app.addHook("onResponse", (request, reply, done) => {
      if (context.config.current.server.metrics_enabled) {
        const route = request.routeOptions.url ?? "unmatched";
        requests.inc({ method: request.method, route, status: String(reply.statusCode) });
        latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      }
      done();
    });

    app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
      if (!context.config.current.server.metrics_enabled) {
        return reply
          .status(404)
          .send(apiError("not_found", "metrics are off", undefined, "set server.metrics_enabled: true"));
      }
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  },
  { name: "clinvk-metrics" },
);
