/**
 * The worker's side of work distribution: one BullMQ worker per backend takes queued runs, at most
 * that backend's cap at once on this instance, in the order they were queued, and runs each through
 * this instance's engine (its policy, admission gate, breakers, sessions and live pool), recorded in
 * the run journal under the id the API instance gave it.
 *
 * A run is never run twice: a job whose worker died is not given to another (BullMQ's stalled jobs
 * fail at once), and its run is ended as failed by whoever reads it next (run-journal.ts). When a
 * backend reports its usage limit with a reset time, the runs of that backend that have not started
 * wait (delayed jobs) until the reset instead of each failing in turn; the run that met the limit
 * fails with it, as it may have done work that must not be repeated.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DelayedError, type Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { BackendName } from "../core/backend-names.js";
import { ClinvkError, toClinvkError } from "../core/errors.js";
import { EVENT_SCHEMA_VERSION } from "../core/event-values.js";
import type { RunEvent } from "../core/events.js";
import type { RunResult } from "../core/request.js";
import type { Engine } from "./engine.js";
import { MAX_IMAGE_BYTES, MAX_IMAGES } from "./images.js";
import type { RunJournal } from "./run-journal.js";
import { bullPrefix, type QueuedImage, type QueuedRun, queueName } from "./run-queue.js";
import { endedRecord, inFlight, RUN_ID_PATTERN } from "./run-tracker.js";

const RUN_ID = new RegExp(RUN_ID_PATTERN);

export interface RunWorkersOptions {
  engine: Engine;
  journal: RunJournal;
  /** A connection for BullMQ's workers (they block on it: maxRetriesPerRequest null). */
  connection: Redis;
  prefix: string;
  /** How many runs of a backend this instance takes at once. */
  concurrency: (backend: BackendName) => number;
  onError?: (error: unknown) => void;
}

export class RunWorkers {
  private readonly workers: Worker[] = [];

  constructor(private readonly options: RunWorkersOptions) {}

  private usageLimitKey(backend: string): string {
    return `${this.options.prefix}usage-limit:${backend}`;
  }

  start(backends: readonly BackendName[]): void {
    const { connection, prefix, onError } = this.options;
    for (const backend of backends) {
      const worker = new Worker<QueuedRun>(queueName(backend), (job, token) => this.process(backend, job, token), {
        connection,
        prefix: bullPrefix(prefix),
        concurrency: Math.max(1, this.options.concurrency(backend)),
        // A job whose worker stopped renewing its lock fails; it is never handed to another worker.
        maxStalledCount: 0,
        lockDuration: 30_000,
      });
      worker.on("error", (error) => onError?.(error));
      this.workers.push(worker);
    }
  }

  /** Stops taking runs and waits for the ones running (a shutdown drains them). */
  async close(force = false): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close(force).catch(() => undefined)));
    this.workers.length = 0;
  }

  private async process(backend: BackendName, job: Job<QueuedRun>, token?: string): Promise<void> {
    const { id, request } = job.data ?? ({} as QueuedRun);
    if (typeof id !== "string" || !RUN_ID.test(id)) return; // not a run of ours: nothing to report it to
    const { journal } = this.options;
    const run = await journal.get(id);
    if (!run || !inFlight(run)) return; // cancelled or forgotten while it waited

    const limitedFor = await journal.redis.pttl(this.usageLimitKey(backend));
    if (limitedFor > 0 && token) {
      const until = new Date(Date.now() + limitedFor);
      await journal.append(
        id,
        notice(backend, `${backend} is at its usage limit: this run waits for it to reset at ${until.toISOString()}`),
      );
      await job.moveToDelayed(until.getTime(), token);
      throw new DelayedError();
    }

    let result: RunResult | undefined;
    let images: WrittenImages | undefined;
    try {
      if (request?.backend !== backend)
        throw new ClinvkError("invalid_request", `a run of ${String(request?.backend)} in the ${backend} queue`);
      images = await writeImages(job.data.images);
      const withImages = images ? { ...request, images: images.paths } : request;
      result = await this.options.engine.run(withImages, { runId: id });
    } catch (error) {
      // Refused before it began (an invalid request, a full queue): the engine's tracker ended it,
      // unless it failed before the tracker saw it.
      const info = toClinvkError(error).toInfo();
      const now = await journal.get(id);
      if (now && inFlight(now)) await journal.end(id, endedRecord(now, "failed", info));
      return;
    } finally {
      await images?.remove();
    }
    const wait = result.error?.code === "usage_limit" ? result.error.retry_after_s : undefined;
    if (wait && wait > 0) await journal.redis.set(this.usageLimitKey(backend), "1", "PX", Math.round(wait * 1000));
  }
}

interface WrittenImages {
  paths: string[];
  remove(): Promise<void>;
}

/** The run's images written again on this machine, in a private folder removed after the run. */
async function writeImages(images: QueuedImage[] | undefined): Promise<WrittenImages | undefined> {
  if (images === undefined) return undefined;
  const valid =
    Array.isArray(images) && images.length <= MAX_IMAGES
      ? images.filter(
          (image) =>
            typeof image?.base64 === "string" &&
            image.base64.length <= Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 4 &&
            /^(\.(png|jpe?g|gif|webp))?$/.test(image.extension ?? ""),
        )
      : [];
  if (valid.length !== (images as unknown[]).length || valid.length === 0)
    throw new ClinvkError("invalid_request", "the queued run's images are not images this worker takes");
  const folder = await mkdtemp(join(tmpdir(), "clinvk-queued-images-"));
  const paths = await Promise.all(
    valid.map(async (image, index) => {
      const path = join(folder, `image-${index}${image.extension}`);
      await writeFile(path, Buffer.from(image.base64, "base64"), { mode: 0o600 });
      return path;
    }),
  );
  return { paths, remove: () => rm(folder, { recursive: true, force: true }) };
}

function notice(backend: BackendName, message: string): RunEvent {
  return {
    v: EVENT_SCHEMA_VERSION,
    seq: 0,
    ts: new Date().toISOString(),
    backend,
    type: "notice",
    level: "info",
    message,
  } as RunEvent;
}
