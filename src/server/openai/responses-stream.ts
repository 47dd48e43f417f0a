/**
 * A streamed response as the Responses API sends it: response.created and response.in_progress,
 * then one output message (output_item.added, content_part.added, output_text.delta..., and their
 * .done events), then each function call (output_item.added, function_call_arguments.delta and
 * .done, output_item.done), then response.completed with the whole response; or response.failed. Every event
 * is named and carries a sequence_number, as the openai SDKs' stream accumulator expects.
 */
import type { SurfaceStream } from "../compat/drive.js";
import type { StreamSink } from "../http/serve-run.js";
import {
  functionCallItem,
  functionCallItemId,
  outputMessage,
  outputText,
  type ResponseMeta,
  responseObject,
  responseStatus,
  responseUsage,
} from "./responses.js";
import { messageIdOf } from "./stored-responses.js";

export function responsesStream(sink: StreamSink, meta: ResponseMeta): SurfaceStream {
  let sequence = 0;
  const emit = (type: string, fields: Record<string, unknown>) =>
    sink.send({ type, sequence_number: sequence++, ...fields }, type);
  const itemId = messageIdOf(meta.id);
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  let started = false;
  let text = "";
  const start = () => {
    if (started) return;
    started = true;
    emit("response.output_item.added", { output_index: 0, item: outputMessage(itemId, "", "in_progress") });
    emit("response.content_part.added", { ...at, part: outputText("") });
  };
  return {
    open() {
      emit("response.created", { response: responseObject(meta, { status: "in_progress" }) });
      emit("response.in_progress", { response: responseObject(meta, { status: "in_progress" }) });
    },
    text(delta) {
      if (!delta) return;
      start();
      text += delta;
      emit("response.output_text.delta", { ...at, delta, logprobs: [] });
    },
    finish(outcome) {
      const status = responseStatus(outcome);
      const output: Parameters<typeof responseObject>[1] & { status: "completed" | "incomplete" } = {
        status,
        output: [],
        usage: responseUsage(outcome.counts),
      };
      // A message when there is text (or nothing else), then each call: added, its arguments, done.
      if (started || outcome.calls.length === 0) {
        start();
        const final = outcome.text || text;
        emit("response.output_text.done", { ...at, text: final, logprobs: [] });
        emit("response.content_part.done", { ...at, part: outputText(final) });
        const item = outputMessage(itemId, final, status);
        emit("response.output_item.done", { output_index: 0, item });
        output.output.push(item);
      }
      for (const call of outcome.calls) {
        const index = output.output.length;
        const id = functionCallItemId();
        emit("response.output_item.added", { output_index: index, item: functionCallItem(call, id, "in_progress") });
        emit("response.function_call_arguments.delta", { item_id: id, output_index: index, delta: call.arguments });
        emit("response.function_call_arguments.done", {
          item_id: id,
          output_index: index,
          name: call.name,
          arguments: call.arguments,
        });
        const item = functionCallItem(call, id, "completed");
        emit("response.output_item.done", { output_index: index, item });
        output.output.push(item);
      }
      // A response cut at max_output_tokens ends with response.incomplete, as OpenAI's does.
      emit(status === "incomplete" ? "response.incomplete" : "response.completed", {
        response: responseObject(meta, output),
      });
    },
    fail(failure) {
      emit("response.failed", { response: responseObject(meta, { status: "failed", failure }) });
    },
  };
}
