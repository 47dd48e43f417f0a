import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { ClinvkError } from "../../src/core/errors.js";
import { type RunEvent, RunEventSchema } from "../../src/core/events.js";
import type { RunRequest } from "../../src/core/request.js";
import { Engine, type EngineOptions } from "../../src/engine/engine.js";
import { BackendRegistry } from "../../src/engine/registry.js";
import { FAKE_CLI_DIR, fixturePath } from "../helpers.js";

const fakeBinaries = {
  claude: { binary: join(FAKE_CLI_DIR, "claude") },
  codex: { binary: join(FAKE_CLI_DIR, "codex") },
  gemini: { binary: join(FAKE_CLI_DIR, "gemini") },
};

function engineWith(env: Record<string, string>, options: EngineOptions = {}) {
  return new Engine({ backends: fakeBinaries, env: { ...process.env, ...env }, killGraceMs: 300, ...options });
}

function replay(cli: string, name: string, exit = "0") {
  return {
    FAKE_CLI_MODE: "replay",
    FAKE_CLI_STDOUT: fixturePath(cli, name, "stdout"),
    FAKE_CLI_STDERR: fixturePath(cli, name, "stderr"),
    FAKE_CLI_EXIT: exit,
  };
}

async function collect(engine: Engine, request: RunRequest, signal?: AbortSignal) {
  const events: RunEvent[] = [];
  const gen = engine.stream(request, { signal });
  while (true) {
    const step = await gen.next();
    if (step.done) return { events, result: step.value };
    events.push(step.value);
  }
}

describe("Engine.stream", () => {
  it.each([
    ["claude", "tool-stream-json"],
    ["codex", "tool-json"],
    ["gemini", "tool-stream-json"],
  ])("%s: events follow the schema, start first, result last", async (backend, fixture) => {
    const { events, result } = await collect(engineWith(replay(backend, fixture)), {
      backend,
      prompt: "read note.txt",
    });
    for (const event of events) expect(Value.Check(RunEventSchema, event), JSON.stringify(event)).toBe(true);
    expect(events[0]?.type).toBe("start");
    expect(events.at(-1)?.type).toBe("result");
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index));
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(["init", "tool_call", "tool_result", "text"]),
    );
    expect(result).toMatchObject({ backend, status: "success", exit_code: 0, text: "The note says hello." });
    expect(result.backend_session_id).toBeTruthy();
    expect(events.some((event) => "raw" in event)).toBe(false);
  });

  it("attaches the backend's line as raw on request", async () => {
    const { events } = await collect(engineWith(replay("claude", "stream-json")), {
      backend: "claude",
      prompt: "hi",
      includeRaw: true,
    });
    const init = events.find((event) => event.type === "init");
    expect(init?.raw).toMatchObject({ type: "system", subtype: "init" });
  });

  it("a classified failure ends in an error event and an error result", async () => {
    const { events, result } = await collect(engineWith(replay("claude", "http401-json", "1")), {
      backend: "claude",
      prompt: "hi",
    });
    expect(events.at(-2)).toMatchObject({ type: "error", error: { code: "auth" } });
    expect(result).toMatchObject({ status: "error", exit_code: 1, error: { code: "auth" } });
  });

  it("passes the prompt, model alias and options to the CLI", async () => {
    const record = join(mkdtempSync(join(tmpdir(), "clinvk-engine-")), "argv.jsonl");
    await collect(engineWith({ ...replay("claude", "stream-json"), FAKE_CLI_RECORD: record }), {
      backend: "claude",
      prompt: "-starts with a dash",
      model: "fast",
      approvalMode: "auto",
    });
    const { args } = JSON.parse(readFileSync(record, "utf8"));
    expect(args).toContain("--model=haiku");
    expect(args).toContain("--permission-mode=acceptEdits");
    expect(args.slice(-2)).toEqual(["--", "-starts with a dash"]);
  });

  it("sends a prompt too large for argv through stdin", async () => {
    const record = join(mkdtempSync(join(tmpdir(), "clinvk-engine-")), "argv.jsonl");
    const prompt = "y".repeat(300_000);
    await collect(engineWith({ ...replay("codex", "exec-json"), FAKE_CLI_RECORD: record }), {
      backend: "codex",
      prompt,
    });
    const recorded = JSON.parse(readFileSync(record, "utf8"));
    expect(recorded.stdin).toBe(prompt);
    expect(recorded.args.at(-1)).toBe("-");
  });

  it("a timeout kills the CLI and says so", async () => {
    const { result } = await collect(engineWith({ FAKE_CLI_MODE: "hang" }), {
      backend: "claude",
      prompt: "hi",
      timeoutMs: 500,
    });
    expect(result.error).toMatchObject({ code: "timeout" });
    expect(result.error?.message).toMatch(/within 0\.5 s/);
    expect(result.backend_session_id).toBe("hang-session");
  });

  it("a crash is backend_crashed with the CLI's last words", async () => {
    const { result } = await collect(engineWith({ FAKE_CLI_MODE: "crash" }), { backend: "claude", prompt: "hi" });
    expect(result.error?.code).toBe("backend_crashed");
    expect(result.error?.message).toContain("SIGSEGV");
    expect(result.error?.message).toContain("something broke");
  });

  it("a non-zero exit with only stderr is backend_error naming stderr", async () => {
    const { result } = await collect(engineWith({ FAKE_CLI_MODE: "exit-nonzero" }), {
      backend: "gemini",
      prompt: "hi",
    });
    expect(result).toMatchObject({ exit_code: 3, error: { code: "backend_error" } });
    expect(result.error?.message).toContain("could not do it");
  });

  it("garbage output is kept as raw events and ends as bad_output", async () => {
    const { events, result } = await collect(engineWith({ FAKE_CLI_MODE: "garbage" }), {
      backend: "codex",
      prompt: "hi",
    });
    expect(events.filter((event) => event.type === "raw")).toHaveLength(3);
    expect(result.error?.code).toBe("bad_output");
  });

  it("an over-long line is an error event and the run goes on", async () => {
    const engine = engineWith(
      { FAKE_CLI_MODE: "flood", FAKE_CLI_FLOOD_BYTES: String(4 * 1024 * 1024) },
      { maxLineBytes: 1024 * 1024 },
    );
    const { events, result } = await collect(engine, { backend: "claude", prompt: "hi" });
    expect(events.find((event) => event.type === "error")).toMatchObject({ error: { code: "output_too_large" } });
    expect(result).toMatchObject({ status: "success", text: "after the flood" });
  });

  it("an over-long line that was the whole answer ends the run as output_too_large, not bad_output", async () => {
    const engine = engineWith(
      { FAKE_CLI_MODE: "huge-line", FAKE_CLI_FLOOD_BYTES: String(2 * 1024 * 1024) },
      { maxLineBytes: 1024 * 1024 },
    );
    const { result } = await collect(engine, { backend: "claude", prompt: "hi" });
    expect(result).toMatchObject({ status: "error", error: { code: "output_too_large" } });
  });

  it("aborting the signal cancels the run", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const { result } = await collect(
      engineWith({ FAKE_CLI_MODE: "hang" }),
      { backend: "claude", prompt: "hi" },
      controller.signal,
    );
    expect(result.error?.code).toBe("cancelled");
  });

  it("stamps the session from the hook and reports the result to it", async () => {
    const seen: string[] = [];
    const engine = engineWith(replay("gemini", "stream-json"), {
      hooks: {
        beforeRun: async () => ({ sessionId: "0123456789abcdef0123456789abcdef" }),
        afterRun: async (_request, result) => {
          seen.push(result.text);
        },
      },
    });
    const { events, result } = await collect(engine, { backend: "gemini", prompt: "hi" });
    expect(events.every((event) => event.session_id === "0123456789abcdef0123456789abcdef")).toBe(true);
    expect(result.session_id).toBe("0123456789abcdef0123456789abcdef");
    expect(seen).toEqual(["stub reply: hello"]);
  });

  it("a turn its session could not record is an error with the answer kept, not a success", async () => {
    const engine = engineWith(replay("gemini", "stream-json"), {
      hooks: {
        beforeRun: async () => ({ sessionId: "0123456789abcdef0123456789abcdef" }),
        afterRun: async () => {
          throw new ClinvkError(
            "session_error",
            "cannot write the session store: no space left on the device (ENOSPC)",
          );
        },
      },
    });
    const { events, result } = await collect(engine, { backend: "gemini", prompt: "hi" });
    expect(result).toMatchObject({ status: "error", text: "stub reply: hello", error: { code: "session_error" } });
    expect(result.error?.message).toContain("could not record it: cannot write the session store");
    expect(events.filter((event) => event.type === "error")).toHaveLength(1);
  });

  it("a dry run builds the command and runs nothing", async () => {
    const engine = new Engine({ backends: { codex: { binary: "/nonexistent/codex" } } });
    const { events, result } = await collect(engine, { backend: "codex", prompt: "it's -here", dryRun: true });
    expect(events.map((event) => event.type)).toEqual(["start", "result"]);
    expect(result).toMatchObject({ dry_run: true, exit_code: 0 });
    expect(result.text).toBe("codex exec --json --skip-git-repo-check -- 'it'\\''s -here'");
  });

  it("run() returns the result", async () => {
    const result = await engineWith(replay("codex", "exec-json")).run({ backend: "codex", prompt: "hi" });
    expect(result.text).toBe("stub reply: hello");
  });
});

describe("a capability a CLI lacks is applied the same way for every face", () => {
  it("gemini has no system-prompt option: the system prompt heads the prompt, with a warning; claude gets its flag", () => {
    const engine = new Engine({ backends: fakeBinaries });
    const gemini = engine.prepare({ backend: "gemini", prompt: "hi", systemPrompt: "be brief" });
    expect(gemini.args.at(-1)).toBe("--prompt=<system>\nbe brief\n</system>\n\nhi");
    expect(gemini.warnings).toContain("gemini has no system-prompt option; the system prompt heads the prompt");
    const claude = engine.prepare({ backend: "claude", prompt: "hi", systemPrompt: "be brief" });
    expect(claude.args).toContain("--system-prompt=be brief");
    expect(claude.args.at(-1)).toBe("hi");
  });
});

describe("Engine.prepare: bad input is a clear error before anything runs", () => {
  const engine = new Engine({ backends: fakeBinaries });
  it.each([
    [{ backend: "chatgpt", prompt: "hi" }, "backend_unknown", /unknown backend "chatgpt"/],
    [{ backend: "claude", prompt: "   " }, "invalid_request", /prompt is empty/],
    [{ backend: "claude", prompt: "hi", model: "--dangerous" }, "invalid_request", /invalid model name/],
    [{ backend: "claude", prompt: "hi", workdir: "/nonexistent/dir" }, "invalid_request", /does not exist/],
    [{ backend: "claude", prompt: "hi", approvalMode: "yes" }, "invalid_request", /invalid approval mode/],
    [{ backend: "claude", prompt: "hi", maxTurns: -1 }, "invalid_request", /max turns/],
    [{ backend: "claude", prompt: "hi", extraFlags: ["--settings", "x"] }, "invalid_request", /not allowed/],
    [{ backend: "claude", prompt: "hi", resume: { backendSessionId: "../../etc" } }, "invalid_request", /session id/],
  ] as const)("%j → %s", (request, code, message) => {
    expect(() => engine.prepare(request as RunRequest)).toThrow(message);
    try {
      engine.prepare(request as RunRequest);
    } catch (error) {
      expect(error).toMatchObject({ code });
    }
  });

  it("a missing CLI is backend_unavailable with the install command", () => {
    const missing = new Engine({ registry: new BackendRegistry({ path: "/nonexistent" }) });
    expect(() => missing.prepare({ backend: "codex", prompt: "hi" })).toThrow(
      expect.objectContaining({ code: "backend_unavailable", hint: "install it with: npm install -g @openai/codex" }),
    );
    const misconfigured = new Engine({ backends: { gemini: { binary: "/nonexistent/gemini" } } });
    expect(() => misconfigured.prepare({ backend: "gemini", prompt: "hi" })).toThrow(/not an executable file/);
  });

  it("a disabled backend is refused", () => {
    const engine = new Engine({ backends: { claude: { ...fakeBinaries.claude, enabled: false } } });
    expect(() => engine.prepare({ backend: "claude", prompt: "hi" })).toThrow(/disabled/);
  });
});
