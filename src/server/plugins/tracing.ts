/**
 * W3C trace context: continue the caller's trace (`traceparent`, `tracestate`) or start one, answer
 * with our span in `traceparent`, and put the trace id on every log line of the request.
 */
import { randomFillSync } from "node:crypto";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ServerContext } from "../context.js";

export interface TraceContext {
  traceId: string;
  spanId: string;
  parentId?: string;
  flags: string;
}

declare module "fastify" {
  interface FastifyRequest {
    trace?: TraceContext;
  }
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parses a traceparent header; undefined when absent or invalid (then a new trace starts). */
export function parseTraceparent(header: string | undefined): Omit<TraceContext, "spanId"> | undefined {
  const match = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  if (!match) return undefined;
  const [, version, traceId, parentId, flags] = match as unknown as [string, string, string, string, string];
  if (version === "ff" || /^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { traceId, parentId, flags };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}

/** Random hex from a pooled buffer: one randomFillSync per 4 KiB instead of two per request. */
const pool = Buffer.alloc(4096);
let used = pool.length;
function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString("hex", used - bytes, used);
}

export const tracingPlugin = fp(
  async (app: FastifyInstance, context: ServerContext) => {
    app.addHook("onRequest", (request, reply, done) => {
      if (!context.config.current.server.tracing_enabled) return done();
      const header = request.headers.traceparent;
      const parent = parseTraceparent(typeof header === "string" ? header : undefined);
      const trace: TraceContext = {
        traceId: parent?.traceId ?? randomHex(16),
        parentId: parent?.parentId,
        spanId: randomHex(8),
        flags: parent?.flags ?? "01",
      };
      request.trace = trace;
      // The request's own child logger (Fastify makes one per request) takes the ids: a second
      // child per request cost more than the rest of the hook. Without a logger there is none.
      const log = request.log as typeof request.log & { setBindings?: (bindings: object) => void };
      if (log !== app.log && log.setBindings) log.setBindings({ trace_id: trace.traceId, span_id: trace.spanId });
      reply.header("traceparent", formatTraceparent(trace));
      const state = request.headers.tracestate;
      if (parent && typeof state === "string" && state.length <= 512) reply.header("tracestate", state);
      done();
    });
  },
  { name: "clinvk-tracing" },
);
