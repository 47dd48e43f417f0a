/**
 * The runs of every instance, in Redis: each run's record and its events in a Redis Stream, so that a
 * client can follow a run (and reconnect with Last-Event-ID) through any instance, and cancel or
 * interrupt it from any instance (a message on a channel that the instance running it acts on).
 *
 * Keys (all under the configured prefix): `run:<id>` a hash (the record's JSON, the owner instance,
 * the event counter, whether it ended), `run:<id>:events` the stream, `runs` a sorted set of ids by
 * creation, `instance:<id>` each instance's heartbeat. Everything expires or is trimmed: streams by
 * length, runs by age and count.
 *
 * Each event gets a number of its own, counted in Redis (0, 1, 2 ...): the SSE id. It is the event's
 * seq for a run of one attempt, and keeps growing where seq starts again (a structured-output repair,
 * a run that a worker took after another gave it back).
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { RunEvent } from "../core/events.js";
import {
  type BufferedEvent,
  endedRecord,
  newRunRecord,
  type RunListFilter,
  type RunMessage,
  type RunRecord,
  type RunStart,
} from "./run-tracker.js";

/** Finished runs and their events are kept this long (and the newest MAX_RUNS of them). */
const KEEP_MS = 60 * 60 * 1000;
/** Runs in flight are kept this long at most (a run longer than a day is cut short by its timeout). */
const RUNNING_KEEP_MS = 24 * 60 * 60 * 1000;
const MAX_RUNS = 1000;
const MAX_EVENTS = 1000;
/** A larger event is shared as a notice that says so; a result, which a dispatched run needs, may be larger. */
const MAX_EVENT_BYTES = 256 * 1024;
const MAX_RESULT_BYTES = 8 * 1024 * 1024;
/** An instance that has not beaten for this long is gone: its runs in flight are failed. */
export const HEARTBEAT_TTL_MS = 15_000;
const HEARTBEAT_EVERY_MS = 5_000;

const INSTANCE_ID = /^[a-f0-9]{16}$/;

/** Appends an event and numbers it; refused (nil) once the run has ended. */
const APPEND = `
if redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return nil end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1) - 1
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'id', n, 'event', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'record', ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return n`;

/** Ends a run once: the first end wins (the instance that ran it, or one that found it dead). */
const END = `
if redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return 0 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'ended', '1', 'record', ARGV[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'end', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

export type RunControlAction = "cancel" | "interrupt";

interface StoredRun {
  record: RunRecord;
  owner?: string;
  ended: boolean;
}

export class RunJournal {
  /** This instance, as the owner of the runs it executes. */
  readonly instance = randomBytes(8).toString("hex");
  private heartbeat: NodeJS.Timeout | undefined;
  private subscriber: Redis | undefined;

  constructor(
    readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  private runKey(id: string): string {
    return `${this.prefix}run:${id}`;
  }
  private eventsKey(id: string): string {
    return `${this.prefix}run:${id}:events`;
  }
  private instanceKey(id: string): string {
    return `${this.prefix}instance:${id}`;
  }
  private get indexKey(): string {
    return `${this.prefix}runs`;
  }
  private get controlChannel(): string {
    return `${this.prefix}runs:control`;
  }

  /** Starts this instance's heartbeat, and acting on cancels and interrupts for its runs. */
  async start(onControl: (id: string, action: RunControlAction) => void): Promise<void> {
    const beat = () =>
      this.redis.set(this.instanceKey(this.instance), "1", "PX", HEARTBEAT_TTL_MS).catch(() => undefined);
    await beat();
    this.heartbeat = setInterval(beat, HEARTBEAT_EVERY_MS);
    this.heartbeat.unref();
    this.subscriber = this.redis.duplicate();
    this.subscriber.on("error", () => undefined); // reconnects by itself
    this.subscriber.on("message", (_channel: string, message: string) => {
      const parsed = parseControl(message);
      if (parsed) onControl(parsed.id, parsed.action);
    });
    await this.subscriber.subscribe(this.controlChannel);
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.subscriber?.disconnect();
    await this.redis.del(this.instanceKey(this.instance)).catch(() => undefined);
  }

  /** A new run's record, queued; `owner` when this instance runs it (not when it waits for a worker). */
  async create(id: string, start: RunStart, options: { owned: boolean; queue?: string }): Promise<RunRecord> {
    const created = this.now();
    const record = newRunRecord(id, start, created);
    const fields: Record<string, string> = { record: JSON.stringify(record), n: "0" };
    if (options.owned) fields.owner = this.instance;
    if (options.queue) fields.queue = options.queue;
    await this.redis
      .multi()
      .hset(this.runKey(id), fields)
      .pexpire(this.runKey(id), RUNNING_KEEP_MS)
      .zadd(this.indexKey, created, id)
      .zremrangebyrank(this.indexKey, 0, -MAX_RUNS - 1)
      .exec();
    return record;
  }

  /** This instance takes a queued run (a worker): from now on its heartbeat vouches for it. */
  async own(id: string): Promise<void> {
    await this.redis.hset(this.runKey(id), "owner", this.instance);
  }

  /** Appends an event with the record as it is after it; false once the run has ended. */
  async append(id: string, event: RunEvent, record?: RunRecord): Promise<boolean> {
    let json = JSON.stringify(event);
    if (json.length > (event.type === "result" ? MAX_RESULT_BYTES : MAX_EVENT_BYTES))
      json = JSON.stringify(oversized(event, json.length));
    const n = await this.redis.eval(
      APPEND,
      2,
      this.runKey(id),
      this.eventsKey(id),
      json,
      record ? JSON.stringify(record) : "",
      String(MAX_EVENTS),
      String(RUNNING_KEEP_MS),
    );
    return n !== null;
  }

  /** Ends the run with its final record; false if it had already ended. */
  async end(id: string, record: RunRecord): Promise<boolean> {
    const done = await this.redis.eval(
      END,
      2,
      this.runKey(id),
      this.eventsKey(id),
      JSON.stringify(record),
      String(KEEP_MS),
      String(MAX_EVENTS),
    );
    return done === 1;
  }

  /** Asks the instance running `id` to cancel or interrupt it. */
  async control(id: string, action: RunControlAction): Promise<void> {
    await this.redis.publish(this.controlChannel, JSON.stringify({ id, action }));
  }

  /** The run as stored (a run in flight whose instance is gone is ended as failed first). */
  async get(id: string): Promise<RunRecord | undefined> {
    const stored = await this.read(id);
    if (!stored) return undefined;
    return (await this.settleIfOrphaned(id, stored)) ?? live(stored.record, this.now());
  }

  /** The queue a run waits in while no instance has taken it (the worker queue's name). */
  async waitingIn(id: string): Promise<string | undefined> {
    const [owner, queue] = await this.redis.hmget(this.runKey(id), "owner", "queue");
    return owner ? undefined : (queue ?? undefined);
  }

  async list(filter: RunListFilter = {}): Promise<RunRecord[]> {
    const limit = Math.min(filter.limit ?? 100, MAX_RUNS);
    const ids = await this.redis.zrevrange(this.indexKey, 0, MAX_RUNS - 1);
    const records: RunRecord[] = [];
    for (let i = 0; i < ids.length && records.length < limit; i += 100) {
      const batch = ids.slice(i, i + 100);
      const pipeline = this.redis.pipeline();
      for (const id of batch) pipeline.hmget(this.runKey(id), "record", "owner", "ended");
      const rows = (await pipeline.exec()) ?? [];
      for (const [index, row] of rows.entries()) {
        const [json, owner, ended] = (row[1] ?? []) as (string | null)[];
        if (!json) continue;
        const stored: StoredRun = { record: JSON.parse(json), ended: ended === "1", ...(owner ? { owner } : {}) };
        const record = (await this.settleIfOrphaned(batch[index] as string, stored)) ?? live(stored.record, this.now());
        if (filter.state && record.state !== filter.state) continue;
        if (filter.backend && record.backend !== filter.backend) continue;
        records.push(record);
        if (records.length >= limit) break;
      }
    }
    return records;
  }

  /** Events after `afterId` (-1: all kept), oldest first; undefined for an unknown run. */
  async events(id: string, afterId = -1): Promise<BufferedEvent[] | undefined> {
    if (!(await this.redis.exists(this.runKey(id)))) return undefined;
    const entries = await this.redis.xrange(this.eventsKey(id), "-", "+");
    return entries.flatMap(([, fields]) => {
      const item = toMessage(fields);
      return item && !("end" in item) && item.id > afterId ? [item] : [];
    });
  }

  /**
   * Follows a run from the start of its stream: every event after `afterId`, then its end. Ends the
   * iteration after the end (or when `signal` aborts); a run whose instance died is ended as failed.
   */
  async *follow(id: string, afterId: number, signal?: AbortSignal): AsyncGenerator<RunMessage, void, undefined> {
    const reader = this.redis.duplicate();
    reader.on("error", () => undefined);
    const stop = () => reader.disconnect();
    signal?.addEventListener("abort", stop, { once: true });
    let cursor = "0";
    try {
      while (!signal?.aborted) {
        let batch: [string, [string, string[]][]][] | null;
        try {
          batch = (await reader.xread(
            "COUNT",
            200,
            "BLOCK",
            2000,
            "STREAMS",
            this.eventsKey(id),
            cursor,
          )) as typeof batch;
        } catch {
          if (signal?.aborted) return;
          await new Promise((resolve) => setTimeout(resolve, 500)); // Redis away: ioredis reconnects
          continue;
        }
        if (signal?.aborted) return;
        if (!batch) {
          // Quiet: the run may have ended in a way that wrote no end (its instance died), or expired.
          const stored = await this.read(id);
          if (!stored) return;
          await this.settleIfOrphaned(id, stored);
          continue;
        }
        for (const [entryId, fields] of batch[0]?.[1] ?? []) {
          cursor = entryId;
          const message = toMessage(fields);
          if (!message) continue;
          if ("end" in message) {
            yield message;
            return;
          }
          if (message.id > afterId) yield message;
        }
      }
    } finally {
      signal?.removeEventListener("abort", stop);
      reader.disconnect();
    }
  }

  private async read(id: string): Promise<StoredRun | undefined> {
    const [json, owner, ended] = await this.redis.hmget(this.runKey(id), "record", "owner", "ended");
    if (!json) return undefined;
    return { record: JSON.parse(json), ended: ended === "1", ...(owner ? { owner } : {}) };
  }

  /**
   * A run in flight whose instance stopped beating is ended as failed, never run again (agent runs
   * are not idempotent); returns its final record, or undefined when it is fine or already ended.
   */
  private async settleIfOrphaned(id: string, stored: StoredRun): Promise<RunRecord | undefined> {
    if (stored.ended || !stored.owner || !INSTANCE_ID.test(stored.owner)) return undefined;
    if (await this.redis.exists(this.instanceKey(stored.owner))) return undefined;
    const record = endedRecord(
      stored.record,
      "failed",
      {
        code: "backend_crashed",
        message: `the instance running this run (${stored.owner}) stopped before it ended; it was not run again`,
      },
      this.now(),
    );
    await this.end(id, record);
    return (await this.read(id))?.record ?? record;
  }
}

/** A run in flight's duration is to now. */
function live(record: RunRecord, now: number): RunRecord {
  if (record.finished_at) return record;
  return { ...record, duration_ms: Math.max(0, now - Date.parse(record.created_at)) };
}

function toMessage(fields: string[]): RunMessage | undefined {
  const value = (name: string) => {
    const at = fields.indexOf(name);
    return at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
  };
  try {
    const end = value("end");
    if (end !== undefined) return { end: JSON.parse(end) };
    const event = value("event");
    const id = Number(value("id"));
    return event !== undefined && Number.isInteger(id) ? { id, event: JSON.parse(event) } : undefined;
  } catch {
    return undefined;
  }
}

const CONTROL_ID = /^[a-f0-9]{32}$/;

function parseControl(message: string): { id: string; action: RunControlAction } | undefined {
  try {
    const { id, action } = JSON.parse(message);
    if (typeof id === "string" && CONTROL_ID.test(id) && (action === "cancel" || action === "interrupt"))
      return { id, action };
  } catch {
    // Not ours.
  }
  return undefined;
}

/** An event too large to share: a notice in its place, so that followers know one is missing. */
function oversized(event: RunEvent, bytes: number): RunEvent {
  return {
    v: event.v,
    seq: event.seq,
    ts: event.ts,
    backend: event.backend,
    ...(event.session_id ? { session_id: event.session_id } : {}),
    type: "notice",
    level: "warn",
    message: `a ${event.type} event of ${bytes} bytes was too large to share between instances`,
  } as RunEvent;
}
