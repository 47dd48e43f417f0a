/**
 * The claim of a session by the process running its turn: one turn at a time, across instances. On the
 * claimer's own machine its liveness is read from /proc (pid and start time, since pids are reused), so a
 * process that crashed frees its sessions at once. Another machine's process cannot be looked at (its pid
 * here is nobody's, or somebody else's): its claim is renewed while its turn runs and holds until it is
 * CLAIM_STALE_MS old, so that a machine that died frees its sessions within that time and a turn that runs
 * long keeps its own.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { processStartTime } from "../process/run-registry.js";
import type { TurnClaim } from "../sessions/session.js";

/** How often a running turn renews its claim. */
export const CLAIM_RENEW_MS = 15_000;
/** How old a claim from another machine may be and still hold: a few renewals missed. */
export const CLAIM_STALE_MS = 4 * CLAIM_RENEW_MS;

let machine: string | undefined;

/**
 * The processes this one can see by pid: the kernel's boot id and this process's pid namespace (two
 * containers on one host share the first, not the second). The host name where /proc has neither.
 */
export function thisMachine(): string {
  if (machine !== undefined) return machine;
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
    machine = `${boot}/${readlinkSync("/proc/self/ns/pid")}`;
  } catch {
    machine = `host:${hostname()}`;
  }
  return machine;
}

/** This process's claim, renewed now. */
export function ownClaim(now = Date.now()): TurnClaim {
  return {
    pid: process.pid,
    start: processStartTime(process.pid) ?? "",
    machine: thisMachine(),
    renewed_at: new Date(now).toISOString(),
  };
}

/** Whether `claim` is this process's own. */
export function isOwnClaim(claim: TurnClaim | undefined): boolean {
  return claim?.pid === process.pid && (claim.machine ?? thisMachine()) === thisMachine();
}

/** Whether the claim still holds the session: its process alive here, or renewed lately elsewhere. */
export function claimHolds(claim: TurnClaim, now = Date.now(), here = thisMachine()): boolean {
  if ((claim.machine ?? here) === here) return processStartTime(claim.pid) === claim.start;
  const renewed = Date.parse(claim.renewed_at ?? "");
  return Number.isFinite(renewed) && now - renewed < CLAIM_STALE_MS;
}
