/**
 * Requests per client: per API key when a valid one is presented, else per IP (X-Forwarded-For is
 * believed only from server.trusted_proxies, through Fastify's trustProxy). It runs before the key
 * check, on every request, so that wrong keys are guesses counted against their IP, never a fresh
 * bucket each. The limits follow config reloads. With `redis.url` the buckets are in Redis, so that
 * every instance counts the same client's requests together.
 */
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ServerContext } from "../context.js";
import { apiError } from "../http/errors.js";

export const rateLimitPlugin = fp(
  async (app: FastifyInstance, context: ServerContext) => {
    const settings = () => context.config.current.server;
    await app.register(rateLimit, {
      global: false, // hooked below for the whole app, ahead of the key check (route hooks run after it)
      // A burst of `rate_limit_burst` requests per window, refilled at `rate_limit_rps`.
      max: () => Math.max(1, settings().rate_limit_burst || settings().rate_limit_rps * 2),
      timeWindow: () =>
        Math.max(
          1,
          Math.round((1000 * Math.max(1, settings().rate_limit_burst)) / Math.max(1, settings().rate_limit_rps)),
        ),
      allowList: () => !settings().rate_limit_enabled,
      keyGenerator: (request) => {
        if (!settings().rate_limit_enabled) return "off"; // allowList lets it through; no key digest to compute
        const keyId = context.apiKeys.validKeyId(request);
        return keyId ? `key:${keyId}` : `ip:${request.ip}`;
      },
      ...(context.redis ? { redis: context.redis.client, nameSpace: `${context.redis.prefix}rate-limit:` } : {}),
      errorResponseBuilder: (_request, info) => ({
        statusCode: 429,
        ...apiError("rate_limit", `rate limit exceeded: retry in ${Math.ceil(info.ttl / 1000)} s`),
      }),
    });
    // Off (the default), a request costs one flag check, not the plugin's async key and allow-list calls.
    const limit = app.rateLimit();
    app.addHook("onRequest", (request, reply, done) => {
      if (!settings().rate_limit_enabled) return done();
      limit.call(app, request, reply).then(() => done(), done);
    });
  },
  { name: "clinvk-rate-limit" },
);
