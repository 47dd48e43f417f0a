/** Shared by the OpenAI and Anthropic surface tests: scripted CLI output and recorded argv. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = () => mkdtempSync(join(tmpdir(), "clinvk-compat-cli-"));

/** Environment for the fake CLI to print these JSON lines (claude's format) and exit with `exit`. */
export function replay(lines: object[], exit = 0): Record<string, string> {
  const file = join(dir(), "stdout");
  writeFileSync(file, `${lines.map((line) => JSON.stringify(line)).join("\n")}\n`);
  return { FAKE_CLI_MODE: "replay", FAKE_CLI_STDOUT: file, FAKE_CLI_EXIT: String(exit) };
}

/** claude failing with the provider's HTTP status and message. */
export function claudeFailure(status: number, message: string): Record<string, string> {
  return replay(
    [
      { type: "system", subtype: "init", session_id: "failed-session", model: "fake-model" },
      {
        type: "result",
        subtype: "success",
        is_error: true,
        api_error_status: status,
        result: message,
        session_id: "failed-session",
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    ],
    1,
  );
}

/** claude streaming text deltas (in two messages), then its result with real usage. */
export function claudeStreaming(parts: string[][], usage = { input_tokens: 1200, output_tokens: 7 }) {
  const lines: object[] = [
    { type: "system", subtype: "init", session_id: "stream-session", model: "claude-sonnet-4-5" },
  ];
  parts.forEach((texts, index) => {
    lines.push({ type: "stream_event", event: { type: "message_start", message: { id: `m${index}` } } });
    for (const text of texts) {
      lines.push({ type: "stream_event", event: { type: "content_block_delta", delta: { type: "text_delta", text } } });
    }
  });
  lines.push({
    type: "result",
    subtype: "success",
    is_error: false,
    result: parts.at(-1)?.join("") ?? "",
    session_id: "stream-session",
    usage: { ...usage, cache_read_input_tokens: 1000 },
  });
  return replay(lines);
}

export interface RecordedRun {
  args: string[];
  stdin: string;
  cwd: string;
}

/** FAKE_CLI_RECORD: the argv of every run. */
export function recorder(): { env: Record<string, string>; runs: () => RecordedRun[] } {
  const file = join(dir(), "runs.ndjson");
  return {
    env: { FAKE_CLI_RECORD: file },
    runs: () =>
      existsSync(file)
        ? readFileSync(file, "utf8")
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as RecordedRun)
        : [],
  };
}

/** The prompt a run got: the last argument (claude, codex) or gemini's --prompt=. */
export const promptOf = (run: RecordedRun) => (run.args.at(-1) ?? "").replace(/^--prompt=/, "");

export const resumeOf = (run: RecordedRun) => run.args.find((arg) => arg.startsWith("--resume="))?.slice(9);

export const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => ({
  method: "POST" as const,
  url,
  payload: payload as object,
  headers,
});

/** claude writing some text, then failing with the provider's HTTP status: a failure after the first token. */
export function claudeFailureAfterText(status: number, message: string, text = "Partial"): Record<string, string> {
  return replay(
    [
      { type: "system", subtype: "init", session_id: "failed-session", model: "fake-model" },
      { type: "stream_event", event: { type: "message_start", message: { id: "m0" } } },
      { type: "stream_event", event: { type: "content_block_delta", delta: { type: "text_delta", text } } },
      {
        type: "result",
        subtype: "success",
        is_error: true,
        api_error_status: status,
        result: message,
        session_id: "failed-session",
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    ],
    1,
  );
}
