// Finds the processes that belong to a sandbox from cli-env.ts by scanning /proc (Linux only): a process belongs
// to it when its environment holds the sandbox's HOME or its working directory is inside the sandbox. That catches
// every descendant of a run, including grandchildren that left its process group (setsid, detached spawns) or were
// re-parented to init, so tests can prove that nothing outlives a run.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { sep } from "node:path";
import type { CliSandbox } from "./cli-env.js";

export interface SandboxProcess {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** The command line, arguments joined by spaces. */
  cmdline: string;
}

type SandboxPaths = Pick<CliSandbox, "home" | "root">;

function readStat(pid: number): { ppid: number; pgid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** The live processes of the sandbox right now (zombies excluded, this process excluded). */
export function sandboxProcesses(sandbox: SandboxPaths): SandboxProcess[] {
  const marker = `\0HOME=${sandbox.home}\0`;
  const out: SandboxProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let belongs = false;
    try {
      belongs = `\0${readFileSync(`/proc/${pid}/environ`, "latin1")}`.includes(marker);
    } catch {
      // gone, or not ours to read
    }
    if (!belongs) {
      try {
        const cwd = readlinkSync(`/proc/${pid}/cwd`);
        belongs = cwd === sandbox.root || cwd.startsWith(sandbox.root + sep);
      } catch {
        // gone, or not ours to read
      }
    }
    if (!belongs) continue;
    const stat = readStat(pid);
    if (!stat || stat.state === "Z") continue;
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").replaceAll("\0", " ");
    } catch {
      // gone meanwhile
    }
    out.push({ pid, ppid: stat.ppid, pgid: stat.pgid, cmdline });
  }
  return out;
}

/** Waits until the sandbox has no live process; returns what is still there after `timeoutMs` (empty when clean). */
export async function waitForNoSandboxProcesses(sandbox: SandboxPaths, timeoutMs = 2000): Promise<SandboxProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = sandboxProcesses(sandbox);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Samples the sandbox's processes every `intervalMs` until stopped; `stop()` returns every process seen. */
export function watchSandboxProcesses(sandbox: SandboxPaths, intervalMs = 100): { stop(): SandboxProcess[] } {
  const seen = new Map<number, SandboxProcess>();
  const sample = () => {
    for (const p of sandboxProcesses(sandbox)) if (!seen.has(p.pid)) seen.set(p.pid, p);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return [...seen.values()];
    },
  };
}

/**
 * SIGKILLs, one by one by pid, the processes the sandbox has right now (cleans up after a run that leaked some).
 * Scanning just before killing keeps the pids fresh. Returns what it killed.
 */
export function killSandboxProcesses(sandbox: SandboxPaths): SandboxProcess[] {
  const found = sandboxProcesses(sandbox);
  for (const p of found) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return found;
}
