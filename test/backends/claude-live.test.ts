import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ImageInput } from "../../src/backends/backend.js";
import { claude } from "../../src/backends/claude.js";
import { claudeLive } from "../../src/backends/claude-live.js";
import type { LiveCodec, LiveLaunchOptions, LiveStep } from "../../src/backends/live-protocol.js";
import type { PermissionDecision } from "../../src/core/permissions.js";
import { FIXTURES, ofType, ROOT, textOf } from "../helpers.js";
import { baseInvocation } from "./invocation.js";

const live = claudeLive;
const { prompt: _prompt, promptVia: _via, ...rest } = baseInvocation;
const base: LiveLaunchOptions = { ...rest, cwd: "/work", askPermissions: false };
/** Session ids as record-claude-live.ts numbers them: the first is two-turns', which the resumes continue. */
const FIRST_SESSION = "00000000-0000-4000-a000-000000000001";

interface Replay {
  codec: LiveCodec;
  steps: LiveStep[];
  /** What the codec wrote (its start, turn, interrupt and decide lines, and the lines its steps asked for). */
  writes: string[];
  /** What the recording wrote, in order. */
  recorded: string[];
}

/**
 * Replays a recorded transcript through a codec: each line the recording wrote becomes the intention it stood for
 * (start, turn, interrupt, decide), whose line the codec writes instead; each line claude printed goes to `line`,
 * with the recording's request ids swapped for the codec's own.
 */
function replay(name: string, options: Partial<LiveLaunchOptions> = {}, stopAfter = Infinity): Replay {
  const transcript = readFileSync(join(FIXTURES, "cli-output", "claude-live", `${name}.transcript`), "utf8");
  const codec = live.connect({ ...base, ...options });
  const steps: LiveStep[] = [];
  const writes: string[] = [];
  const recorded: string[] = [];
  const ids = new Map<string, string>();
  let read = 0;
  for (const entry of transcript.split("\n")) {
    if (entry.startsWith("> ")) {
      const line = entry.slice(2);
      recorded.push(line);
      const message = JSON.parse(line);
      let out: string[];
      if (message.type === "user") {
        const content = message.message.content as Array<{
          type: string;
          text?: string;
          source?: { media_type: ImageInput["mediaType"]; data: string };
        }>;
        const text = content.find((block) => block.type === "text")?.text ?? "";
        const images = content.flatMap((block) =>
          block.source ? [{ path: "/dot.png", mediaType: block.source.media_type, base64: block.source.data }] : [],
        );
        out = codec.turn({ prompt: text, images });
      } else if (message.type === "control_request" && message.request.subtype === "initialize") {
        out = codec.start();
      } else if (message.type === "control_request" && message.request.subtype === "interrupt") {
        out = codec.interrupt();
      } else if (message.type === "control_response") {
        const answer = message.response.response;
        const decision: PermissionDecision =
          answer.behavior === "allow"
            ? { behavior: "allow", input: answer.updatedInput }
            : { behavior: "deny", message: answer.message };
        out = codec.decide(message.response.request_id, decision);
      } else {
        throw new Error(`no intention for ${line}`);
      }
      writes.push(...out);
      const ours = out.map((l) => JSON.parse(l)).find((m) => m.type === "control_request");
      if (message.type === "control_request" && ours) ids.set(message.request_id, ours.request_id);
    } else if (entry.startsWith("< ")) {
      if (read++ >= stopAfter) break;
      let line = entry.slice(2);
      for (const [theirs, ours] of ids) line = line.replaceAll(`"request_id":"${theirs}"`, `"request_id":"${ours}"`);
      const step = codec.line(line);
      steps.push(step);
      writes.push(...step.write);
    }
  }
  return { codec, steps, writes, recorded };
}

const turnEnds = (steps: LiveStep[]) => steps.flatMap((step) => (step.turnEnd ? [step.turnEnd] : []));
const eventsOf = (steps: LiveStep[]) => steps.flatMap((step) => step.events);
const permissionsOf = (steps: LiveStep[]) => steps.flatMap((step) => (step.permission ? [step.permission] : []));
/** A written line without the request ids that each side picks for itself. */
const withoutIds = (line: string) => JSON.parse(line.replace(/"request_id":"[^"]*"/g, '"request_id":"-"'));

describe("claude live launch", () => {
  it("starts a long-lived stream-json process with no prompt", () => {
    const { args } = live.launch(base);
    expect(args).toEqual([
      "-p",
      "--input-format=stream-json",
      "--output-format=stream-json",
      "--verbose",
      "--include-partial-messages",
    ]);
  });

  it("asks over stdio only when the host answers permission requests", () => {
    expect(live.launch({ ...base, askPermissions: true }).args).toContain("--permission-prompt-tool=stdio");
    expect(live.launch(base).args.some((arg) => arg.startsWith("--permission-prompt-tool"))).toBe(false);
  });

  it("takes the one-shot options the same way as a one-shot run", () => {
    const options = {
      ...base,
      model: "sonnet",
      approvalMode: "auto" as const,
      sandboxMode: "workspace" as const,
      maxTurns: 3,
      systemPrompt: "be brief",
      allowedTools: ["Read"],
      allowedDirs: ["/tmp/a"],
      ephemeral: true,
      extraFlags: ["--effort", "high"],
      clientTools: {
        name: "client",
        url: "http://127.0.0.1:1/mcp",
        tools: ["get_weather"],
        keepBuiltins: false,
        token: "secret-token",
        configDir: "/run/1",
      },
    };
    const liveInvocation = live.launch(options);
    const oneShot = claude.buildInvocation({ ...options, prompt: "hello", promptVia: "argv" });
    const flagsOf = (args: string[]) =>
      args.filter((arg) => !/^--(input|output)-format=|^--verbose$|^--include-partial-messages$|^-p$/.test(arg));
    expect(flagsOf(liveInvocation.args)).toEqual(flagsOf(oneShot.args).slice(0, -2)); // without "--", "hello"
    expect(liveInvocation.files).toEqual(oneShot.files);
    expect(liveInvocation.env).toEqual(oneShot.env);
    expect(liveInvocation.warnings).toEqual(oneShot.warnings);
    expect(liveInvocation.warnings[0]).toMatch(/no sandbox/);
    expect(liveInvocation.args.join(" ")).not.toContain("secret-token");
  });

  it("opens the conversation on the command line: resume and fork", () => {
    expect(live.launch({ ...base, resume: FIRST_SESSION }).args.slice(0, 2)).toEqual([
      `--resume=${FIRST_SESSION}`,
      "-p",
    ]);
    expect(live.launch({ ...base, resume: FIRST_SESSION, forkSession: true }).args.slice(0, 3)).toEqual([
      `--resume=${FIRST_SESSION}`,
      "--fork-session",
      "-p",
    ]);
  });

  it("is the claude backend's live mode", () => {
    expect(claude.live).toBe(claudeLive);
  });

  it("declares what it does and the version it was recorded against", () => {
    expect(live.capabilities).toEqual({ interrupt: true, permissions: true, resume: "launch", streaming: true });
    const pins = JSON.parse(readFileSync(join(ROOT, "test", "e2e", "cli-versions.json"), "utf8"));
    expect(live.minVersion).toBe(pins.claude.version);
  });
});

describe("claude live codec, replaying the real CLI", () => {
  it("shakes hands, then runs two turns in one conversation", () => {
    const { codec, steps, writes, recorded } = replay("two-turns");
    expect(writes.map(withoutIds)).toEqual(recorded.map(withoutIds));
    expect(steps.filter((step) => step.ready)).toHaveLength(1);
    // Ready comes with the handshake's answer, before any turn.
    expect(steps.findIndex((step) => step.ready)).toBe(0);
    const ends = turnEnds(steps);
    expect(ends.map((end) => end.text)).toEqual(["First answer.", "Second answer."]);
    expect(ends.every((end) => !end.error && !end.interrupted)).toBe(true);
    expect(ends.map((end) => end.backendSessionId)).toEqual([FIRST_SESSION, FIRST_SESSION]);
    expect(codec.conversationId).toBe(FIRST_SESSION);
    expect(textOf(eventsOf(steps))).toBe("First answer.Second answer.");
    expect(ofType(eventsOf(steps), "init")).toHaveLength(2);
    expect(ends[0]?.model).toBe("claude-opus-4-8");
  });

  it("reports each turn's own cost, though claude reports the process's running total", () => {
    const ends = turnEnds(replay("two-turns").steps);
    // Recorded totals: 0.0601, then 0.1202.
    expect(ends.map((end) => end.usage?.cost_usd)).toEqual([0.0601, 0.0601]);
    expect(ends.map((end) => end.usage?.input_tokens)).toEqual([12_000, 12_000]);
    const usageEvents = ofType(eventsOf(replay("two-turns").steps), "usage");
    expect(usageEvents.map((event) => event.usage.cost_usd)).toEqual([0.0601, 0.0601]);
  });

  it("interrupts a turn and keeps the conversation for the next one", () => {
    const { codec, steps, writes, recorded } = replay("interrupt");
    expect(writes.map(withoutIds)).toEqual(recorded.map(withoutIds));
    const [cut, next] = turnEnds(steps);
    expect(cut?.interrupted).toBe(true);
    expect(cut?.error).toBeUndefined();
    // What the agent had written when it was stopped.
    expect(cut?.text).toBe("A lo");
    expect(next?.interrupted).toBeUndefined();
    expect(next?.text).toBe("Picked up after the interrupt.");
    expect(next?.usage?.cost_usd).toBeGreaterThan(0);
    expect(codec.conversationId).toBe(cut?.backendSessionId);
    // Nothing to interrupt between turns.
    expect(codec.interrupt()).toEqual([]);
  });

  it("interrupts a turn that has not started yet, and an interrupt between turns changes nothing", () => {
    const { codec, steps, writes, recorded } = replay("interrupt-at-once-and-idle");
    // The idle interrupt of the recording is not the codec's: it writes nothing between turns.
    const idle = recorded.filter((line) => line.includes('"interrupt"')).at(-1);
    expect(writes.map(withoutIds)).toEqual(recorded.filter((line) => line !== idle).map(withoutIds));
    const [cut, second, third] = turnEnds(steps);
    expect(cut).toMatchObject({ interrupted: true, text: "" });
    expect(cut?.error).toBeUndefined();
    expect(second?.text).toBe("Answer to the second prompt.");
    expect(third?.error).toBeUndefined();
    expect(codec.interrupt()).toEqual([]);
  });

  it("asks the host before a tool runs and writes its answers", () => {
    const { steps, writes, recorded } = replay("permissions", { askPermissions: true });
    expect(writes.map(withoutIds)).toEqual(recorded.map(withoutIds));
    const asked = permissionsOf(steps);
    expect(asked.map((request) => request.tool)).toEqual(["Write", "Write", "Write"]);
    expect(asked.map((request) => (request.input as { file_path: string }).file_path.split("/").pop())).toEqual([
      "allowed.txt",
      "denied.txt",
      "edited.txt",
    ]);
    expect(asked[0]?.description).toBe("allowed.txt");
    expect(new Set(asked.map((request) => request.id)).size).toBe(3);
    const results = ofType(eventsOf(steps), "tool_result");
    expect(results.map((result) => result.is_error)).toEqual([false, true, false]);
    expect(results[1]?.output).toBe("Not now.");
    // The host's denial was an answer, not a refusal without asking.
    expect(turnEnds(steps).map((end) => end.permissionDenials)).toEqual([undefined, undefined, undefined]);
  });

  it("answers with the agent's input, the host's edited input, or the host's message", () => {
    const codec = live.connect({ ...base, askPermissions: true });
    codec.start();
    codec.turn({ prompt: "write" });
    const ask = (id: string) =>
      codec.line(
        JSON.stringify({
          type: "control_request",
          request_id: id,
          request: { subtype: "can_use_tool", tool_name: "Bash", input: { command: "ls" }, tool_use_id: `t-${id}` },
        }),
      );
    expect(ask("a").permission).toMatchObject({ id: "a", tool: "Bash", input: { command: "ls" } });
    ask("b");
    ask("c");
    const answer = (lines: string[]) => JSON.parse(lines[0] ?? "null")?.response;
    expect(answer(codec.decide("a", { behavior: "allow" }))).toEqual({
      subtype: "success",
      request_id: "a",
      response: { behavior: "allow", updatedInput: { command: "ls" } },
    });
    expect(answer(codec.decide("b", { behavior: "allow", input: { command: "pwd" } })).response.updatedInput).toEqual({
      command: "pwd",
    });
    expect(answer(codec.decide("c", { behavior: "deny" })).response).toMatchObject({ behavior: "deny" });
    expect(answer(codec.decide("c", { behavior: "deny" }))).toBeUndefined();
    expect(codec.decide("unknown", { behavior: "allow" })).toEqual([]);
  });

  it("passes the agent's question on as a permission request, answered with edited input", () => {
    const { steps, writes, recorded } = replay("ask-user-question", { askPermissions: true });
    expect(writes.map(withoutIds)).toEqual(recorded.map(withoutIds));
    const [question] = permissionsOf(steps);
    expect(question?.tool).toBe("AskUserQuestion");
    expect(question?.input).toMatchObject({ questions: [{ question: "Which color?" }] });
    expect(ofType(eventsOf(steps), "tool_result")[0]?.output).toContain('"Which color?"="blue"');
    expect(turnEnds(steps)[0]?.text).toBe("Blue it is.");
  });

  it("drops a request that claude withdraws when the turn is interrupted", () => {
    const { codec, steps } = replay("interrupt-while-asking", { askPermissions: true });
    const [request] = permissionsOf(steps);
    expect(request?.tool).toBe("Write");
    const [cut, next] = turnEnds(steps);
    expect(cut?.interrupted).toBe(true);
    expect(cut?.error).toBeUndefined();
    expect(cut?.permissionDenials).toBeUndefined();
    expect(next?.text).toBe("Done after the interrupt.");
    // Withdrawn: a late answer writes nothing.
    expect(codec.decide(request?.id ?? "", { behavior: "allow" })).toEqual([]);
  });

  it("keeps claude's own refusals when it does not ask", () => {
    const [end] = turnEnds(replay("refused-without-asking").steps);
    expect(end?.permissionDenials).toEqual([
      { tool: "Write", input: { file_path: "$SCRATCH/work-claude/refused.txt", content: "refused\n" } },
    ]);
    expect(end?.error).toBeUndefined();
  });

  it("knows a resumed conversation's id from the start; a fork's from its first turn", () => {
    const resumed = replay("resume", { resume: FIRST_SESSION }, 0);
    expect(resumed.codec.conversationId).toBe(FIRST_SESSION);
    const { codec, steps } = replay("resume", { resume: FIRST_SESSION });
    expect(turnEnds(steps)[0]).toMatchObject({ text: "Resumed answer.", backendSessionId: FIRST_SESSION });
    expect(codec.conversationId).toBe(FIRST_SESSION);

    const forked = replay("resume-fork", { resume: FIRST_SESSION, forkSession: true }, 0);
    expect(forked.codec.conversationId).toBeUndefined();
    const fork = replay("resume-fork", { resume: FIRST_SESSION, forkSession: true });
    expect(fork.codec.conversationId).toMatch(/^00000000-0000-4000-a000-/);
    expect(fork.codec.conversationId).not.toBe(FIRST_SESSION);
    expect(turnEnds(fork.steps)[0]?.backendSessionId).toBe(fork.codec.conversationId);
  });

  it("sends images as content blocks before the prompt", () => {
    const { writes, recorded, steps } = replay("image");
    expect(writes.map(withoutIds)).toEqual(recorded.map(withoutIds));
    const user = JSON.parse(writes[1] ?? "{}");
    expect(user.message.content.map((block: { type: string }) => block.type)).toEqual(["image", "text"]);
    expect(turnEnds(steps)[0]?.text).toBe("A single dot.");
  });

  it("ends a turn with the provider's error, classified, and goes on", () => {
    const { steps } = replay("provider-error");
    const [failed, next] = turnEnds(steps);
    expect(failed?.error).toMatchObject({ code: "api_error" });
    expect(failed?.error?.message).toMatch(/^API Error: 500 the stub failed/);
    expect(failed?.text).toBe("");
    expect(failed?.interrupted).toBeUndefined();
    expect(next?.text).toBe("Fine now.");
    expect(next?.error).toBeUndefined();
    // A turn that cost nothing does not make the next one cheaper.
    expect(next?.usage?.cost_usd).toBeGreaterThan(0);
  });

  it("finishes the running turn when stdin closes, and the exit after it is no error", () => {
    const { codec, steps } = replay("stdin-closed-mid-turn");
    expect(turnEnds(steps)[0]?.text).toMatch(/^A long answer/);
    expect(codec.exited({ exitCode: 0, signal: null, stderr: "" }).error).toBeUndefined();
  });

  it("fails the running turn when the process dies in the middle of it", () => {
    const { codec, steps } = replay("killed-mid-turn");
    expect(turnEnds(steps)).toEqual([]);
    expect(textOf(eventsOf(steps))).toBe("A lo");
    const rc = Number(readFileSync(join(FIXTURES, "cli-output", "claude-live", "killed-mid-turn.rc"), "utf8"));
    const outcome = codec.exited({ exitCode: rc, signal: null, stderr: "" });
    expect(outcome.error).toMatchObject({ code: "backend_error" });
    expect(outcome.error?.message).toContain(`code ${rc}`);
    expect(outcome.backendSessionId).toBe(codec.conversationId);
    // Killed by a signal, with a turn running or not.
    const idle = live.connect(base);
    expect(idle.exited({ exitCode: null, signal: "SIGKILL", stderr: "" }).error?.code).toBe("backend_crashed");
  });
});

describe("claude live codec, odd input", () => {
  const ready = () => {
    const codec = live.connect(base);
    const [init] = codec.start();
    const id = JSON.parse(init ?? "{}").request_id;
    const step = codec.line(
      JSON.stringify({ type: "control_response", response: { subtype: "success", request_id: id } }),
    );
    expect(step.ready).toBe(true);
    return codec;
  };

  it("starts with an initialize request of its own id", () => {
    const codec = live.connect(base);
    const [line] = codec.start();
    expect(JSON.parse(line ?? "{}")).toMatchObject({ type: "control_request", request: { subtype: "initialize" } });
    // Another request's answer is not the handshake's.
    expect(
      codec.line('{"type":"control_response","response":{"subtype":"success","request_id":"x"}}').ready,
    ).toBeUndefined();
  });

  it("fails the process when claude refuses the handshake", () => {
    const codec = live.connect(base);
    const id = JSON.parse(codec.start()[0] ?? "{}").request_id;
    const step = codec.line(
      JSON.stringify({ type: "control_response", response: { subtype: "error", request_id: id, error: "nope" } }),
    );
    expect(step.ready).toBeUndefined();
    expect(step.fatal?.message).toContain("nope");
    expect(codec.exited({ exitCode: 1, signal: null, stderr: "" }).error?.code).toBe("backend_error");
  });

  it("keeps malformed lines as raw output, in a turn and between turns, without throwing", () => {
    const codec = ready();
    expect(codec.line("not json {").events).toEqual([{ type: "raw", stream: "stdout", line: "not json {" }]);
    expect(codec.line("").events).toEqual([]);
    codec.turn({ prompt: "hi" });
    expect(codec.line('{"type":"assistant","message":').events[0]).toMatchObject({ type: "raw" });
    expect(codec.line("[1,2]").events[0]).toMatchObject({ type: "raw" });
    expect(codec.line('{"type":"result"}').turnEnd).toMatchObject({ text: "" });
  });

  it("ends a process whose control request has no usable id", () => {
    const codec = ready();
    codec.turn({ prompt: "hi" });
    for (const id of [undefined, "", "a b", "x".repeat(200), 7]) {
      const step = codec.line(
        JSON.stringify({
          type: "control_request",
          request_id: id,
          request: { subtype: "can_use_tool", tool_name: "Bash" },
        }),
      );
      expect(step.fatal?.code).toBe("bad_output");
      expect(step.permission).toBeUndefined();
    }
  });

  it("answers control requests it does not serve, so claude does not wait", () => {
    const codec = ready();
    const step = codec.line(
      JSON.stringify({ type: "control_request", request_id: "r1", request: { subtype: "hook_callback" } }),
    );
    expect(step.write.map((line) => JSON.parse(line))).toEqual([
      {
        type: "control_response",
        response: { subtype: "error", request_id: "r1", error: "clinvoker does not handle hook_callback requests" },
      },
    ]);
  });

  it("ignores a result outside a turn and keep-alives", () => {
    const codec = ready();
    expect(codec.line('{"type":"result","subtype":"success","result":"late"}')).toEqual({ events: [], write: [] });
    expect(codec.line('{"type":"keep_alive"}')).toEqual({ events: [], write: [] });
  });

  it("does not take an invalid session id from the protocol", () => {
    const codec = ready();
    codec.turn({ prompt: "hi" });
    codec.line(JSON.stringify({ type: "system", subtype: "init", session_id: "../../etc" }));
    expect(codec.conversationId).toBeUndefined();
    expect(live.connect({ ...base, resume: "bad id" }).conversationId).toBeUndefined();
  });

  it("fails a turn cut by an exit during the handshake or the turn", () => {
    const starting = live.connect(base);
    starting.start();
    expect(starting.exited({ exitCode: 0, signal: null, stderr: "" }).error?.code).toBe("bad_output");
    const codec = ready();
    codec.turn({ prompt: "hi" });
    codec.line(
      '{"type":"stream_event","event":{"type":"content_block_delta","delta":{"type":"text_delta","text":"par"}}}',
    );
    const outcome = codec.exited({ exitCode: 1, signal: null, stderr: "Error: boom\n" });
    expect(outcome.error?.code).toBe("backend_error");
    expect(outcome.error?.message).toContain("boom");
    // Between turns, a clean exit is the host closing stdin.
    expect(ready().exited({ exitCode: 0, signal: null, stderr: "" }).error).toBeUndefined();
  });
});
