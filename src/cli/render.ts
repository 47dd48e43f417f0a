/**
 * Presents a run on the terminal: `text` streams the answer as it is written, `json` prints one
 * object at the end (the Go clinvoker's fields), `stream-json` prints every unified event as NDJSON.
 */
import type { RunEvent } from "../core/events.js";
import type { OutputFormat, RunResult } from "../core/request.js";
import { type Paint, paintFor } from "./color.js";

export interface Renderer {
  event(event: RunEvent): void;
  /** Called once with the final result. */
  end(result: RunResult): void;
}

type Out = Pick<NodeJS.WritableStream, "write"> & { isTTY?: boolean };

export interface TextExtras {
  /** After the answer, print `Tokens: T (input: I, output: O)`. */
  showTokens?: boolean;
  /** After the answer, print `Time: X.XXs`. */
  showTiming?: boolean;
  /** output.color: warnings and errors in colour when stderr is a terminal. */
  color?: boolean;
}

export function createRenderer(
  format: OutputFormat,
  extras: TextExtras = {},
  out: Out = process.stdout,
  err: Out = process.stderr,
): Renderer {
  switch (format) {
    case "stream-json":
      return {
        event: (event) => out.write(`${JSON.stringify(event)}\n`),
        end: () => {},
      };
    case "json": {
      const paint = paintFor(err, extras.color);
      return {
        event: (event) => warnings(event, err, paint),
        end: (result) => out.write(`${JSON.stringify(jsonOutput(result), null, 2)}\n`),
      };
    }
    default:
      return textRenderer(extras, out, err);
  }
}

/** The start's warnings and the CLI's warning notices (a retry, a refused tool call) go to stderr. */
function warnings(event: RunEvent, err: Out, paint: Paint): void {
  const prefix = paint.yellow("clinvk: warning:");
  if (event.type === "start") for (const warning of event.warnings) err.write(`${prefix} ${warning}\n`);
  if (event.type === "notice" && event.level === "warn") {
    err.write(`${prefix} ${event.message}\n`);
    if (event.hint) err.write(`  hint: ${event.hint}\n`);
  }
}

function textRenderer(extras: TextExtras, out: Out, err: Out): Renderer {
  const paint = paintFor(err, extras.color);
  let printed = false;
  let endsWithNewline = true;
  let lastMessage: string | undefined;
  let toolSinceText = false;
  return {
    event(event) {
      warnings(event, err, paint);
      if (event.type === "tool_call") toolSinceText = true;
      if (event.type !== "text") return;
      // Separate the agent's messages (before and after a tool run) by a blank line.
      const newMessage = toolSinceText || (event.message_id !== undefined && event.message_id !== lastMessage);
      if (printed && newMessage) out.write(endsWithNewline ? "\n" : "\n\n");
      out.write(event.text);
      printed = true;
      endsWithNewline = event.text.endsWith("\n");
      lastMessage = event.message_id;
      toolSinceText = false;
    },
    end(result) {
      if (!printed && result.text) {
        out.write(result.text);
        printed = true;
        endsWithNewline = result.text.endsWith("\n");
      }
      if (printed && !endsWithNewline) out.write("\n");
      const { input_tokens: input, output_tokens: output } = result.usage;
      if (extras.showTokens) out.write(`\nTokens: ${input + output} (input: ${input}, output: ${output})\n`);
      if (extras.showTiming) out.write(`Time: ${(result.duration_ms / 1000).toFixed(2)}s\n`);
      if (result.error) {
        err.write(`${paint.red(`Error [${result.backend}]:`)} ${result.error.message}\n`);
        if (result.error.hint) err.write(`  hint: ${result.error.hint}\n`);
      }
    },
  };
}

/** The `-o json` document: the Go clinvoker's fields, plus clinvoker's own. */
export function jsonOutput(result: RunResult): Record<string, unknown> {
  const usage = result.usage;
  return {
    backend: result.backend,
    content: result.text,
    session_id: result.session_id ?? null,
    backend_session_id: result.backend_session_id ?? null,
    model: result.model ?? null,
    duration_seconds: result.duration_ms / 1000,
    exit_code: result.exit_code,
    ...(result.error ? { error: result.error.message, error_code: result.error.code } : {}),
    ...(result.error?.hint ? { error_hint: result.error.hint } : {}),
    usage: {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      total_tokens: usage.input_tokens + usage.output_tokens,
      cached_tokens: usage.cached_tokens,
      reasoning_tokens: usage.reasoning_tokens,
      ...(usage.cost_usd !== undefined ? { cost_usd: usage.cost_usd } : {}),
    },
    ...(result.num_turns !== undefined ? { num_turns: result.num_turns } : {}),
    ...(result.permission_denials ? { permission_denials: result.permission_denials } : {}),
    ...(result.dry_run ? { dry_run: true } : {}),
  };
}
