// Circuit-breaker state shared through Redis: a backend's breaker that opens on one instance opens on
// the others until the same moment, also on an instance that starts while it is open.
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { BreakerRegistry } from "../../src/engine/circuit-breaker.js";
import { SharedBreakers } from "../../src/engine/shared-breakers.js";
import { deleteRunKeys, REDIS_PREFIX, TEST_REDIS_URL } from "./redis.js";

const clients: Redis[] = [];
const shared: SharedBreakers[] = [];
afterAll(async () => {
  for (const s of shared) s.stop();
  for (const client of clients) client.disconnect();
  await deleteRunKeys();
});

async function instance(prefix: string) {
  const registry = new BreakerRegistry({ failureThreshold: 2, openMs: 1500 });
  const client = new Redis(TEST_REDIS_URL);
  clients.push(client);
  const breakers = new SharedBreakers(client, prefix, registry);
  shared.push(breakers);
  await breakers.start(["claude", "codex", "gemini"]);
  return registry;
}

const until = async (check: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return check();
};

describe("circuit breakers shared by instances", () => {
  it("opens on every instance when it opens on one, for that backend only, and closes again after", async () => {
    const prefix = `${REDIS_PREFIX}breakers-1:`;
    const [a, b] = [await instance(prefix), await instance(prefix)];
    for (let i = 0; i < 2; i++) a.get("codex").enter().failure();
    expect(a.get("codex").state).toBe("open");
    expect(await until(() => b.get("codex").state === "open")).toBe(true);
    expect(() => b.get("codex").enter()).toThrow(/paused after repeated failures/);
    expect(b.get("claude").state).toBe("closed");
    // An instance that starts while it is open starts open.
    const late = await instance(prefix);
    expect(late.get("codex").state).toBe("open");
    expect(await until(() => b.get("codex").state === "half_open", 3000)).toBe(true);
  });
});
