/**
 * What `clinvk doctor` says of the parts that instances share: the session store (files, or the
 * PostgreSQL of `store.url`) and the Redis of `redis.url`. A configured one that cannot be reached
 * is a problem that doctor names and exits 3 for.
 */
import type { Config } from "../../config/schema.js";
import { checkKeyPrefix, connectRedis, describeRedisUrl, redisHealth } from "../../engine/redis.js";
import { describeStore } from "../../engine/session-store.js";
import type { SessionStore } from "../../sessions/store.js";
import type { Paint } from "../color.js";

export interface SharedPart {
  available: boolean;
  kind: string;
  where: string;
  detail?: string;
  error?: string;
}

export async function checkSharedParts(
  config: Config,
  store: SessionStore,
): Promise<{ session_store: SharedPart; redis?: SharedPart }> {
  const described = describeStore(store);
  let session_store: SharedPart;
  try {
    await store.open?.();
    const count = await store.count();
    session_store = { available: true, ...described, detail: `${count} session${count === 1 ? "" : "s"}` };
  } catch (error) {
    session_store = { available: false, ...described, error: (error as Error).message };
  } finally {
    await store.close?.().catch(() => undefined);
  }
  if (!config.redis.url) return { session_store };
  const where = describeRedisUrl(config.redis.url);
  try {
    checkKeyPrefix(config.redis.key_prefix);
    const client = await connectRedis(config.redis.url);
    const health = await redisHealth(client, where);
    client.disconnect();
    return {
      session_store,
      redis: {
        available: health.available,
        kind: "redis",
        where,
        detail: `ping ${health.ping_ms} ms`,
        error: health.error,
      },
    };
  } catch (error) {
    return { session_store, redis: { available: false, kind: "redis", where, error: (error as Error).message } };
  }
}

export function formatSharedParts(parts: { session_store: SharedPart; redis?: SharedPart }, paint: Paint): string {
  const lines: string[] = [];
  for (const [label, part] of [
    ["sessions", parts.session_store],
    ["redis", parts.redis],
  ] as const) {
    if (!part) continue;
    const mark = part.available ? paint.green("ok     ") : paint.red("error  ");
    lines.push(`${mark} ${label.padEnd(9)}${part.kind} ${part.where}${part.detail ? `  (${part.detail})` : ""}`);
    if (part.error) lines.push(`        ${part.error}`);
  }
  return lines.join("\n");
}
