/**
 * What the runs API reads: the runs it can list, show, follow, cancel and interrupt. On one instance
 * they are its run tracker's; with Redis, every instance's (the run journal), and a run that waits in
 * the work queue is taken out of it when cancelled.
 */
import type { RunJournal } from "./run-journal.js";
import {
  endedRecord,
  inFlight,
  type RunListFilter,
  type RunMessage,
  type RunRecord,
  type RunTracker,
} from "./run-tracker.js";

export interface RunDirectory {
  list(filter?: RunListFilter): Promise<RunRecord[]>;
  get(id: string): Promise<RunRecord | undefined>;
  /**
   * The run's events after `afterId` (-1: all kept), then its new ones as they come, then its end;
   * undefined for an unknown run. Stops when `signal` aborts.
   */
  follow(id: string, afterId: number, signal: AbortSignal): Promise<AsyncIterable<RunMessage> | undefined>;
  /** True if it was asked to stop, false if it had ended, undefined if unknown. */
  cancel(id: string): Promise<boolean | undefined>;
  interrupt(id: string): Promise<boolean | undefined>;
}

/** The runs of this process. */
export class LocalRunDirectory implements RunDirectory {
  constructor(private readonly tracker: RunTracker) {}

  async list(filter?: RunListFilter): Promise<RunRecord[]> {
    return this.tracker.list(filter);
  }
  async get(id: string): Promise<RunRecord | undefined> {
    return this.tracker.get(id);
  }
  async cancel(id: string): Promise<boolean | undefined> {
    return this.tracker.cancel(id);
  }
  async interrupt(id: string): Promise<boolean | undefined> {
    return this.tracker.interrupt(id);
  }

  async follow(id: string, afterId: number, signal: AbortSignal): Promise<AsyncIterable<RunMessage> | undefined> {
    if (!this.tracker.get(id)) return undefined;
    return this.messages(id, afterId, signal);
  }

  private async *messages(id: string, afterId: number, signal: AbortSignal): AsyncGenerator<RunMessage> {
    const tracker = this.tracker;
    const pending: RunMessage[] = [];
    let wake: (() => void) | undefined;
    // Subscribed before the replay, so nothing falls between the two; what both hold is sent once.
    const unsubscribe = tracker.subscribe(id, (message) => {
      pending.push(message);
      wake?.();
    });
    if (!unsubscribe) return;
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    let last = afterId;
    try {
      for (const item of tracker.events(id, afterId) ?? []) {
        last = item.id;
        yield item;
      }
      const run = tracker.get(id);
      if (!run) return;
      if (!inFlight(run)) {
        // Ended before the subscription: it will tell nothing more.
        for (const item of tracker.events(id, last) ?? []) yield item;
        yield { end: run };
        return;
      }
      while (!signal.aborted) {
        for (let message = pending.shift(); message; message = pending.shift()) {
          if ("end" in message) {
            yield message;
            return;
          }
          if (message.id <= last) continue;
          last = message.id;
          yield message;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      unsubscribe();
    }
  }
}

/** A run still in the work queue, taken out of it (the queue of run-queue.ts). */
export type WaitingRuns = { remove(id: string, queue: string): Promise<boolean> };

/** The runs of every instance, through the run journal in Redis. */
export class SharedRunDirectory implements RunDirectory {
  constructor(
    private readonly journal: RunJournal,
    private readonly waiting?: WaitingRuns,
  ) {}

  list(filter?: RunListFilter): Promise<RunRecord[]> {
    return this.journal.list(filter);
  }
  get(id: string): Promise<RunRecord | undefined> {
    return this.journal.get(id);
  }
  cancel(id: string): Promise<boolean | undefined> {
    return this.stop(id, "cancel");
  }
  interrupt(id: string): Promise<boolean | undefined> {
    return this.stop(id, "interrupt");
  }

  async follow(id: string, afterId: number, signal: AbortSignal): Promise<AsyncIterable<RunMessage> | undefined> {
    if (!(await this.journal.get(id))) return undefined;
    return this.journal.follow(id, afterId, signal);
  }

  private async stop(id: string, action: "cancel" | "interrupt"): Promise<boolean | undefined> {
    const run = await this.journal.get(id);
    if (!run) return undefined;
    if (!inFlight(run)) return false;
    const queue = await this.journal.waitingIn(id);
    if (queue && (await this.waiting?.remove(id, queue))) {
      // No worker had taken it: it ends here, without a CLI ever started.
      const code = action === "cancel" ? "cancelled" : "interrupted";
      await this.journal.end(id, endedRecord(run, code, { code, message: `${code} before a worker took it` }));
      return true;
    }
    await this.journal.control(id, action);
    return true;
  }
}
