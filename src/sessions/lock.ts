/**
 * One writer at a time across processes (proper-lockfile: a mkdir lock with mtime heartbeats and
 * stale-lock recovery) and within this process (a promise queue, since the file lock is not
 * re-entrant). Behind this small interface so that the library can be swapped.
 */
import { ClinvkError } from "../core/errors.js";

const STALE_MS = 10_000;
/** How long a writer waits for another one before giving up (contention only). */
const WAIT_MS = 120_000;

/** Errors of the file system that waiting cannot cure, said as what they are. */
const FILESYSTEM_ERRORS: Record<string, string> = {
  EROFS: "the file system is read-only",
  ENOSPC: "no space (or no inodes) left on the device",
  EDQUOT: "the disk quota is exhausted",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "the directory does not exist",
  ENOTDIR: "a part of the path is not a directory",
};

/** A ClinvkError for a failed write of the store, naming the cause (EROFS, ENOSPC...) when known. */
export function storeWriteError(error: unknown, where: string): ClinvkError {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const cause = FILESYSTEM_ERRORS[code];
  return new ClinvkError(
    "session_error",
    cause
      ? `cannot write the session store at ${where}: ${cause} (${code})`
      : `cannot write the session store at ${where} (${(error as Error).message})`,
    cause ? "free space or fix the permissions, or set CLINVK_HOME to a writable directory" : undefined,
    { cause: error },
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    const options = {
      realpath: false,
      stale: STALE_MS,
      retries: 0,
      // The default throws from a timer and kills the process; record it and fail this write instead.
      onCompromised: (error: Error) => {
        compromised = error;
      },
    };
    // Loaded by the first write: a command that only reads (or an --ephemeral run) never needs it.
    // (Its CommonJS exports, through the default: a bundled chunk has no named ones.)
    const lockFile = (await import("proper-lockfile")).default.lock;
    // Only contention is waited out; a read-only or full disk fails at once, saying so.
    const deadline = Date.now() + WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        release = await lockFile(this.target, options);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw storeWriteError(error, `${this.target}.lock`);
        if (Date.now() >= deadline) {
          throw new ClinvkError(
            "session_error",
            `could not lock the session store: another writer held it for ${WAIT_MS / 1000} s`,
            `another clinvk may be stuck; if none runs, remove ${this.target}.lock`,
            { cause: error },
          );
        }
        await sleep(Math.min(60, 2 * 1.2 ** attempt) * (0.5 + Math.random()));
      }
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
