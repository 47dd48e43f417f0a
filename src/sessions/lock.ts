/**
 * One writer at a time across processes (proper-lockfile: a mkdir lock with mtime heartbeats and
 * stale-lock recovery) and within this process (a promise queue, since the file lock is not
 * re-entrant). Behind this small interface so that the library can be swapped.
 */
import { lock as lockFile } from "proper-lockfile";
import { ClinvkError } from "../engine/errors.js";

const STALE_MS = 10_000;

export class StoreLock {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly target: string) {}

  /** Runs `work` while holding the lock. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => this.locked(work));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async locked<T>(work: () => Promise<T>): Promise<T> {
    let compromised: Error | undefined;
    let release: () => Promise<void>;
    try {
      release = await lockFile(this.target, {
        realpath: false,
        stale: STALE_MS,
        retries: { retries: 2000, factor: 1.2, minTimeout: 2, maxTimeout: 60, randomize: true },
        // The default throws from a timer and kills the process; record it and fail this write instead.
        onCompromised: (error) => {
          compromised = error;
        },
      });
    } catch (error) {
      throw new ClinvkError(
        "session_error",
        `could not lock the session store (${(error as Error).message})`,
        `another clinvk may be stuck; if none runs, remove ${this.target}.lock`,
        { cause: error },
      );
    }
    try {
      const result = await work();
      if (compromised)
        throw new ClinvkError("session_error", `the session store lock was lost: ${compromised.message}`);
      return result;
    } finally {
      await release().catch(() => undefined);
    }
  }
}
