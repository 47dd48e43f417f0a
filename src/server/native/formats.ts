/**
 * The native API's streams: unified run events, or a workflow's progress ending in its summary, as
 * NDJSON (one JSON object per line) or SSE (each event named by its type). A failure after the
 * headers is the stream's last event, `{type: "error", error}`.
 */
import { toClinvkError } from "../../core/errors.js";
import type { RunEvent } from "../../core/events.js";
import type { RunResult } from "../../core/request.js";
import type { WorkflowEvent } from "../../workflows/events.js";
import type { StreamFormat, StreamSink } from "../http/serve-run.js";
import type { StreamKind } from "../http/stream.js";

/** Which stream a client asked for: SSE by its Accept header, NDJSON by the body or its Accept header. */
export function wantsStream(body: { output_format?: string }, accept: string | undefined): StreamKind | undefined {
  if (accept?.includes("text/event-stream")) return "sse";
  if (body.output_format === "stream-json" || accept?.includes("application/x-ndjson")) return "ndjson";
  return undefined;
}

function writerOf<E extends { type: string }, R>(kind: StreamKind, sink: StreamSink, finish: (result: R) => void) {
  const send = (data: { type: string; error?: unknown }) => sink.send(data, kind === "sse" ? data.type : undefined);
  return {
    event: (event: E) => send(event),
    finish,
    fail: (error: unknown) => send({ type: "error", error: toClinvkError(error).toInfo() }),
  };
}

/** A run's events as they are: its last one is the `result`. */
export function runEventsFormat(kind: StreamKind): StreamFormat<RunEvent, RunResult> {
  return { kind, writer: (sink) => writerOf<RunEvent, RunResult>(kind, sink, () => {}) };
}

/** A workflow's progress, then `{type: "summary", summary}`. */
export function workflowFormat<S>(kind: StreamKind): StreamFormat<WorkflowEvent, S> {
  return {
    kind,
    writer: (sink) =>
      writerOf<WorkflowEvent, S>(kind, sink, (summary) =>
        sink.send({ type: "summary", summary }, kind === "sse" ? "summary" : undefined),
      ),
  };
}
