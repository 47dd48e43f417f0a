/**
 * API keys: `X-Api-Key: <key>` or `Authorization: Bearer <key>`, compared in constant time
 * against every configured key (digests, so that lengths leak nothing). Keys come from the config
 * (server.api_keys, CLINVK_API_KEYS) and server.api_keys_file, and follow config reloads.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Config } from "../../config/schema.js";
import { ClinvkError } from "../../engine/errors.js";
import { globalPlugin, type ServerContext } from "../context.js";
import { apiError } from "../http-errors.js";

const digest = (key: string) => createHash("sha256").update(key).digest();

export function loadApiKeys(config: Config): string[] {
  const keys = [...config.server.api_keys];
  if (config.server.api_keys_file) {
    try {
      const text = readFileSync(config.server.api_keys_file, "utf8");
      keys.push(
        ...text
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter((line) => line && !line.startsWith("#")),
      );
    } catch (error) {
      throw new ClinvkError(
        "invalid_config",
        `cannot read server.api_keys_file ${config.server.api_keys_file} (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  return [...new Set(keys.map((key) => key.trim()).filter(Boolean))];
}

/** The key a request presents, if any. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers["x-api-key"];
  if (typeof header === "string" && header.trim()) return header.trim();
  const authorization = request.headers.authorization;
  const bearer = typeof authorization === "string" ? /^Bearer\s+(.+)$/i.exec(authorization.trim()) : null;
  return bearer?.[1]?.trim() || undefined;
}

export function keyMatches(candidate: string, keys: readonly Buffer[]): boolean {
  const presented = digest(candidate);
  let match = false;
  for (const key of keys) match = timingSafeEqual(presented, key) || match; // no early exit
  return match;
}

export const authPlugin = globalPlugin(async (app: FastifyInstance, context: ServerContext) => {
  let digests = loadApiKeys(context.config.current).map(digest);
  context.config.onChange((config) => {
    try {
      digests = loadApiKeys(config).map(digest);
    } catch (error) {
      app.log.error({ err: error }, "keeping the previous API keys");
    }
  });
  app.addHook("onRequest", async (request, reply) => {
    if (digests.length === 0 || request.method === "OPTIONS") return;
    const path = request.url.split("?")[0] ?? "";
    if (context.config.current.server.auth_exempt_paths.includes(path)) return;
    const key = presentedKey(request);
    if (key && keyMatches(key, digests)) return;
    reply.header("www-authenticate", "Bearer");
    return reply
      .status(401)
      .send(
        apiError(
          "unauthorized",
          key ? "invalid API key" : "missing API key",
          undefined,
          "send it as X-Api-Key or Authorization: Bearer",
        ),
      );
  });
});
