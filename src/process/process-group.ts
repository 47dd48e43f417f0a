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
  /** The caller's name for the run, kept in the run registry. */
  tag?: string;
}

const liveRuns = new Map<number, LiveRun>();
let exitHookInstalled = false;
/** Where runs are recorded besides this process's memory (run-registry.ts). */
export interface RunRecorder {
  record(run: LiveRun): void;
  remove(pid: number): void;
}

let registry: RunRecorder | undefined;

/** From now on, every run is also recorded on disk (run-registry.ts): what the server does. */
export function useRunRegistry(next: RunRecorder | undefined): void {
  registry = next;
}

/** Signals a process group (0: only asks whether it still exists); false when it is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is already gone.
  }
}

/** Pids of the processes whose environment carries one of these runs' markers (Linux; elsewhere none). */
export function markedProcesses(...markers: string[]): number[] {
  const needles = markers.map((marker) => `${RUN_MARKER}=${marker}\0`);
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
      const environ = readFileSync(`/proc/${entry}/environ`, "latin1");
      if (needles.some((needle) => environ.includes(needle))) found.push(Number(entry));
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return found;
}

/**
 * Signals the run's process group and every other process that carries its marker. Returns those
 * processes, so that a follow-up signal can reuse them instead of scanning /proc again.
 */
export function signalRun(run: LiveRun, signal: NodeJS.Signals, known?: readonly number[]): readonly number[] {
  signalGroup(run.pid, signal);
  const marked = known ?? markedProcesses(run.marker);
  for (const pid of marked) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
  return marked;
}

export function trackRun(run: LiveRun): void {
  liveRuns.set(run.pid, run);
  registry?.record(run);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      // One scan of /proc for every run still tracked.
      const runs = [...liveRuns.values()];
      if (runs.length === 0) return;
      const marked = markedProcesses(...runs.map((run) => run.marker));
      for (const run of runs) {
        signalRun(run, "SIGKILL", marked);
        registry?.remove(run.pid);
      }
    });
  }
}

export function untrackRun(pid: number): void {
  liveRuns.delete(pid);
  registry?.remove(pid);
}

/** The number of runs still tracked, for tests and health checks. */
export function liveGroupCount(): number {
  return liveRuns.size;
}
