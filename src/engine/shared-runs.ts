/**
 * The parts through which instances share their runs over Redis, put together for `clinvk serve`:
 * the run journal with this instance's tracker writing to it, the runs directory every instance
 * reads, the work queues, and by role the dispatcher (api) or the workers (worker, all).
 */
import type { Config } from "../config/schema.js";
import { BACKEND_NAMES, type BackendName } from "../core/backend-names.js";
import type { Engine } from "./engine.js";
import type { Redis } from "./redis.js";
import { SharedRunDirectory } from "./run-directory.js";
import { RunJournal } from "./run-journal.js";
import { RunDispatcher, RunQueues } from "./run-queue.js";
import { RunWorkers } from "./run-workers.js";
import { SharedRunTracker } from "./shared-run-tracker.js";

export interface SharedRuns {
  journal: RunJournal;
  tracker: SharedRunTracker;
  directory: SharedRunDirectory;
  queues: RunQueues;
  dispatch?: RunDispatcher;
  /** Starts taking queued runs of the backends `config` enables, through `engine`. */
  startWorkers(engine: Engine, config: Config, onError: (error: unknown) => void): RunWorkers;
  /** Stops the workers (waiting for their runs), the queues and the heartbeat. */
  close(): Promise<void>;
}

export async function sharedRuns(
  redis: { client: Redis; prefix: string },
  role: "all" | "api" | "worker",
): Promise<SharedRuns> {
  const journal = new RunJournal(redis.client, redis.prefix);
  const tracker = new SharedRunTracker(journal);
  await tracker.start();
  const queues = new RunQueues(redis.client, redis.prefix);
  const directory = new SharedRunDirectory(journal, queues);
  let workers: RunWorkers | undefined;
  let blocking: Redis | undefined;
  return {
    journal,
    tracker,
    directory,
    queues,
    ...(role === "api" ? { dispatch: new RunDispatcher(journal, queues, directory) } : {}),
    startWorkers(engine, config, onError) {
      // BullMQ's workers block on their connection, which must never give up a command.
      blocking = redis.client.duplicate({ maxRetriesPerRequest: null });
      blocking.on("error", () => undefined);
      const caps = config.concurrency;
      workers = new RunWorkers({
        engine,
        journal,
        connection: blocking,
        prefix: redis.prefix,
        concurrency: (backend: BackendName) => caps.per_backend[backend] || caps.max_running,
        onError,
      });
      workers.start(BACKEND_NAMES.filter((name) => config.backends[name].enabled));
      return workers;
    },
    async close() {
      await workers?.close();
      await queues.close();
      await tracker.stop();
      blocking?.disconnect();
    },
  };
}
