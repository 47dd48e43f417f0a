/**
 * Runs one program with no shell, in its own process group, and yields its stdout line by line.
 * Knows nothing about AI: bounded lines, wall-clock and inactivity timeouts, abort, and
 * SIGTERM-then-SIGKILL to the whole group, so that no grandchild outlives the run.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { LineSplitter } from "./line-splitter.js";
import { RUN_MARKER, signalGroup, signalRun, trackRun, untrackRun } from "./process-group.js";

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

export type ProcessOutput = { kind: "line"; line: string } | { kind: "overflow"; bytes: number };

export type EndReason = "exited" | "timeout" | "idle_timeout" | "aborted" | "spawn_failed";

export interface ProcessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  reason: EndReason;
  /** Set when the program could not be started. */
  spawnError?: NodeJS.ErrnoException;
  stderr: string;
  durationMs: number;
  pid?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const DEFAULT_KILL_GRACE_MS = 3000;
const DEFAULT_STDERR_TAIL = 64 * 1024;
/** The CLI's pipe is paused past this many lines, or bytes, not yet taken by the consumer. */
const HIGH_WATER = 512;
const LOW_WATER = 64;
const HIGH_WATER_BYTES = 1024 * 1024;
/** How long to wait for pipes held open by stragglers after the main process exited. */
const PIPE_DRAIN_MS = 1000;

export async function* runProcess(
  spec: ProcessSpec,
  limits: ProcessLimits = {},
  signal?: AbortSignal,
): AsyncGenerator<ProcessOutput, ProcessExit, undefined> {
  const started = performance.now();
  const killGraceMs = limits.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const stderrTail = limits.stderrTailBytes ?? DEFAULT_STDERR_TAIL;
  const splitter = new LineSplitter(limits.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);

  const queue: ProcessOutput[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };

  let stderr = "";
  let reason: EndReason = "exited";
  let terminating = false;
  let closed = false;
  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  let spawnError: NodeJS.ErrnoException | undefined;
  const timers: NodeJS.Timeout[] = [];

  if (signal?.aborted) {
    return { exitCode: null, signal: null, reason: "aborted", stderr: "", durationMs: 0 };
  }

  const marker = randomUUID();
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: { ...spec.env, [RUN_MARKER]: marker },
    detached: true,
    shell: false,
    windowsHide: true,
    stdio: [spec.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  const pid = child.pid;
  const run = pid === undefined ? undefined : { pid, marker, ...(spec.tag ? { tag: spec.tag } : {}) };
  if (run) trackRun(run);
  const { stdout, stderr: stderrStream } = child;
  if (!stdout || !stderrStream) throw new Error("spawn did not create the output pipes");

  const terminate = (why: EndReason) => {
    if (terminating || closed) return;
    terminating = true;
    reason = why;
    if (!run) return;
    const marked = signalRun(run, "SIGTERM");
    const kill = setTimeout(() => signalRun(run, "SIGKILL", marked), killGraceMs);
    kill.unref();
    timers.push(kill);
  };

  let idleTimer: NodeJS.Timeout | undefined;
  const touch = () => {
    if (!limits.idleTimeoutMs) return;
    if (idleTimer) idleTimer.refresh();
    else {
      idleTimer = setTimeout(() => {
        // A timer that has fired is armed again by refresh().
        if (limits.idlePaused?.()) idleTimer?.refresh();
        else terminate("idle_timeout");
      }, limits.idleTimeoutMs);
      timers.push(idleTimer);
    }
  };
  touch();
  if (limits.timeoutMs) timers.push(setTimeout(() => terminate("timeout"), limits.timeoutMs));
  const onAbort = () => terminate("aborted");
  signal?.addEventListener("abort", onAbort, { once: true });

  let paused = false;
  let queuedBytes = 0;
  stdout.on("data", (chunk: Buffer) => {
    touch();
    for (const item of splitter.push(chunk)) {
      if (item.kind === "line") queuedBytes += item.line.length;
      queue.push(item.kind === "line" ? item : { kind: "overflow", bytes: item.bytes });
    }
    if ((queue.length > HIGH_WATER || queuedBytes > HIGH_WATER_BYTES) && !paused) {
      paused = true;
      stdout.pause();
    }
    notify();
  });
  stderrStream.on("data", (chunk: Buffer) => {
    touch();
    stderr += chunk.toString("utf8");
    if (stderr.length > stderrTail * 2) stderr = stderr.slice(-stderrTail);
  });
  child.stdin?.on("error", () => {}); // The child may exit without reading its input (EPIPE).
  if (spec.stdin !== undefined) child.stdin?.end(spec.stdin);

  child.on("error", (error: NodeJS.ErrnoException) => {
    // Only spawn failures reach here in practice (ENOENT, EACCES).
    spawnError = error;
    reason = "spawn_failed";
    closed = true;
    notify();
  });
  child.on("exit", (code, sig) => {
    exitCode = code;
    exitSignal = sig;
    // Stragglers (background jobs of the agent) go with it; SIGKILL follows if needed. When the
    // group is gone and nothing carries the marker, nothing is left: forget the run now, so that
    // neither the SIGKILL round nor the exit hook sweeps /proc for it again.
    if (run) {
      const marked = signalRun(run, "SIGTERM");
      if (marked.length === 0 && !signalGroup(run.pid, 0)) untrackRun(run.pid);
      else {
        const kill = setTimeout(() => {
          signalRun(run, "SIGKILL", marked);
          untrackRun(run.pid);
        }, killGraceMs);
        kill.unref();
      }
    }
    // If a straggler still holds our pipes, stop waiting for them.
    const drain = setTimeout(() => {
      stdout.destroy();
      stderrStream.destroy();
    }, PIPE_DRAIN_MS);
    drain.unref();
    timers.push(drain);
  });
  child.on("close", (code, sig) => {
    exitCode ??= code;
    exitSignal ??= sig;
    for (const item of splitter.end())
      queue.push(item.kind === "line" ? item : { kind: "overflow", bytes: item.bytes });
    closed = true;
    notify();
  });

  try {
    while (true) {
      const item = queue.shift();
      if (item) {
        if (item.kind === "line") queuedBytes -= item.line.length;
        if (paused && queue.length < LOW_WATER && queuedBytes < HIGH_WATER_BYTES / 4) {
          paused = false;
          stdout.resume();
        }
        yield item;
        continue;
      }
      if (closed) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    if (!closed) {
      // The consumer stopped early (break, return, throw): the run must not outlive it.
      terminate("aborted");
      if (paused) stdout.resume();
      await new Promise<void>((resolve) => {
        if (closed) return resolve();
        child.once("close", () => resolve());
        const giveUp = setTimeout(resolve, killGraceMs + PIPE_DRAIN_MS + 500);
        giveUp.unref();
      });
    }
    for (const timer of timers) clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }

  return {
    exitCode,
    signal: exitSignal,
    reason,
    spawnError,
    stderr: stderr.length > stderrTail ? stderr.slice(-stderrTail) : stderr,
    durationMs: Math.round(performance.now() - started),
    pid,
  };
}
