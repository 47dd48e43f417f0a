/**
 * Every CLI runs in its own process group so that killing it also kills whatever it started
 * (shells, tool subprocesses). Groups still alive when clinvoker exits are killed on the way out.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is already gone.
  }
}

export function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const group of liveGroups) signalGroup(group, "SIGKILL");
    });
  }
}

export function untrackGroup(pid: number): void {
  liveGroups.delete(pid);
}

/** The number of groups still tracked, for tests and health checks. */
export function liveGroupCount(): number {
  return liveGroups.size;
}
