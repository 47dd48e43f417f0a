/**
 * A streamed message as Anthropic sends it: message_start (usage as known so far), a ping, one text
 * block (content_block_start, content_block_delta..., content_block_stop), one tool_use block per
 * call (its input as one input_json_delta), message_delta with the
 * stop_reason and the final usage, message_stop; pings while the CLI thinks or runs tools; an
 * `error` event if the run fails once the stream has begun.
 */
import type { SurfaceStream } from "../compat/drive.js";
import type { StreamSink } from "../http/serve-run.js";
import { anthropicErrorBody } from "./errors.js";
import { type MessageMeta, messageUsage, stopReason, toolUseBlock } from "./messages.js";

export function messagesStream(
  sink: StreamSink,
  meta: MessageMeta,
  options: { promptTokens: number },
): SurfaceStream & Required<Pick<SurfaceStream, "ping">> {
  const emit = (type: string, fields: Record<string, unknown> = {}) => sink.send({ type, ...fields }, type);
  let open = false;
  const startBlock = () => {
    if (open) return;
    open = true;
    emit("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
  };
  return {
    open() {
      emit("message_start", {
        message: {
          id: meta.id,
          type: "message",
          role: "assistant",
          model: meta.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // The CLI reports its counts at the end; until then, the estimate of the conversation.
          usage: {
            input_tokens: options.promptTokens,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: 0,
          },
        },
      });
      emit("ping");
    },
    text(delta) {
      if (!delta) return;
      startBlock();
      emit("content_block_delta", { index: 0, delta: { type: "text_delta", text: delta } });
    },
    ping: () => emit("ping"),
    finish(outcome) {
      const calls = outcome.calls;
      let index = 0;
      if (open || calls.length === 0) {
        startBlock();
        emit("content_block_stop", { index: index++ });
      }
      // Each call as Anthropic streams one: the block with empty input, its input as JSON, the stop.
      for (const call of calls) {
        const { input: _input, ...block } = toolUseBlock(call);
        emit("content_block_start", { index, content_block: { ...block, input: {} } });
        emit("content_block_delta", {
          index,
          delta: { type: "input_json_delta", partial_json: JSON.stringify(toolUseBlock(call).input) },
        });
        emit("content_block_stop", { index: index++ });
      }
      emit("message_delta", {
        delta: stopReason(outcome),
        usage: messageUsage(outcome.counts),
      });
      emit("message_stop");
    },
    fail: (failure) => sink.send(anthropicErrorBody(failure), "error"),
  };
}
