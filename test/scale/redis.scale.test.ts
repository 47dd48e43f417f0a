// Redis shared by `clinvk serve` instances: one rate-limit bucket per client across instances, /health
// and doctor reporting the shared parts, and a Redis that cannot be reached stopping the server (exit 3).
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";
import { dropRunSchemas, newSchemaName, TEST_PG_URL } from "./pg.js";
import { deleteRunKeys, REDIS_PREFIX, startInstance, stopInstances, TEST_REDIS_URL } from "./redis.js";

afterAll(async () => {
  await stopInstances();
  await deleteRunKeys();
  await dropRunSchemas();
});

const limited = {
  CLINVK_SERVER_RATE_LIMIT_ENABLED: "true",
  CLINVK_SERVER_RATE_LIMIT_BURST: "3",
  CLINVK_SERVER_RATE_LIMIT_RPS: "1",
};
const shared = { ...limited, CLINVK_REDIS_URL: TEST_REDIS_URL, CLINVK_REDIS_KEY_PREFIX: REDIS_PREFIX };

const get = (base: string, path = "/api/v1/backends") => fetch(`${base}${path}`).then((r) => r.status);

describe("instances share Redis", () => {
  it("the rate limit is one bucket: the request past it is refused whichever instance it reaches", async () => {
    const [a, b, alone] = await Promise.all([startInstance(shared), startInstance(shared), startInstance(limited)]);
    expect([await get(a.base), await get(b.base), await get(a.base)]).toEqual([200, 200, 200]);
    expect(await get(b.base)).toBe(429);
    expect(await get(a.base)).toBe(429);
    // An instance that keeps its own buckets still has the client's whole burst: the sharing is Redis's.
    expect(await get(alone.base)).toBe(200);
  });

  it("/health reports the session store and Redis", async () => {
    const instance = await startInstance({
      CLINVK_REDIS_URL: TEST_REDIS_URL,
      CLINVK_REDIS_KEY_PREFIX: REDIS_PREFIX,
      CLINVK_STORE_URL: TEST_PG_URL,
      CLINVK_STORE_SCHEMA: newSchemaName(),
    });
    const health = (await (await fetch(`${instance.base}/health`)).json()) as {
      session_store: unknown;
      redis: { ping_ms: number };
    };
    expect(health.session_store).toMatchObject({ available: true, kind: "postgres", session_count: 0 });
    expect(health.redis).toMatchObject({ available: true, where: "127.0.0.1:6379/0" });
    expect(health.redis.ping_ms).toBeGreaterThanOrEqual(0);
  });

  it("a Redis that cannot be reached is exit 3 for serve and doctor, named without its password", async () => {
    const env = { ...process.env, CLINVK_REDIS_URL: "redis://:hunter2@127.0.0.1:1/0" };
    const serve = await runCli(["serve", "--port", "0"], { env });
    expect(serve.code).toBe(3);
    expect(serve.stderr).toContain("cannot reach Redis at 127.0.0.1:1/0");
    const doctor = await runCli(["doctor", "--json"], { env });
    expect(doctor.code).toBe(3);
    expect(JSON.parse(doctor.stdout).redis).toMatchObject({ available: false, where: "127.0.0.1:1/0" });
    for (const output of [serve.stderr, doctor.stdout, doctor.stderr]) expect(output).not.toContain("hunter2");
  });
});
