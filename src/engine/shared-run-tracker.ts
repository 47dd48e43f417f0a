/**
 * The run tracker of an instance that shares its runs through Redis: this instance's runs are kept in
 * memory as before (they are what it can cancel), and every change is written to the run journal,
 * so that any instance can list them, replay and follow their events, and cancel or interrupt them
 * (the journal's channel brings those requests here). A failed write to Redis never fails the run.
 */
import type { RunJournal } from "./run-journal.js";
import {
  inFlight,
  MemoryRunTracker,
  type MemoryRunTrackerOptions,
  type RunStart,
  type RunTracker,
  type TrackedRun,
} from "./run-tracker.js";

export class SharedRunTracker implements RunTracker {
  private readonly local: MemoryRunTracker;
  /** Told of a write to Redis that failed (the server logs it). */
  onWriteError: (error: unknown) => void = () => undefined;

  constructor(
    readonly journal: RunJournal,
    options: MemoryRunTrackerOptions = {},
  ) {
    this.local = new MemoryRunTracker(options);
  }

  /** Starts the heartbeat and the cancels and interrupts from other instances. */
  async start(): Promise<void> {
    await this.journal.start((id, action) => {
      if (action === "cancel") this.local.cancel(id);
      else this.local.interrupt(id);
    });
  }

  async stop(): Promise<void> {
    await this.journal.stop();
  }

  begin(start: RunStart): TrackedRun {
    const tracked = this.local.begin(start);
    const { id } = tracked;
    // One connection keeps the writes of a run in order; none is awaited by the run.
    const write = (pending: Promise<unknown>) => void pending.catch((error) => this.onWriteError(error));
    // A run queued by another instance exists already: this one takes it.
    write(start.id ? this.journal.own(id) : this.journal.create(id, start, { owned: true }));
    return {
      id,
      signal: tracked.signal,
      interrupt: tracked.interrupt,
      event: (event) => {
        tracked.event(event);
        write(this.journal.append(id, event, this.record(id)));
      },
      finish: (result, failure) => {
        tracked.finish(result, failure);
        const record = this.record(id);
        if (record) write(this.journal.end(id, record));
      },
    };
  }

  private record(id: string) {
    const record = this.local.get(id);
    return record && { ...record, instance: this.journal.instance };
  }

  /** Cancels every run of this instance (a shutdown past its deadline). */
  cancelAll(): void {
    for (const run of this.local.list()) if (inFlight(run)) this.local.cancel(run.id);
  }

  list: RunTracker["list"] = (filter) => this.local.list(filter);
  get: RunTracker["get"] = (id) => this.local.get(id);
  events: RunTracker["events"] = (id, afterId) => this.local.events(id, afterId);
  subscribe: RunTracker["subscribe"] = (id, listener) => this.local.subscribe(id, listener);
  cancel: RunTracker["cancel"] = (id) => this.local.cancel(id);
  interrupt: RunTracker["interrupt"] = (id) => this.local.interrupt(id);
}
