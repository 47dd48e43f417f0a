/**
 * A streamed chat completion as OpenAI sends it: a first chunk with the assistant's role, one chunk
 * per piece of text, two per tool call (its id and name, then its arguments), a last chunk with the
 * finish_reason and an empty delta, then (with
 * stream_options.include_usage) a chunk with no choices and the usage, and `data: [DONE]`. A run
 * that fails midway ends the stream with `data: {"error": ...}`, which the SDKs raise.
 */
import type { SurfaceStream } from "../compat/drive.js";
import type { StreamSink } from "../http/serve-run.js";
import { type ChatMeta, type ChunkDelta, chatChunk, chatUsage, type FinishReason, finishReason } from "./chat.js";
import { openaiErrorBody } from "./errors.js";

export function chatStream(sink: StreamSink, meta: ChatMeta, options: { includeUsage: boolean }): SurfaceStream {
  // With include_usage, every chunk carries `usage: null` until the last.
  const usageField = options.includeUsage ? null : undefined;
  const send = (delta: ChunkDelta, finish: FinishReason | null) =>
    sink.send(chatChunk(meta, [{ index: 0, delta, logprobs: null, finish_reason: finish }], usageField));
  return {
    open: () => send({ role: "assistant", content: "" }, null),
    text: (delta) => {
      if (delta) send({ content: delta }, null);
    },
    finish(outcome) {
      // Each call as OpenAI streams it: its id and name first, then its arguments.
      outcome.calls.forEach((call, index) => {
        send(
          { tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] },
          null,
        );
        send({ tool_calls: [{ index, function: { arguments: call.arguments } }] }, null);
      });
      send({}, finishReason(outcome));
      if (options.includeUsage) sink.send(chatChunk(meta, [], chatUsage(outcome.counts)));
    },
    trailer: "data: [DONE]\n\n",
    fail: (failure) => sink.send(openaiErrorBody(failure)),
  };
}
