/**
 * The admission gate: caps how many CLI runs execute at once (globally and per key) so that load
 * waits in a bounded FIFO queue or is refused, instead of spawning processes until memory runs out.
 * It knows nothing about AI; the key is whatever the caller groups runs by (the backend name).
 */
import { ClinvkError } from "../core/errors.js";

export interface AdmissionLimits {
  /** Global cap on concurrent runs (>= 1). */
  maxRunning: number;
  /** Bounded FIFO queue; beyond it, refuse (0 = no queue: refuse at once when full). */
  maxQueued: number;
  /** Longest wait for a slot (0 = wait forever). */
  queueTimeoutMs: number;
  /** Per-key caps; 0 or missing = only the global cap. */
  perKey?: Record<string, number>;
}

export interface AdmissionStats {
  running: number;
  queued: number;
  runningByKey: Record<string, number>;
  queuedByKey: Record<string, number>;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Called with the 1-based queue position when the request has to wait, and whenever it changes. */
  onQueued?: (position: number) => void;
}

interface Waiter {
  key: string;
  admit: () => void;
  fail: (error: ClinvkError) => void;
  onQueued: ((position: number) => void) | undefined;
  position: number;
}

export class AdmissionGate {
  private limits!: AdmissionLimits;
  private running = 0;
  private readonly runningByKey = new Map<string, number>();
  private readonly queue: Waiter[] = [];

  constructor(limits: AdmissionLimits) {
    this.setLimits(limits);
  }

  /** Hot reload. Raising caps admits waiters at once; lowering never stops running or queued runs. */
  setLimits(limits: AdmissionLimits): void {
    validate(limits);
    this.limits = { ...limits, perKey: { ...limits.perKey } };
    this.pump();
  }

  acquire(key: string, options: AcquireOptions = {}): Promise<() => void> {
    const { signal, onQueued } = options;
    if (signal?.aborted) return Promise.reject(cancelled(key));
    // By the pump invariant, anything still queued is blocked by its own key's cap, so a request
    // that fits now jumps no one it should wait behind.
    if (this.fits(key)) return Promise.resolve(this.start(key));
    if (this.queue.length >= this.limits.maxQueued) {
      return Promise.reject(
        new ClinvkError(
          "queue_full",
          `too many runs: ${this.running} running and ${this.queue.length} waiting (limits: ${this.limits.maxRunning} running, ${this.limits.maxQueued} queued)`,
          "retry later",
        ),
      );
    }
    return new Promise<() => void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      // Every exit from the queue goes through here, so no timer or listener outlives the wait.
      const leave = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
      };
      const waiter: Waiter = {
        key,
        onQueued,
        position: 0,
        admit: () => {
          leave();
          resolve(this.start(key));
        },
        fail: (error) => {
          leave();
          reject(error);
          this.notifyPositions();
        },
      };
      const onAbort = () => waiter.fail(cancelled(key));
      const timeoutMs = this.limits.queueTimeoutMs;
      if (timeoutMs > 0) {
        timer = setTimeout(
          () => {
            // Like a full queue, a refusal for load (a 429 with Retry-After), not a run that timed out.
            waiter.fail(
              new ClinvkError(
                "queue_full",
                `timed out after ${timeoutMs} ms waiting for a slot to run "${key}"`,
                "the server is busy; retry later or raise the queue timeout",
              ),
            );
          },
          Math.min(timeoutMs, MAX_TIMER_MS),
        );
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
      this.notifyPositions();
    });
  }

  stats(): AdmissionStats {
    const queuedByKey: Record<string, number> = {};
    for (const waiter of this.queue) queuedByKey[waiter.key] = (queuedByKey[waiter.key] ?? 0) + 1;
    return {
      running: this.running,
      queued: this.queue.length,
      runningByKey: Object.fromEntries(this.runningByKey),
      queuedByKey,
    };
  }

  private fits(key: string): boolean {
    if (this.running >= this.limits.maxRunning) return false;
    const cap = this.limits.perKey?.[key] ?? 0;
    return cap <= 0 || (this.runningByKey.get(key) ?? 0) < cap;
  }

  private start(key: string): () => void {
    this.running++;
    this.runningByKey.set(key, (this.runningByKey.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return; // idempotent: a double release must not free someone else's slot
      released = true;
      this.running--;
      const left = (this.runningByKey.get(key) ?? 1) - 1;
      if (left > 0) this.runningByKey.set(key, left);
      else this.runningByKey.delete(key);
      this.pump();
    };
  }

  /** Admits waiters in FIFO order; one blocked by its key's cap keeps its place but blocks no other key. */
  private pump(): void {
    let admitted = false;
    for (let i = 0; i < this.queue.length && this.running < this.limits.maxRunning; ) {
      const waiter = this.queue[i]!;
      if (this.fits(waiter.key)) {
        waiter.admit(); // removes it from the queue, so the same index is the next waiter
        admitted = true;
      } else i++;
    }
    if (admitted) this.notifyPositions();
  }

  private notifyPositions(): void {
    // Snapshot first: a callback may re-enter the gate and change the queue.
    const changed: Waiter[] = [];
    this.queue.forEach((waiter, index) => {
      if (waiter.position !== index + 1) {
        waiter.position = index + 1;
        changed.push(waiter);
      }
    });
    for (const waiter of changed) {
      try {
        waiter.onQueued?.(waiter.position);
      } catch {
        // A faulty progress callback must not break admission for everyone else.
      }
    }
  }
}

// setTimeout fires at once for delays beyond 2^31-1 ms; a longer timeout is as good as forever anyway.
const MAX_TIMER_MS = 2 ** 31 - 1;

function cancelled(key: string): ClinvkError {
  return new ClinvkError("cancelled", `cancelled while waiting for a slot to run "${key}"`);
}

function validate(limits: AdmissionLimits): void {
  const bad = (what: string) => new ClinvkError("invalid_config", `admission limits: ${what}`);
  if (!(limits.maxRunning >= 1)) throw bad(`maxRunning must be at least 1, got ${limits.maxRunning}`);
  if (!(limits.maxQueued >= 0)) throw bad(`maxQueued must be 0 or more, got ${limits.maxQueued}`);
  if (!(limits.queueTimeoutMs >= 0)) throw bad(`queueTimeoutMs must be 0 or more, got ${limits.queueTimeoutMs}`);
  for (const [key, cap] of Object.entries(limits.perKey ?? {})) {
    if (!(cap >= 0)) throw bad(`perKey.${key} must be 0 or more, got ${cap}`);
  }
}
