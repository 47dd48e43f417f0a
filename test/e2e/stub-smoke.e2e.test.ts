// Smoke tests of the e2e harness itself: each REAL CLI (not clinvk) runs against the provider stub in its own
// sandbox. Proves that the stub speaks each wire format well enough for the pinned CLI versions: scripted text
// comes back, scripted tool calls run and their results reach the stub, and a 401 fails fast.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CliName, type CliSandbox, prepareCliSandbox } from "./cli-env.js";
import { parseJsonLines, type RunResult, runCli } from "./run-cli.js";
import { type ProviderStub, startProviderStub } from "./stub/index.js";

const NOTE = "hello from note.txt\n";
const RUN_TIMEOUT_MS = 60_000;

let stub: ProviderStub;
let sandbox: CliSandbox | undefined;

beforeAll(async () => {
  stub = await startProviderStub();
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  stub.reset();
});
afterEach(() => {
  sandbox?.cleanup();
  sandbox = undefined;
});

function setup(cli: CliName): CliSandbox {
  sandbox = prepareCliSandbox(cli, stub.url);
  writeFileSync(join(sandbox.workDir, "note.txt"), NOTE);
  return sandbox;
}

/** Adds the CLI's output to assertion failures. */
function describeRun(r: RunResult): string {
  return `exit ${r.code} (signal ${r.signal}, ${r.durationMs} ms${r.timedOut ? ", TIMED OUT" : ""})\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

describe("claude", () => {
  const args = (prompt: string) => ["-p", prompt, "--output-format", "stream-json", "--verbose"];

  it("prints the scripted text and usage; the stub records the request", async () => {
    const sb = setup("claude");
    stub.script({ text: "Hello from the stub.", usage: { inputTokens: 1234, outputTokens: 7, cachedTokens: 100 } });
    const r = await runCli(sb, "claude", args("hello"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(0);
    const events = parseJsonLines(r.stdout);
    const result = events.at(-1);
    expect(result).toMatchObject({ type: "result", is_error: false, result: "Hello from the stub." });
    expect(result.usage).toMatchObject({ input_tokens: 1234, output_tokens: 7, cache_read_input_tokens: 100 });

    expect(stub.requests.some((q) => q.method === "HEAD" && q.endpoint === "probe")).toBe(true);
    const main = stub.mainRequests("anthropic");
    expect(main).toHaveLength(1);
    expect(main[0]).toMatchObject({
      method: "POST",
      endpoint: "messages",
      stream: true,
      userText: "hello",
      status: 200,
      outcome: "ok",
    });
    expect(main[0]?.path).toContain("/v1/messages");
    expect(main[0]?.headers["x-api-key"]).toBe(sb.env.ANTHROPIC_API_KEY);
    expect(stub.queued()).toHaveLength(0);
  });

  it("runs a scripted Read tool call and sends the file's content back", async () => {
    const sb = setup("claude");
    stub.script(
      { text: "Let me read it.", toolCall: { name: "Read", input: { file_path: join(sb.workDir, "note.txt") } } },
      "The note says hello.",
    );
    const r = await runCli(sb, "claude", args("read note.txt"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(0);
    const events = parseJsonLines(r.stdout);
    const toolUse = events.find((e) => e.type === "assistant" && e.message.content[0]?.type === "tool_use");
    expect(toolUse?.message.content[0]).toMatchObject({ name: "Read" });
    expect(events.at(-1)).toMatchObject({ type: "result", result: "The note says hello.", num_turns: 2 });

    const main = stub.mainRequests("anthropic");
    expect(main).toHaveLength(2);
    expect(main[1]?.toolResults[0]?.id).toBe(toolUse?.message.content[0]?.id);
    expect(main[1]?.toolResults[0]?.output).toContain("hello from note.txt");
  });

  it("exits non-zero within seconds on HTTP 401", async () => {
    const sb = setup("claude");
    stub.script({ error: 401, times: "always" });
    const r = await runCli(sb, "claude", args("hello"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.durationMs).toBeLessThan(15_000);
    expect(parseJsonLines(r.stdout).at(-1)).toMatchObject({ type: "result", is_error: true, api_error_status: 401 });
    expect(stub.mainRequests("anthropic").map((q) => q.status)).toEqual([401]);
  });

  it("resumes a session: the stub sees the earlier turns", async () => {
    const sb = setup("claude");
    stub.script("First answer.", "Second answer.");
    const first = await runCli(sb, "claude", args("first question"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(first.code, describeRun(first)).toBe(0);
    const sessionId = parseJsonLines(first.stdout).at(-1)?.session_id as string;
    const again = await runCli(sb, "claude", ["--resume", sessionId, ...args("second question")], {
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(again.code, describeRun(again)).toBe(0);
    expect(parseJsonLines(again.stdout).at(-1)).toMatchObject({ result: "Second answer.", session_id: sessionId });
    const last = stub.lastRequest("anthropic");
    expect(last?.userText).toBe("second question");
    const history = JSON.stringify(last?.body.messages);
    expect(history).toContain("first question");
    expect(history).toContain("First answer.");
  });
});

describe("codex", () => {
  const args = (prompt: string) => ["exec", "--json", "--skip-git-repo-check", prompt];

  it("prints the scripted text and usage; the stub records the request", async () => {
    const sb = setup("codex");
    stub.script({
      text: "Hello from the stub.",
      usage: { inputTokens: 1000, outputTokens: 20, cachedTokens: 400, reasoningTokens: 5 },
    });
    const r = await runCli(sb, "codex", args("hello"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(0);
    const events = parseJsonLines(r.stdout);
    expect(events[0]?.type).toBe("thread.started");
    expect(events.find((e) => e.type === "item.completed" && e.item.type === "agent_message")?.item.text).toBe(
      "Hello from the stub.",
    );
    expect(events.at(-1)).toMatchObject({
      type: "turn.completed",
      usage: { input_tokens: 1000, cached_input_tokens: 400, output_tokens: 20, reasoning_output_tokens: 5 },
    });

    const main = stub.mainRequests("openai");
    expect(main).toHaveLength(1);
    expect(main[0]).toMatchObject({
      method: "POST",
      path: "/v1/responses",
      endpoint: "responses",
      stream: true,
      userText: "hello",
    });
    expect(main[0]?.headers.authorization).toBe(`Bearer ${sb.env.OPENAI_API_KEY}`);
  });

  it("runs a scripted exec tool call and sends the command output back", async () => {
    const sb = setup("codex");
    stub.script(
      {
        toolCall: {
          name: "exec",
          input: 'const r = await tools.exec_command({cmd: "cat note.txt"});\ntext(r.output);',
        },
      },
      "The note says hello.",
    );
    const r = await runCli(sb, "codex", args("read note.txt"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(0);
    const events = parseJsonLines(r.stdout);
    const command = events.find((e) => e.type === "item.completed" && e.item.type === "command_execution");
    expect(command?.item).toMatchObject({ aggregated_output: NOTE, exit_code: 0, status: "completed" });
    expect(events.find((e) => e.type === "item.completed" && e.item.type === "agent_message")?.item.text).toBe(
      "The note says hello.",
    );

    const main = stub.mainRequests("openai");
    expect(main).toHaveLength(2);
    expect(main[1]?.toolResults[0]?.output).toContain("hello from note.txt");
  });

  it("exits non-zero within seconds on HTTP 401", async () => {
    const sb = setup("codex");
    stub.script({ error: 401, times: "always" });
    const r = await runCli(sb, "codex", args("hello"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.durationMs).toBeLessThan(15_000);
    const last = parseJsonLines(r.stdout).at(-1);
    expect(last?.type).toBe("turn.failed");
    expect(last?.error.message).toContain("401");
    expect(stub.mainRequests("openai").map((q) => q.status)).toEqual([401]);
  });

  it("resumes a thread: the stub sees the earlier turns", async () => {
    const sb = setup("codex");
    stub.script("First answer.", "Second answer.");
    const first = await runCli(sb, "codex", args("first question"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(first.code, describeRun(first)).toBe(0);
    const threadId = parseJsonLines(first.stdout)[0]?.thread_id as string;
    const again = await runCli(
      sb,
      "codex",
      ["exec", "--json", "--skip-git-repo-check", "resume", threadId, "second question"],
      {
        timeoutMs: RUN_TIMEOUT_MS,
      },
    );
    expect(again.code, describeRun(again)).toBe(0);
    const events = parseJsonLines(again.stdout);
    expect(events[0]).toEqual({ type: "thread.started", thread_id: threadId });
    expect(events.find((e) => e.type === "item.completed")?.item.text).toBe("Second answer.");
    const last = stub.lastRequest("openai");
    expect(last?.userText).toBe("second question");
    const history = JSON.stringify(last?.body.input);
    expect(history).toContain("first question");
    expect(history).toContain("First answer.");
  });
});

describe("gemini", () => {
  const args = (prompt: string) => [`--prompt=${prompt}`, "-o", "stream-json"];

  it("prints the scripted text; the router side call does not use up the script", async () => {
    const sb = setup("gemini");
    stub.script({ text: "Hello from the stub.", usage: { inputTokens: 900, outputTokens: 6 } });
    const r = await runCli(sb, "gemini", args("hello"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(0);
    const events = parseJsonLines(r.stdout);
    const text = events
      .filter((e) => e.type === "message" && e.role === "assistant")
      .map((e) => e.content)
      .join("");
    expect(text).toBe("Hello from the stub.");
    const result = events.at(-1);
    expect(result).toMatchObject({ type: "result", status: "success" });

    const router = stub.requests.filter((q) => q.provider === "gemini" && q.side);
    expect(router).toHaveLength(1);
    expect(router[0]).toMatchObject({ endpoint: "generateContent", stream: false, userText: "hello" });
    expect(router[0]?.body.generationConfig.responseMimeType).toBe("application/json");
    const main = stub.mainRequests("gemini");
    expect(main).toHaveLength(1);
    expect(main[0]).toMatchObject({ endpoint: "streamGenerateContent", stream: true, userText: "hello" });
    expect(main[0]?.path).toContain("alt=sse");
    expect(main[0]?.headers["x-goog-api-key"]).toBe(sb.env.GEMINI_API_KEY);
    expect(result.stats.models[main[0]?.model ?? ""]).toMatchObject({ input_tokens: 900, output_tokens: 6 });
  });

  it("runs a scripted read_file tool call and sends the file's content back", async () => {
    const sb = setup("gemini");
    stub.script({ toolCall: { name: "read_file", input: { file_path: "note.txt" } } }, "The note says hello.");
    const r = await runCli(sb, "gemini", args("read note.txt"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(0);
    const events = parseJsonLines(r.stdout);
    expect(events.find((e) => e.type === "tool_use")).toMatchObject({
      tool_name: "read_file",
      parameters: { file_path: "note.txt" },
    });
    expect(events.find((e) => e.type === "tool_result")).toMatchObject({ status: "success" });
    expect(events.at(-1)).toMatchObject({ type: "result", status: "success" });

    const main = stub.mainRequests("gemini");
    expect(main).toHaveLength(2);
    expect(main[1]?.toolResults[0]).toMatchObject({ name: "read_file", output: NOTE });
  });

  it("exits non-zero within seconds on HTTP 401 (exit code = status & 255)", async () => {
    const sb = setup("gemini");
    stub.script({ error: 401, times: "always" });
    const r = await runCli(sb, "gemini", args("hello"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(401 & 255);
    expect(r.durationMs).toBeLessThan(15_000);
    expect(parseJsonLines(r.stdout).at(-1)).toMatchObject({ type: "result", status: "error" });
    expect(stub.mainRequests("gemini").map((q) => q.status)).toEqual([401]);
  });
  it("resumes a session: the stub sees the earlier turns", async () => {
    const sb = setup("gemini");
    stub.script("First answer.", "Second answer.");
    const first = await runCli(sb, "gemini", args("first question"), { timeoutMs: RUN_TIMEOUT_MS });
    expect(first.code, describeRun(first)).toBe(0);
    const sessionId = parseJsonLines(first.stdout)[0]?.session_id as string;
    const again = await runCli(sb, "gemini", ["--resume", sessionId, ...args("second question")], {
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(again.code, describeRun(again)).toBe(0);
    const events = parseJsonLines(again.stdout);
    expect(events[0]).toMatchObject({ type: "init", session_id: sessionId });
    const last = stub.lastRequest("gemini");
    expect(last?.userText).toBe("second question");
    const history = JSON.stringify(last?.body.contents);
    expect(history).toContain("first question");
    expect(history).toContain("First answer.");
  });
});
