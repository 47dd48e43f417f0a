/**
 * Streaming responses: NDJSON (one JSON object per line) or Server-Sent Events, written straight to
 * the socket and flushed per event. Knows when the client has gone away, and when it reads too
 * slowly: a writer awaits drain() between events, so that a slow reader pauses its run's output
 * (the CLI's pipe fills and the CLI waits) instead of growing the server's memory; a client that
 * reads nothing for the stall limit is dropped, as if it had gone.
 */
import type { FastifyReply } from "fastify";
import type { ServerContext } from "../context.js";

export type StreamKind = "ndjson" | "sse";

export interface EventStream {
  /** Writes one event (SSE: with its name and id, when given); a no-op once the client is gone. */
  send(data: unknown, event?: string, id?: number): void;
  /** Ends the response, after `trailer` (written as is) if given. */
  end(trailer?: string): void;
  readonly gone: boolean;
  /** Called once when the client disconnects before end(). */
  onGone(listener: () => void): void;
  /** Resolves once the client has taken what was written (at once when it keeps up). */
  drain(): Promise<void>;
}

export interface StreamOptions {
  /** A client that reads nothing for this long is dropped (0: never). */
  stallMs?: number;
  /** A client that leaves more than this unread is dropped, rather than waited for (a follower of events). */
  maxUnreadBytes?: number;
}

const KEEPALIVE_MS = 15_000;

/** A stream of this server's: a client that stalls for server.write_timeout_secs is dropped. */
export function openClientStream(context: ServerContext, reply: FastifyReply, kind: StreamKind): EventStream {
  return openStream(reply, kind, { stallMs: context.config.current.server.write_timeout_secs * 1000 });
}

export function openStream(reply: FastifyReply, kind: StreamKind, options: StreamOptions = {}): EventStream {
  // Headers set by hooks (request id, trace, CORS, rate limit) go out with the stream's own.
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders()))
    if (value !== undefined) headers[name] = value as string;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...headers,
    "content-type": kind === "sse" ? "text/event-stream; charset=utf-8" : "application/x-ndjson",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
    connection: "keep-alive",
  });
  raw.flushHeaders?.();
  let ended = false;
  let gone = false;
  const listeners: (() => void)[] = [];
  const markGone = () => {
    if (ended || gone) return;
    gone = true;
    clearInterval(keepalive);
    for (const listener of listeners) listener();
  };
  // The response's 'close' (not the request's, which fires once the body is read) means the
  // connection went away, unless the response had finished.
  raw.on("close", () => {
    if (!raw.writableFinished) markGone();
  });
  raw.on("error", markGone);
  const keepalive = setInterval(() => {
    if (kind === "sse" && !gone && !ended) raw.write(": ping\n\n");
  }, KEEPALIVE_MS);
  keepalive.unref();

  return {
    send(data, event, id) {
      if (gone || ended) return;
      const json = JSON.stringify(data);
      const head = `${id !== undefined ? `id: ${id}\n` : ""}${event ? `event: ${event}\n` : ""}`;
      raw.write(kind === "sse" ? `${head}data: ${json}\n\n` : `${json}\n`);
      if (options.maxUnreadBytes && raw.writableLength > options.maxUnreadBytes) {
        markGone();
        raw.destroy(); // it can reconnect with what it has (Last-Event-ID)
      }
    },
    end(trailer) {
      if (ended) return;
      ended = true;
      clearInterval(keepalive);
      if (!gone) raw.end(trailer);
    },
    get gone() {
      return gone;
    },
    onGone(listener) {
      listeners.push(listener);
    },
    drain() {
      if (gone || ended || !raw.writableNeedDrain) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(stall);
          raw.off("drain", done);
          raw.off("close", done);
          resolve();
        };
        const stall = options.stallMs
          ? setTimeout(() => {
              markGone();
              raw.destroy(); // what it has not read is not worth keeping
              done();
            }, options.stallMs)
          : undefined;
        raw.on("drain", done);
        raw.on("close", done);
      });
    },
  };
}
