/**
 * One long-lived CLI process driven by its backend's live codec (backends/live-protocol.ts): the
 * handshake, one turn at a time with its events, interrupt, permission requests answered by the
 * caller's handler, and an end that leaves no process behind. The pool (live-pool.ts) keeps these
 * between turns; a caller without a pool opens one for a single turn and closes it.
 */

import type { Invocation, ParsedOutcome } from "../backends/backend.js";
import type { LiveCodec, LiveLaunchOptions, LiveProtocol, LiveStep, LiveTurnInput } from "../backends/live-protocol.js";
import { ClinvkError, type ErrorInfo } from "../core/errors.js";
import type { BackendName, EventBody, PermissionDenial } from "../core/events.js";
import type { PermissionDecision, PermissionRequest } from "../core/permissions.js";
import { ChildRun, type EndReason, type ProcessExit } from "../process/child-run.js";

export interface LiveCliSpec {
  backend: BackendName;
  protocol: LiveProtocol;
  launch: LiveLaunchOptions;
  /** `protocol.launch(launch)`, its files already written by the caller. */
  invocation: Invocation;
  command: string;
  env: NodeJS.ProcessEnv;
  /** The caller's name for the process, kept in the run registry (the session it serves). */
  tag?: string;
  maxLineBytes?: number;
  killGraceMs?: number;
  /** How long the handshake may take (default 60 s: a cold CLI on a loaded machine). */
  startTimeoutMs?: number;
}

export interface LiveTurnControl {
  /** Cancels: the process is killed (the conversation keeps what the CLI saved). */
  signal?: AbortSignal;
  /** Interrupts: the turn stops and the process, with its conversation, stays. */
  interrupt?: AbortSignal;
  /** Answers the CLI's permission requests; without one every request is denied. */
  onPermission?: (request: PermissionRequest, signal: AbortSignal) => Promise<PermissionDecision>;
  timeoutMs?: number;
  idleTimeoutMs?: number;
}

/** What a turn yields: the codec's events, or a line too long to read. */
export type LiveItem = { kind: "event"; body: EventBody } | { kind: "overflow"; bytes: number };

export interface LiveTurnOutcome {
  parsed: ParsedOutcome & { interrupted?: boolean };
  /** Set when the process ended during the turn (the turn's outcome came from its exit). */
  exit?: ProcessExit;
  /** Why clinvoker ended the turn, where it did (a timeout, a cancel). */
  reason?: EndReason;
  durationMs: number;
}

const NO_ONE_TO_ASK = "this run has no one to ask for approval; the approval mode decides what runs without asking";

/** How long an interrupted turn may take to say it has ended before the process is killed. */
const INTERRUPT_GRACE_MS = 10_000;

export class LiveCli {
  readonly backend: BackendName;
  readonly launch: LiveLaunchOptions;
  private readonly child: ChildRun;
  private readonly codec: LiveCodec;
  private turnSink: ((step: LiveStep | { overflow: number } | { exit: ProcessExit }) => void) | undefined;
  private ended: ProcessExit | undefined;
  private readyFlag = false;
  private onReady: ((error?: ClinvkError) => void) | undefined;
  private readonly pendingPermissions = new Map<string, AbortController>();
  private activity = () => {};
  private turns = 0;

  private constructor(spec: LiveCliSpec) {
    this.backend = spec.backend;
    this.launch = spec.launch;
    this.codec = spec.protocol.connect(spec.launch);
    this.child = new ChildRun(
      {
        command: spec.command,
        args: spec.invocation.args,
        cwd: spec.launch.cwd,
        env: spec.env,
        stdin: "pipe",
        ...(spec.tag ? { tag: spec.tag } : {}),
      },
      { maxLineBytes: spec.maxLineBytes, killGraceMs: spec.killGraceMs, onActivity: () => this.activity() },
    );
    void this.pump();
  }

  /** Starts the process and completes the handshake; throws a ClinvkError when it cannot. */
  static async open(spec: LiveCliSpec): Promise<LiveCli> {
    const cli = new LiveCli(spec);
    const timeoutMs = spec.startTimeoutMs ?? 60_000;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new ClinvkError("backend_error", `${spec.backend} did not finish its start within ${timeoutMs / 1000} s`),
            ),
          timeoutMs,
        );
        cli.onReady = (error) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        };
        cli.writeAll(cli.codec.start());
      });
    } catch (error) {
      await cli.close();
      throw error;
    }
    return cli;
  }

  get alive(): boolean {
    return this.ended === undefined && !this.child.closed && !this.child.stopping;
  }

  /** Whether a turn has run here: the process then holds a conversation. */
  get used(): boolean {
    return this.turns > 0;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The CLI's own id of the conversation this process holds. */
  get conversationId(): string | undefined {
    return this.codec.conversationId;
  }

  /** Runs one turn; the generator's value is its outcome. Only one turn at a time. */
  async *turn(input: LiveTurnInput, control: LiveTurnControl = {}): AsyncGenerator<LiveItem, LiveTurnOutcome> {
    if (!this.readyFlag || !this.alive) throw new ClinvkError("backend_error", `the ${this.backend} process has ended`);
    if (this.turnSink) throw new ClinvkError("internal", `the ${this.backend} process is already running a turn`);
    const started = performance.now();
    this.turns += 1;
    const queue: LiveItem[] = [];
    let outcome: LiveTurnOutcome | undefined;
    let reason: EndReason | undefined;
    let wake: (() => void) | undefined;
    const notify = () => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    const timers: NodeJS.Timeout[] = [];
    const unasked: PermissionDenial[] = [];
    const finish = (parsed: LiveTurnOutcome["parsed"], exit?: ProcessExit) => {
      const denials = [...(parsed.permissionDenials ?? []), ...unasked];
      outcome ??= {
        parsed: denials.length ? { ...parsed, permissionDenials: denials } : parsed,
        ...(exit ? { exit } : {}),
        ...(reason ? { reason } : {}),
        durationMs: Math.round(performance.now() - started),
      };
      notify();
    };
    // Ends the turn by ending the process: its exit becomes the turn's outcome.
    const kill = (why: EndReason) => {
      reason ??= why;
      this.child.terminate(why);
    };
    this.turnSink = (step) => {
      if ("exit" in step) return finish(this.codec.exited(step.exit), step.exit);
      if ("overflow" in step) queue.push({ kind: "overflow", bytes: step.overflow });
      else {
        for (const body of step.events) queue.push({ kind: "event", body });
        if (step.permission && !control.onPermission) {
          // No one to ask: refused as the CLI refuses on its own, and reported the same way.
          unasked.push({ tool: step.permission.tool, input: step.permission.input });
          this.writeAll(this.codec.decide(step.permission.id, { behavior: "deny", message: NO_ONE_TO_ASK }));
        } else if (step.permission) {
          const request = step.permission;
          queue.push({ kind: "event", body: permissionEvent(request, "asked") });
          this.ask(request, control, (decision) => {
            queue.push({ kind: "event", body: permissionEvent(request, decision) });
            notify();
          });
        }
        if (step.turnEnd) finish(step.turnEnd);
      }
      notify();
    };

    let idleTimer: NodeJS.Timeout | undefined;
    if (control.idleTimeoutMs) {
      const idleMs = control.idleTimeoutMs;
      idleTimer = setTimeout(() => {
        // A CLI waiting for an answer to its permission request is not idle.
        if (this.pendingPermissions.size > 0) idleTimer?.refresh();
        else kill("idle_timeout");
      }, idleMs);
      timers.push(idleTimer);
      this.activity = () => idleTimer?.refresh();
    }
    if (control.timeoutMs) timers.push(setTimeout(() => kill("timeout"), control.timeoutMs));
    const onAbort = () => kill("aborted");
    const onInterrupt = () => {
      this.writeAll(this.codec.interrupt());
      const grace = setTimeout(() => kill("aborted"), INTERRUPT_GRACE_MS);
      grace.unref();
      timers.push(grace);
    };
    control.signal?.addEventListener("abort", onAbort, { once: true });
    control.interrupt?.addEventListener("abort", onInterrupt, { once: true });
    if (control.signal?.aborted) onAbort();

    try {
      if (!control.signal?.aborted) {
        this.writeAll(this.codec.turn(input));
        // Interrupted before the turn began (while the run was queued): the turn stops at once.
        if (control.interrupt?.aborted) onInterrupt();
      }
      while (true) {
        const item = queue.shift();
        if (item) {
          yield item;
          continue;
        }
        if (outcome) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      this.turnSink = undefined;
      this.activity = () => {};
      for (const timer of timers) clearTimeout(timer);
      control.signal?.removeEventListener("abort", onAbort);
      control.interrupt?.removeEventListener("abort", onInterrupt);
      for (const pending of this.pendingPermissions.values()) pending.abort();
      this.pendingPermissions.clear();
      // A consumer that stopped mid-turn leaves a process in an unknown state: it goes.
      if (!outcome) await this.close();
    }
    const ended = outcome as LiveTurnOutcome;
    if (ended.parsed.interrupted && ended.parsed.error === undefined)
      ended.parsed.error = {
        code: "interrupted",
        message: `the ${this.backend} turn was interrupted; the conversation goes on`,
      };
    return ended;
  }

  /** An idle process in a pool lets this process end; a busy one keeps it alive. */
  keepAlive(on: boolean): void {
    this.child.keepAlive(on);
  }

  /** Ends the process and everything it started. */
  async close(): Promise<ProcessExit> {
    this.child.endInput();
    return this.child.stop("aborted");
  }

  /** Reads the process's output for as long as it lives, and hands each step to the turn or the handshake. */
  private async pump(): Promise<void> {
    while (true) {
      const item = await this.child.next();
      if (!item) break;
      if (item.kind === "overflow") {
        this.turnSink?.({ overflow: item.bytes });
        continue;
      }
      const step = this.codec.line(item.line);
      this.writeAll(step.write);
      if (step.ready && !this.readyFlag) {
        this.readyFlag = true;
        this.onReady?.();
      }
      if (step.fatal) {
        this.turnSink?.(step);
        this.child.terminate("aborted");
        this.failStart(step.fatal);
        continue;
      }
      // Between turns there is no one to tell; a permission request then is refused.
      if (this.turnSink) this.turnSink(step);
      else if (step.permission)
        this.writeAll(this.codec.decide(step.permission.id, { behavior: "deny", message: "no turn is running" }));
    }
    this.ended = this.child.exit();
    this.failStart({ code: "backend_crashed", message: startFailure(this.backend, this.ended) });
    this.turnSink?.({ exit: this.ended });
  }

  private failStart(error: ErrorInfo): void {
    if (this.readyFlag) return;
    this.onReady?.(new ClinvkError(error.code, error.message, error.hint));
    this.onReady = undefined;
  }

  /** Asks the caller's handler; its answer (a deny when it throws or there is none) goes to the CLI. */
  private ask(
    request: PermissionRequest,
    control: LiveTurnControl,
    decided: (decision: PermissionDecision) => void,
  ): void {
    const pending = new AbortController();
    this.pendingPermissions.set(request.id, pending);
    const decide = async (): Promise<PermissionDecision> => {
      if (!control.onPermission) return { behavior: "deny", message: NO_ONE_TO_ASK };
      try {
        return await control.onPermission(request, pending.signal);
      } catch (error) {
        return { behavior: "deny", message: `the permission request failed: ${(error as Error).message}` };
      }
    };
    void decide().then((decision) => {
      if (!this.pendingPermissions.delete(request.id) || !this.alive) return;
      decided(decision);
      this.writeAll(this.codec.decide(request.id, decision));
    });
  }

  private writeAll(lines: readonly string[]): void {
    for (const line of lines) this.child.write(`${line}\n`);
  }
}

function startFailure(backend: BackendName, exit: ProcessExit): string {
  if (exit.reason === "spawn_failed")
    return `could not start ${backend}: ${exit.spawnError?.message ?? "unknown error"}`;
  const tail = exit.stderr.trim().split("\n").slice(-3).join(" ").slice(0, 500);
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  return `the ${backend} process ${how}${tail ? `: ${tail}` : ""}`;
}

function permissionEvent(request: PermissionRequest, decision: "asked" | PermissionDecision): EventBody {
  const common = {
    type: "permission" as const,
    id: request.id,
    tool: request.tool,
    ...(request.description ? { description: request.description } : {}),
  };
  if (decision === "asked") return { ...common, state: "asked", input: request.input };
  if (decision.behavior === "deny")
    return { ...common, state: "denied", ...(decision.message ? { message: decision.message } : {}) };
  return { ...common, state: "allowed", input: decision.input ?? request.input };
}
