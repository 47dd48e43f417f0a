import { describe, expect, it } from "vitest";
import { ClinvkError, ERROR_CODES } from "../../src/core/errors.js";
import {
  type BreakerOptions,
  BreakerRegistry,
  CircuitBreaker,
  countsAsBackendFailure,
} from "../../src/engine/circuit-breaker.js";

const START = Date.parse("2025-01-01T00:00:00.000Z");

function setup(options: Partial<BreakerOptions> = {}) {
  const clock = { now: START };
  const breaker = new CircuitBreaker("claude", { now: () => clock.now, ...options });
  const fail = (times = 1) => {
    for (let i = 0; i < times; i++) breaker.enter().failure();
  };
  const succeed = (times = 1) => {
    for (let i = 0; i < times; i++) breaker.enter().success();
  };
  return { clock, breaker, fail, succeed };
}

function refused(enter: () => unknown): ClinvkError {
  try {
    enter();
  } catch (error) {
    expect(error).toBeInstanceOf(ClinvkError);
    expect((error as ClinvkError).code).toBe("circuit_open");
    return error as ClinvkError;
  }
  throw new Error("expected circuit_open");
}

describe("CircuitBreaker", () => {
  it("opens after failureThreshold consecutive failures, and a success resets the count", () => {
    const { breaker, fail, succeed } = setup({ failureThreshold: 3 });
    fail(2);
    succeed();
    expect(breaker.stats().consecutiveFailures).toBe(0);
    expect(breaker.retryAfterSeconds()).toBe(0);
    fail(2);
    expect(breaker.state).toBe("closed");
    fail();
    expect(breaker.state).toBe("open");
    expect(breaker.stats()).toMatchObject({
      state: "open",
      consecutiveFailures: 3,
      openedAt: new Date(START).toISOString(),
      totalFailures: 5,
      totalSuccesses: 1,
    });
  });

  it("uses the documented defaults: 5 failures, 30 s open, 1 probe, 2 successes", () => {
    const { clock, breaker, fail, succeed } = setup();
    fail(4);
    expect(breaker.state).toBe("closed");
    fail();
    expect(breaker.state).toBe("open");
    clock.now += 29_999;
    expect(breaker.state).toBe("open");
    clock.now += 1;
    expect(breaker.state).toBe("half_open");
    const probe = breaker.enter();
    refused(() => breaker.enter());
    probe.success();
    expect(breaker.state).toBe("half_open");
    succeed();
    expect(breaker.state).toBe("closed");
  });

  it("rejects fast while open, naming the backend and the seconds until it retries", () => {
    const { clock, breaker, fail } = setup({ failureThreshold: 1, openMs: 30_000 });
    fail();
    clock.now += 12_500;
    const error = refused(() => breaker.enter());
    expect(error.message).toContain('"claude"');
    expect(error.message).toContain("in 18s");
    expect(breaker.retryAfterSeconds()).toBe(18);
    clock.now += 17_000; // 0.5 s left: rounds up
    expect(breaker.retryAfterSeconds()).toBe(1);
    expect(error.hint).toBe("the backend has failed repeatedly; check `clinvk doctor` and the provider status");
    refused(() => breaker.enter());
    expect(breaker.stats().rejected).toBe(2);
  });

  it("turns half-open after openMs and closes after successThreshold probe successes", () => {
    const { clock, breaker, fail, succeed } = setup({ failureThreshold: 1, openMs: 1000, successThreshold: 3 });
    fail();
    clock.now += 1000;
    expect(breaker.stats().state).toBe("half_open");
    expect(breaker.stats().openedAt).toBe(new Date(START).toISOString());
    succeed(2);
    expect(breaker.state).toBe("half_open");
    succeed();
    expect(breaker.stats()).toMatchObject({ state: "closed", consecutiveFailures: 0 });
    expect(breaker.stats().openedAt).toBeUndefined();
  });

  it("opens again on any failure in half-open, with a new openedAt", () => {
    const { clock, breaker, fail, succeed } = setup({ failureThreshold: 2, openMs: 1000, successThreshold: 2 });
    fail(2);
    clock.now += 1000;
    succeed();
    expect(breaker.state).toBe("half_open");
    fail();
    expect(breaker.stats()).toMatchObject({ state: "open", openedAt: new Date(START + 1000).toISOString() });
    clock.now += 999;
    refused(() => breaker.enter());
    clock.now += 1;
    expect(breaker.state).toBe("half_open");
    // the earlier probe success does not carry over to the new half-open period
    succeed();
    expect(breaker.state).toBe("half_open");
    succeed();
    expect(breaker.state).toBe("closed");
  });

  it("admits at most halfOpenMaxCalls concurrent probes; release frees a slot without counting", () => {
    const { clock, breaker, fail } = setup({ failureThreshold: 1, openMs: 1000, halfOpenMaxCalls: 2 });
    fail();
    clock.now += 1000;
    expect(breaker.retryAfterSeconds()).toBe(1);
    const first = breaker.enter();
    const second = breaker.enter();
    const error = refused(() => breaker.enter());
    expect(error.message).toContain('"claude"');
    expect(breaker.stats().rejected).toBe(1);
    first.release();
    expect(breaker.stats()).toMatchObject({ state: "half_open", totalFailures: 1, totalSuccesses: 0 });
    const third = breaker.enter();
    refused(() => breaker.enter());
    second.success();
    third.success();
    expect(breaker.state).toBe("closed");
  });

  it("settles a ticket once: later calls are ignored", () => {
    const { clock, breaker } = setup({ failureThreshold: 2, openMs: 1000, successThreshold: 1 });
    const ticket = breaker.enter();
    ticket.failure();
    ticket.failure();
    ticket.success();
    ticket.release();
    expect(breaker.stats()).toMatchObject({
      state: "closed",
      consecutiveFailures: 1,
      totalFailures: 1,
      totalSuccesses: 0,
    });
    breaker.enter().failure();
    clock.now += 1000;
    const probe = breaker.enter();
    probe.release();
    probe.release(); // a second release must not free a second probe slot
    breaker.enter();
    refused(() => breaker.enter());
  });

  it("counts tickets from before a transition in the totals but not in the new state", () => {
    const { clock, breaker, fail } = setup({ failureThreshold: 2, openMs: 1000, successThreshold: 1 });
    const slow = breaker.enter(); // a run started while closed, still running when the breaker trips
    const slowSuccess = breaker.enter();
    fail(2);
    expect(breaker.state).toBe("open");
    slowSuccess.success(); // must not close an open breaker
    expect(breaker.state).toBe("open");
    clock.now += 1000;
    const probe = breaker.enter();
    slow.failure(); // must not re-open the half-open breaker or touch its probe budget
    expect(breaker.state).toBe("half_open");
    refused(() => breaker.enter());
    probe.success();
    expect(breaker.stats()).toMatchObject({ state: "closed", totalFailures: 3, totalSuccesses: 2 });
  });

  it("rejects invalid options with invalid_config", () => {
    expect(() => new CircuitBreaker("x", { failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => new CircuitBreaker("x", { openMs: -1 })).toThrow(/openMs/);
    expect(() => new CircuitBreaker("x", { halfOpenMaxCalls: 0 })).toThrow(/halfOpenMaxCalls/);
    expect(() => new CircuitBreaker("x", { successThreshold: Number.NaN })).toThrow(/successThreshold/);
    expect(() => new BreakerRegistry({ failureThreshold: 0 })).toThrow(ClinvkError);
    // an explicitly undefined option falls back to its default
    expect(() => new CircuitBreaker("x", { failureThreshold: undefined })).not.toThrow();
  });
});

describe("BreakerRegistry", () => {
  it("keeps one breaker per name, created on first use with the shared options", () => {
    let now = START;
    const registry = new BreakerRegistry({ failureThreshold: 1, now: () => now });
    expect(registry.all()).toEqual([]);
    const claude = registry.get("claude");
    expect(registry.get("claude")).toBe(claude);
    claude.enter().failure();
    expect(claude.state).toBe("open");
    expect(registry.get("codex").state).toBe("closed");
    expect(registry.all().map((b) => [b.name, b.state])).toEqual([
      ["claude", "open"],
      ["codex", "closed"],
    ]);
    now += 30_000;
    expect(claude.state).toBe("half_open");
  });
});

describe("countsAsBackendFailure", () => {
  it("counts the backend's own failures and nothing the caller caused", () => {
    const counted = ERROR_CODES.filter(countsAsBackendFailure);
    expect(counted.sort()).toEqual(
      [
        "api_error",
        "backend_crashed",
        "backend_error",
        "bad_output",
        "output_too_large",
        "overloaded",
        "timeout",
      ].sort(),
    );
    for (const code of [
      "invalid_request",
      "auth",
      "rate_limit",
      "usage_limit",
      "invalid_model",
      "max_turns",
      "cancelled",
      "session_not_found",
      "session_error",
      "queue_full",
      "circuit_open",
    ] as const) {
      expect(countsAsBackendFailure(code)).toBe(false);
    }
  });
});
