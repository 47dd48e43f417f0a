/**
 * The server's API keys: from the config (server.api_keys, CLINVK_API_KEYS) and server.api_keys_file,
 * kept as digests and compared in constant time (so that neither content nor length leaks), following
 * config reloads. Shared by the auth check and the rate limiter, which buckets only proven keys.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { FastifyRequest } from "fastify";
import type { LiveConfig } from "../../config/live.js";
import type { Config } from "../../config/schema.js";
import { ClinvkError } from "../../core/errors.js";
import { isLoopbackName } from "../policy/loopback.js";

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

/**
 * The rule of an address: a server that others can reach needs API keys (unless its admin said
 * the network is trusted). Startup and every reload enforce it; returns the keys.
 */
export function keysForAddress(config: Config, insecureNoAuth: boolean): string[] {
  const keys = loadApiKeys(config);
  const { host } = config.server;
  if (keys.length === 0 && !isLoopbackName(host) && !insecureNoAuth) {
    throw new ClinvkError(
      "invalid_config",
      `refusing to listen on ${host} without API keys: anyone who can reach it could run coding agents on this machine`,
      "set server.api_keys (or CLINVK_API_KEYS), or pass --insecure-no-auth if the network is trusted",
    );
  }
  return keys;
}

/** The key a request presents (`X-Api-Key: <key>` or `Authorization: Bearer <key>`), if any. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers["x-api-key"];
  if (typeof header === "string" && header.trim()) return header.trim();
  const authorization = request.headers.authorization;
  const bearer = typeof authorization === "string" ? /^Bearer\s+(.+)$/i.exec(authorization.trim()) : null;
  return bearer?.[1]?.trim() || undefined;
}

export class ApiKeyRing {
  #digests: Buffer[];

  /**
   * `onReloadError` hears of a reload whose keys cannot be read, or that would leave a network
   * address without keys: the previous keys stay.
   */
  constructor(config: LiveConfig, onReloadError: (error: unknown) => void, insecureNoAuth = false) {
    this.#digests = keysForAddress(config.current, insecureNoAuth).map(digest);
    config.onChange((next) => {
      try {
        this.#digests = keysForAddress(next, insecureNoAuth).map(digest);
      } catch (error) {
        onReloadError(error);
      }
    });
  }

  /** False when no key is configured: the server is open. */
  get required(): boolean {
    return this.#digests.length > 0;
  }

  matches(candidate: string): boolean {
    const presented = digest(candidate);
    let match = false;
    for (const key of this.#digests) match = timingSafeEqual(presented, key) || match; // no early exit
    return match;
  }

  /** A stable, non-reversible name of the request's key when it is a valid one (a rate-limit bucket). */
  validKeyId(request: FastifyRequest): string | undefined {
    const key = presentedKey(request);
    return key && this.matches(key) ? digest(key).toString("hex").slice(0, 32) : undefined;
  }
}
