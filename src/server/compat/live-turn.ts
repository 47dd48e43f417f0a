/**
 * One planned turn's run, driven across as many HTTP requests as its client tools need. A run that
 * calls a client tool does not end: the MCP call is held, the HTTP response ends with the call (in
 * the surface's shape), and the client's next request, bringing the result, answers the held call
 * and drives the same run on into its own response. The run's text, events and final result are
 * read here only, so each response gets what came while it was being served.
 */
import type { RunEvent } from "../../core/events.js";
import type { RunRequest, RunResult } from "../../core/request.js";
import type { ClientTool, ClientToolCall, ClientToolChoice, ClientToolResult, ClientTools } from "../../core/tools.js";
import type { Engine } from "../../engine/engine.js";
import type { Cut } from "./answer-cut.js";
import type { Turn } from "./conversation.js";
import type { TokenCounts } from "./tokens.js";

/** What a LiveTurn needs of its planned turn (turn.ts's PlannedTurn). */
export interface LivePlan {
  run: RunRequest;
  sessionId?: string;
  responseId?: string;
  promptTokens: number;
  /** The first turn of a new (or ephemeral) session: the CLI is sent the whole conversation. */
  fresh?: boolean;
  complete(answer: string, later?: Turn[], counts?: TokenCounts, cut?: Cut): Promise<void>;
  abandon(): Promise<void>;
  /** A new id for a client-tool call, as the surface names them. */
  callId: () => string;
}

/** A client-tool call that waits for the client's result. */
export interface PendingCall {
  /** The id the client sees and answers with. */
  id: string;
  name: string;
  /** The arguments as JSON text, as the surfaces carry them. */
  arguments: string;
  answer(result: ClientToolResult): void;
}

/**
 * A network client's tools on a run: the LiveTurn that drives the run answers their calls (its
 * handler replaces this one); `keepBuiltinTools` is the server's `client_tools_keep_builtins`.
 */
export function networkClientTools(
  tools: ClientTool[],
  choice: ClientToolChoice | undefined,
  keepBuiltinTools: boolean,
): ClientTools {
  return {
    tools,
    choice,
    keepBuiltinTools,
    handler: async () => ({ content: "no client is connected to this run", isError: true }),
  };
}

/** The client's results answer the held calls they name (each call has one: claimed runs are complete). */
export function answerCalls(
  calls: readonly PendingCall[],
  results: readonly { id: string; content: string; isError?: boolean }[],
): void {
  for (const call of calls) {
    const result = results.find((candidate) => candidate.id === call.id);
    call.answer({ content: result?.content ?? "", isError: result?.isError === true });
  }
}

/** Waiting for a slot; the CLI started (the response may begin); a piece of the answer. */
export type TurnEvent = { type: "queued" } | { type: "started" } | { type: "text"; delta: string };

/** How one HTTP request's share of the run ended: the run's end, or calls for the client to run. */
export type TurnEnd = { kind: "result"; result: RunResult } | { kind: "calls"; calls: PendingCall[] };

/** How long after a call arrives more calls of the same message may follow before the turn ends. */
const SETTLE_MS = 300;

/** Joins the text of a run; separate assistant messages (between tool calls) get a blank line. */
export class AnswerText {
  private parts: string[] = [];
  private message: string | undefined;

  /** Adds a text event; returns the delta to send, separator included. */
  add(event: Extract<RunEvent, { type: "text" }>): string {
    const separator =
      this.parts.length > 0 && event.message_id !== undefined && event.message_id !== this.message ? "\n\n" : "";
    if (event.message_id !== undefined) this.message = event.message_id;
    const delta = separator + event.text;
    this.parts.push(delta);
    return delta;
  }

  get value(): string {
    return this.parts.join("");
  }
}

export class LiveTurn {
  readonly plan: LivePlan;
  /** Turns since the planned request's own: the assistant's calls and the client's results. */
  readonly later: Turn[] = [];
  private readonly controller = new AbortController();
  private readonly events: AsyncGenerator<RunEvent, RunResult, undefined>;
  private next: Promise<IteratorResult<RunEvent, RunResult>> | undefined;
  private arrived: PendingCall[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  /** The clinvoker session the run's events name, once they do. */
  sessionId: string | undefined;

  constructor(engine: Engine, plan: LivePlan) {
    this.plan = plan;
    if (plan.run.clientTools) plan.run.clientTools.handler = (call, signal) => this.onCall(call, signal);
    this.events = engine.stream(plan.run, { signal: this.controller.signal });
  }

  get done(): boolean {
    return this.ended;
  }

  /** Stops the run (its CLI is killed). */
  abort(): void {
    this.controller.abort();
  }

  /** The run ended with this answer: the session now holds the conversation, tool turns included. */
  complete(answer: string, counts?: TokenCounts, cut?: Cut): Promise<void> {
    return this.plan.complete(answer, this.later, counts, cut);
  }

  /** After an abort: reads the run to its end (so that it releases what it holds) and gives the session back. */
  async finish(): Promise<void> {
    try {
      if (this.next !== undefined) await this.next.catch(() => undefined);
      if (!this.ended) while (!(await this.events.next()).done);
    } catch {
      // The run's failure is nobody's to report any more.
    } finally {
      this.ended = true;
      await this.plan.abandon();
    }
  }

  private onCall(call: ClientToolCall, signal: AbortSignal): Promise<ClientToolResult> {
    return new Promise((resolve) => {
      const pending: PendingCall = {
        id: this.plan.callId(),
        name: call.name,
        arguments: JSON.stringify(call.arguments ?? {}),
        answer: resolve,
      };
      const ended = () => resolve({ content: "the run ended", isError: true });
      if (signal.aborted) return ended();
      signal.addEventListener("abort", ended, { once: true });
      this.arrived.push(pending);
      this.wake?.();
    });
  }

  /**
   * Drives the run for one HTTP response: its events until the run ends, or until client-tool calls
   * wait and no more have come for a moment. A response that goes away (the signal) stops the run.
   */
  async *drive(signal: AbortSignal): AsyncGenerator<TurnEvent, TurnEnd, undefined> {
    const onAbort = () => this.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) this.abort();
    try {
      const answer = new AnswerText();
      while (true) {
        this.next ??= this.events.next();
        const step = await this.race(this.next);
        if (step === "settled") return { kind: "calls", calls: this.takeCalls() };
        if (step === "call") continue;
        this.next = undefined;
        if (step.done) {
          this.ended = true;
          return { kind: "result", result: step.value };
        }
        const event = step.value;
        this.sessionId ??= event.session_id;
        if (event.type === "queued") yield { type: "queued" };
        else if (event.type === "start") yield { type: "started" };
        else if (event.type === "text") yield { type: "text", delta: answer.add(event) };
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  private takeCalls(): PendingCall[] {
    const calls = this.arrived;
    this.arrived = [];
    return calls;
  }

  /** The next event, a call's arrival, or (with calls waiting) a moment of quiet. */
  private race(next: Promise<IteratorResult<RunEvent, RunResult>>) {
    let timer: NodeJS.Timeout | undefined;
    return new Promise<IteratorResult<RunEvent, RunResult> | "call" | "settled">((resolve, reject) => {
      // A stopped run ends with its result; calls it made on the way are nobody's to answer.
      if (this.arrived.length > 0 && !this.controller.signal.aborted) {
        timer = setTimeout(() => resolve("settled"), SETTLE_MS);
      }
      this.wake = () => resolve("call");
      next.then(resolve, reject);
    }).finally(() => {
      clearTimeout(timer);
      this.wake = undefined;
    });
  }
}
