import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { claude } from "../../src/backends/claude.js";
import { fixturePath, ofType, parseRecorded, textOf } from "../helpers.js";
import { baseInvocation } from "./invocation.js";

const base = baseInvocation;

describe("claude argv", () => {
  it("runs headless in streaming JSON with the prompt after --", () => {
    expect(claude.buildInvocation(base).args).toEqual([
      "-p",
      "--output-format=stream-json",
      "--verbose",
      "--include-partial-messages",
      "--",
      "hello",
    ]);
  });

  it("passes an output schema as --json-schema=<json> after the options, before the prompt", () => {
    const json = '{"type":"object","properties":{"city":{"type":"string"}}}';
    const { args } = claude.buildInvocation({ ...base, model: "opus", outputSchema: { via: "argv", json } });
    expect(args.slice(-4)).toEqual(["--model=opus", `--json-schema=${json}`, "--", "hello"]);
    // A schema for a file is codex's form: claude takes none from it.
    const file = claude.buildInvocation({ ...base, outputSchema: { via: "file", path: "/tmp/s.json" } });
    expect(file.args.some((arg) => arg.startsWith("--json-schema"))).toBe(false);
  });

  it("maps every unified option", () => {
    const { args, warnings } = claude.buildInvocation({
      ...base,
      model: "sonnet",
      approvalMode: "auto",
      maxTurns: 3,
      systemPrompt: "-be brief",
      allowedTools: ["Read", "Edit"],
      allowedDirs: ["/tmp/a", "/tmp/b"],
      ephemeral: true,
      extraFlags: ["--effort", "high"],
    });
    expect(args).toEqual([
      "-p",
      "--output-format=stream-json",
      "--verbose",
      "--include-partial-messages",
      "--model=sonnet",
      "--permission-mode=acceptEdits",
      "--max-turns=3",
      "--system-prompt=-be brief",
      "--allowedTools=Read,Edit",
      "--add-dir=/tmp/a",
      "--add-dir=/tmp/b",
      "--no-session-persistence",
      "--effort",
      "high",
      "--",
      "hello",
    ]);
    expect(warnings).toEqual([]);
  });

  it.each([
    ["none", "bypassPermissions"],
    ["always", "default"],
  ] as const)("maps approval mode %s to --permission-mode=%s", (mode, flag) => {
    expect(claude.buildInvocation({ ...base, approvalMode: mode }).args).toContain(`--permission-mode=${flag}`);
  });

  it("warns that it has no sandbox", () => {
    const { warnings } = claude.buildInvocation({ ...base, sandboxMode: "read-only" });
    expect(warnings[0]).toMatch(/no sandbox/);
  });

  it("forks with --fork-session only when resuming and asked to", () => {
    const forked = claude.buildInvocation({ ...base, resume: "5e5f1cdd-0588", forkSession: true }).args;
    expect(forked.slice(0, 2)).toEqual(["--resume=5e5f1cdd-0588", "--fork-session"]);
    expect(claude.buildInvocation({ ...base, resume: "5e5f1cdd-0588" }).args).not.toContain("--fork-session");
    expect(claude.buildInvocation({ ...base, forkSession: true }).args).not.toContain("--fork-session");
  });

  it("resumes with --resume and keeps a dash prompt a prompt", () => {
    const { args } = claude.buildInvocation({ ...base, resume: "5e5f1cdd-0588", prompt: "-dash prompt" });
    expect(args[0]).toBe("--resume=5e5f1cdd-0588");
    expect(args.slice(-2)).toEqual(["--", "-dash prompt"]);
  });

  it("sends a large prompt through stdin", () => {
    const invocation = claude.buildInvocation({ ...base, promptVia: "stdin" });
    expect(invocation.stdin).toBe("hello");
    expect(invocation.args).not.toContain("hello");
    expect(invocation.args).not.toContain("--");
  });

  it("sends images with the prompt as one stream-json user message", () => {
    const { args, stdin } = claude.buildInvocation({
      ...base,
      images: [{ path: "/a.png", mediaType: "image/png", base64: "iVBORw0K" }],
    });
    expect(args.slice(-1)).toEqual(["--input-format=stream-json"]);
    expect(args).not.toContain("hello");
    expect(stdin?.endsWith("\n")).toBe(true);
    expect(JSON.parse(stdin ?? "")).toEqual({
      type: "user",
      message: {
        role: "user",
        content: [
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0K" } },
          { type: "text", text: "hello" },
        ],
      },
    });
  });

  it("reads its version", () => {
    expect(claude.parseVersion("2.1.197 (Claude Code)\n")).toBe("2.1.197");
  });
});

describe("claude parser on recorded output", () => {
  it("cost_usd is whole micro-dollars, without claude's float noise", () => {
    // resume-json's total_cost_usd is 0.09522499999999999.
    expect(parseRecorded(claude, "resume-json").outcome.usage?.cost_usd).toBe(0.095225);
  });

  it("permission_denials: the Write refused under the default mode; none with acceptEdits", () => {
    const { outcome } = parseRecorded(claude, "write-default-mode-json");
    expect(outcome.permissionDenials).toEqual([
      { tool: "Write", input: { file_path: "$SCRATCH/work-claude/out.txt", content: "written by stub\n" } },
    ]);
    expect(outcome.error).toBeUndefined();
    expect(parseRecorded(claude, "write-acceptEdits-json").outcome.permissionDenials).toBeUndefined();
  });

  it("stream-json: session, text, usage and the final answer", () => {
    const { events, outcome } = parseRecorded(claude, "stream-json");
    const [init] = ofType(events, "init");
    expect(init?.backend_session_id).toBe("9da0288c-1368-41d4-86dd-e5ab6de59e60");
    expect(init?.model).toBe("claude-opus-4-8");
    expect(textOf(events)).toBe("stub reply: hello");
    expect(outcome.error).toBeUndefined();
    expect(outcome.text).toBe("stub reply: hello");
    expect(outcome.backendSessionId).toBe("9da0288c-1368-41d4-86dd-e5ab6de59e60");
    expect(outcome.usage).toMatchObject({ input_tokens: 18994, output_tokens: 5, cost_usd: 0.095095 });
    expect(outcome.numTurns).toBe(1);
  });

  it("partial messages: text arrives as deltas and is not repeated by the complete message", () => {
    const { events, outcome } = parseRecorded(claude, "stream-json-partial");
    expect(ofType(events, "text")).toHaveLength(1);
    expect(textOf(events)).toBe("stub reply: hello");
    expect(outcome.text).toBe("stub reply: hello");
  });

  it("tool call: the call, its result with the tool's name, and both messages", () => {
    const { events, outcome } = parseRecorded(claude, "tool-stream-json");
    const [call] = ofType(events, "tool_call");
    expect(call).toMatchObject({ name: "Read", input: { file_path: "$SCRATCH/work-claude/note.txt" } });
    const [result] = ofType(events, "tool_result");
    expect(result).toMatchObject({ id: call?.id, name: "Read", is_error: false });
    expect(result?.output).toContain("hello from note.txt");
    expect(ofType(events, "text").map((e) => e.text)).toEqual(["Let me read it.", "The note says hello."]);
    expect(outcome.text).toBe("The note says hello.");
    expect(outcome.usage?.input_tokens).toBe(38080);
  });

  it("--json-schema: the answer is the StructuredOutput tool's input (structured_output)", () => {
    const { events, outcome } = parseRecorded(claude, "json-schema-stream-json");
    expect(ofType(events, "tool_call")).toMatchObject([
      { name: "StructuredOutput", input: { city: "Oslo", people: 3 } },
    ]);
    expect(ofType(events, "text")).toEqual([]);
    expect(JSON.parse(outcome.text)).toEqual({ city: "Oslo", people: 3 });
    expect(outcome.error).toBeUndefined();
  });

  it("--json-schema: structured_output wins over the result's text", () => {
    const stdout = readFileSync(fixturePath("claude", "json-schema-stream-json", "stdout"), "utf8");
    const parser = claude.createParser();
    for (const line of stdout.split("\n").filter(Boolean)) {
      const event = JSON.parse(line);
      if (event.type === "result") event.result = "Here is the city.";
      parser.line(JSON.stringify(event));
    }
    const outcome = parser.finish({ exitCode: 0, signal: null, stderr: "" });
    expect(outcome.text).toBe('{"city":"Oslo","people":3}');
  });

  it("--json-schema missed: claude's own check fails, it asks once more, the text answer is the result", () => {
    const { events, outcome } = parseRecorded(claude, "json-schema-missed-stream-json");
    const [refused] = ofType(events, "tool_result");
    expect(refused).toMatchObject({ name: "StructuredOutput", is_error: true });
    expect(refused?.output).toContain("Output does not match required schema");
    // No structured_output: the engine's ajv check sees the text and repairs.
    expect(outcome.text).toBe("Oslo.");
    expect(outcome.error).toBeUndefined();
  });

  it("HTTP 500 with retries: notices, no synthetic text, an api_error", () => {
    const { events, outcome } = parseRecorded(claude, "http500-stream-json");
    expect(ofType(events, "notice")).toHaveLength(2);
    expect(textOf(events)).toBe("");
    expect(outcome.error?.code).toBe("api_error");
    expect(outcome.error?.message).toContain("500");
    expect(outcome.text).toBe("");
  });

  it.each([
    ["http401-json", "auth"],
    ["invalid-model-json", "invalid_model"],
    ["hang-timeout-json", "timeout"],
    ["max-turns-1-tool-json", "max_turns"],
    ["stream-json-no-verbose", "backend_error"],
  ] as const)("%s is classified as %s", (name, code) => {
    const { outcome } = parseRecorded(claude, name);
    expect(outcome.error?.code).toBe(code);
    expect(outcome.error?.message.length).toBeGreaterThan(5);
  });

  it("a CLI usage error names stderr's message", () => {
    const { outcome } = parseRecorded(claude, "stream-json-no-verbose");
    expect(outcome.error?.message).toContain("requires --verbose");
  });

  it("resume keeps the session id", () => {
    const { outcome } = parseRecorded(claude, "resume-json");
    expect(outcome.backendSessionId).toBe("5e5f1cdd-0588-4b2a-b787-8666deeb4cd9");
    expect(outcome.error).toBeUndefined();
  });

  it("keeps unknown and non-JSON lines as raw events", () => {
    const parser = claude.createParser();
    expect(parser.line('{"type":"brand_new_event","x":1}')).toMatchObject([{ type: "raw" }]);
    expect(parser.line("plain text")).toMatchObject([{ type: "raw", line: "plain text" }]);
    expect(parser.line("")).toEqual([]);
  });
});
