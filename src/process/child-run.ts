/**
 * One program started with no shell, in its own process group, marked so that whatever it starts
 * can be found: its stdout as a queue of bounded lines (with back-pressure), the tail of its stderr,
 * and SIGTERM-then-SIGKILL to everything it started. What the one-shot run (run-process.ts) and the
 * long-lived process (live-process.ts) have in common; each adds its own timers and input.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { LineSplitter } from "./line-splitter.js";
import { RUN_MARKER, signalGroup, signalRun, trackRun, untrackRun } from "./process-group.js";

export interface ChildSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `none`: the child gets no stdin; `pipe`: the caller writes it (and ends it). */
  stdin: "none" | "pipe";
  /** The caller's name for the run, kept in the run registry when there is one. */
  tag?: string;
}

export interface ChildOptions {
  maxLineBytes?: number;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /** How much of the end of stderr to keep for error messages. */
  stderrTailBytes?: number;
  /** Any output (stdout or stderr): what inactivity timers listen to. */
  onActivity?: () => void;
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
export const DEFAULT_KILL_GRACE_MS = 3000;
const DEFAULT_STDERR_TAIL = 64 * 1024;
/** The CLI's pipe is paused past this many lines, or bytes, not yet taken by the consumer. */
const HIGH_WATER = 512;
const LOW_WATER = 64;
const HIGH_WATER_BYTES = 1024 * 1024;
/** How long to wait for pipes held open by stragglers after the main process exited. */
export const PIPE_DRAIN_MS = 1000;

export class ChildRun {
  readonly pid: number | undefined;
  private readonly started = performance.now();
  private readonly child;
  private readonly run;
  private readonly killGraceMs: number;
  private readonly stderrTail: number;
  private readonly queue: ProcessOutput[] = [];
  private wake: (() => void) | undefined;
  private stderr = "";
  private reason: EndReason = "exited";
  private terminating = false;
  private closedFlag = false;
  private paused = false;
  private queuedBytes = 0;
  private exitCode: number | null = null;
  private exitSignal: NodeJS.Signals | null = null;
  private spawnError: NodeJS.ErrnoException | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly closing: Promise<void>;

  constructor(spec: ChildSpec, options: ChildOptions = {}) {
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.stderrTail = options.stderrTailBytes ?? DEFAULT_STDERR_TAIL;
    const splitter = new LineSplitter(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    const marker = randomUUID();
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...spec.env, [RUN_MARKER]: marker },
      detached: true,
      shell: false,
      windowsHide: true,
      stdio: [spec.stdin === "pipe" ? "pipe" : "ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.pid = child.pid;
    const run =
      child.pid === undefined ? undefined : { pid: child.pid, marker, ...(spec.tag ? { tag: spec.tag } : {}) };
    this.run = run;
    if (run) trackRun(run);
    const { stdout, stderr } = child;
    if (!stdout || !stderr) throw new Error("spawn did not create the output pipes");
    const activity = options.onActivity;

    stdout.on("data", (chunk: Buffer) => {
      activity?.();
      for (const item of splitter.push(chunk)) this.enqueue(item);
      if ((this.queue.length > HIGH_WATER || this.queuedBytes > HIGH_WATER_BYTES) && !this.paused) {
        this.paused = true;
        stdout.pause();
      }
      this.notify();
    });
    stderr.on("data", (chunk: Buffer) => {
      activity?.();
      this.stderr += chunk.toString("utf8");
      if (this.stderr.length > this.stderrTail * 2) this.stderr = this.stderr.slice(-this.stderrTail);
    });
    child.stdin?.on("error", () => {}); // The child may exit without reading its input (EPIPE).
    child.on("error", (error: NodeJS.ErrnoException) => {
      // Only spawn failures reach here in practice (ENOENT, EACCES).
      this.spawnError = error;
      this.reason = "spawn_failed";
      this.closedFlag = true;
      this.notify();
    });
    child.on("exit", (code, sig) => {
      this.exitCode = code;
      this.exitSignal = sig;
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
          }, this.killGraceMs);
          kill.unref();
        }
      }
      // If a straggler still holds our pipes, stop waiting for them.
      const drain = setTimeout(() => {
        stdout.destroy();
        stderr.destroy();
      }, PIPE_DRAIN_MS);
      drain.unref();
      this.timers.push(drain);
    });
    this.closing = new Promise<void>((resolve) => {
      child.on("close", (code, sig) => {
        this.exitCode ??= code;
        this.exitSignal ??= sig;
        for (const item of splitter.end()) this.enqueue(item);
        this.closedFlag = true;
        this.notify();
        resolve();
      });
      child.on("error", () => resolve());
    });
  }

  /** The program ended and all its output is queued. */
  get closed(): boolean {
    return this.closedFlag;
  }

  get stopping(): boolean {
    return this.terminating;
  }

  /** The next output, waiting for it; undefined once the program has ended and everything was taken. */
  async next(): Promise<ProcessOutput | undefined> {
    while (true) {
      const item = this.queue.shift();
      if (item) {
        if (item.kind === "line") this.queuedBytes -= item.line.length;
        if (this.paused && this.queue.length < LOW_WATER && this.queuedBytes < HIGH_WATER_BYTES / 4) {
          this.paused = false;
          this.child.stdout?.resume();
        }
        return item;
      }
      if (this.closedFlag) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** Writes to stdin (only with `stdin: "pipe"`); false when it can no longer be written. */
  write(text: string): boolean {
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded || this.closedFlag) return false;
    stdin.write(text);
    return true;
  }

  endInput(text?: string): void {
    const stdin = this.child.stdin;
    if (stdin && !stdin.writableEnded) stdin.end(text);
  }

  /** SIGTERM to everything the program started, SIGKILL after the grace time; the first reason counts. */
  terminate(why: EndReason): void {
    if (this.terminating || this.closedFlag) return;
    this.terminating = true;
    this.reason = why;
    const run = this.run;
    if (!run) return;
    const marked = signalRun(run, "SIGTERM");
    const kill = setTimeout(() => signalRun(run, "SIGKILL", marked), this.killGraceMs);
    kill.unref();
    this.timers.push(kill);
  }

  /**
   * Whether the program keeps this process's event loop alive: a long-lived program waiting idle
   * in a pool must not keep a script from ending (its exit hook still kills it).
   */
  keepAlive(on: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as ({
      ref?: () => void;
      unref?: () => void;
    } | null)[];
    for (const handle of handles) {
      // Pipes are sockets here, whose ref and unref exist but are not in the stream types.
      if (on) handle?.ref?.();
      else handle?.unref?.();
    }
  }

  /** Terminates (unless ended) and waits until the program has closed its pipes, bounded. */
  async stop(why: EndReason = "aborted"): Promise<ProcessExit> {
    if (!this.closedFlag) {
      this.terminate(why);
      if (this.paused) this.child.stdout?.resume();
      await Promise.race([this.closing, delay(this.killGraceMs + PIPE_DRAIN_MS + 500)]);
    }
    return this.exit();
  }

  /** How it ended (complete once `closed`). */
  exit(): ProcessExit {
    for (const timer of this.timers) clearTimeout(timer);
    const stderr = this.stderr;
    return {
      exitCode: this.exitCode,
      signal: this.exitSignal,
      reason: this.reason,
      spawnError: this.spawnError,
      stderr: stderr.length > this.stderrTail ? stderr.slice(-this.stderrTail) : stderr,
      durationMs: Math.round(performance.now() - this.started),
      pid: this.pid,
    };
  }

  private enqueue(item: { kind: "line"; line: string } | { kind: "overflow"; bytes: number }): void {
    if (item.kind === "line") this.queuedBytes += item.line.length;
    this.queue.push(item);
  }

  private notify(): void {
    const resolve = this.wake;
    this.wake = undefined;
    resolve?.();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
