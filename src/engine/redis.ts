/**
 * The Redis connection that instances share (config `redis.url`): connected and pinged at startup, so
 * that a Redis that cannot be reached stops the server with a clear error (exit 3) rather than leaving
 * each instance to count on its own. Messages name it as host:port/db, never with its password.
 */
import type { Redis } from "ioredis";
import { ClinvkError } from "../core/errors.js";

export type { Redis };

export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || "6379"}${parsed.pathname && parsed.pathname !== "/" ? parsed.pathname : "/0"}`;
  } catch {
    return "(an unparsable URL)";
  }
}

const KEY_PREFIX = /^[A-Za-z0-9:_.-]{0,64}$/;

export function checkKeyPrefix(prefix: string): string {
  if (!KEY_PREFIX.test(prefix)) {
    throw new ClinvkError(
      "invalid_config",
      `invalid redis.key_prefix ${JSON.stringify(prefix.slice(0, 80))}`,
      "letters, digits and : _ . - (at most 64), e.g. clinvk:",
    );
  }
  return prefix;
}

/** Connects and pings; an `invalid_config` error when Redis cannot be reached or refuses us. */
export async function connectRedis(url: string): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url)) {
    throw new ClinvkError(
      "invalid_config",
      "redis.url must be a redis:// or rediss:// URL",
      "e.g. redis://cache:6379/0",
    );
  }
  const where = describeRedisUrl(url);
  // Imported here: doctor and serve without redis.url never load ioredis. Through `default` (the
  // CommonJS exports): the bundle's dynamic import of a CommonJS module has no named exports.
  const { Redis } = (await import("ioredis")).default as unknown as { Redis: typeof import("ioredis").Redis };
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 2,
    // At startup a refused connection is an answer; once running, reconnect with a capped backoff.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    connectionName: "clinvk",
  });
  let lastError: Error | undefined;
  client.on("error", (error: Error) => {
    lastError = error;
  });
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (error) {
    client.disconnect();
    const cause = lastError ?? (error as Error);
    throw new ClinvkError(
      "invalid_config",
      `cannot reach Redis at ${where}: ${cause.message}`,
      "start Redis or fix redis.url (CLINVK_REDIS_URL); clinvk does not fall back to per-instance state when Redis is configured",
      { cause },
    );
  }
}

/** What `doctor` and `/health` say of Redis: reachable, and how long a ping takes. */
export async function redisHealth(
  client: Redis,
  where: string,
): Promise<{ available: boolean; where: string; ping_ms?: number; error?: string }> {
  const started = performance.now();
  try {
    await client.ping();
    return { available: true, where, ping_ms: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return { available: false, where, error: (error as Error).message };
  }
}
