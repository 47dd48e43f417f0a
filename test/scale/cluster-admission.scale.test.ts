// Admission counted across instances in Redis: caps on all instances together, waiting for a slot,
// refusing after the queue timeout, and the slot of an instance that died coming back after its lease.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { type ClusterLimits, ClusterSlots, SharedAdmissionGate } from "../../src/engine/cluster-admission.js";
import { ROOT } from "../helpers.js";
import { deleteRunKeys, REDIS_PREFIX, TEST_REDIS_URL } from "./redis.js";

const clients: Redis[] = [];
let namespaces = 0;
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await deleteRunKeys();
});

/** Two or more "instances" on one namespace of the run's prefix. */
function cluster(limits: ClusterLimits, leaseMs?: number) {
  const prefix = `${REDIS_PREFIX}admission-${namespaces++}:`;
  const instance = () => {
    const client = new Redis(TEST_REDIS_URL);
    clients.push(client);
    return new ClusterSlots(client, prefix, () => limits, leaseMs);
  };
  return { prefix, instance };
}

/** Whether the promise settles within `ms`. */
const settlesWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe("admission across instances", () => {
  it("a per-backend cap holds across instances: the second waits until the first releases", async () => {
    const { instance } = cluster({ maxRunning: 0, perKey: { claude: 1 }, queueTimeoutMs: 0 });
    const [a, b] = [instance(), instance()];
    const releaseA = await a.acquire("claude");
    const waiting = b.acquire("claude");
    expect(await settlesWithin(waiting, 400)).toBe(false);
    // Another backend is not held up by claude's cap.
    (await b.acquire("codex"))();
    expect(await a.counts(["claude", "codex"])).toEqual({ running: 1, runningByKey: { claude: 1, codex: 0 } });
    releaseA();
    expect(await settlesWithin(waiting, 3000)).toBe(true);
    (await waiting)();
  });

  it("the global cap counts every instance's runs, and a run that waits too long is refused as queue_full", async () => {
    const { instance } = cluster({ maxRunning: 2, perKey: {}, queueTimeoutMs: 500 });
    const [a, b] = [instance(), instance()];
    const held = [await a.acquire("claude"), await b.acquire("codex")];
    const started = Date.now();
    await expect(a.acquire("gemini")).rejects.toMatchObject({ code: "queue_full" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    for (const release of held) release();
    (await b.acquire("gemini"))();
  });

  it("a run that is cancelled while it waits takes no slot", async () => {
    const { instance } = cluster({ maxRunning: 1, perKey: {}, queueTimeoutMs: 0 });
    const [a, b] = [instance(), instance()];
    const release = await a.acquire("claude");
    const abort = new AbortController();
    const waiting = b.acquire("claude", abort.signal);
    setTimeout(() => abort.abort(), 200);
    await expect(waiting).rejects.toMatchObject({ code: "cancelled" });
    expect((await a.counts([])).running).toBe(1);
    release();
  });

  it("the slot of an instance killed with SIGKILL comes back when its lease ends, not before", async () => {
    const { prefix, instance } = cluster({ maxRunning: 1, perKey: {}, queueTimeoutMs: 200 });
    const holder = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "test", "scale", "slot-holder.ts"), TEST_REDIS_URL, prefix, "1500", "claude"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
    holder.kill("SIGKILL");
    await new Promise((resolve) => holder.on("close", resolve));
    const other = instance();
    await expect(other.acquire("claude")).rejects.toMatchObject({ code: "queue_full" });
    await new Promise((resolve) => setTimeout(resolve, 1600));
    (await other.acquire("claude"))();
  });

  it("the shared gate takes the local slot first and gives it back when the cluster refuses", async () => {
    const { instance } = cluster({ maxRunning: 1, perKey: {}, queueTimeoutMs: 300 });
    const a = new SharedAdmissionGate({ maxRunning: 4, maxQueued: 4, queueTimeoutMs: 0 }, instance());
    const b = new SharedAdmissionGate({ maxRunning: 4, maxQueued: 4, queueTimeoutMs: 0 }, instance());
    const release = await a.acquire("claude");
    expect(a.stats().running).toBe(1);
    await expect(b.acquire("codex")).rejects.toMatchObject({ code: "queue_full" });
    expect(b.stats().running).toBe(0);
    release();
    expect(a.stats().running).toBe(0);
    (await b.acquire("codex"))();
  });
});
