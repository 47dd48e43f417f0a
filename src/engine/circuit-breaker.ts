/**
 * One circuit breaker per backend: after repeated backend failures, refuse runs fast for a while
 * instead of spawning CLIs that will fail too, then let a few probes through to see if it recovered.
 */
import { ClinvkError, type ErrorCode } from "../core/errors.js";

export interface BreakerOptions {
  /** Consecutive failures (while closed) that open the breaker. */
  failureThreshold: number;
  /** How long the breaker stays open before it lets probes through. */
  openMs: number;
  /** Concurrent probes allowed while half-open. */
  halfOpenMaxCalls: number;
  /** Probe successes (while half-open) that close the breaker. */
  successThreshold: number;
  now?: () => number;
  /** Told when the breaker opens, with when it will let probes through (shared-breakers.ts). */
  onOpen?: (name: string, until: number) => void;
}

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerStats {
  state: BreakerState;
  consecutiveFailures: number;
  openedAt?: string;
  totalFailures: number;
  totalSuccesses: number;
  rejected: number;
}

export interface BreakerTicket {
  success(): void;
  failure(): void;
  /** Neither: e.g. the caller cancelled; frees a half-open slot. */
  release(): void;
}

const DEFAULTS: Required<Omit<BreakerOptions, "now" | "onOpen">> = {
  failureThreshold: 5,
  openMs: 30_000,
  halfOpenMaxCalls: 1,
  successThreshold: 2,
};

const HINT = "the backend has failed repeatedly; check `clinvk doctor` and the provider status";

export class CircuitBreaker {
  readonly name: string;
  private readonly options: Required<Omit<BreakerOptions, "onOpen">> & Pick<BreakerOptions, "onOpen">;
  private current: BreakerState = "closed";
  // Bumped on every transition: a ticket from an earlier state (a run that started before the
  // breaker tripped) still counts in the totals but must not drive the new state.
  private epoch = 0;
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private totalFailures = 0;
  private totalSuccesses = 0;
  private rejected = 0;

  constructor(name: string, options: Partial<BreakerOptions> = {}) {
    this.name = name;
    this.options = { ...DEFAULTS, now: Date.now, ...withoutUndefined(options) };
    validate(this.options);
  }

  get state(): BreakerState {
    this.refresh();
    return this.current;
  }

  enter(): BreakerTicket {
    this.refresh();
    if (this.current === "open") {
      this.rejected++;
      throw new ClinvkError(
        "circuit_open",
        `backend "${this.name}" is paused after repeated failures; clinvk will retry it in ${this.retryAfterSeconds()}s`,
        HINT,
      );
    }
    if (this.current === "half_open") {
      if (this.probesInFlight >= this.options.halfOpenMaxCalls) {
        this.rejected++;
        throw new ClinvkError(
          "circuit_open",
          `backend "${this.name}" is being retried after repeated failures; try again in a few seconds`,
          HINT,
        );
      }
      this.probesInFlight++;
    }
    return this.ticket(this.epoch, this.current === "half_open");
  }

  /** Seconds until a run may be admitted again (for `Retry-After`): 0 when closed, 1 while probing. */
  retryAfterSeconds(): number {
    const state = this.state;
    if (state === "closed") return 0;
    if (state === "half_open") return 1;
    return Math.max(1, Math.ceil((this.openedAt + this.options.openMs - this.options.now()) / 1000));
  }

  stats(): BreakerStats {
    const state = this.state;
    return {
      state,
      consecutiveFailures: this.consecutiveFailures,
      ...(state === "closed" ? {} : { openedAt: new Date(this.openedAt).toISOString() }),
      totalFailures: this.totalFailures,
      totalSuccesses: this.totalSuccesses,
      rejected: this.rejected,
    };
  }

  private ticket(epoch: number, probe: boolean): BreakerTicket {
    let settled = false;
    // Settles once; `current` says whether the ticket still belongs to the breaker's present state.
    const settle = (outcome: "success" | "failure" | "release") => {
      if (settled) return;
      settled = true;
      if (outcome === "success") this.totalSuccesses++;
      if (outcome === "failure") this.totalFailures++;
      if (epoch !== this.epoch) return;
      if (probe) this.probesInFlight--;
      if (outcome === "success") this.onSuccess();
      if (outcome === "failure") this.onFailure();
    };
    return {
      success: () => settle("success"),
      failure: () => settle("failure"),
      release: () => settle("release"),
    };
  }

  private onSuccess(): void {
    if (this.current === "closed") {
      this.consecutiveFailures = 0;
    } else if (this.current === "half_open" && ++this.probeSuccesses >= this.options.successThreshold) {
      this.transition("closed");
      this.consecutiveFailures = 0;
    }
  }

  private onFailure(): void {
    this.consecutiveFailures++;
    if (this.current === "half_open" || this.consecutiveFailures >= this.options.failureThreshold) {
      this.transition("open");
      this.openedAt = this.options.now();
      this.options.onOpen?.(this.name, this.openedAt + this.options.openMs);
    }
  }

  /** Opened by another instance: refuse runs until `until`, then probe as after an own opening. */
  openUntil(until: number): void {
    const openedAt = until - this.options.openMs;
    if (until <= this.options.now() || (this.current === "open" && this.openedAt >= openedAt)) return;
    if (this.current !== "open") this.transition("open");
    this.openedAt = openedAt;
  }

  /** Open turns half-open lazily, when someone looks: no timer to leak or to keep the process alive. */
  private refresh(): void {
    if (this.current === "open" && this.options.now() - this.openedAt >= this.options.openMs) {
      this.transition("half_open");
    }
  }

  private transition(to: BreakerState): void {
    this.current = to;
    this.epoch++;
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
  }
}

export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly options: Partial<BreakerOptions>;
  /** Told when any breaker opens (set by SharedBreakers). */
  onOpen: ((name: string, until: number) => void) | undefined;

  constructor(options: Partial<BreakerOptions> = {}) {
    this.options = { ...options, onOpen: (name, until) => this.onOpen?.(name, until) };
    validate({ ...DEFAULTS, ...withoutUndefined(options) });
  }

  /** The breaker for a backend, created closed on first use. */
  get(name: string): CircuitBreaker {
    let breaker = this.breakers.get(name);
    if (!breaker) {
      breaker = new CircuitBreaker(name, this.options);
      this.breakers.set(name, breaker);
    }
    return breaker;
  }

  all(): CircuitBreaker[] {
    return [...this.breakers.values()];
  }
}

// Exhaustive on purpose: a new error code fails to compile until someone decides whether it is the backend's fault.
const BACKEND_FAILURE: Record<ErrorCode, boolean> = {
  backend_crashed: true,
  backend_error: true,
  bad_output: true,
  timeout: true,
  overloaded: true,
  api_error: true,
  output_too_large: true,
  // Caused by the caller, the account, or deliberate: retrying the backend would not help.
  invalid_request: false,
  invalid_config: false,
  backend_unknown: false,
  backend_unavailable: false,
  session_not_found: false,
  session_error: false,
  auth: false,
  rate_limit: false,
  usage_limit: false,
  invalid_model: false,
  max_turns: false,
  cancelled: false,
  interrupted: false,
  queue_full: false,
  circuit_open: false,
  internal: false,
};

/** Whether an error of this code should count against the backend's breaker. */
export function countsAsBackendFailure(code: ErrorCode): boolean {
  return BACKEND_FAILURE[code] ?? false;
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function validate(options: Omit<BreakerOptions, "now">): void {
  const { failureThreshold, openMs, halfOpenMaxCalls, successThreshold } = options;
  const bad = (what: string) => new ClinvkError("invalid_config", `circuit breaker: ${what}`);
  if (!(failureThreshold >= 1)) throw bad(`failureThreshold must be at least 1, got ${failureThreshold}`);
  if (!(openMs >= 0)) throw bad(`openMs must be 0 or more, got ${openMs}`);
  if (!(halfOpenMaxCalls >= 1)) throw bad(`halfOpenMaxCalls must be at least 1, got ${halfOpenMaxCalls}`);
  if (!(successThreshold >= 1)) throw bad(`successThreshold must be at least 1, got ${successThreshold}`);
}
