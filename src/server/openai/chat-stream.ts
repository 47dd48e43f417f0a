/**
 * A streamed chat completion as OpenAI sends it: a first chunk with the assistant's role, one chunk
 * per piece of text, a last chunk with the finish_reason and an empty delta, then (with
 * stream_options.include_usage) a chunk with no choices and the usage, and `data: [DONE]`. A run
 * that fails midway ends the stream with `data: {"error": ...}`, which the SDKs raise.
 */
import type { SurfaceStream } from "../compat/drive.js";
import { tokenCounts } from "../compat/tokens.js";
import type { StreamSink } from "../http/serve-run.js";
import { type ChatMeta, chatChunk, chatUsage } from "./chat.js";
import { openaiErrorBody } from "./errors.js";

export function chatStream(
  sink: StreamSink,
  meta: ChatMeta,
  options: { includeUsage: boolean; promptTokens: number },
): SurfaceStream {
  // With include_usage, every chunk carries `usage: null` until the last.
  const usageField = options.includeUsage ? null : undefined;
  const send = (delta: { role?: "assistant"; content?: string }, finish: "stop" | null) =>
    sink.send(chatChunk(meta, [{ index: 0, delta, logprobs: null, finish_reason: finish }], usageField));
  return {
    open: () => send({ role: "assistant", content: "" }, null),
    text: (delta) => {
      if (delta) send({ content: delta }, null);
    },
    finish(result, text) {
      send({}, "stop");
      if (options.includeUsage) {
        sink.send(chatChunk(meta, [], chatUsage(tokenCounts(result.usage, options.promptTokens, text))));
      }
    },
    trailer: "data: [DONE]\n\n",
    fail: (failure) => sink.send(openaiErrorBody(failure)),
  };
}
