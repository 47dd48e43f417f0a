// biome-ignore-all lint/suspicious/noExplicitAny: clinvk's JSON output and provider wire JSON are read loosely.
// clinvk's own commands against the REAL claude, codex and gemini CLIs (pinned, offline, talking to the provider stub).
// Every run spawns the bundled clinvk (`node dist/cli.cjs`, built by `npm run test:e2e`) with the sandbox's env and
// stdin closed, so what is tested is what a user runs: argv → engine → real CLI → parser → renderer. One sandbox per
// backend; each test runs in a directory of its own in it, because clinvk continues the newest session of the same
// directory (session.auto_resume) and the tests must not chain into each other unless they mean to.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Value } from "typebox/value";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunEvent, RunEventSchema } from "../../src/core/events.js";
import { Engine } from "../../src/engine/engine.js";
import { CLI_NAMES, CLI_VERSIONS, type CliName, type CliSandbox, prepareCliSandbox } from "./cli-env.js";
import { describeRun, RUN_TIMEOUT_MS, runClinvk, runDir, snapshotClinvk } from "./clinvk-bin.js";
import { killSandboxProcesses, waitForNoSandboxProcesses, watchSandboxProcesses } from "./processes.js";
import type { RunOptions, RunResult } from "./run-cli.js";
import { type Provider, type ProviderStub, startProviderStub, type ToolCallSpec } from "./stub/index.js";

/** The bundled clinvk, copied out of dist/ when the file starts (see clinvk-bin.ts). */
let CLINVK = "";
let snapshot: { cli: string; cleanup(): void } | undefined;

const PROVIDER: Record<CliName, Provider> = { claude: "anthropic", codex: "openai", gemini: "gemini" };

/** A tool call that makes the CLI read note.txt in its work dir. */
const READ_NOTE: Record<CliName, (dir: string) => ToolCallSpec> = {
  claude: (dir) => ({ name: "Read", input: { file_path: join(dir, "note.txt") } }),
  codex: () => ({ name: "exec", input: 'const r = await tools.exec_command({cmd: "cat note.txt"});\ntext(r.output);' }),
  gemini: () => ({ name: "read_file", input: { file_path: "note.txt" } }),
};

/** A shell tool call that starts `sleep 97` (a process of its own, under the CLI), and the flags that allow it. */
const SLEEP_COMMAND = "sleep 97";
const SLEEP_TOOL: Record<CliName, { tool: ToolCallSpec; flags: string[] }> = {
  claude: {
    tool: { name: "Bash", input: { command: SLEEP_COMMAND, description: "wait" } },
    flags: ["--allowed-tools", "Bash"],
  },
  codex: { tool: { name: "exec", input: `await tools.exec_command({cmd: "${SLEEP_COMMAND}"});` }, flags: [] },
  gemini: {
    tool: { name: "run_shell_command", input: { command: SLEEP_COMMAND } },
    flags: ["--approval-mode", "none"],
  },
};

/** Where each CLI keeps its sessions (gemini's are listed for information only: it cannot skip them). */
const SESSION_DIRS: Record<CliName, (sb: CliSandbox) => string> = {
  claude: (sb) => join(sb.home, ".claude", "projects"),
  codex: (sb) => join(sb.codexHome, "sessions"),
  gemini: (sb) => join(sb.home, ".gemini", "tmp"),
};

let stub: ProviderStub;

beforeAll(async () => {
  snapshot = snapshotClinvk();
  CLINVK = snapshot.cli;
  stub = await startProviderStub();
});
afterAll(async () => {
  await stub?.close();
  snapshot?.cleanup();
});
beforeEach(() => {
  stub.reset();
});

/** Runs clinvk in `dir` (see runDir) with the sandbox's env. */
function clinvk(sb: CliSandbox, dir: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return runClinvk(CLINVK, sb, dir, args, options);
}

/** The `-o json` document; fails with the run's output when stdout is not one JSON object. */
function jsonDoc(r: RunResult): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not JSON\n${describeRun(r)}`);
  }
}

/** The `-o stream-json` events: every line must be a JSON event valid against the published schema. */
function streamEvents(r: RunResult): RunEvent[] {
  const lines = r.stdout.split("\n").filter((line) => line.trim() !== "");
  return lines.map((line, i) => {
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new Error(`line ${i + 1} of stdout is not JSON: ${line.slice(0, 300)}\n${describeRun(r)}`);
    }
    if (!Value.Check(RunEventSchema, event)) {
      const errors = [...Value.Errors(RunEventSchema, event)].slice(0, 5);
      throw new Error(`event ${i} does not match RunEventSchema: ${JSON.stringify(errors)}\n${line.slice(0, 1000)}`);
    }
    return event as RunEvent;
  });
}

const ofType = <T extends RunEvent["type"]>(events: RunEvent[], type: T) =>
  events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);

const textIn = (events: RunEvent[]) =>
  ofType(events, "text")
    .map((e) => e.text)
    .join("");

/** Session files under `dir` (recursive), as paths relative to it. */
function sessionFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".jsonl"))
      .sort();
  } catch {
    return [];
  }
}

describe.each(CLI_NAMES)("clinvk -b %s (real CLI)", (cli) => {
  const provider = PROVIDER[cli];
  let sb: CliSandbox;

  beforeAll(() => {
    sb = prepareCliSandbox(cli, stub.url);
  });
  afterAll(() => {
    if (sb) killSandboxProcesses(sb);
    sb?.cleanup();
  });

  it("-o json: the answer, the backend's session id, usage and exit code 0", async () => {
    stub.script({ text: "The answer is 42.", usage: { inputTokens: 1234, outputTokens: 7 } });
    const r = await clinvk(sb, runDir(sb), ["-b", cli, "-o", "json", "what is the answer?"]);
    expect(r.code, describeRun(r)).toBe(0);
    const doc = jsonDoc(r);
    expect(doc).toMatchObject({ backend: cli, content: "The answer is 42.", exit_code: 0 });
    expect(doc.error).toBeUndefined();
    expect(doc.error_code).toBeUndefined();
    expect(typeof doc.backend_session_id).toBe("string");
    expect(doc.backend_session_id.length).toBeGreaterThan(8);
    // gemini adds its router call's tokens to the main call's.
    expect(doc.usage.input_tokens).toBeGreaterThanOrEqual(1234);
    expect(doc.usage.output_tokens).toBeGreaterThanOrEqual(7);
    expect(doc.usage.total_tokens).toBe(doc.usage.input_tokens + doc.usage.output_tokens);
    expect(stub.mainRequests(provider).map((q) => q.userText)).toEqual(["what is the answer?"]);
  });

  it("-o text: stdout is the answer", async () => {
    stub.script("The text answer.");
    const r = await clinvk(sb, runDir(sb), ["-b", cli, "-o", "text", "answer in text"]);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toBe("The text answer.\n");
  });

  it("-o stream-json: schema-valid NDJSON, start first, result last, text pieces make the answer", async () => {
    const answer = "Streaming answer, written in several pieces.";
    stub.script({ text: answer, usage: { inputTokens: 2000, outputTokens: 11 } });
    const dir = runDir(sb);
    const r = await clinvk(sb, dir, ["-b", cli, "-o", "stream-json", "stream please"]);
    expect(r.code, describeRun(r)).toBe(0);
    const events = streamEvents(r);

    expect(events[0]?.type).toBe("start");
    expect(events.at(-1)?.type).toBe("result");
    expect(ofType(events, "result")).toHaveLength(1);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(new Set(events.map((e) => e.backend))).toEqual(new Set([cli]));

    const [start] = ofType(events, "start");
    expect(start?.command[0]).toBe(sb.commands[cli]);
    expect(start?.workdir).toBe(dir);
    expect(start?.resumed).toBe(false);

    expect(textIn(events)).toBe(answer);
    const result = ofType(events, "result")[0];
    expect(result).toMatchObject({ status: "success", text: answer, exit_code: 0 });
    expect(result?.usage.input_tokens).toBeGreaterThanOrEqual(2000);
    const init = ofType(events, "init")[0];
    expect(init?.backend_session_id).toBeTruthy();
    expect(result?.backend_session_id).toBe(init?.backend_session_id);
    expect(ofType(events, "usage").length).toBeGreaterThan(0);
    expect(ofType(events, "error")).toEqual([]);
  });

  let toolEvents: RunEvent[] = [];
  it("a tool call: stream-json shows tool_call and tool_result, and the tool's output reaches the model", async () => {
    const dir = runDir(sb);
    stub.script({ text: "Let me read it.", toolCall: READ_NOTE[cli](dir) }, "The note says hello.");
    const r = await clinvk(sb, dir, ["-b", cli, "-o", "stream-json", "read note.txt"]);
    expect(r.code, describeRun(r)).toBe(0);
    const events = streamEvents(r);
    toolEvents = events;

    const calls = ofType(events, "tool_call");
    const results = ofType(events, "tool_result");
    expect(calls, describeRun(r)).toHaveLength(1);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ id: calls[0]?.id, is_error: false });
    const callAt = events.indexOf(calls[0] as RunEvent);
    const resultAt = events.indexOf(results[0] as RunEvent);
    expect(callAt).toBeLessThan(resultAt);
    // The text written before the tool call comes before it, the answer after the tool's result.
    expect(textIn(events.slice(0, callAt))).toBe("Let me read it.");
    expect(textIn(events.slice(resultAt))).toBe("The note says hello.");
    expect(ofType(events, "result")[0]?.status).toBe("success");

    const main = stub.mainRequests(provider);
    expect(main).toHaveLength(2);
    expect(main[0]?.toolResults).toEqual([]);
    expect(main[1]?.toolResults).toHaveLength(1);
    expect(main[1]?.toolResults[0]?.output).toContain("hello from note.txt");
  });

  // Like claude, codex and gemini's own `-o json`: the answer is the text after the last tool run.
  it("the result text is the final answer, not the text before the tool call", () => {
    expect(ofType(toolEvents, "result")[0]?.text).toBe("The note says hello.");
  });

  it("a prompt that begins with - reaches the model as that text (clinvk -b X -- '-dash prompt')", async () => {
    stub.script("Dash answer.");
    const r = await clinvk(sb, runDir(sb), ["-b", cli, "-o", "json", "--", "-dash prompt"]);
    expect(r.code, describeRun(r)).toBe(0);
    expect(jsonDoc(r).content).toBe("Dash answer.");
    expect(stub.mainRequests(provider).map((q) => q.userText)).toEqual(["-dash prompt"]);
  });

  it("a prompt over 100 KB piped to clinvk goes to the CLI's stdin and reaches the model whole", async () => {
    const lines = Array.from({ length: 2500 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog`);
    const big = `${lines.join("\n")}\nEND OF THE BIG PROMPT`;
    expect(Buffer.byteLength(big)).toBeGreaterThan(100_000);
    stub.script("Got the big prompt.");
    const r = await clinvk(sb, runDir(sb), ["-b", cli, "-o", "stream-json"], { stdin: big });
    expect(r.code, describeRun(r)).toBe(0);
    const events = streamEvents(r);
    // Not in argv: the engine switched to stdin.
    const command = ofType(events, "start")[0]?.command ?? [];
    expect(command.some((arg) => arg.includes("line 0:"))).toBe(false);
    expect(ofType(events, "result")[0]).toMatchObject({ status: "success", text: "Got the big prompt." });
    const main = stub.mainRequests(provider);
    expect(main).toHaveLength(1);
    expect(main[0]?.userText.length).toBe(big.length);
    expect(main[0]?.userText === big).toBe(true);
  });

  it("--ephemeral succeeds, records no clinvk session and (claude, codex) leaves no CLI session file", async () => {
    const sessionsDir = SESSION_DIRS[cli](sb);
    const dir = runDir(sb);
    // Control: an ordinary run does leave its session file where this test looks.
    stub.script("Kept answer.");
    const kept = await clinvk(sb, dir, ["-b", cli, "-o", "json", "keep this session"]);
    expect(kept.code, describeRun(kept)).toBe(0);
    const keptId = jsonDoc(kept).backend_session_id as string;
    expect(sessionFiles(sessionsDir).some((f) => f.includes(keptId.slice(0, 8)))).toBe(true);

    const before = sessionFiles(sessionsDir);
    stub.script("Ephemeral answer.");
    const r = await clinvk(sb, dir, ["-b", cli, "-o", "json", "--ephemeral", "forget this session"]);
    expect(r.code, describeRun(r)).toBe(0);
    const doc = jsonDoc(r);
    expect(doc.content).toBe("Ephemeral answer.");
    expect(doc.session_id).toBeNull();
    // Not a continuation of the kept session either.
    expect(r.stderr).not.toContain("continuing session");
    expect(stub.lastRequest(provider)?.userText).toBe("forget this session");
    expect(JSON.stringify(stub.lastRequest(provider)?.body)).not.toContain("keep this session");

    const listed = await clinvk(sb, dir, ["sessions", "list", "--json"]);
    expect(listed.code, describeRun(listed)).toBe(0);
    const backendIds = jsonDoc(listed).map((s: any) => s.backend_session_id);
    expect(backendIds).toContain(keptId);
    expect(backendIds).not.toContain(doc.backend_session_id);

    if (cli === "gemini") {
      expect(r.stderr).toContain("gemini cannot skip saving its own session files");
      return;
    }
    expect(r.stderr).not.toContain("warning");
    const after = sessionFiles(sessionsDir);
    expect(after).toEqual(before);
    expect(after.some((f) => f.includes(doc.backend_session_id))).toBe(false);
  });

  it("a second prompt in the same directory continues the session; --new starts another", async () => {
    const dir = runDir(sb);
    stub.script("First answer.", "Second answer.", "Fresh answer.");
    const first = await clinvk(sb, dir, ["-b", cli, "-o", "json", "first question"]);
    expect(first.code, describeRun(first)).toBe(0);
    const one = jsonDoc(first);
    expect(one.session_id).toBeTruthy();

    const second = await clinvk(sb, dir, ["-b", cli, "-o", "json", "second question"]);
    expect(second.code, describeRun(second)).toBe(0);
    const two = jsonDoc(second);
    expect(second.stderr).toContain(`clinvk: continuing session ${String(one.session_id).slice(0, 8)}`);
    expect(two).toMatchObject({
      content: "Second answer.",
      session_id: one.session_id,
      backend_session_id: one.backend_session_id,
    });
    const history = JSON.stringify(stub.lastRequest(provider)?.body);
    expect(history).toContain("first question");
    expect(history).toContain("First answer.");

    const fresh = await clinvk(sb, dir, ["-b", cli, "-o", "json", "--new", "fresh question"]);
    expect(fresh.code, describeRun(fresh)).toBe(0);
    const three = jsonDoc(fresh);
    expect(fresh.stderr).not.toContain("continuing session");
    expect(three.content).toBe("Fresh answer.");
    expect(three.session_id).not.toBe(one.session_id);
    expect(three.backend_session_id).not.toBe(one.backend_session_id);
    expect(JSON.stringify(stub.lastRequest(provider)?.body)).not.toContain("first question");
  });

  it("an auth failure (HTTP 401): exit 5, error_code auth", async () => {
    stub.script({ error: 401, times: "always" });
    const r = await clinvk(sb, runDir(sb), ["-b", cli, "-o", "json", "hello"]);
    expect(r.code, describeRun(r)).toBe(5);
    const doc = jsonDoc(r);
    expect(doc).toMatchObject({ backend: cli, content: "", error_code: "auth" });
    expect(doc.error.length).toBeGreaterThan(5);
    expect(doc.exit_code).not.toBe(0);
    expect(r.stderr).toContain(`clinvk: ${doc.error}`);
    expect(r.durationMs).toBeLessThan(20_000);
    expect(stub.mainRequests(provider).map((q) => q.status)).toEqual([401]);
  });

  let rateLimited: any;
  it("a rate limit (HTTP 429): exit 5 (provider API error)", async () => {
    stub.script({ error: 429, times: "always" });
    const r = await clinvk(sb, runDir(sb), ["-b", cli, "-o", "json", "hello"]);
    expect(r.code, describeRun(r)).toBe(5);
    rateLimited = jsonDoc(r);
    expect(rateLimited).toMatchObject({ backend: cli, content: "" });
    expect(r.durationMs).toBeLessThan(20_000);
    expect(stub.mainRequests(provider).map((q) => q.status)).toEqual([429]);
  });

  // gemini words the provider's per-minute limit as a "quota" that should be retried in 1s: a rate limit.
  it("the rate limit is classified as rate_limit", () => {
    expect(rateLimited?.error_code).toBe("rate_limit");
  });

  it("a provider that never answers: --timeout 6 exits 6 within seconds, and no process is left", async () => {
    stub.script({ hang: true, times: "always" });
    const watch = watchSandboxProcesses(sb);
    // gemini without GEMINI_CLI_NO_RELAUNCH runs as two processes: the relauncher and its child. 6 s: under load
    // that pair took over 3 s to reach the provider, and the timeout came before the request it is about.
    const r = await clinvk(sb, runDir(sb), ["-b", cli, "-o", "json", "--timeout", "6", "hello"], {
      env: { GEMINI_CLI_NO_RELAUNCH: undefined },
    });
    const seen = watch.stop();
    const left = await waitForNoSandboxProcesses(sb);
    killSandboxProcesses(sb);
    expect(r.code, describeRun(r)).toBe(6);
    expect(jsonDoc(r).error_code).toBe("timeout");
    expect(r.durationMs).toBeGreaterThanOrEqual(5900);
    expect(r.durationMs).toBeLessThan(13_000);
    expect(stub.mainRequests(provider).length).toBeGreaterThan(0);
    // clinvk itself, the CLI and (codex, gemini) the CLI's own child were all there while it ran.
    expect(seen.length, JSON.stringify(seen, null, 2)).toBeGreaterThanOrEqual(cli === "claude" ? 2 : 3);
    expect(left, JSON.stringify(left, null, 2)).toEqual([]);
  });

  let leftAfterToolTimeout: unknown[] = [];
  it("a timeout while a tool's subprocess runs: exit 6", async () => {
    const { tool, flags } = SLEEP_TOOL[cli];
    stub.script({ toolCall: tool }, { hang: true, times: "always" });
    const watch = watchSandboxProcesses(sb);
    // 12 s: on a loaded machine codex took over 6 s to reach the tool, and the timeout came before the sleep.
    const r = await clinvk(sb, runDir(sb), ["-b", cli, "-o", "stream-json", "--timeout", "12", ...flags, "wait"]);
    const seen = watch.stop();
    leftAfterToolTimeout = await waitForNoSandboxProcesses(sb);
    killSandboxProcesses(sb);
    expect(r.code, describeRun(r)).toBe(6);
    const events = streamEvents(r);
    expect(ofType(events, "tool_call")).toHaveLength(1);
    expect(ofType(events, "result")[0]?.error?.code).toBe("timeout");
    // The tool's process was running when clinvk stopped the run.
    expect(seen.some((p) => p.cmdline === SLEEP_COMMAND || p.cmdline.endsWith(` ${SLEEP_COMMAND}`))).toBe(true);
  });

  // gemini starts shell commands in a process group of their own; clinvk finds them by the run's marker.
  it("no process of the sandbox outlives that run (tool subprocesses included)", () => {
    expect(leftAfterToolTimeout).toEqual([]);
  });

  it("resume (library): the same backend session, and the CLI sends the earlier conversation", async () => {
    stub.script("First answer.", "Second answer.");
    // `binary` because the engine looks the CLI up on this process's PATH, not env.PATH (see the KNOWN BUG below).
    const dir = runDir(sb);
    const engine = new Engine({ env: sb.env, cwd: dir, backends: { [cli]: { binary: sb.commands[cli] } } });
    const first = await engine.run({ backend: cli, prompt: "first question", timeoutMs: RUN_TIMEOUT_MS });
    expect(first, JSON.stringify(first)).toMatchObject({ status: "success", text: "First answer." });
    const id = first.backend_session_id as string;
    expect(id).toBeTruthy();

    const events: RunEvent[] = [];
    const stream = engine.stream({
      backend: cli,
      prompt: "second question",
      workdir: dir,
      resume: { backendSessionId: id },
      timeoutMs: RUN_TIMEOUT_MS,
    });
    for await (const event of stream) events.push(event);
    const second = ofType(events, "result")[0];
    expect(second, JSON.stringify(second)).toMatchObject({ status: "success", text: "Second answer." });
    expect(second?.backend_session_id).toBe(id);
    const start = ofType(events, "start")[0];
    expect(start?.resumed).toBe(true);
    expect(start?.command.join(" ")).toContain(id);

    const main = stub.mainRequests(provider);
    expect(main).toHaveLength(2);
    expect(main[1]?.userText).toBe("second question");
    const history = JSON.stringify(main[1]?.body);
    expect(history).toContain("first question");
    expect(history).toContain("First answer.");
  });
});

describe("clinvk doctor --json (real CLIs)", () => {
  it("lists the three backends as available, at the pinned versions", async () => {
    const sb = prepareCliSandbox("all", stub.url);
    try {
      const r = await clinvk(sb, sb.workDir, ["doctor", "--json"]);
      expect(r.code, describeRun(r)).toBe(0);
      const doc = jsonDoc(r);
      expect(doc.backends.map((b: any) => b.name)).toEqual([...CLI_NAMES]);
      for (const cli of CLI_NAMES) {
        expect(doc.backends.find((b: any) => b.name === cli)).toMatchObject({
          available: true,
          enabled: true,
          version: CLI_VERSIONS[cli].version,
          path: sb.commands[cli],
        });
      }
    } finally {
      sb.cleanup();
    }
  });
});

describe("Engine (library) with a custom env", () => {
  it("finds the CLIs on the PATH of the env it runs them with", () => {
    const sb = prepareCliSandbox("all", stub.url);
    try {
      const engine = new Engine({ env: sb.env, cwd: sb.workDir });
      for (const cli of CLI_NAMES) expect(engine.registry.locate(cli)).toBe(sb.commands[cli]);
    } finally {
      sb.cleanup();
    }
  });
});
