/**
 * Every CLI runs in its own process group so that killing it also kills whatever it started. Some
 * CLIs start tools in process groups of their own (gemini does), so each run's environment also
 * carries a marker, and on Linux every process that inherited it is found in /proc and killed too.
 * Whatever is still alive when clinvoker exits is killed on the way out.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";

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

/** Reused by every sweep: most environments fit, and are searched as bytes, never decoded. */
const environBuffer = Buffer.allocUnsafe(64 * 1024);

/** The environment block of a process (open, read, close: no stat, no string), or undefined. */
function environOf(pid: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/environ`, "r");
  } catch {
    return undefined; // Gone already, or not ours to read.
  }
  try {
    let length = 0;
    while (length < environBuffer.length) {
      const read = readSync(fd, environBuffer, length, environBuffer.length - length, null);
      if (read === 0) return environBuffer.subarray(0, length);
      length += read;
    }
    return readFileSync(`/proc/${pid}/environ`); // a rare environment over 64 KiB: all of it
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Pids of the processes whose environment carries one of these runs' markers (Linux; elsewhere none). */
export function markedProcesses(...markers: string[]): number[] {
  const needles = markers.map((marker) => Buffer.from(`${RUN_MARKER}=${marker}\0`, "latin1"));
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57 || Number(entry) === process.pid) continue; // pids only
    const environ = environOf(entry);
    // The marker may begin the block, or follow another variable's NUL.
    if (environ && needles.some((needle) => environ.indexOf(needle) !== -1)) found.push(Number(entry));
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
