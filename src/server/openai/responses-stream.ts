/**
 * A streamed response as the Responses API sends it: response.created and response.in_progress,
 * then one output message (output_item.added, content_part.added, output_text.delta..., and their
 * .done events), then response.completed with the whole response; or response.failed. Every event
 * is named and carries a sequence_number, as the openai SDKs' stream accumulator expects.
 */
import type { SurfaceStream } from "../compat/drive.js";
import { tokenCounts } from "../compat/tokens.js";
import type { StreamSink } from "../http/serve-run.js";
import { outputMessage, outputText, type ResponseMeta, responseObject, responseUsage } from "./responses.js";
import { messageIdOf } from "./stored-responses.js";

export function responsesStream(
  sink: StreamSink,
  meta: ResponseMeta,
  options: { promptTokens: number },
): SurfaceStream {
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
    finish(result, answer) {
      start();
      const final = answer || text;
      emit("response.output_text.done", { ...at, text: final, logprobs: [] });
      emit("response.content_part.done", { ...at, part: outputText(final) });
      const item = outputMessage(itemId, final, "completed");
      emit("response.output_item.done", { output_index: 0, item });
      const usage = responseUsage(tokenCounts(result.usage, options.promptTokens, final));
      emit("response.completed", { response: responseObject(meta, { status: "completed", output: [item], usage }) });
    },
    fail(failure) {
      emit("response.failed", { response: responseObject(meta, { status: "failed", failure }) });
    },
  };
}
