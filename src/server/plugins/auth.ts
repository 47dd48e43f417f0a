/**
 * API keys: every request but CORS preflights and `server.auth_exempt_paths` must present a valid
 * one when keys are configured (api-keys.ts). Runs after the rate limiter, so that guesses count.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ServerContext } from "../context.js";
import { Unauthorized } from "../http/errors.js";
import { isUiPath } from "../service/ui.js";
import { presentedKey } from "./api-keys.js";

export const authPlugin = fp(
  async (app: FastifyInstance, context: ServerContext) => {
    app.addHook("onRequest", (request, reply, done) => {
      if (!context.apiKeys.required || request.method === "OPTIONS") return done();
      const path = request.url.split("?")[0] ?? "";
      if (context.config.current.server.auth_exempt_paths.includes(path)) return done();
      // The dashboard's static files: the page asks for the key and sends it with each API call.
      if ((request.method === "GET" || request.method === "HEAD") && isUiPath(path)) return done();
      const key = presentedKey(request);
      if (key && context.apiKeys.matches(key)) return done();
      reply.header("www-authenticate", "Bearer");
      done(new Unauthorized(key ? "invalid API key" : "missing API key"));
    });
  },
  { name: "clinvk-auth", dependencies: ["clinvk-rate-limit"] },
);
