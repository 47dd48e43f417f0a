/**
 * Work distribution over BullMQ (on the shared Redis): an instance with `--role api` puts each run in
 * its backend's queue instead of starting a CLI, and follows the run's events in the run journal as
 * a worker (`--role worker`, or `all`) runs it. The engine's `stream()` is the same for both, so every
 * face (the native API, the compatible APIs, workflows) is distributed without knowing it.
 *
 * A queued run carries its request as JSON, and its images' bytes (the files are this machine's); what
 * needs this instance while it runs (client-defined tools, a permission callback) stays here.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { BACKEND_NAMES, type BackendName } from "../core/backend-names.js";
import { ClinvkError, toClinvkError } from "../core/errors.js";
import { EVENT_SCHEMA_VERSION, emptyUsage } from "../core/event-values.js";
import type { RunEvent } from "../core/events.js";
import type { RunRequest, RunResult } from "../core/request.js";
import type { SharedRunDirectory, WaitingRuns } from "./run-directory.js";
import type { RunJournal } from "./run-journal.js";
import { endedRecord, type RunRecord, type RunStart } from "./run-tracker.js";

/** What a job carries: the run's id (its journal entry), its request as JSON, its images' bytes. */
export interface QueuedRun {
  id: string;
  request: QueuedRequest;
  images?: QueuedImage[];
}

export type QueuedRequest = Omit<RunRequest, "onPermissionRequest" | "clientTools" | "images">;

/** An image file of the request, for the worker to write again: its extension and its bytes. */
export interface QueuedImage {
  extension: string;
  base64: string;
}

export const queueName = (backend: string): string => `runs-${backend}`;
/** BullMQ's keys live under the deployment's prefix too. */
export const bullPrefix = (prefix: string): string => `${prefix}bull`;

/** A finished job is forgotten (its run is in the journal); a few failed ones are kept to look at. */
const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: { count: 100 } } as const;

/**
 * What keeps a run on the instance its request reached: its client-defined tools (the CLI calls
 * back the instance that holds the client's connection) or its permission requests (answered there).
 */
export function mustRunHere(request: RunRequest): string | undefined {
  if (request.clientTools) return "a run with client-defined tools";
  if (request.onPermissionRequest) return "a run that asks for permissions";
  return undefined;
}

/** The request as a job carries it; a ClinvkError for what only this instance could serve. */
export function queuedRequest(request: RunRequest): QueuedRequest {
  const here = mustRunHere(request);
  if (here) throw new ClinvkError("invalid_request", `${here} cannot be handed to a worker`);
  const { onPermissionRequest: _ask, clientTools: _tools, images: _images, ...rest } = request;
  return JSON.parse(JSON.stringify(rest));
}

/** The request's image files as bytes (prepare has checked their number, size and type). */
async function queuedImages(paths: readonly string[] | undefined, workdir: string): Promise<QueuedImage[] | undefined> {
  if (!paths?.length) return undefined;
  return Promise.all(
    paths.map(async (path) => ({
      extension: /\.(png|jpe?g|gif|webp)$/i.exec(path)?.[0].toLowerCase() ?? "",
      base64: (await readFile(resolve(workdir, path))).toString("base64"),
    })),
  );
}

/** The result a run's `result` event carries. */
function resultOf(event: RunEvent & { type: "result" }): RunResult {
  const {
    type: _type,
    v: _v,
    seq: _seq,
    ts: _ts,
    raw: _raw,
    ...result
  } = event as RunEvent & {
    type: "result";
    raw?: unknown;
  };
  return result as RunResult;
}

/** Why a run that ended without a result ended. */
function endError(record: RunRecord): ClinvkError {
  if (record.error) return new ClinvkError(record.error.code, record.error.message);
  return new ClinvkError("cancelled", `run ${record.id} was ${record.state} before it had a result`);
}

/** The result of a run whose worker died under it (ended as failed by the journal). */
function lostRun(record: RunRecord): { result: RunResult; event: RunEvent } | undefined {
  if (record.error?.code !== "backend_crashed") return undefined;
  const result: RunResult = {
    backend: record.backend,
    ...(record.session_id ? { session_id: record.session_id } : {}),
    status: "error",
    text: "",
    usage: record.usage ?? emptyUsage(),
    duration_ms: record.duration_ms,
    exit_code: -1,
    error: { code: "backend_crashed", message: record.error.message },
  };
  const event = {
    type: "result",
    v: EVENT_SCHEMA_VERSION,
    seq: record.event_count,
    ts: new Date().toISOString(),
    ...result,
  };
  return { result, event: event as RunEvent };
}

/** The queues of every backend, as an API instance puts runs in them (and takes waiting ones out). */
export class RunQueues implements WaitingRuns {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: bullPrefix(this.prefix) });
      queue.on("error", () => undefined); // ioredis reconnects; the add that failed has thrown
      this.queues.set(name, queue);
    }
    return queue;
  }

  async add(backend: BackendName, run: QueuedRun): Promise<void> {
    await this.queue(queueName(backend)).add("run", run, { ...JOB_OPTIONS, jobId: run.id });
  }

  /** Takes a run out of its queue if no worker has taken it yet. */
  async remove(id: string, queue: string): Promise<boolean> {
    if (!BACKEND_NAMES.some((backend) => queueName(backend) === queue)) return false;
    const job = await this.queue(queue).getJob(id);
    if (!job) return false;
    const state = await job.getState();
    if (state !== "waiting" && state !== "delayed" && state !== "prioritized") return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // taken meanwhile: the worker's instance is asked instead
    }
  }

  /** Jobs per backend's queue, and the worker instances that take them, for /health. */
  async counts(backends: readonly string[]): Promise<Record<string, Record<string, number>>> {
    const counts: Record<string, Record<string, number>> = {};
    for (const backend of backends) {
      const queue = this.queue(queueName(backend));
      counts[backend] = {
        ...(await queue.getJobCounts("waiting", "active", "delayed")),
        workers: await queue.getWorkersCount(),
      };
    }
    return counts;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
    this.queues.clear();
  }
}

/** The engine's side of an API instance: a run becomes a job, its events come from the journal. */
export class RunDispatcher {
  readonly mustRunHere = mustRunHere;

  constructor(
    private readonly journal: RunJournal,
    private readonly queues: RunQueues,
    private readonly directory: SharedRunDirectory,
  ) {}

  async *dispatch(
    request: RunRequest,
    start: RunStart,
    control: { signal?: AbortSignal; interrupt?: AbortSignal },
  ): AsyncGenerator<RunEvent, RunResult, undefined> {
    const queued = queuedRequest(request);
    control.signal?.throwIfAborted();
    const id = randomBytes(16).toString("hex");
    const record = await this.journal.create(id, start, { owned: false, queue: queueName(start.backend) });
    try {
      const images = await queuedImages(request.images, start.workdir);
      await this.queues.add(start.backend as BackendName, { id, request: queued, ...(images ? { images } : {}) });
    } catch (error) {
      // Never queued: the record must not wait for a worker that will never come.
      const info = toClinvkError(error).toInfo();
      await this.journal.end(id, endedRecord(record, "failed", info)).catch(() => undefined);
      throw error;
    }
    const cancel = () => void this.directory.cancel(id).catch(() => undefined);
    const interrupt = () => void this.directory.interrupt(id).catch(() => undefined);
    control.signal?.addEventListener("abort", cancel);
    control.interrupt?.addEventListener("abort", interrupt);
    const following = new AbortController();
    let ended = false;
    let result: RunResult | undefined;
    try {
      for await (const message of this.journal.follow(id, -1, following.signal)) {
        if ("end" in message) {
          ended = true;
          if (result) return result;
          const lost = lostRun(message.end);
          if (!lost) throw endError(message.end);
          // As a CLI that crashed here would: a result that says so, the last event.
          yield lost.event;
          return lost.result;
        }
        if (message.event.type === "result") result = resultOf(message.event);
        yield message.event;
      }
      throw new ClinvkError("internal", `run ${id} was forgotten before it ended`);
    } finally {
      control.signal?.removeEventListener("abort", cancel);
      control.interrupt?.removeEventListener("abort", interrupt);
      following.abort();
      // A consumer that stops reading stops the run, as it would a CLI of this instance.
      if (!ended) cancel();
    }
  }
}
