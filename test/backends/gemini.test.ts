import { describe, expect, it } from "vitest";
import { gemini } from "../../src/backends/gemini.js";
import { ofType, parseRecorded, textOf } from "../helpers.js";
import { baseInvocation } from "./invocation.js";

const base = baseInvocation;

describe("gemini argv", () => {
  it("runs headless in stream-json with the prompt in --prompt=", () => {
    expect(gemini.buildInvocation(base).args).toEqual([
      "--output-format=stream-json",
      "--skip-trust",
      "--prompt=hello",
    ]);
  });

  it("maps every unified option", () => {
    const { args, warnings } = gemini.buildInvocation({
      ...base,
      model: "gemini-2.5-pro",
      approvalMode: "auto",
      sandboxMode: "read-only",
      allowedTools: ["read_file"],
      allowedDirs: ["/tmp/a"],
      extraFlags: ["-e", "none"],
    });
    expect(args).toEqual([
      "--output-format=stream-json",
      "--skip-trust",
      "--model=gemini-2.5-pro",
      "--approval-mode=auto_edit",
      "--sandbox",
      "--allowed-tools=read_file",
      "--include-directories=/tmp/a",
      "-e",
      "none",
      "--prompt=hello",
    ]);
    expect(warnings).toEqual([]);
  });

  it.each([
    ["none", "--approval-mode=yolo"],
    ["always", "--approval-mode=default"],
  ] as const)("maps approval mode %s", (mode, flag) => {
    expect(gemini.buildInvocation({ ...base, approvalMode: mode }).args).toContain(flag);
  });

  it("says which options it cannot honour", () => {
    const { warnings } = gemini.buildInvocation({ ...base, maxTurns: 2, ephemeral: true });
    expect(warnings).toHaveLength(2);
    expect(gemini.capabilities.systemPrompt).toBe(false); // the engine puts it in the prompt
  });

  it("resumes with --resume= and keeps a dash prompt a prompt", () => {
    const { args } = gemini.buildInvocation({ ...base, resume: "68056841-d5e1", prompt: "-dash prompt" });
    expect(args[0]).toBe("--resume=68056841-d5e1");
    expect(args.at(-1)).toBe("--prompt=-dash prompt");
  });

  it("sends a large prompt through stdin", () => {
    const invocation = gemini.buildInvocation({ ...base, promptVia: "stdin" });
    expect(invocation.stdin).toBe("hello");
    expect(invocation.args.some((arg) => arg.startsWith("--prompt"))).toBe(false);
  });
});

describe("gemini parser on recorded output", () => {
  it("stream-json: session, deltas, usage and the model that answered", () => {
    const { events, outcome } = parseRecorded(gemini, "stream-json");
    expect(ofType(events, "init")[0]?.backend_session_id).toBe("1e1a2eb4-4e37-47a5-a1b8-e7c864a59dbf");
    expect(textOf(events)).toBe("stub reply: hello");
    expect(outcome).toMatchObject({
      text: "stub reply: hello",
      model: "gemini-3.8-flash",
      usage: { input_tokens: 10541, output_tokens: 18 },
    });
    expect(outcome.error).toBeUndefined();
  });

  it("the user's own message is not assistant text", () => {
    const { events } = parseRecorded(gemini, "stream-json");
    expect(textOf(events)).not.toContain("hello\n");
    expect(ofType(events, "text")).toHaveLength(1);
  });

  it("tool call and result, then the answer in pieces", () => {
    const { events, outcome } = parseRecorded(gemini, "tool-stream-json");
    const [call] = ofType(events, "tool_call");
    expect(call).toMatchObject({ name: "read_file", input: { file_path: "note.txt" } });
    expect(ofType(events, "tool_result")[0]).toMatchObject({ id: call?.id, name: "read_file", is_error: false });
    expect(ofType(events, "text")).toHaveLength(2);
    expect(outcome.text).toBe("The note says hello.");
  });

  it.each([
    ["http401-stream-json", "auth"],
    ["http401-json", "auth"],
    ["http500-json", "api_error"],
    ["invalid-model-json", "invalid_model"],
  ] as const)("%s is classified as %s", (name, code) => {
    const { outcome } = parseRecorded(gemini, name);
    expect(outcome.error?.code).toBe(code);
    expect(outcome.text).toBe("");
  });

  it("unwraps the provider's message from gemini's error text", () => {
    const { outcome } = parseRecorded(gemini, "http401-stream-json");
    expect(outcome.error?.message).toBe("stub: API key not valid. Please pass a valid API key.");
  });

  it("a write refused under the default approval mode (tool_not_registered) is a permission denial", () => {
    const { outcome } = parseRecorded(gemini, "write-default-mode-stream-json");
    expect(outcome.permissionDenials).toEqual([
      { tool: "write_file", input: { file_path: "out.txt", content: "written by stub\n" } },
    ]);
    expect(outcome.error).toBeUndefined();
    expect(parseRecorded(gemini, "tool-stream-json").outcome.permissionDenials).toBeUndefined();
  });

  it("resume by index keeps the session id", () => {
    const { outcome } = parseRecorded(gemini, "resume-index-stream-json");
    expect(outcome.backendSessionId).toBe("1e1a2eb4-4e37-47a5-a1b8-e7c864a59dbf");
    expect(outcome.text).toBe("stub reply: again, index 1");
  });

  it.each([
    [41, "auth"],
    [55, "invalid_request"],
  ])("exit code %i without output is %s", (exitCode, code) => {
    const outcome = gemini.createParser().finish({ exitCode, signal: null, stderr: "" });
    expect(outcome.error?.code).toBe(code);
  });
});

describe("gemini's answer is what comes after its last tool call", () => {
  it("does not glue the messages before a tool call to the answer", () => {
    const parser = gemini.createParser();
    const lines = [
      { type: "init", session_id: "s" },
      { type: "message", role: "assistant", content: "Let me read it.", delta: true },
      { type: "tool_use", tool_name: "read_file", tool_id: "t1", parameters: {} },
      { type: "tool_result", tool_id: "t1", status: "success", output: "" },
      { type: "message", role: "assistant", content: "The note says hello.", delta: true },
      { type: "result", status: "success", stats: {} },
    ];
    const events = lines.flatMap((line) => parser.line(JSON.stringify(line)));
    expect(events.filter((e) => e.type === "text")).toHaveLength(2);
    expect(parser.finish({ exitCode: 0, signal: null, stderr: "" }).text).toBe("The note says hello.");
  });
});
