/**
 * Runs a planned turn for an HTTP client of the OpenAI or Anthropic surface: to the end (the route
 * then answers with one JSON body, or with the run's failure as an HTTP error), or streamed as
 * Server-Sent Events through the surface's own writer. The session records the answer before the
 * client sees the end of it, so that a client's next request already finds the conversation.
 */
import type { FastifyReply } from "fastify";
import { ClinvkError } from "../../engine/errors.js";
import type { RunEvent } from "../../engine/events.js";
import type { RunResult } from "../../engine/request.js";
import type { ServerContext } from "../context.js";
import { onDisconnect } from "../run-route.js";
import { openClientStream } from "../streaming.js";
import { type Failure, failureOf, failureOfInfo } from "./errors.js";
import { type PlannedTurn, SESSION_HEADER } from "./turn.js";

/** What a surface writes on an open SSE response. */
export interface SseSink {
  send(data: unknown, event?: string): void;
  /** The literal `data: [DONE]` line that ends an OpenAI stream. */
  done(): void;
}

/** A surface's translation of one streamed run into its own events. */
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
}

export interface TurnOutcome {
  result: RunResult;
  /** The answer as the client receives it. */
  text: string;
}

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

function track(context: ServerContext) {
  const controller = new AbortController();
  context.active.add(controller);
  const cancel = () => {
    if (context.config.current.server.on_disconnect !== "detach") controller.abort();
  };
  return { controller, cancel, done: () => context.active.delete(controller) };
}

/** Names the session once the run is admitted (a refused one leaves no session to name). */
function nameSession(reply: FastifyReply, plan: PlannedTurn): void {
  if (plan.sessionId) reply.header(SESSION_HEADER, plan.sessionId);
}

/** Runs to the end. A failed run throws its error, for the surface's error handler to answer. */
export async function runTurn(context: ServerContext, reply: FastifyReply, plan: PlannedTurn): Promise<TurnOutcome> {
  const { controller, cancel, done } = track(context);
  const stop = onDisconnect(reply, cancel);
  try {
    const events = context.engine.stream(plan.run, { signal: controller.signal });
    const answer = new AnswerText();
    let step = await events.next();
    nameSession(reply, plan);
    while (!step.done) {
      if (step.value.type === "text") answer.add(step.value);
      step = await events.next();
    }
    const result = step.value;
    if (result.error) throw new ClinvkError(result.error.code, result.error.message, result.error.hint);
    // The final answer; the streamed text when the CLI gives none apart.
    const text = result.text || answer.value;
    await plan.complete(text);
    return { result, text };
  } catch (error) {
    await plan.abandon();
    throw error;
  } finally {
    stop();
    done();
  }
}

/** Streams the run as SSE. Refusals before the first event (a full queue...) are still HTTP errors. */
export async function streamTurn(
  context: ServerContext,
  reply: FastifyReply,
  plan: PlannedTurn,
  surface: (sink: SseSink) => SurfaceStream,
  pingMs?: number,
): Promise<FastifyReply> {
  const { controller, cancel, done } = track(context);
  let settled = false;
  const settle = async (ok: boolean, text: string) => {
    if (settled) return;
    settled = true;
    if (ok) await plan.complete(text);
    else await plan.abandon();
  };
  try {
    const events = context.engine.stream(plan.run, { signal: controller.signal });
    // These clients (SDKs) cannot read a queue position, but they retry a 429: the response waits
    // for a slot before it begins, so that a queue that times out is a 429 with Retry-After.
    const admitted = async () => {
      let first = await events.next();
      while (!first.done && first.value.type === "queued") first = await events.next();
      return first;
    };
    let step = await admitted().catch(async (error: unknown) => {
      await settle(false, "");
      throw error;
    });
    nameSession(reply, plan);
    const out = openClientStream(context, reply, "sse");
    out.onGone(cancel);
    let lastWrite = Date.now();
    const sink: SseSink = {
      send(data, event) {
        lastWrite = Date.now();
        out.send(data, event);
      },
      done() {
        if (!out.gone) reply.raw.write("data: [DONE]\n\n");
      },
    };
    const writer = surface(sink);
    writer.open();
    const ping = writer.ping?.bind(writer);
    const pinger =
      ping && pingMs
        ? setInterval(
            () => {
              if (Date.now() - lastWrite >= pingMs) ping();
            },
            Math.max(10, Math.floor(pingMs / 2)),
          )
        : undefined;
    const answer = new AnswerText();
    try {
      while (!step.done) {
        if (step.value.type === "text") writer.text(answer.add(step.value));
        await out.drain();
        step = await events.next();
      }
      const result = step.value;
      if (result.error) {
        await settle(false, "");
        writer.fail(failureOfInfo(result.error));
      } else {
        // A CLI that gives its answer only at the end (no deltas) still streams it.
        if (!answer.value && result.text) writer.text(result.text);
        const text = answer.value || result.text;
        await settle(true, text);
        writer.finish(result, text);
      }
    } catch (error) {
      // Headers are gone: the failure travels as the stream's last event.
      await settle(false, "");
      const { failure, unexpected } = failureOf(error);
      if (unexpected) reply.log.error({ err: error }, "stream failed");
      writer.fail(failure);
    } finally {
      clearInterval(pinger);
      out.end();
    }
    return reply;
  } finally {
    done();
  }
}
