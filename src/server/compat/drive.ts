/**
 * A planned turn of the OpenAI or Anthropic surface as an event source for the server's one runner
 * (http/serve-run.ts): to the end (the route then answers with one JSON body, or with the run's
 * failure as an HTTP error), or streamed as Server-Sent Events through the surface's own writer.
 * The session records the answer before the client sees the end of it, so that a client's next
 * request already finds the conversation; a turn that fails, or is cut short, gives it back.
 */
import type { FastifyBaseLogger, FastifyReply } from "fastify";
import { ClinvkError } from "../../core/errors.js";
import type { RunEvent } from "../../core/events.js";
import type { RunResult } from "../../core/request.js";
import type { ServerContext } from "../context.js";
import { type ServeOptions, type StreamFormat, type StreamSink, serveResult, serveStream } from "../http/serve-run.js";
import { type Failure, failureOf } from "./errors.js";
import { type TokenCounts, tokenCounts } from "./tokens.js";
import { type PlannedTurn, SESSION_HEADER } from "./turn.js";

/** A surface's translation of one streamed turn into its own events. */
export interface SurfaceStream {
  /** The response has begun: its opening events. */
  open(): void;
  text(delta: string): void;
  /**
   * Nothing came from the CLI for a while (it thinks, or runs a tool): keep the client's hopes up.
   * Without it, the stream's own SSE keep-alive comments are all (enough for OpenAI's clients).
   */
  ping?(): void;
  finish(result: RunResult, text: string): void;
  /** The run failed after the response had begun. */
  fail(failure: Failure): void;
  /** Written after finish (OpenAI's `data: [DONE]`). */
  readonly trailer?: string;
}

export interface TurnOutcome {
  result: RunResult;
  /** The answer as the client receives it. */
  text: string;
  /** Its token counts, for the surface's `usage`: counted once, here. */
  counts: TokenCounts;
}

/** Waiting for a slot; the CLI started (the response may begin); a piece of the answer. */
type TurnEvent = { type: "queued" } | { type: "started" } | { type: "text"; delta: string };

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

/**
 * The turn's run as text deltas; its value is the outcome, recorded in the session first. The answer
 * is the same streamed or not: every message the agent wrote this turn (an interim "Let me look."
 * before its tools, then its final answer), as the deltas joined them; the CLI's final text when
 * it streamed none.
 */
function turnEvents(context: ServerContext, plan: PlannedTurn) {
  return async function* (signal: AbortSignal): AsyncGenerator<TurnEvent, TurnOutcome, undefined> {
    let recorded = false;
    const structured = plan.run.outputSchema !== undefined;
    try {
      const events = context.engine.stream(plan.run, { signal });
      const answer = new AnswerText();
      let step = await events.next();
      while (!step.done) {
        if (step.value.type === "queued") yield { type: "queued" };
        else if (step.value.type === "start") yield { type: "started" };
        // Structured output is checked (and maybe repaired) at the end: its text comes whole then.
        else if (step.value.type === "text" && !structured) yield { type: "text", delta: answer.add(step.value) };
        step = await events.next();
      }
      const result = step.value;
      if (result.error) throw ClinvkError.fromInfo(result.error);
      // One rule, streamed or not: the answer is all the text the CLI's agent wrote this turn.
      const text = structured ? result.text : answer.value || result.text;
      const counts = tokenCounts(result.usage, plan.promptTokens, text);
      await plan.complete(text, counts);
      recorded = true;
      return { result, text, counts };
    } finally {
      if (!recorded) await plan.abandon();
    }
  };
}

/** How long a streamed turn's response head waits for the first output (then the stream opens). */
export const HOLD_MS = 60_000;

/**
 * These clients (SDKs) cannot read a queue position, but they retry a 429: the response waits for a
 * slot, and then for the first output (up to HOLD_MS), before it begins, so that a queue that times
 * out, or a provider's 429 or 5xx before the first token, is an HTTP error with its status and
 * Retry-After. Once admitted, the session is named (a refused turn leaves no session to name).
 */
function turnOptions(reply: FastifyReply, plan: PlannedTurn, holdMs = HOLD_MS): ServeOptions<TurnEvent> {
  return {
    holdWhile: (event) => event.type === "queued",
    holdForOutput: { while: (event) => event.type !== "text" || !event.delta, ms: holdMs },
    onAdmitted: () => {
      if (plan.sessionId) reply.header(SESSION_HEADER, plan.sessionId);
    },
  };
}

/** How a surface answers a turn: streamed through its writer, or as one JSON body made from the outcome. */
export interface TurnAnswer {
  stream: boolean;
  writer: (sink: StreamSink) => SurfaceStream;
  json: (outcome: TurnOutcome) => unknown;
  pingMs?: number;
  /** How long a stream's head waits for the first output (HOLD_MS). */
  holdMs?: number;
}

/** Serves a planned turn as the request asked: streamed, or run to the end and answered in one body. */
export async function serveTurn(
  context: ServerContext,
  reply: FastifyReply,
  plan: PlannedTurn,
  answer: TurnAnswer,
): Promise<unknown> {
  if (answer.stream) return streamTurn(context, reply, plan, answer);
  return answer.json(await runTurn(context, reply, plan));
}

/** Runs to the end. A failed run throws its error, for the surface's error handler to answer. */
function runTurn(context: ServerContext, reply: FastifyReply, plan: PlannedTurn): Promise<TurnOutcome> {
  return serveResult(context, reply, turnEvents(context, plan), turnOptions(reply, plan));
}

/** The surface's writer as a stream format: text as it comes, a failure in the surface's shape. */
function surfaceFormat(
  surface: (sink: StreamSink) => SurfaceStream,
  log: FastifyBaseLogger,
  pingMs: number | undefined,
): StreamFormat<TurnEvent, TurnOutcome> {
  return {
    kind: "sse",
    pingMs,
    writer(sink) {
      const writer = surface(sink);
      let streamed = false;
      return {
        open: () => writer.open(),
        event(event) {
          if (event.type !== "text") return;
          streamed ||= event.delta !== "";
          writer.text(event.delta);
        },
        finish({ result, text }) {
          // A CLI that gives its answer only at the end (no deltas) still streams it.
          if (!streamed && text) writer.text(text);
          writer.finish(result, text);
        },
        fail(error) {
          const { failure, unexpected } = failureOf(error);
          if (unexpected) log.error({ err: error }, "stream failed");
          writer.fail(failure);
        },
        ping: writer.ping && (() => writer.ping?.()),
        trailer: writer.trailer,
      };
    },
  };
}

/** Streams the turn as SSE. Refusals before the first event (a full queue...) are still HTTP errors. */
function streamTurn(
  context: ServerContext,
  reply: FastifyReply,
  plan: PlannedTurn,
  answer: TurnAnswer,
): Promise<FastifyReply> {
  return serveStream(
    context,
    reply,
    turnEvents(context, plan),
    surfaceFormat(answer.writer, reply.log, answer.pingMs),
    turnOptions(reply, plan, answer.holdMs),
  );
}
