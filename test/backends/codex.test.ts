import { describe, expect, it } from "vitest";
import { codex } from "../../src/backends/codex.js";
import { ofType, parseRecorded, textOf } from "../helpers.js";
import { baseInvocation } from "./invocation.js";

const base = baseInvocation;

describe("codex argv", () => {
  it("runs exec --json outside git repos too, prompt after --", () => {
    expect(codex.buildInvocation(base).args).toEqual(["exec", "--json", "--skip-git-repo-check", "--", "hello"]);
  });

  it("maps every unified option", () => {
    const { args, warnings } = codex.buildInvocation({
      ...base,
      model: "gpt-5",
      approvalMode: "none",
      sandboxMode: "workspace",
      systemPrompt: 'say "hi"',
      allowedDirs: ["/tmp/a"],
      ephemeral: true,
      extraFlags: ["-p", "work"],
      outputSchema: { via: "file", path: "/tmp/schema.json" },
    });
    expect(args).toEqual([
      "exec",
      "--json",
      "--skip-git-repo-check",
      "--model=gpt-5",
      "-c",
      'approval_policy="never"',
      "-c",
      'sandbox_mode="workspace-write"',
      "-c",
      'developer_instructions="say \\"hi\\""',
      "--add-dir=/tmp/a",
      "--ephemeral",
      "--output-schema=/tmp/schema.json",
      "-p",
      "work",
      "--",
      "hello",
    ]);
    expect(warnings).toEqual([]);
  });

  it.each([
    ["auto", 'approval_policy="on-request"'],
    ["none", 'approval_policy="never"'],
  ] as const)("maps approval mode %s", (mode, override) => {
    expect(codex.buildInvocation({ ...base, approvalMode: mode }).args).toContain(override);
  });

  it("approval mode always: codex exec no longer starts with untrusted, and cannot ask; it says so", () => {
    const { args, warnings } = codex.buildInvocation({ ...base, approvalMode: "always" });
    expect(args).toContain('approval_policy="on-request"');
    expect(args.join(" ")).not.toContain("untrusted");
    expect(warnings.join(" ")).toContain("cannot ask");
  });

  it.each([
    ["read-only", 'sandbox_mode="read-only"'],
    ["full", 'sandbox_mode="danger-full-access"'],
  ] as const)("maps sandbox mode %s", (mode, override) => {
    expect(codex.buildInvocation({ ...base, sandboxMode: mode }).args).toContain(override);
  });

  it("says which options it cannot honour", () => {
    const { warnings } = codex.buildInvocation({ ...base, maxTurns: 2, allowedTools: ["x"] });
    expect(warnings).toHaveLength(2);
  });

  it("resumes with exec resume <id>", () => {
    const { args } = codex.buildInvocation({ ...base, resume: "01a1fb30-3ebe", prompt: "-again" });
    expect(args.slice(0, 3)).toEqual(["exec", "resume", "01a1fb30-3ebe"]);
    expect(args.slice(-2)).toEqual(["--", "-again"]);
  });

  it("reads a large prompt from stdin with -", () => {
    const invocation = codex.buildInvocation({ ...base, promptVia: "stdin" });
    expect(invocation.args.slice(-2)).toEqual(["--", "-"]);
    expect(invocation.stdin).toBe("hello");
  });

  it("reads its version", () => {
    expect(codex.parseVersion("codex-cli 0.169.0")).toBe("0.169.0");
  });
});

describe("codex parser on recorded output", () => {
  it("exec --json: thread id, text and usage", () => {
    const { events, outcome } = parseRecorded(codex, "exec-json");
    expect(ofType(events, "init")[0]?.backend_session_id).toBe("01a1fb30-3ebe-7ad0-aa4b-936912cbc11b");
    expect(textOf(events)).toBe("stub reply: hello");
    expect(outcome).toMatchObject({
      text: "stub reply: hello",
      backendSessionId: "01a1fb30-3ebe-7ad0-aa4b-936912cbc11b",
      usage: { input_tokens: 13823, output_tokens: 5, cached_tokens: 0, reasoning_tokens: 0 },
    });
    expect(outcome.error).toBeUndefined();
  });

  it("tool call: a shell command, its output, then the answer", () => {
    const { events, outcome } = parseRecorded(codex, "tool-json");
    expect(ofType(events, "tool_call")[0]).toMatchObject({
      name: "shell",
      input: { command: "/bin/bash -lc 'cat note.txt'" },
    });
    expect(ofType(events, "tool_result")[0]).toMatchObject({ output: "hello from note.txt\n", is_error: false });
    expect(outcome.text).toBe("The note says hello.");
  });

  it.each([
    ["http401-json", "auth"],
    ["http500-json", "overloaded"],
    ["invalid-model-json", "invalid_model"],
    ["no-git-check-json", "backend_error"],
  ] as const)("%s is classified as %s", (name, code) => {
    const { outcome } = parseRecorded(codex, name);
    expect(outcome.error?.code).toBe(code);
  });

  it("retries are notices, not errors", () => {
    const { events } = parseRecorded(codex, "http401-json");
    expect(ofType(events, "notice").length).toBe(6);
  });

  it("a stderr-only failure names the cause without the stdin noise", () => {
    const { outcome } = parseRecorded(codex, "no-git-check-json");
    expect(outcome.error?.message).toContain("Not inside a trusted directory");
    expect(outcome.error?.message).not.toContain("Reading additional input");
  });

  it("an unknown thread on resume is session_not_found", () => {
    const parser = codex.createParser();
    const outcome = parser.finish({
      exitCode: 1,
      signal: null,
      stderr: "Error: thread/resume: thread/resume failed: no rollout found for thread id abc (code -32600)\n",
    });
    expect(outcome.error?.code).toBe("session_not_found");
  });
});
