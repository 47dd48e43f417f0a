/**
 * Runs one program to its end and yields its stdout line by line. Knows nothing about AI: bounded
 * lines, wall-clock and inactivity timeouts, abort, and SIGTERM-then-SIGKILL to the whole group
 * (child-run.ts), so that no grandchild outlives the run.
 */
import { ChildRun, type ProcessExit, type ProcessOutput } from "./child-run.js";

export type { EndReason, ProcessExit, ProcessOutput } from "./child-run.js";
export { DEFAULT_MAX_LINE_BYTES } from "./child-run.js";

export interface ProcessSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. Without it the child gets no stdin at all. */
  stdin?: string;
  /** The caller's name for the run, kept in the run registry when there is one. */
  tag?: string;
}

export interface ProcessLimits {
  /** Wall-clock limit; 0 or undefined for none. */
  timeoutMs?: number;
  /** Limit on time without any output; 0 or undefined for none. */
  idleTimeoutMs?: number;
  /** While this says so, silence is expected (the program waits on its caller) and is not idleness. */
  idlePaused?: () => boolean;
  maxLineBytes?: number;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /** How much of the end of stderr to keep for error messages. */
  stderrTailBytes?: number;
}

export async function* runProcess(
  spec: ProcessSpec,
  limits: ProcessLimits = {},
  signal?: AbortSignal,
): AsyncGenerator<ProcessOutput, ProcessExit, undefined> {
  if (signal?.aborted) {
    return { exitCode: null, signal: null, reason: "aborted", stderr: "", durationMs: 0 };
  }
  const timers: NodeJS.Timeout[] = [];
  let idleTimer: NodeJS.Timeout | undefined;
  const touch = () => {
    if (!limits.idleTimeoutMs) return;
    if (idleTimer) idleTimer.refresh();
    else {
      idleTimer = setTimeout(() => {
        // A timer that has fired is armed again by refresh().
        if (limits.idlePaused?.()) idleTimer?.refresh();
        else child.terminate("idle_timeout");
      }, limits.idleTimeoutMs);
      timers.push(idleTimer);
    }
  };
  const child = new ChildRun(
    {
      command: spec.command,
      args: spec.args,
      cwd: spec.cwd,
      env: spec.env,
      stdin: spec.stdin === undefined ? "none" : "pipe",
      ...(spec.tag ? { tag: spec.tag } : {}),
    },
    { ...limits, onActivity: touch },
  );
  touch();
  if (limits.timeoutMs) timers.push(setTimeout(() => child.terminate("timeout"), limits.timeoutMs));
  const onAbort = () => child.terminate("aborted");
  signal?.addEventListener("abort", onAbort, { once: true });
  if (spec.stdin !== undefined) child.endInput(spec.stdin);

  try {
    while (true) {
      const item = await child.next();
      if (!item) break;
      yield item;
    }
  } finally {
    // The consumer stopped early (break, return, throw): the run must not outlive it.
    if (!child.closed) await child.stop("aborted");
    for (const timer of timers) clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
  return child.exit();
}
