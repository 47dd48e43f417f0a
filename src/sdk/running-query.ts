/**
 * One prompt in flight, as `client.query()` hands it back: it runs at once; iterate it for the
 * events (once), await `result` for the end, `interrupt()` it (the turn stops, the session stays)
 * or `cancel()` it (the CLI is killed).
 */
import type { RunEvent } from "../core/events.js";
import type { RunResult } from "../core/request.js";
import type { CallOptions } from "./session.js";

export class RunningQuery implements AsyncIterable<RunEvent> {
  /** The run's result; rejects with `cancelled` when cancelled, like `client.run`. */
  readonly result: Promise<RunResult>;
  private readonly interrupter = new AbortController();
  private readonly canceller = new AbortController();
  private readonly queue: RunEvent[] = [];
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private iterated = false;

  constructor(
    start: (control: Required<CallOptions>) => AsyncGenerator<RunEvent, void, undefined>,
    options: CallOptions,
  ) {
    const signal = options.signal ? AbortSignal.any([options.signal, this.canceller.signal]) : this.canceller.signal;
    const interrupt = options.interrupt
      ? AbortSignal.any([options.interrupt, this.interrupter.signal])
      : this.interrupter.signal;
    this.result = this.pump(start({ signal, interrupt }));
    // A caller who only iterates must not leave a rejection unhandled here.
    this.result.catch(() => undefined);
  }

  /** Stops the current turn; a live run keeps its process and conversation. The result says `interrupted`. */
  interrupt(): void {
    this.interrupter.abort();
  }

  /** Kills the CLI; `result` rejects with `cancelled`. */
  cancel(): void {
    this.canceller.abort();
  }

  /** The events as they come, the `result` event last. Leaving the loop early cancels the run. */
  async *[Symbol.asyncIterator](): AsyncGenerator<RunEvent, void, undefined> {
    if (this.iterated) throw new Error("a query's events can be iterated once");
    this.iterated = true;
    let finished = false;
    try {
      while (true) {
        const event = this.queue.shift();
        if (event) {
          yield event;
          continue;
        }
        if (this.ended) break;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      finished = true;
      if (this.failure !== undefined) throw this.failure;
    } finally {
      if (!finished) this.cancel();
    }
  }

  private async pump(events: AsyncGenerator<RunEvent, void, undefined>): Promise<RunResult> {
    let result: RunResult | undefined;
    try {
      for await (const event of events) {
        if (event.type === "result") result = event;
        this.queue.push(event);
        this.notify();
      }
    } catch (error) {
      this.failure = error;
      throw error;
    } finally {
      this.ended = true;
      this.notify();
    }
    return result as RunResult;
  }

  private notify(): void {
    const resolve = this.wake;
    this.wake = undefined;
    resolve?.();
  }
}
