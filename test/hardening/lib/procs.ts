/**
 * Processes, counted the way an operator would: `ps -eo pid,args`. Every run of the suite carries a unique token
 * in its prompt, which the fake CLI passes on to its grandchild's name, so a process of a run (clinvk, the CLI,
 * the CLI's children) is found by its token whatever its parent or group.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { inject } from "vitest";

export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  stat: string;
  args: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The suite run's id: every token of the run starts with `HZ<runId>`. */
    hardeningRunId: string;
  }
}

let runId: string | undefined;
/** The prefix of every token of this suite run (the global setup picks it). */
export function runPrefix(): string {
  if (!runId) {
    try {
      runId = inject("hardeningRunId");
    } catch {
      runId = undefined;
    }
    runId ||= randomBytes(4).toString("hex");
  }
  return `HZ${runId}`;
}

const fileId = randomBytes(3).toString("hex");
let counter = 0;
/** A new unique token, e.g. HZ1a2b3c4d-f00baa-abort-17. */
export function token(kind: string): string {
  return `${runPrefix()}-${fileId}-${kind}-${++counter}`;
}

export function processes(): Proc[] {
  const text = execFileSync("ps", ["-eww", "-o", "pid=,ppid=,pgid=,stat=,args="], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const out: Proc[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!match) continue;
    out.push({
      pid: Number(match[1]),
      ppid: Number(match[2]),
      pgid: Number(match[3]),
      stat: match[4] as string,
      args: match[5] as string,
    });
  }
  return out;
}

/** Live processes (zombies aside) whose command line contains `needle`; never this process or `ps` itself. */
export function matching(needle: string): Proc[] {
  return processes().filter(
    (p) => p.args.includes(needle) && !p.stat.startsWith("Z") && p.pid !== process.pid && !p.args.startsWith("ps "),
  );
}

/** Waits until no process matches; returns those still there after `timeoutMs` (empty when clean). */
export async function waitGone(needle: string, timeoutMs = 5000): Promise<Proc[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = matching(needle);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SIGKILLs, one by one by pid, the processes of this suite's runs that match `needle` (cleanup after a leak). */
export function killMatching(needle: string): Proc[] {
  if (!needle.startsWith("HZ")) throw new Error("only tokens of this suite");
  const found = matching(needle);
  for (const p of found) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return found;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = processes().find((p) => p.pid === pid)?.stat ?? "";
    return !stat.startsWith("Z");
  } catch {
    return false;
  }
}

/** Resident set size of a process, in bytes (from /proc). */
export function rssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
