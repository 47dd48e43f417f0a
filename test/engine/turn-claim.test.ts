// A session's turn claim: judged by /proc on the claimer's machine, by its renewal elsewhere.
import { describe, expect, it } from "vitest";
import { CLAIM_STALE_MS, claimHolds, isOwnClaim, ownClaim, thisMachine } from "../../src/engine/turn-claim.js";

describe("turn claims", () => {
  it("on this machine: this process's claim holds, a dead process's does not, renewed or not", () => {
    const own = ownClaim();
    expect(claimHolds(own)).toBe(true);
    expect(isOwnClaim(own)).toBe(true);
    expect(claimHolds({ ...own, pid: 999_999_999 })).toBe(false);
    expect(claimHolds({ ...own, start: "1" })).toBe(false); // the pid reused by another process
    expect(claimHolds({ ...own, renewed_at: new Date(0).toISOString() })).toBe(true);
  });

  it("a claim of an older version (no machine) is judged on this machine", () => {
    const { pid, start } = ownClaim();
    expect(claimHolds({ pid, start })).toBe(true);
    expect(claimHolds({ pid: 999_999_999, start })).toBe(false);
  });

  it("on another machine: held while renewed lately, whatever its pid means here", () => {
    const now = Date.now();
    const there = { ...ownClaim(now), machine: `${thisMachine()}-other` };
    expect(isOwnClaim(there)).toBe(false);
    expect(claimHolds({ ...there, pid: 999_999_999 }, now + CLAIM_STALE_MS - 1)).toBe(true);
    expect(claimHolds(there, now + CLAIM_STALE_MS)).toBe(false);
    expect(claimHolds({ ...there, renewed_at: undefined }, now)).toBe(false);
  });
});
