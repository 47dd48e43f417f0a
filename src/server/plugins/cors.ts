/**
 * CORS, closed by default but for pages served from localhost. Registered before authentication,
 * so that a browser's preflight is answered without a key.
 */
import cors from "@fastify/cors";
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

export const corsPlugin = fp(
  async (app: FastifyInstance, context: ServerContext) => {
    await app.register(cors, {
      hook: "onRequest",
      delegator: (request, callback) => {
        const server = context.config.current.server;
        const origin = request.headers.origin;
        callback(null, {
          origin: typeof origin === "string" && originAllowed(origin, server.cors_allowed_origins) ? origin : false,
          credentials: server.cors_allow_credentials,
          maxAge: server.cors_max_age,
          methods: ["GET", "POST", "DELETE", "OPTIONS"],
          // Requested headers are reflected (the SDKs send x-stainless-*, anthropic-*): the origin check is the gate.
          exposedHeaders: [
            "X-Request-Id",
            "X-Clinvk-Session",
            "x-should-retry",
            "traceparent",
            "Retry-After",
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
          ],
        });
      },
    });
  },
  { name: "clinvk-cors", dependencies: ["clinvk-host-check"] },
);
