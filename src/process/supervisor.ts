/**
 * A watcher for a long-running process (the server): a small process of its own that holds a pipe
 * from it and, when the pipe ends because its owner died in a way no exit hook sees (SIGKILL, the
 * OOM killer), kills every run the owner recorded in its run registry. On a normal exit it finds
 * nothing left to kill. Started through the clinvk binary itself, so nothing else has to ship.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { RunRegistry } from "./run-registry.js";

/** The hidden first argument that makes `clinvk` a supervisor (cli/main.ts). */
export const SUPERVISE_COMMAND = "__supervise-runs";

export function startSupervisor(registry: RunRegistry, entry = process.argv[1] ?? ""): ChildProcess {
  const child = spawn(process.execPath, [entry, SUPERVISE_COMMAND, registry.directory, String(process.pid)], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true, // not in the owner's process group: a Ctrl+C or a group kill must not take it first
  });
  child.on("error", () => {}); // without a supervisor the next start still reaps
  child.unref();
  (child.stdin as Socket | null)?.unref();
  return child;
}

/** The supervisor's side: wait for the owner's pipe to end, then kill what the owner left. */
export function supervise(directory: string, owner: number): void {
  const reap = () => {
    new RunRegistry(directory).killRunsOf(owner);
    process.exit(0);
  };
  process.stdin.on("end", reap);
  process.stdin.on("close", reap);
  process.stdin.on("error", reap);
  process.stdin.resume();
}
