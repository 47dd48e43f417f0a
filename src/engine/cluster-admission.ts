/**
 * Admission across instances: besides each instance's own gate (which protects its machine's memory),
 * caps on the runs of all instances together (which protect the providers' quotas), counted in Redis.
 * A slot is a lease in a sorted set (member: the run, score: when it expires, by Redis's clock), taken
 * and counted in one Lua script, renewed while the run lives and removed when it ends; the slots of an
 * instance that died expire after LEASE_MS. A run that finds the cluster full waits (polling, with
 * backoff) up to the queue timeout, then is refused like a full local queue.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { ClinvkError } from "../core/errors.js";
import { type AcquireOptions, AdmissionGate, type AdmissionLimits } from "../process/admission.js";

export interface ClusterLimits {
  /** Runs of any backend at once on all instances together (0: no cap). */
  maxRunning: number;
  /** Per-backend caps on all instances together (0 or missing: none). */
  perKey: Record<string, number>;
  /** Longest wait for a cluster slot (0: forever). */
  queueTimeoutMs: number;
}

export const LEASE_MS = 15_000;

/** KEYS: the global set, the key's set. ARGV: lease ms, member, global cap, key cap. 1 when taken. */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local globalCap = tonumber(ARGV[3])
local keyCap = tonumber(ARGV[4])
if globalCap > 0 and redis.call('ZCARD', KEYS[1]) >= globalCap then return 0 end
if keyCap > 0 and redis.call('ZCARD', KEYS[2]) >= keyCap then return 0 end
redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
redis.call('ZADD', KEYS[2], now + lease, ARGV[2])
redis.call('PEXPIRE', KEYS[1], lease * 2)
redis.call('PEXPIRE', KEYS[2], lease * 2)
return 1
`;

/** KEYS: the global set, the key's set. ARGV: lease ms, member. Renews a lease that is still held. */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', now + lease, ARGV[2])
redis.call('PEXPIRE', KEYS[1], lease * 2)
redis.call('PEXPIRE', KEYS[2], lease * 2)
return 1
`;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

export class ClusterSlots {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: () => ClusterLimits,
    private readonly leaseMs = LEASE_MS,
  ) {}

  private keys(key: string): [string, string] {
    return [`${this.prefix}admission:all`, `${this.prefix}admission:backend:${key}`];
  }

  /** Runs holding a slot now, on every instance: all together and per key. */
  async counts(keys: readonly string[]): Promise<{ running: number; runningByKey: Record<string, number> }> {
    const now = Number((await this.redis.time())[0]) * 1000;
    const count = (set: string) => this.redis.zcount(set, `(${now}`, "+inf");
    const [all] = this.keys("");
    const running = await count(all);
    const runningByKey: Record<string, number> = {};
    for (const key of keys) runningByKey[key] = await count(this.keys(key)[1]);
    return { running, runningByKey };
  }

  /** Takes a slot for `key`, waiting while the cluster is full; resolves to its release. */
  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    const member = randomUUID();
    const [all, own] = this.keys(key);
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new ClinvkError("cancelled", `cancelled while waiting for a slot to run "${key}"`);
      const limits = this.limits();
      const taken = await this.redis.eval(
        ACQUIRE,
        2,
        all,
        own,
        this.leaseMs,
        member,
        limits.maxRunning,
        limits.perKey[key] ?? 0,
      );
      if (taken === 1) break;
      if (limits.queueTimeoutMs > 0 && Date.now() - started >= limits.queueTimeoutMs) {
        throw new ClinvkError(
          "queue_full",
          `timed out after ${limits.queueTimeoutMs} ms waiting for a slot of the cluster to run "${key}"`,
          "every instance together runs as many as concurrency.cluster_* allows; retry later",
        );
      }
      await sleep(Math.min(1000, 50 * 1.5 ** attempt), signal);
    }
    const renew = setInterval(
      () => void this.redis.eval(RENEW, 2, all, own, this.leaseMs, member).catch(() => undefined),
      Math.max(100, Math.floor(this.leaseMs / 3)),
    );
    renew.unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      clearInterval(renew);
      void this.redis
        .multi()
        .zrem(all, member)
        .zrem(own, member)
        .exec()
        .catch(() => undefined);
    };
  }
}

/** The local gate first (this machine's caps and FIFO queue), then a slot of the cluster. */
export class SharedAdmissionGate extends AdmissionGate {
  constructor(
    limits: AdmissionLimits,
    readonly cluster: ClusterSlots,
  ) {
    super(limits);
  }

  override async acquire(key: string, options: AcquireOptions = {}): Promise<() => void> {
    const releaseLocal = await super.acquire(key, options);
    try {
      const releaseCluster = await this.cluster.acquire(key, options.signal);
      return () => {
        releaseCluster();
        releaseLocal();
      };
    } catch (error) {
      releaseLocal();
      if (error instanceof ClinvkError) throw error;
      throw new ClinvkError(
        "internal",
        `cannot count runs across instances: Redis: ${(error as Error).message}`,
        undefined,
        {
          cause: error,
        },
      );
    }
  }
}
