/**
 * A planned turn of the OpenAI or Anthropic surface as an event source for the server's one runner
 * (http/serve-run.ts): to the end (the route then answers with one JSON body, or with the run's
 * failure as an HTTP error), or streamed as Server-Sent Events through the surface's own writer.
 * The session records the answer before the client sees the end of it, so that a client's next
 * request already finds the conversation; a turn that fails, or is cut short, gives it back.
 */
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import { ClinvkError } from "../../core/errors.js";
import type { BackendName } from "../../core/events.js";
import type { RunResult } from "../../core/request.js";
import type { ServerContext } from "../context.js";
import { type ServeOptions, type StreamFormat, type StreamSink, serveResult, serveStream } from "../http/serve-run.js";
import { AnswerCutter, type AnswerLimits, type Cut } from "./answer-cut.js";
import type { ToolResultPart } from "./conversation.js";
import { CompatError, type Failure, failureOf } from "./errors.js";
import { answerCalls, type LivePlan, LiveTurn, type PendingCall, type TurnEvent } from "./live-turn.js";
import { overheadKey } from "./prompt-overhead.js";
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
  /** The response's end: the run's answer, or the client-tool calls it waits on. */
  finish(outcome: TurnOutcome): void;
  /** The run failed after the response had begun. */
  fail(failure: Failure): void;
  /** Written after finish (OpenAI's `data: [DONE]`). */
  readonly trailer?: string;
}

export interface TurnOutcome {
  /** The run's result; absent when the response ends with tool calls (the run goes on). */
  result?: RunResult;
  /** This response's text, as the client receives it. */
  text: string;
  /** Client-tool calls that wait for the client's results. */
  calls: PendingCall[];
  /** Its token counts, for the surface's `usage`: counted once, here. */
  counts: TokenCounts;
  /** Why the text was cut short (a stop sequence, the token limit), when it was. */
  cut?: Cut;
}

/** Who may bring the results of a turn's calls: the same surface and API key (or address). */
export const toolOwner = (context: ServerContext, request: FastifyRequest, surface: string) =>
  `${surface}:${context.apiKeys.validKeyId(request) ?? `ip:${request.ip}`}`;

/**
 * One response's share of a turn's run, as text deltas; its value is the outcome. A run that ends
 * is recorded in the session first; one that waits on client tools is parked until their results
 * come; one that fails, or whose response is cut short, is stopped and gives its session back. The
 * answer is the same streamed or not: every message the agent wrote in this response (an interim
 * "Let me look." before its tools, then its final answer), as the deltas joined them; the CLI's
 * final text when it streamed none. Structured output comes whole at the end (it is checked, and
 * maybe repaired, first). The request's stop sequences and token limit cut the answer (answer-cut.ts):
 * what comes after the cut is neither sent nor recorded, but the run goes on to its end, so that
 * the CLI's session holds a whole turn and the next request can go on in it.
 */
function turnEvents(context: ServerContext, live: LiveTurn, owner: string, limits: AnswerLimits = {}) {
  return async function* (signal: AbortSignal): AsyncGenerator<TurnEvent, TurnOutcome, undefined> {
    let settled = false;
    const structured = live.plan.run.outputSchema !== undefined;
    const cutter = new AnswerCutter(limits);
    try {
      const steps = live.drive(signal);
      let text = "";
      let sent = "";
      let step = await steps.next();
      while (!step.done) {
        if (step.value.type === "text") {
          text += step.value.delta;
          if (!structured) {
            const delta = cutter.push(step.value.delta);
            sent += delta;
            if (delta) yield { type: "text", delta };
          }
        } else yield step.value;
        step = await steps.next();
      }
      const end = step.value;
      if (end.kind === "calls") {
        if (!structured) {
          const tail = cutter.end();
          if (tail) yield { type: "text", delta: tail };
          text = sent + tail;
        }
        context.toolRuns.park(live, end.calls, owner);
        live.later.push({
          role: "assistant",
          text,
          calls: end.calls.map(({ id, name, arguments: args }) => ({ id, name, arguments: args })),
        });
        settled = true;
        const output = text + end.calls.map((call) => call.name + call.arguments).join("");
        const counts = tokenCounts(undefined, live.plan.promptTokens, output);
        return { text, calls: end.calls, counts, ...(cutter.cut ? { cut: cutter.cut } : {}) };
      }
      const { result } = end;
      if (result.error) throw ClinvkError.fromInfo(result.error);
      checkToolChoice(live);
      const real = tokenCounts(result.usage, 0, "");
      const outputTokens = real.estimated ? undefined : real.output;
      let answer: string;
      if (structured || !text) {
        // The answer came whole at the end (structured output, or a CLI that streamed no deltas).
        answer = cutter.push(structured ? result.text : text || result.text) + cutter.end(outputTokens);
      } else {
        const tail = cutter.end(outputTokens);
        if (tail) yield { type: "text", delta: tail };
        answer = sent + tail;
      }
      const counts = tokenCounts(result.usage, live.plan.promptTokens, answer);
      measureOverhead(context, live, counts);
      // The session records what the client got: its next request replays that.
      await live.complete(answer, counts, cutter.cut);
      settled = true;
      return { result, text: answer, calls: [], counts, ...(cutter.cut ? { cut: cutter.cut } : {}) };
    } finally {
      if (!settled) {
        live.abort();
        await live.finish();
      }
    }
  };
}

/**
 * A fresh turn's real input count, against the estimate of the conversation, measures what its CLI
 * adds to every prompt (prompt-overhead.ts); only turns with nothing else in their input: no
 * offered tools (their definitions), images or structured output (its instruction, a repair).
 */
function measureOverhead(context: ServerContext, live: LiveTurn, counts: TokenCounts): void {
  const { plan } = live;
  const { run } = plan;
  if (!plan.fresh || counts.estimated || live.later.length > 0) return;
  if (run.clientTools || run.images?.length || run.outputSchema) return;
  void overheadKey(context.engine.registry, run.backend as BackendName, run.model).then((key) =>
    context.promptOverheads.record(key, counts.input, plan.promptTokens),
  );
}

/** A forced tool choice that the run did not keep is reported, never passed off as an answer. */
function checkToolChoice(live: LiveTurn): void {
  const choice = live.plan.run.clientTools?.choice;
  if (choice === undefined || choice === "auto") return;
  if (live.later.some((turn) => turn.calls?.length)) return;
  const what = choice === "required" ? "one of the tools" : `the tool ${choice.name}`;
  throw new CompatError("upstream", `the tool choice asked for a call of ${what}, and the agent answered without one`, {
    code: "tool_choice_not_followed",
  });
}

/**
 * These clients (SDKs) cannot read a queue position, but they retry a 429: the response waits for a
 * slot, and then for the first output (up to HOLD_MS), before it begins, so that a queue that times
 * out, or a provider's 429 or 5xx before the first token, is an HTTP error with its status and
 * Retry-After. Once admitted, the session is named (a refused turn leaves no session to name).
 */
/** How long a streamed turn's response head waits for the first output (then the stream opens). */
export const HOLD_MS = 60_000;

function turnOptions(reply: FastifyReply, plan: LivePlan, holdMs = HOLD_MS): ServeOptions<TurnEvent> {
  return {
    holdWhile: (event) => event.type === "queued",
    holdForOutput: { while: (event) => event.type !== "text" || !event.delta, ms: holdMs },
    onAdmitted: () => {
      if (plan.sessionId) reply.header(SESSION_HEADER, plan.sessionId);
    },
  };
}

/** How a surface answers a turn: streamed through its writer, or as one JSON body made from the outcome. */
export interface SurfaceAnswer {
  stream: boolean;
  writer: (sink: StreamSink) => SurfaceStream;
  json: (outcome: TurnOutcome) => unknown;
  pingMs?: number;
  /** How long a stream's head waits for the first output (HOLD_MS). */
  holdMs?: number;
  /** The request's stop sequences and output-token limit. */
  limits?: AnswerLimits;
}

export interface TurnAnswer extends SurfaceAnswer {
  /** Who may continue the turn with tool results (toolOwner). */
  owner: string;
}

/** Serves a planned turn as the request asked: streamed, or run to the end and answered in one body. */
export async function serveTurn(
  context: ServerContext,
  reply: FastifyReply,
  plan: PlannedTurn,
  answer: TurnAnswer,
): Promise<unknown> {
  const live = new LiveTurn(context.engine, plan);
  return serveLive(context, reply, live, answer);
}

/**
 * Serves the next share of a turn that waited on client tools: the results answer its held calls,
 * and the run goes on into this response.
 */
export async function serveContinuation(
  context: ServerContext,
  reply: FastifyReply,
  claimed: { turn: LiveTurn; calls: PendingCall[] },
  results: readonly ToolResultPart[],
  answer: TurnAnswer,
): Promise<unknown> {
  const { turn, calls } = claimed;
  turn.later.push({ role: "user", text: "", results: [...results] });
  answerCalls(calls, results);
  return serveLive(context, reply, turn, answer);
}

/** Runs a live turn's next share to its end (the run's end, or calls to make) and returns the outcome. */
export function liveOutcome(
  context: ServerContext,
  reply: FastifyReply,
  live: LiveTurn,
  owner: string,
  limits?: AnswerLimits,
) {
  return serveResult(context, reply, turnEvents(context, live, owner, limits), turnOptions(reply, live.plan));
}

function serveLive(context: ServerContext, reply: FastifyReply, live: LiveTurn, answer: TurnAnswer): Promise<unknown> {
  const plan = live.plan;
  if (answer.stream) {
    return serveStream(
      context,
      reply,
      turnEvents(context, live, answer.owner, answer.limits),
      surfaceFormat(answer.writer, reply.log, answer.pingMs),
      turnOptions(reply, plan, answer.holdMs),
    );
  }
  return liveOutcome(context, reply, live, answer.owner, answer.limits).then(answer.json);
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
        finish(outcome) {
          // A CLI that gives its answer only at the end (no deltas) still streams it.
          if (!streamed && outcome.text) writer.text(outcome.text);
          writer.finish(outcome);
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
