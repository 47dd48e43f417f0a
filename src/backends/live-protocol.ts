/**
 * The long-lived side of a backend: a CLI process that stays up between turns and is driven over
 * its stdio by a machine protocol (claude stream-json in and out with its control protocol, codex
 * `app-server` JSON-RPC, gemini `--acp`). Like the one-shot contract (backend.ts) it is pure: the
 * codec turns intentions (start a turn, interrupt, answer a permission request) into lines to write,
 * and the process's lines into unified events and protocol steps. The engine owns the process.
 */

import type { ErrorInfo } from "../core/errors.js";
import type { EventBody } from "../core/events.js";
import type { PermissionDecision, PermissionRequest } from "../core/permissions.js";
import type { ImageInput, Invocation, InvocationOptions, ParsedOutcome, ProcessOutcome } from "./invocation.js";

/**
 * Everything fixed for the life of one process: the one-shot options without the turn's own parts.
 * `resume` is the conversation the process opens (or none: a new one).
 */
export interface LiveLaunchOptions extends Omit<InvocationOptions, "prompt" | "promptVia" | "images" | "outputSchema"> {
  /** The directory the CLI runs in (some protocols also name it in their messages). */
  cwd: string;
  /**
   * Tool calls the approval mode leaves to asking go to the host as permission requests (the
   * codec's `permission` step) instead of being refused without asking.
   */
  askPermissions: boolean;
}

/** One turn of the conversation the process holds. */
export interface LiveTurnInput {
  prompt: string;
  images?: ImageInput[];
  /**
   * The conversation this turn continues, where the process did not open it at launch: protocols
   * that can open any conversation in a running process (codex `thread/resume`, gemini
   * `session/load`) do it before the turn; the others ignore it (the pool never asks them to).
   */
  resume?: string;
}

/** What one line of the process's stdout meant. Every field may be empty. */
export interface LiveStep {
  events: EventBody[];
  /** Lines to write to the process's stdin now, in order (replies, the next step of a handshake). */
  write: string[];
  /** The handshake is done: turns may start. Set once. */
  ready?: boolean;
  /** A tool call waiting for the host's decision: answer it with `decide`. */
  permission?: PermissionRequest;
  /** The current turn ended (completed, failed or interrupted): its outcome, as the one-shot parser's. */
  turnEnd?: ParsedOutcome & { interrupted?: boolean };
  /** The process is no longer usable (a protocol error): the host ends it. */
  fatal?: ErrorInfo;
}

/** Stateful per process: reads one process's output and writes its input. Never throws. */
export interface LiveCodec {
  /** Lines to write as soon as the process has started (the handshake); `ready` follows in a step. */
  start(): string[];
  /** Lines that start a turn; only called when ready and no turn is running. */
  turn(input: LiveTurnInput): string[];
  /** Lines that stop the current turn and keep the conversation; its `turnEnd` follows. */
  interrupt(): string[];
  /** Lines that answer a permission request raised by a `permission` step. */
  decide(id: string, decision: PermissionDecision): string[];
  /** One complete line of stdout (without the newline). */
  line(line: string): LiveStep;
  /** The process ended. During a turn, that turn's outcome (an error unless the protocol says otherwise). */
  exited(outcome: ProcessOutcome): ParsedOutcome;
  /** The CLI's own id of the conversation this process holds, once known. */
  readonly conversationId: string | undefined;
}

/** What a backend's live mode can do: declared, so that the engine degrades instead of breaking. */
export interface LiveCapabilities {
  /** Stops a turn and keeps the conversation. */
  interrupt: boolean;
  /** Asks the host before a tool runs (`permission` steps). */
  permissions: boolean;
  /**
   * `any`: a running process can open any conversation (`LiveTurnInput.resume`), so a pre-warmed
   * process serves resumed sessions too; `launch`: the conversation is fixed on the command line;
   * `own`: a process goes on only with the conversation it began (opening another is unsafe in
   * this CLI version), so a resumed conversation no warm process holds runs one-shot.
   */
  resume: "any" | "launch" | "own";
  /** Text arrives as deltas while the agent writes it. */
  streaming: boolean;
}

export interface LiveProtocol {
  readonly capabilities: LiveCapabilities;
  /**
   * The oldest version of the CLI this protocol was recorded against (`2.1.197`): an older one runs
   * one-shot, with a warning, rather than a protocol it may not speak.
   */
  readonly minVersion: string;
  /** The command line of a long-lived process (no prompt on it), with its files and environment. */
  launch(options: LiveLaunchOptions): Invocation;
  /** A codec for one process started from `launch(options)`. */
  connect(options: LiveLaunchOptions): LiveCodec;
}
