/**
 * CORS, closed by default but for pages served from localhost. Registered before authentication,
 * so that a browser's preflight is answered without a key.
 */
import cors, { type FastifyCorsOptions } from "@fastify/cors";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ServerContext } from "../context.js";

const LOCALHOST = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return LOCALHOST.test(origin);
  return allowed.some((pattern) => {
    if (pattern === "*") return true;
    if (pattern.includes("*")) {
      const regex = new RegExp(
        `^${pattern
          .split("*")
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join("[^/]*")}$`,
      );
      return regex.test(origin);
    }
    return pattern === origin;
  });
}

const METHODS = ["GET", "POST", "DELETE", "OPTIONS"];
const EXPOSED_HEADERS = [
  "X-Request-Id",
  "X-Clinvk-Session",
  "x-should-retry",
  "traceparent",
  "Retry-After",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
];

type ServerSettings = ServerContext["config"]["current"]["server"];

/** The options of a request that no origin may read: one object per config, not one per request. */
const closed = new WeakMap<ServerSettings, FastifyCorsOptions>();

function optionsFor(server: ServerSettings, origin: string | false): FastifyCorsOptions {
  const shared = {
    credentials: server.cors_allow_credentials,
    maxAge: server.cors_max_age,
    methods: METHODS,
    // Requested headers are reflected (the SDKs send x-stainless-*, anthropic-*): the origin check is the gate.
    exposedHeaders: EXPOSED_HEADERS,
  };
  return { ...shared, origin };
}

export const corsPlugin = fp(
  async (app: FastifyInstance, context: ServerContext) => {
    await app.register(cors, {
      hook: "onRequest",
      delegator: (request, callback) => {
        const server = context.config.current.server;
        const origin = request.headers.origin;
        if (typeof origin === "string" && originAllowed(origin, server.cors_allowed_origins)) {
          return callback(null, optionsFor(server, origin));
        }
        let options = closed.get(server);
        if (!options) {
          options = optionsFor(server, false);
          closed.set(server, options);
        }
        callback(null, options);
      },
    });
  },
  { name: "clinvk-cors", dependencies: ["clinvk-host-check"] },
);
