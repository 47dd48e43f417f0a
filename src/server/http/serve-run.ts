/**
 * The one way a run reaches an HTTP client, whatever its source (one prompt, a turn of the
 * compatible APIs, a workflow) and whatever its wire format. It owns what every route would
 * otherwise redo: refusals that come with the first step (a full queue, an open circuit) answered as
 * HTTP errors before any stream begins; the disconnect policy (cancel, or detach: the run finishes
 * into its session); waiting for slow readers; keep-alive pings; a failure after the headers as the
 * stream's last event; the stream's end marker.
 */
import type { FastifyReply } from "fastify";
import type { ServerContext } from "../context.js";
import { type EventStream, openClientStream, type StreamKind } from "./stream.js";

/** What a writer sends on an open stream. */
export interface StreamSink {
  send(data: unknown, event?: string): void;
}

/** A surface's translation of one event source into its wire format, created when the stream opens. */
export interface StreamWriter<E, R> {
  /** The response has begun: its opening events. */
  open?(): void;
  event(event: E): void;
  finish(result: R): void;
  /** The source failed after the response had begun. */
  fail(error: unknown): void;
  /** Nothing was written for a while (the CLI thinks, or runs a tool). */
  ping?(): void;
  /** Written after finish, before the stream ends (OpenAI's `data: [DONE]`). */
  readonly trailer?: string;
}

export interface StreamFormat<E, R> {
  kind: StreamKind;
  writer(sink: StreamSink): StreamWriter<E, R>;
  /** How long without a write before the writer's ping (none: the stream's own SSE comments). */
  pingMs?: number;
}

export interface ServeOptions<E> {
  /** Events held back before the response begins: queue positions, for clients that cannot read them. */
  holdWhile?(event: E): boolean;
  /**
   * Events then held back for at most `ms` more (then the stream opens): for the compatible APIs
   * everything before the first output, so that a failure before it is an HTTP error with its real
   * status (a provider's 429 with Retry-After), which the SDKs retry.
   */
  holdForOutput?: { while(event: E): boolean; ms: number };
  /** The source passed its refusals: the last moment to set headers (X-Clinvk-Session). */
  onAdmitted?(): void;
}

type Source<E, R> = (signal: AbortSignal) => AsyncGenerator<E, R, undefined>;
type Step<E, R> = IteratorResult<E, R>;

/** A run in flight for a client: shutdown can stop it; a client that goes away cancels it unless detached. */
function track(context: ServerContext) {
  const controller = new AbortController();
  context.active.add(controller);
  return {
    signal: controller.signal,
    gone: () => {
      if (context.config.current.server.on_disconnect !== "detach") controller.abort();
    },
    done: () => context.active.delete(controller),
  };
}

/** Calls `listener` if the client's connection closes before the response is complete. */
function onDisconnect(reply: FastifyReply, listener: () => void): () => void {
  const onClose = () => {
    if (!reply.raw.writableFinished) listener();
  };
  reply.raw.on("close", onClose);
  return () => reply.raw.off("close", onClose);
}

/**
 * The first step that is not held back, as a promise: past holdForOutput's time, the step still
 * pending (the stream opens, and then waits for it).
 */
async function firstStep<E, R>(
  events: AsyncGenerator<E, R, undefined>,
  options: ServeOptions<E>,
): Promise<{ step: Promise<Step<E, R>> }> {
  let step = await events.next();
  while (!step.done && options.holdWhile?.(step.value)) step = await events.next();
  options.onAdmitted?.();
  const hold = options.holdForOutput;
  if (hold) {
    const deadline = Date.now() + hold.ms;
    while (!step.done && hold.while(step.value)) {
      const next = events.next();
      const came = await within(next, deadline - Date.now());
      if (!came) return { step: next };
      step = came.step;
    }
  }
  return { step: Promise.resolve(step) };
}

/** The promise's value if it settles within `ms`, else undefined (the promise stays the caller's). */
async function within<T>(promise: Promise<T>, ms: number): Promise<{ step: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.then((step) => ({ step })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the source to its end and returns its result, for a route to answer as one JSON body. */
export async function serveResult<E, R>(
  context: ServerContext,
  reply: FastifyReply,
  source: Source<E, R>,
  options: ServeOptions<E> = {},
): Promise<R> {
  const run = track(context);
  const stop = onDisconnect(reply, run.gone);
  try {
    const events = source(run.signal);
    let step = await (await firstStep(events, options)).step;
    while (!step.done) step = await events.next();
    return step.value;
  } finally {
    stop();
    run.done();
  }
}

/** Streams the source through the format's writer. Refusals before the first event are still HTTP errors. */
export async function serveStream<E, R>(
  context: ServerContext,
  reply: FastifyReply,
  source: Source<E, R>,
  format: StreamFormat<E, R>,
  options: ServeOptions<E> = {},
): Promise<FastifyReply> {
  const run = track(context);
  // From the start: a client may leave while its run waits for a slot, before the stream opens.
  const stop = onDisconnect(reply, run.gone);
  try {
    const events = source(run.signal);
    const first = await firstStep(events, options);
    const out = openClientStream(context, reply, format.kind);
    out.onGone(run.gone); // also a client dropped for reading nothing
    const pinger = pings(out, format.pingMs);
    const writer = format.writer(pinger.sink);
    pinger.attach(writer);
    let trailer: string | undefined;
    try {
      writer.open?.();
      let step = await first.step;
      while (!step.done) {
        writer.event(step.value);
        await out.drain();
        step = await events.next();
      }
      writer.finish(step.value);
      trailer = writer.trailer;
    } catch (error) {
      // Headers are gone: the failure travels as the stream's last event.
      writer.fail(error);
    } finally {
      pinger.stop();
      out.end(trailer);
    }
    return reply;
  } finally {
    stop();
    run.done();
  }
}

/** The sink a writer sends through, noting when it last wrote, and the writer's pings in the silences. */
function pings(out: EventStream, pingMs: number | undefined) {
  let lastWrite = Date.now();
  let ping: (() => void) | undefined;
  const sink: StreamSink = {
    send(data, event) {
      lastWrite = Date.now();
      out.send(data, event);
    },
  };
  const timer = pingMs
    ? setInterval(
        () => {
          if (Date.now() - lastWrite >= pingMs) ping?.();
        },
        Math.max(10, Math.floor(pingMs / 2)),
      )
    : undefined;
  return {
    sink,
    attach(writer: { ping?(): void }) {
      ping = writer.ping?.bind(writer);
    },
    stop: () => clearInterval(timer),
  };
}
