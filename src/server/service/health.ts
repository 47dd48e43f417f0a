/**
 * GET /health: the state of the backends and the session store. `ok` when every enabled backend is
 * installed, `degraded` when some are missing or their circuit is open, `unhealthy` (HTTP 503) when
 * the store fails or no backend can run. Each backend's live processes are counted (idle, busy).
 */
import type { FastifyInstance } from "fastify";
import { redisHealth } from "../../engine/redis.js";
import { describeStore } from "../../engine/session-store.js";
import type { ServerContext } from "../context.js";

export function formatUptime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/** The work queues: this instance's role, and per backend the runs waiting, running and delayed. */
async function queueHealth(context: ServerContext): Promise<Record<string, unknown>> {
  const names = context.engine.registry.names();
  try {
    return {
      available: true,
      role: context.role,
      ...(context.instance ? { instance: context.instance } : {}),
      backends: await context.queues?.counts(names),
    };
  } catch (error) {
    return { available: false, role: context.role, error: (error as Error).message };
  }
}

export function healthRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get(
    "/health",
    {
      schema: {
        summary: "Health of the server, its backends and its session store",
        description:
          "status ok, degraded or unhealthy (503); each backend's availability, version, circuit and live processes (idle ones wait for their session's next turn, busy ones run a turn); the session store, Redis, and the runs in flight with the approvals that wait for a decision.",
      },
    },
    async (_request, reply) => {
      const statuses = await context.engine.registry.statuses();
      const breakers = context.engine.breakerStates();
      const live = context.engine.liveStats();
      const backends = statuses.map((s) => ({
        name: s.name,
        available: s.available && s.enabled,
        version: s.version ?? null,
        circuit: breakers[s.name] ?? "closed",
        live: live[s.name] ?? { idle: 0, busy: 0 },
      }));
      const { kind } = describeStore(context.store);
      let store: { available: boolean; kind: string; session_count?: number; error?: string };
      try {
        store = { available: true, kind, session_count: await context.store.count() };
      } catch (error) {
        store = { available: false, kind, error: (error as Error).message };
      }
      const redis = context.redis ? await redisHealth(context.redis.client, context.redis.where) : undefined;
      const queue = context.queues ? await queueHealth(context) : undefined;
      // An API instance runs no CLI: its backends are the workers' (counted in `queue`).
      const usable =
        context.role === "api" ? statuses.length : backends.filter((b) => b.available && b.circuit !== "open").length;
      const status =
        !store.available || redis?.available === false || queue?.available === false || usable === 0
          ? "unhealthy"
          : context.role !== "api" && usable < statuses.filter((s) => s.enabled).length
            ? "degraded"
            : "ok";
      const uptime = Date.now() - context.startedAt;
      return reply.status(status === "unhealthy" ? 503 : 200).send({
        status,
        version: context.version,
        uptime: formatUptime(uptime),
        uptime_ms: uptime,
        backends,
        session_store: store,
        ...(redis ? { redis } : {}),
        ...(queue ? { queue } : {}),
        runs: {
          active: context.active.size,
          ...context.engine.admissionStats(),
          approvals_pending: context.approvals.size,
        },
      });
    },
  );
}
