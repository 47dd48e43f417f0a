// The codex live codec against recorded `codex app-server` sessions (test/fixtures/cli-output/codex-live, recorded
// by test/e2e/record-codex-live.ts): each case replays the process's stdout through the codec, acting as the host
// does (a turn when ready and after each turn, an interrupt or a decision where the case says), and compares what
// the codec wrote with what the recording client wrote.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ProcessOutcome } from "../../src/backends/backend.js";
import { codex } from "../../src/backends/codex.js";
import { codexLive } from "../../src/backends/codex-live.js";
import type { LiveCodec, LiveLaunchOptions, LiveStep } from "../../src/backends/live-protocol.js";
import type { EventBody } from "../../src/core/events.js";
import type { PermissionDecision, PermissionRequest } from "../../src/core/permissions.js";
import { VERSION } from "../../src/version.js";
import { FIXTURES, ofType } from "../helpers.js";
import { baseInvocation } from "./invocation.js";

const DIR = join(FIXTURES, "cli-output", "codex-live");
const CWD = "$SCRATCH/work-codex";
const FIRST_THREAD = "00000000-0000-4000-a000-000000000001";

const lines = (name: string, ext: "stdin" | "stdout") =>
  readFileSync(join(DIR, `${name}.${ext}`), "utf8")
    .split("\n")
    .filter(Boolean);
// biome-ignore lint/suspicious/noExplicitAny: recorded wire JSON, read loosely.
const parsed = (name: string, ext: "stdin" | "stdout"): any[] => lines(name, ext).map((line) => JSON.parse(line));
/** The recording client sends a fixed clinvoker version; the codec sends the real one. */
const recordedWrite = (line: string) => line.replace('"version":"0.0.0-recording"', `"version":"${VERSION}"`);

const launchOptions = (overrides: Partial<LiveLaunchOptions> = {}): LiveLaunchOptions => {
  const { prompt: _p, promptVia: _v, ...base } = baseInvocation;
  return { ...base, cwd: CWD, askPermissions: true, ...overrides };
};

interface Host {
  /** The prompts of the turns, in order. */
  prompts: string[];
  /** Interrupt this turn (0-based) at its first text delta. */
  interruptTurn?: number;
  decide?: (request: PermissionRequest) => PermissionDecision;
}

interface Replay {
  codec: LiveCodec;
  written: string[];
  steps: LiveStep[];
  events: EventBody[];
  /** Events per turn, in order. */
  turns: { events: EventBody[]; end: NonNullable<LiveStep["turnEnd"]> }[];
  permissions: PermissionRequest[];
}

/** Replays a recorded stdout through a codec for `options`, acting as `host`. */
function replay(name: string, options: LiveLaunchOptions, host: Host, stdout = lines(name, "stdout")): Replay {
  const codec = codexLive.connect(options);
  const result: Replay = { codec, written: [...codec.start()], steps: [], events: [], turns: [], permissions: [] };
  let turn = 0;
  let turnEvents: EventBody[] = [];
  let interrupted = false;
  const startTurn = () => {
    const prompt = host.prompts[turn];
    if (prompt !== undefined) result.written.push(...codec.turn({ prompt }));
  };
  for (const line of stdout) {
    const step = codec.line(line);
    result.steps.push(step);
    result.written.push(...step.write);
    result.events.push(...step.events);
    turnEvents.push(...step.events);
    if (step.ready) startTurn();
    if (step.permission) {
      result.permissions.push(step.permission);
      const decision = host.decide?.(step.permission) ?? { behavior: "allow" };
      result.written.push(...codec.decide(step.permission.id, decision));
    }
    if (turn === host.interruptTurn && !interrupted && step.events.some((e) => e.type === "text")) {
      interrupted = true;
      result.written.push(...codec.interrupt());
    }
    if (step.turnEnd) {
      result.turns.push({ events: turnEvents, end: step.turnEnd });
      turnEvents = [];
      turn++;
      startTurn();
    }
  }
  return result;
}

const textOf = (events: EventBody[]) =>
  ofType(events, "text")
    .map((e) => e.text)
    .join("");

/** The text codex completed for each agent message of a recording, in order. */
const completedMessages = (name: string): string[] =>
  parsed(name, "stdout")
    .filter((m) => m.method === "item/completed" && m.params.item.type === "agentMessage")
    .map((m) => m.params.item.text);

describe("codex live launch", () => {
  it("runs app-server with the one-shot's config overrides", () => {
    const options = launchOptions({ systemPrompt: "Be brief.", maxTurns: 3 });
    const live = codexLive.launch(options);
    const oneShot = codex.buildInvocation({ ...baseInvocation, systemPrompt: "Be brief.", maxTurns: 3 });
    expect(live.args[0]).toBe("app-server");
    const override = (args: string[]) => args[args.indexOf("-c") + 1];
    expect(override(live.args)).toBe(override(oneShot.args));
    expect(live.warnings).toEqual(oneShot.warnings);
    expect(live.args).not.toContain("--json");
    expect(live.stdin).toBeUndefined();
  });

  it("serves client tools through the same MCP overrides and a token in the environment", () => {
    const clientTools = {
      name: "client",
      url: "http://127.0.0.1:1/mcp/secret",
      tools: ["get_weather"],
      keepBuiltins: false,
      token: "s3cret-token-value",
      configDir: "/tmp/x",
    };
    const live = codexLive.launch(launchOptions({ clientTools }));
    const oneShot = codex.buildInvocation({ ...baseInvocation, clientTools });
    const overrides = (args: string[]) => args.filter((_, i) => args[i - 1] === "-c");
    expect(overrides(live.args)).toEqual(overrides(oneShot.args));
    expect(live.env).toEqual(oneShot.env);
    expect(live.args.join(" ")).not.toContain("s3cret-token-value");
  });

  it("gives added directories as writable roots and says which exec flags do not apply", () => {
    const live = codexLive.launch(
      launchOptions({ allowedDirs: ["/a"], extraFlags: ["--add-dir=/b", "--full-auto", "--skip-git-repo-check"] }),
    );
    expect(live.args).toContain('sandbox_workspace_write.writable_roots=["/a","/b"]');
    expect(live.warnings).toEqual(["codex live mode has no --full-auto flag; it is not applied"]);
  });

  it("puts the model, approval policy and sandbox into thread/start", () => {
    const codec = codexLive.connect(
      launchOptions({ model: "gpt-5", approvalMode: "auto", sandboxMode: "read-only", ephemeral: true }),
    );
    codec.start();
    const [, start] = codec.line('{"id":1,"result":{}}').write;
    expect(JSON.parse(start ?? "")).toEqual({
      id: 2,
      method: "thread/start",
      params: { cwd: CWD, approvalPolicy: "on-request", sandbox: "read-only", model: "gpt-5", ephemeral: true },
    });
    const extraFlags = ["-m", "o3", "--sandbox=danger-full-access", "--ephemeral"];
    expect(codexLive.launch(launchOptions({ extraFlags })).warnings).toEqual([]);
    const flagged = codexLive.connect(launchOptions({ extraFlags }));
    flagged.start();
    const params = JSON.parse(flagged.line('{"id":1,"result":{}}').write[1] ?? "").params;
    expect(params).toEqual({ cwd: CWD, model: "o3", sandbox: "danger-full-access", ephemeral: true });
  });

  it("declares what it does", () => {
    expect(codex.live).toBe(codexLive);
    expect(codexLive.capabilities).toEqual({ interrupt: true, permissions: true, resume: "any", streaming: true });
    expect(codexLive.minVersion).toBe("0.169.0");
  });
});

describe("codex live codec on recorded sessions", () => {
  const conversation = () =>
    replay("conversation", launchOptions(), {
      prompts: ["hello", "again", "slow one", "after the interrupt"],
      interruptTurn: 2,
    });

  it("writes what the recording client wrote: handshake, turns, interrupt", () => {
    const { written } = conversation();
    expect(written).toEqual(lines("conversation", "stdin").map(recordedWrite));
  });

  it("is ready once, after thread/start, knows the thread and opens each turn with it", () => {
    const { steps, codec, turns } = conversation();
    expect(steps.filter((s) => s.ready)).toHaveLength(1);
    const thread = parsed("conversation", "stdout").find((m) => m.id === 2).result.thread.id;
    expect(codec.conversationId).toBe(thread);
    for (const turn of turns) {
      expect(turn.events[0]).toEqual({ type: "init", backend_session_id: thread, model: "gpt-6.1-sol" });
      expect(ofType(turn.events, "init")).toHaveLength(1);
    }
  });

  it("streams every delta as its own text event and does not repeat the completed message", () => {
    const { turns } = conversation();
    const deltas = parsed("conversation", "stdout").filter((m) => m.method === "item/agentMessage/delta");
    const texts = turns.flatMap((t) => ofType(t.events, "text"));
    expect(texts.map((e) => e.text)).toEqual(deltas.map((m) => m.params.delta));
    const [first] = completedMessages("conversation");
    // The stub sent the first answer in chunks of 8 characters.
    expect(ofType(turns[0]?.events ?? [], "text")).toHaveLength(Math.ceil((first ?? "").length / 8));
    expect(textOf(turns[0]?.events ?? [])).toBe(first);
  });

  it("ends each turn with the one-shot's outcome", () => {
    const { turns } = conversation();
    const messages = completedMessages("conversation");
    const usage = parsed("conversation", "stdout").filter((m) => m.method === "thread/tokenUsage/updated");
    expect(turns).toHaveLength(4);
    const [first, second, slow, after] = turns.map((t) => t.end);
    expect(first?.text).toBe(messages[0]);
    expect(first?.error).toBeUndefined();
    expect(first?.interrupted).toBeUndefined();
    expect(first?.backendSessionId).toBe(FIRST_THREAD);
    expect(first?.usage).toEqual({
      input_tokens: usage[0].params.tokenUsage.last.inputTokens,
      output_tokens: usage[0].params.tokenUsage.last.outputTokens,
      cached_tokens: 0,
      reasoning_tokens: 0,
    });
    expect(second?.text).toBe(messages[1]);
    expect(after?.text).toBe(messages[2]);
    // The interrupted turn: flagged, no error, the text that streamed before the interrupt.
    expect(slow?.interrupted).toBe(true);
    expect(slow?.error).toBeUndefined();
    expect(slow?.text).toBe(textOf(turns[2]?.events ?? []));
    expect(slow?.text.length).toBeGreaterThan(0);
  });

  it("emits usage per turn, not the thread's running total", () => {
    const { turns } = conversation();
    const last = ofType(turns[1]?.events ?? [], "usage").at(-1)?.usage;
    const updates = parsed("conversation", "stdout").filter((m) => m.method === "thread/tokenUsage/updated");
    expect(last?.input_tokens).toBe(updates[1].params.tokenUsage.last.inputTokens);
    expect(last?.input_tokens).toBeLessThan(updates[1].params.tokenUsage.total.inputTokens);
  });

  it("asks the host before a command runs and answers with its decision", () => {
    const decisions: PermissionDecision[] = [{ behavior: "allow" }, { behavior: "deny", message: "no" }];
    const { written, permissions, turns } = replay(
      "approvals",
      launchOptions({ approvalMode: "always", sandboxMode: "workspace" }),
      {
        prompts: ["touch a file (accept)", "touch a file (decline)"],
        decide: () => decisions.shift() ?? { behavior: "deny" },
      },
    );
    expect(written).toEqual(lines("approvals", "stdin").map(recordedWrite));
    expect(permissions.map((p) => [p.id, p.tool])).toEqual([
      ["0", "exec_command"],
      ["1", "exec_command"],
    ]);
    expect(permissions[0]?.input).toMatchObject({ command: "/bin/bash -lc 'touch allowed.txt'", cwd: CWD });
    expect(permissions[1]?.description).toContain("touch denied.txt");
    const results = turns.map((t) => ofType(t.events, "tool_result")[0]);
    expect(results.map((r) => [r?.name, r?.is_error])).toEqual([
      ["shell", false],
      ["shell", true],
    ]);
    expect(ofType(turns[0]?.events ?? [], "tool_call")[0]?.input).toEqual({
      command: "/bin/bash -lc 'touch allowed.txt'",
    });
    expect(turns.map((t) => t.end.permissionDenials)).toEqual([undefined, undefined]);
  });

  it("without askPermissions declines every request itself and reports the denials", () => {
    const { written, permissions, turns } = replay(
      "approvals",
      launchOptions({ approvalMode: "always", askPermissions: false }),
      {
        prompts: ["touch a file (accept)", "touch a file (decline)"],
      },
    );
    expect(permissions).toEqual([]);
    const answers = written.map((l) => JSON.parse(l)).filter((m) => m.result);
    expect(answers).toEqual([
      { id: 0, result: { decision: "decline" } },
      { id: 1, result: { decision: "decline" } },
    ]);
    expect(turns[0]?.end.permissionDenials).toEqual([
      { tool: "exec_command", input: { command: "/bin/bash -lc 'touch allowed.txt'", cwd: CWD } },
    ]);
  });

  it("asks before a file change with the changes the item started with", () => {
    const { written, permissions, turns } = replay(
      "file-change",
      launchOptions({ approvalMode: "always", sandboxMode: "read-only" }),
      { prompts: ["patch a file"] },
    );
    expect(written).toEqual(lines("file-change", "stdin").map(recordedWrite));
    const item = parsed("file-change", "stdout").find(
      (m) => m.method === "item/started" && m.params.item.type === "fileChange",
    ).params.item;
    expect(permissions).toEqual([{ id: "0", tool: "apply_patch", input: { changes: item.changes } }]);
    const [call] = ofType(turns[0]?.events ?? [], "tool_call");
    expect(call).toMatchObject({ id: item.id, name: "file_change", input: { changes: item.changes } });
    expect(ofType(turns[0]?.events ?? [], "tool_result")[0]).toMatchObject({ id: item.id, is_error: false });
    expect(turns[0]?.end.text).toBe(completedMessages("file-change")[0]);
  });

  it("forgets a request its turn ended without an answer to", () => {
    const codec = codexLive.connect(launchOptions());
    codec.start();
    codec.line('{"id":1,"result":{}}');
    codec.line(`{"id":2,"result":{"thread":{"id":"${FIRST_THREAD}"}}}`);
    codec.turn({ prompt: "hi" });
    codec.line('{"id":3,"result":{"turn":{"id":"t1"}}}');
    const ask = codec.line('{"id":0,"method":"item/commandExecution/requestApproval","params":{"command":"ls"}}');
    expect(ask.permission?.id).toBe("0");
    codec.line(
      `{"method":"turn/completed","params":{"threadId":"${FIRST_THREAD}","turn":{"id":"t1","status":"interrupted"}}}`,
    );
    expect(codec.decide("0", { behavior: "allow" })).toEqual([]);
  });

  it("ignores a decision for a request it does not hold", () => {
    const codec = codexLive.connect(launchOptions());
    expect(codec.decide("7", { behavior: "allow" })).toEqual([]);
  });

  it("resumes a thread at launch and counts only the new turn's usage", () => {
    const { written, turns, codec } = replay("resume", launchOptions({ resume: FIRST_THREAD }), {
      prompts: ["resumed"],
    });
    expect(written).toEqual(lines("resume", "stdin").map(recordedWrite));
    expect(codec.conversationId).toBe(FIRST_THREAD);
    const updates = parsed("resume", "stdout").filter((m) => m.method === "thread/tokenUsage/updated");
    // The first update replays the resumed thread's last turn, before this turn started.
    expect(updates.length).toBe(2);
    expect(turns[0]?.end.usage?.output_tokens).toBe(updates[1].params.tokenUsage.last.outputTokens);
    expect(turns[0]?.end.text).toBe(completedMessages("resume")[0]);
  });

  it("opens another thread before a turn that continues it", () => {
    const codec = codexLive.connect(launchOptions());
    codec.start();
    codec.line('{"id":1,"result":{}}');
    expect(codec.line(`{"id":2,"result":{"thread":{"id":"${FIRST_THREAD}"},"model":"m"}}`).ready).toBe(true);
    const other = "00000000-0000-4000-a000-000000000009";
    const [resume] = codec.turn({ prompt: "continue", resume: other });
    expect(JSON.parse(resume ?? "")).toEqual({
      id: 3,
      method: "thread/resume",
      params: { threadId: other, cwd: CWD, excludeTurns: true },
    });
    // A replayed usage of the resumed thread's old turn is not this turn's.
    const stale = `{"method":"thread/tokenUsage/updated","params":{"threadId":"${other}","turnId":"old","tokenUsage":{"last":{"inputTokens":5}}}}`;
    const step = codec.line(`{"id":3,"result":{"thread":{"id":"${other}"}}}`);
    expect(codec.conversationId).toBe(other);
    expect(step.write.map((line) => JSON.parse(line))).toEqual([
      { id: 4, method: "thread/unsubscribe", params: { threadId: FIRST_THREAD } },
      {
        id: 5,
        method: "turn/start",
        params: { threadId: other, input: [expect.objectContaining({ text: "continue" })] },
      },
    ]);
    expect(codec.line(stale).events).toEqual([]);
    expect(codec.line('{"id":4,"result":{"status":"unsubscribed"}}')).toEqual({ events: [], write: [] });
    codec.line('{"id":5,"result":{"turn":{"id":"t1"}}}');
    const end = codec.line(
      `{"method":"turn/completed","params":{"threadId":"${other}","turn":{"id":"t1","status":"completed"}}}`,
    );
    expect(end.turnEnd).toMatchObject({ backendSessionId: other, text: "" });
    expect(end.turnEnd?.usage).toBeUndefined();
  });

  it("ends a turn whose thread cannot be opened, and one interrupted before it started", () => {
    const codec = codexLive.connect(launchOptions());
    codec.start();
    codec.line('{"id":1,"result":{}}');
    codec.line(`{"id":2,"result":{"thread":{"id":"${FIRST_THREAD}"}}}`);
    codec.turn({ prompt: "continue", resume: "00000000-0000-4000-a000-00000000dead" });
    const missing = codec.line('{"id":3,"error":{"code":-32600,"message":"no rollout found for thread id x"}}');
    expect(missing.turnEnd?.error?.code).toBe("session_not_found");
    expect(missing.write).toEqual([]);
    expect(codec.conversationId).toBe(FIRST_THREAD);
    const other = "00000000-0000-4000-a000-000000000009";
    codec.turn({ prompt: "continue", resume: other });
    expect(codec.interrupt()).toEqual([]);
    const opened = codec.line(`{"id":4,"result":{"thread":{"id":"${other}"}}}`);
    // The prompt is not sent; only the thread it held is let go.
    expect(opened.write.map((line) => JSON.parse(line).method)).toEqual(["thread/unsubscribe"]);
    expect(opened.turnEnd).toMatchObject({ interrupted: true, backendSessionId: other, text: "" });
    expect(codec.turn({ prompt: "now" })).toHaveLength(1);
  });

  it("fails a turn on a provider error and keeps the process for the next one", () => {
    const { turns } = replay("turn-error", launchOptions(), { prompts: ["this fails", "this works"] });
    const error = parsed("turn-error", "stdout").find((m) => m.method === "error").params.error;
    expect(turns).toHaveLength(2);
    expect(turns[0]?.end.error).toMatchObject({ code: "overloaded", message: error.message });
    expect(turns[0]?.end.text).toBe("");
    expect(turns[1]?.end.error).toBeUndefined();
    expect(turns[1]?.end.text).toBe(completedMessages("turn-error")[0]);
  });

  it("reports a missing thread as session_not_found, fatally", () => {
    const { steps } = replay("resume-missing", launchOptions({ resume: "01a23544-0000-7000-8000-000000000000" }), {
      prompts: [],
    });
    expect(steps.some((s) => s.ready)).toBe(false);
    expect(steps.at(-1)?.fatal?.code).toBe("session_not_found");
  });
});

describe("codex live codec on unexpected input", () => {
  const readyCodec = () => {
    const codec = codexLive.connect(launchOptions());
    codec.start();
    codec.line('{"id":1,"result":{}}');
    codec.line(`{"id":2,"result":{"thread":{"id":"${FIRST_THREAD}"}}}`);
    return codec;
  };
  const exit = (over: Partial<ProcessOutcome> = {}): ProcessOutcome => ({
    exitCode: null,
    signal: "SIGKILL",
    stderr: "",
    ...over,
  });

  it("keeps malformed lines as raw events and goes on", () => {
    const codec = readyCodec();
    expect(codec.line("not json").events).toEqual([{ type: "raw", stream: "stdout", line: "not json" }]);
    expect(codec.line("x".repeat(10_000)).events[0]).toMatchObject({ line: "x".repeat(4096) });
    expect(codec.line("[1,2]").events[0]?.type).toBe("raw");
    expect(codec.line("").events).toEqual([]);
    expect(codec.line('{"id":99,"result":{}}')).toEqual({ events: [], write: [] });
    expect(codec.line('{"method":"item/agentMessage/delta","params":{"delta":"x"}}').events).toEqual([]);
    expect(codec.turn({ prompt: "still works" })).toHaveLength(1);
  });

  it("refuses an id it cannot trust", () => {
    const codec = codexLive.connect(launchOptions());
    codec.start();
    codec.line('{"id":1,"result":{}}');
    const step = codec.line('{"id":2,"result":{"thread":{"id":"../../etc"}}}');
    expect(step.fatal?.code).toBe("bad_output");
    expect(codec.conversationId).toBeUndefined();
    const request = readyCodec().line('{"id":{"x":1},"method":"item/commandExecution/requestApproval","params":{}}');
    expect(request).toEqual({ events: [], write: [] });
  });

  it("answers requests it cannot put to anyone with an error", () => {
    const codec = readyCodec();
    const step = codec.line('{"id":5,"method":"item/tool/requestUserInput","params":{}}');
    expect(JSON.parse(step.write[0] ?? "")).toMatchObject({ id: 5, error: { code: -32601 } });
    expect(step.permission).toBeUndefined();
  });

  it("ends a turn that the process's exit cut short with an error and the text so far", () => {
    const codec = readyCodec();
    codec.turn({ prompt: "hi" });
    codec.line('{"id":3,"result":{"turn":{"id":"t1"}}}');
    codec.line(
      `{"method":"item/agentMessage/delta","params":{"threadId":"${FIRST_THREAD}","turnId":"t1","itemId":"m1","delta":"Half"}}`,
    );
    const outcome = codec.exited(exit({ stderr: "thread panicked\n" }));
    expect(outcome.error?.code).toBe("backend_crashed");
    expect(outcome.error?.message).toContain("thread panicked");
    expect(outcome.text).toBe("Half");
    expect(outcome.backendSessionId).toBe(FIRST_THREAD);
    // Exiting between turns is no failure of a turn; exiting in the handshake is.
    expect(readyCodec().exited(exit({ exitCode: 0, signal: null })).error).toBeUndefined();
    const early = codexLive.connect(launchOptions());
    early.start();
    expect(early.exited(exit({ exitCode: 1, signal: null, stderr: "Error: bad config\n" })).error?.code).toBe(
      "backend_error",
    );
  });

  it("says a retried error as a notice and classifies the final one with its HTTP status", () => {
    const codec = readyCodec();
    codec.turn({ prompt: "hi" });
    codec.line('{"id":3,"result":{"turn":{"id":"t1"}}}');
    const retry = codec.line(
      `{"method":"error","params":{"threadId":"${FIRST_THREAD}","turnId":"t1","willRetry":true,"error":{"message":"Reconnecting... 1/5"}}}`,
    );
    expect(retry.events).toEqual([{ type: "notice", level: "warn", message: "Reconnecting... 1/5" }]);
    codec.line(
      `{"method":"error","params":{"threadId":"${FIRST_THREAD}","turnId":"t1","willRetry":false,"error":{"message":"unexpected status","codexErrorInfo":{"responseStreamConnectionFailed":{"httpStatusCode":401}}}}}`,
    );
    const end = codec.line(
      `{"method":"turn/completed","params":{"threadId":"${FIRST_THREAD}","turn":{"id":"t1","status":"failed","error":{"message":"unexpected status"}}}}`,
    );
    expect(end.turnEnd?.error?.code).toBe("auth");
  });

  it("interrupts a turn whose id is not known yet as soon as it is", () => {
    const codec = readyCodec();
    codec.turn({ prompt: "hi" });
    expect(codec.interrupt()).toEqual([]);
    expect(codec.interrupt()).toEqual([]);
    const step = codec.line('{"id":3,"result":{"turn":{"id":"t1"}}}');
    expect(step.write.map((l) => JSON.parse(l))).toEqual([
      { id: 4, method: "turn/interrupt", params: { threadId: FIRST_THREAD, turnId: "t1" } },
    ]);
    expect(codec.interrupt()).toEqual([]);
  });

  it("starts no turn before it is ready or while one runs", () => {
    const codec = codexLive.connect(launchOptions());
    codec.start();
    expect(codec.turn({ prompt: "early" })).toEqual([]);
    const ready = readyCodec();
    expect(ready.turn({ prompt: "one" })).toHaveLength(1);
    expect(ready.turn({ prompt: "two" })).toEqual([]);
  });

  it("streams reasoning, names MCP calls as the one-shot does, and answers with the last message", () => {
    const codec = readyCodec();
    codec.turn({ prompt: "hi" });
    codec.line('{"id":3,"result":{"turn":{"id":"t1"}}}');
    const note = (method: string, params: Record<string, unknown>) =>
      codec.line(JSON.stringify({ method, params: { threadId: FIRST_THREAD, turnId: "t1", ...params } })).events;
    expect(note("item/reasoning/summaryTextDelta", { itemId: "r1", delta: "Thinking", summaryIndex: 0 })).toEqual([
      { type: "thinking", text: "Thinking" },
    ]);
    // A reasoning item that streamed is not repeated; one that did not is given whole.
    expect(
      note("item/completed", { item: { type: "reasoning", id: "r1", summary: ["Thinking"], content: [] } }),
    ).toEqual([]);
    expect(note("item/completed", { item: { type: "reasoning", id: "r2", summary: ["A", "B"], content: [] } })).toEqual(
      [{ type: "thinking", text: "A\nB" }],
    );
    note("item/agentMessage/delta", { itemId: "m1", delta: "Let me check." });
    note("item/completed", { item: { type: "agentMessage", id: "m1", text: "Let me check." } });
    const mcp = { type: "mcpToolCall", id: "c1", server: "client", tool: "get_weather", arguments: { city: "Paris" } };
    expect(note("item/started", { item: { ...mcp, status: "inProgress" } })).toEqual([
      { type: "tool_call", id: "c1", name: "client.get_weather", input: { city: "Paris" } },
    ]);
    expect(
      note("item/completed", {
        item: { ...mcp, status: "completed", result: { content: [{ type: "text", text: "sunny" }] } },
      }),
    ).toEqual([
      {
        type: "tool_result",
        id: "c1",
        name: "client.get_weather",
        output: '{"content":[{"type":"text","text":"sunny"}]}',
        is_error: false,
      },
    ]);
    // A message that arrives whole (no deltas) is one text event.
    expect(note("item/completed", { item: { type: "agentMessage", id: "m2", text: "It is sunny." } })).toEqual([
      { type: "text", text: "It is sunny.", message_id: "m2" },
    ]);
    const end = codec.line(
      `{"method":"turn/completed","params":{"threadId":"${FIRST_THREAD}","turn":{"id":"t1","status":"completed"}}}`,
    );
    expect(end.turnEnd?.text).toBe("It is sunny.");
  });

  it("sends images as local image items", () => {
    const codec = readyCodec();
    const [line] = codec.turn({ prompt: "look", images: [{ path: "/tmp/a.png", mediaType: "image/png" }] });
    expect(JSON.parse(line ?? "").params.input).toEqual([
      { type: "text", text: "look", text_elements: [] },
      { type: "localImage", path: "/tmp/a.png" },
    ]);
  });
});
