/**
 * Every CLI runs in its own process group so that killing it also kills whatever it started. Some
 * CLIs start tools in process groups of their own (gemini does), so each run's environment also
 * carries a marker, and on Linux every process that inherited it is found in /proc and killed too.
 * Whatever is still alive when clinvoker exits is killed on the way out.
 */
import { readdirSync, readFileSync } from "node:fs";

/** The environment variable that marks every process of one run. */
export const RUN_MARKER = "CLINVK_RUN_ID";

interface LiveRun {
  pid: number;
  marker: string;
}

const liveRuns = new Map<number, LiveRun>();
let exitHookInstalled = false;

export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is already gone.
  }
}

/** Pids of the processes whose environment carries this run's marker (Linux; elsewhere none). */
export function markedProcesses(marker: string): number[] {
  const needle = `${RUN_MARKER}=${marker}\0`;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").includes(needle)) found.push(Number(entry));
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return found;
}

/** Signals the run's process group and every other process that carries its marker. */
export function signalRun(run: LiveRun, signal: NodeJS.Signals): void {
  signalGroup(run.pid, signal);
  for (const pid of markedProcesses(run.marker)) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

export function trackRun(run: LiveRun): void {
  liveRuns.set(run.pid, run);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const live of liveRuns.values()) signalRun(live, "SIGKILL");
    });
  }
}

export function untrackRun(pid: number): void {
  liveRuns.delete(pid);
}

/** The number of runs still tracked, for tests and health checks. */
export function liveGroupCount(): number {
  return liveRuns.size;
}
