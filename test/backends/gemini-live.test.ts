// The gemini live codec (`gemini --acp`) against the transcripts of the pinned CLI in
// test/fixtures/cli-output/gemini-live: each replay feeds the CLI's recorded stdout to the codec and checks that
// what the codec writes is, line for line, what the recording client wrote.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InvocationOptions } from "../../src/backends/backend.js";
import { gemini } from "../../src/backends/gemini.js";
import type { LiveCodec, LiveLaunchOptions, LiveStep } from "../../src/backends/live-protocol.js";
import type { EventBody } from "../../src/core/events.js";
import type { PermissionDecision, PermissionRequest } from "../../src/core/permissions.js";

const DIR = join(__dirname, "..", "fixtures", "cli-output", "gemini-live");
const CWD = "$SCRATCH/work-gemini";
const live = gemini.live;
if (!live) throw new Error("gemini has no live protocol");

const base: LiveLaunchOptions = {
  cwd: CWD,
  askPermissions: true,
  approvalMode: "default",
  sandboxMode: "default" as LiveLaunchOptions["sandboxMode"],
  allowedTools: [],
  allowedDirs: [],
  extraFlags: [],
  ephemeral: false,
};

interface Line {
  dir: ">" | "<";
  line: string;
}

function transcript(name: string): Line[] {
  return readFileSync(join(DIR, `${name}.transcript`), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => ({ dir: l.slice(0, 1) as ">" | "<", line: l.slice(2) }));
}

interface Replay {
  codec: LiveCodec;
  steps: LiveStep[];
  events: EventBody[];
  ends: NonNullable<LiveStep["turnEnd"]>[];
  permissions: PermissionRequest[];
}

/**
 * Replays a transcript. A recorded client line the codec has not written yet is a host intention (a prompt, an
 * interrupt, a resume), turned into the codec call that makes it; then codec and recording must agree.
 */
function replay(
  name: string,
  options: Partial<LiveLaunchOptions> = {},
  decide?: (request: PermissionRequest) => PermissionDecision,
): Replay {
  const lines = transcript(name);
  const codec = live!.connect({ ...base, ...options });
  const result: Replay = { codec, steps: [], events: [], ends: [], permissions: [] };
  const pending = codec.start();
  lines.forEach(({ dir, line }, index) => {
    if (dir === "<") {
      const step = codec.line(line);
      result.steps.push(step);
      result.events.push(...step.events);
      if (step.turnEnd) result.ends.push(step.turnEnd);
      pending.push(...step.write);
      if (step.permission) {
        result.permissions.push(step.permission);
        if (decide) pending.push(...codec.decide(step.permission.id, decide(step.permission)));
      }
      return;
    }
    if (!pending.length) pending.push(...intention(codec, JSON.parse(line), lines.slice(index + 1)));
    expect(JSON.parse(pending.shift() ?? "null"), `client line ${index + 1} of ${name}`).toEqual(JSON.parse(line));
  });
  expect(pending).toEqual([]);
  return result;
}

// biome-ignore lint/suspicious/noExplicitAny: recorded protocol JSON, read loosely.
function intention(codec: LiveCodec, message: { method?: string; params?: any }, rest: Line[]): string[] {
  switch (message.method) {
    case "session/prompt":
      // As the engine does: a turn names the conversation it continues.
      return codec.turn({ prompt: message.params.prompt[0].text, resume: message.params.sessionId });
    case "session/cancel":
      return codec.interrupt();
    case "session/load": {
      // A load in a running process is the first step of a turn that continues another conversation.
      const next = rest.map((l) => JSON.parse(l.line)).find((m) => m.method === "session/prompt");
      return codec.turn({ prompt: next.params.prompt[0].text, resume: message.params.sessionId });
    }
    default:
      throw new Error(`the codec did not write ${JSON.stringify(message)}`);
  }
}

const texts = (events: EventBody[]) => events.flatMap((e) => (e.type === "text" ? [e.text] : []));
const SESSION = (n: number) => `00000000-0000-4000-a000-${String(n).padStart(12, "0")}`;
const ok = (m: string) => JSON.stringify({ jsonrpc: "2.0", ...JSON.parse(m) });

/** A codec that has done its handshake (recorded), ready for a turn. */
function ready(options: Partial<LiveLaunchOptions> = {}): LiveCodec {
  const codec = live!.connect({ ...base, ...options });
  codec.start();
  const lines = transcript("turns").filter((l) => l.dir === "<");
  codec.line(lines[0]?.line ?? "");
  const step = codec.line(lines[1]?.line ?? "");
  expect(step.ready).toBe(true);
  return codec;
}

describe("gemini live: handshake and turns", () => {
  it("initializes without client fs or terminal, opens a session, then runs two turns in one process", () => {
    const { codec, steps, events, ends } = replay("turns");
    const first = codec.start();
    expect(JSON.parse(first[0] ?? "").params.clientCapabilities).toEqual({
      fs: { readTextFile: false, writeTextFile: false },
      terminal: false,
    });
    expect(steps.filter((s) => s.ready)).toHaveLength(1);
    expect(events.find((e) => e.type === "init")).toMatchObject({ backend_session_id: SESSION(1) });
    expect(codec.conversationId).toBe(SESSION(1));
    expect(ends.map((e) => e.text)).toEqual(["Hello there, first.", "Second answer."]);
    expect(ends[0]).toMatchObject({
      backendSessionId: SESSION(1),
      model: "gemini-3.8-flash",
      usage: { input_tokens: 12000, output_tokens: 5, cached_tokens: 0, reasoning_tokens: 0 },
    });
    expect(ends.every((e) => !e.error && !e.interrupted)).toBe(true);
    expect(texts(events).join("")).toBe("Hello there, first.Second answer.");
    expect(events.filter((e) => e.type === "usage")).toHaveLength(2);
  });

  it("skips the commands list and notifications of other sessions", () => {
    const codec = ready();
    codec.turn({ prompt: "hi" });
    const other = `{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"${SESSION(9)}","update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"not ours"}}}}`;
    expect(codec.line(other).events).toEqual([]);
    const commands = transcript("turns").find((l) => l.line.includes("available_commands_update"));
    expect(codec.line(commands?.line ?? "").events).toEqual([]);
  });
});

describe("gemini live: interrupt", () => {
  it("cancels mid-turn (turnEnd interrupted, its partial text kept) and the next prompt continues", () => {
    const { ends, events } = replay("interrupt");
    expect(ends).toHaveLength(3);
    expect(ends[0]).toMatchObject({ text: "Before the interrupt." });
    expect(ends[1]).toMatchObject({ interrupted: true, text: "one " });
    expect(ends[1]?.error).toBeUndefined();
    expect(ends[2]).toMatchObject({ text: "After the interrupt." });
    expect(ends[2]?.interrupted).toBeUndefined();
    expect(texts(events)).toContain("one ");
  });

  it("answers a pending permission request `cancelled` when it interrupts", () => {
    const { ends, permissions } = replay("interrupt-permission");
    expect(permissions).toHaveLength(1);
    expect(ends[0]).toMatchObject({ interrupted: true });
    expect(ends[1]).toMatchObject({ text: "After the interrupt." });
  });

  it("writes nothing when no turn is running", () => {
    expect(ready().interrupt()).toEqual([]);
  });
});

describe("gemini live: permissions", () => {
  it("raises permission steps and answers allow once, then deny (reported as a denial)", () => {
    const decisions: PermissionDecision[] = [{ behavior: "allow" }, { behavior: "deny", message: "no writing" }];
    const { permissions, events, ends } = replay("permission", {}, () => decisions.shift() ?? { behavior: "deny" });
    expect(permissions.map((p) => p.tool)).toEqual(["run_shell_command", "write_file"]);
    expect(permissions[0]).toMatchObject({
      id: "0",
      description: "echo allowed > allowed.txt",
      input: { title: "echo allowed > allowed.txt", kind: "execute" },
    });
    expect(permissions[1]?.input).toMatchObject({
      kind: "edit",
      locations: [`${CWD}/denied.txt`],
      content: "denied\n",
    });
    const calls = events.filter((e) => e.type === "tool_call");
    expect(calls.map((c) => c.type === "tool_call" && c.name)).toEqual(["run_shell_command", "write_file"]);
    const results = events.filter((e) => e.type === "tool_result");
    expect(results).toMatchObject([
      { name: "run_shell_command", is_error: false },
      { name: "write_file", is_error: true, output: "no writing" },
    ]);
    expect(ends[0]?.text).toBe("Ran it.");
    expect(ends[0]?.permissionDenials).toBeUndefined();
    expect(ends[1]).toMatchObject({ text: "Not written.", permissionDenials: [{ tool: "write_file" }] });
  });

  it("refuses without asking when askPermissions is off, as the approval mode does one-shot", () => {
    const codec = ready({ askPermissions: false });
    codec.turn({ prompt: "run echo" });
    const asked = transcript("permission").find((l) => l.line.includes("session/request_permission"));
    const step = codec.line(asked?.line ?? "");
    expect(step.permission).toBeUndefined();
    expect(step.write.map((w) => JSON.parse(w))).toEqual([
      { jsonrpc: "2.0", id: 0, result: { outcome: { outcome: "selected", optionId: "cancel" } } },
    ]);
    expect(step.events.map((e) => e.type)).toEqual(["tool_call", "tool_result"]);
    const end = codec.line(ok('{"id":3,"result":{"stopReason":"end_turn"}}')).turnEnd;
    expect(end?.permissionDenials).toMatchObject([{ tool: "run_shell_command" }]);
  });

  it("ignores a decision for an unknown request", () => {
    expect(ready().decide("42", { behavior: "allow" })).toEqual([]);
  });

  it("refuses requests for client methods it did not offer, so the agent does not wait", () => {
    const step = ready().line(ok('{"id":7,"method":"fs/read_text_file","params":{"path":"/etc/passwd"}}'));
    expect(JSON.parse(step.write[0] ?? "")).toMatchObject({ id: 7, error: { code: -32601 } });
  });
});

describe("gemini live: images", () => {
  const attachment = (path: string) =>
    ok(
      `{"id":0,"method":"session/request_permission","params":{"sessionId":"${SESSION(1)}","options":[{"optionId":"proceed_once","name":"Allow once","kind":"allow_once"},{"optionId":"cancel","name":"Deny","kind":"reject_once"}],"toolCall":{"toolCallId":"resolve-prompt-${path}-00000000-0000-4000-8000-000000000001","status":"pending","title":"Allow access to absolute path: ${path}","kind":"read"}}}`,
    );

  it("attaches inline images as image blocks and files as resource links", () => {
    const codec = ready();
    const [line] = codec.turn({
      prompt: "what is this",
      images: [
        { path: "/tmp/a.png", mediaType: "image/png" },
        { path: "/tmp/b.jpg", mediaType: "image/jpeg", base64: "AAAA" },
      ],
    });
    expect(JSON.parse(line ?? "").params.prompt).toEqual([
      { type: "text", text: "what is this" },
      { type: "resource_link", uri: "file:///tmp/a.png", name: "/tmp/a.png", mimeType: "image/png" },
      { type: "image", mimeType: "image/jpeg", data: "AAAA" },
    ]);
  });

  it("allows gemini to read the files it was given, and asks about any other", () => {
    const codec = ready({ askPermissions: false });
    codec.turn({ prompt: "x", images: [{ path: "/tmp/a.png", mediaType: "image/png" }] });
    const own = codec.line(attachment("/tmp/a.png"));
    expect(own.write.map((w) => JSON.parse(w).result)).toEqual([
      { outcome: { outcome: "selected", optionId: "proceed_once" } },
    ]);
    expect(own.events).toEqual([]);
    const other = codec.line(attachment("/etc/shadow"));
    expect(other.write.map((w) => JSON.parse(w).result)).toEqual([
      { outcome: { outcome: "selected", optionId: "cancel" } },
    ]);
  });
});

describe("gemini live: tools", () => {
  it("reports tools the approval mode runs without asking (yolo), and the answer after them", () => {
    const { events, ends } = replay("yolo-tool");
    expect(events.filter((e) => e.type === "tool_call" || e.type === "tool_result")).toMatchObject([
      { type: "tool_call", name: "run_shell_command", input: { title: "echo yolo > yolo.txt", kind: "execute" } },
      { type: "tool_result", name: "run_shell_command", is_error: false },
    ]);
    expect(ends[0]?.text).toBe("Done.");
  });

  it("reports a read with its location", () => {
    const { events } = replay("read-tool");
    expect(events.find((e) => e.type === "tool_call")).toMatchObject({
      name: "read_file",
      input: { locations: [`${CWD}/note.txt`] },
    });
  });
});

describe("gemini live: resume", () => {
  it("opens the launch's conversation with session/load and keeps the replayed history out of the turn", () => {
    const { codec, ends, events } = replay("resume", { resume: SESSION(1) });
    expect(codec.conversationId).toBe(SESSION(1));
    expect(ends[0]?.text).toBe("Resumed answer.");
    expect(texts(events)).toEqual(["Resumed ", "answer."]);
  });

  it("loads another conversation in a running process before the turn", () => {
    const { codec, ends, events } = replay("load-in-running");
    expect(ends.map((e) => e.text)).toEqual(["Fresh answer.", "Loaded answer."]);
    expect(ends[1]?.backendSessionId).toBe(SESSION(2));
    expect(codec.conversationId).toBe(SESSION(2));
    expect(texts(events).join("")).not.toContain("Before the interrupt.");
  });

  it("keeps replaying until the loaded session's own commands list, whatever other sessions say meanwhile", () => {
    const codec = ready();
    const [load] = codec.turn({ prompt: "which word?", resume: SESSION(2) });
    const update = (session: number, body: string) =>
      ok(`{"method":"session/update","params":{"sessionId":"${SESSION(session)}","update":${body}}}`);
    const chunk = (text: string) =>
      `{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"${text}"}}`;
    const commands = '{"sessionUpdate":"available_commands_update","availableCommands":[]}';
    const loaded = codec.line(ok(`{"id":${JSON.parse(load ?? "").id},"result":{}}`));
    expect(loaded.write).toHaveLength(1);
    // The first session's commands list comes late (gemini sends it on a timer after session/new).
    expect(codec.line(update(1, commands)).events).toEqual([]);
    expect(codec.line(update(2, chunk("Remember kiwi."))).events).toEqual([]);
    expect(codec.line(update(2, commands)).events).toEqual([]);
    expect(texts(codec.line(update(2, chunk("kiwi"))).events)).toEqual(["kiwi"]);
  });

  it("a failed load at launch is fatal: session_not_found", () => {
    for (const name of ["load-unknown", "load-same-minute"]) {
      const load = transcript(name).find((l) => l.line.includes('"session/load"'))?.line ?? "";
      const { steps } = replay(name, { resume: JSON.parse(load).params.sessionId });
      expect(steps.find((s) => s.fatal)?.fatal?.code, name).toBe("session_not_found");
      expect(steps.some((s) => s.ready)).toBe(false);
    }
  });

  it("a failed load before a turn ends that turn (session_not_found) and keeps the process", () => {
    const codec = ready();
    const [load] = codec.turn({ prompt: "x", resume: "99999999-9999-4999-8999-999999999999" });
    const id = JSON.parse(load ?? "").id;
    const error = transcript("load-unknown").find((l) => l.line.includes('"error"'))?.line ?? "";
    const step = codec.line(error.replace('"id":2', `"id":${id}`));
    expect(step.turnEnd?.error?.code).toBe("session_not_found");
    expect(step.fatal).toBeUndefined();
    expect(codec.turn({ prompt: "next" })).toHaveLength(1);
  });

  it("a turn that names no valid session id ends with session_not_found, the id never written", () => {
    const codec = ready();
    const [line] = codec.turn({ prompt: "x", resume: "../../etc --x" });
    expect(line).not.toContain("etc");
    const id = JSON.parse(line ?? "").id;
    const step = codec.line(ok(`{"id":${id},"error":{"code":-32601,"message":"Method not found"}}`));
    expect(step.turnEnd?.error?.code).toBe("session_not_found");
    expect(codec.conversationId).toBe(SESSION(1));
  });

  it("a turn that names no conversation, in a process whose session has had one, gets a new session", () => {
    const codec = ready();
    codec.turn({ prompt: "first" });
    codec.line(ok('{"id":3,"result":{"stopReason":"end_turn"}}'));
    const [renew] = codec.turn({ prompt: "another conversation" });
    expect(JSON.parse(renew ?? "")).toMatchObject({
      id: 4,
      method: "session/new",
      params: { cwd: CWD, mcpServers: [] },
    });
    const step = codec.line(ok(`{"id":4,"result":{"sessionId":"${SESSION(5)}"}}`));
    expect(step.events).toMatchObject([{ type: "init", backend_session_id: SESSION(5) }]);
    expect(JSON.parse(step.write[0] ?? "")).toMatchObject({
      id: 5,
      method: "session/prompt",
      params: { sessionId: SESSION(5), prompt: [{ type: "text", text: "another conversation" }] },
    });
    expect(codec.conversationId).toBe(SESSION(5));
    // Naming the conversation continues it.
    codec.line(ok('{"id":5,"result":{"stopReason":"end_turn"}}'));
    expect(JSON.parse(codec.turn({ prompt: "more", resume: SESSION(5) })[0] ?? "").method).toBe("session/prompt");
  });

  it("does not write an id that is not one", () => {
    const codec = live!.connect({ ...base, resume: "../../etc --x" });
    codec.start();
    const step = codec.line(transcript("turns")[1]?.line ?? "");
    expect(step.write).toEqual([]);
    expect(step.fatal?.code).toBe("session_not_found");
  });
});

describe("gemini live: failures", () => {
  it("a provider 500 ends the turn with api_error, and the next turn works", () => {
    const { ends } = replay("http500");
    expect(ends[0]?.error).toMatchObject({ code: "api_error" });
    expect(ends[0]?.error?.message).toMatch(/^An internal error has occurred/);
    expect(ends[1]).toMatchObject({ text: "Fine again." });
    expect(ends[1]?.error).toBeUndefined();
  });

  it("classifies 401, 429 and a dropped stream", () => {
    expect(replay("http401").ends[0]?.error).toMatchObject({ code: "auth", message: expect.stringMatching(/API key/) });
    expect(replay("http429").ends[0]?.error).toMatchObject({ code: "rate_limit", retry_after_s: 1 });
    const dropped = replay("drop").ends[0];
    expect(dropped?.error).toMatchObject({ code: "api_error", message: "terminated" });
    expect(dropped?.text).toBe("");
  });

  it("keeps malformed and foreign lines as raw events and does not throw", () => {
    const codec = ready();
    codec.turn({ prompt: "hi" });
    for (const line of ["not json", "{broken", '{"no":"jsonrpc"}', "[1,2]", ok('{"id":999,"result":{}}')]) {
      const step = codec.line(line);
      expect(
        step.events.map((e) => e.type),
        line,
      ).toEqual(["raw"]);
      expect(step.turnEnd).toBeUndefined();
    }
    expect(codec.line("   ").events).toEqual([]);
    expect(codec.line(ok('{"method":"session/update","params":{"update":"x"}}')).events).toEqual([]);
  });

  it("an exit mid-turn is that turn's failure; an exit when idle is not", () => {
    const codec = ready();
    codec.turn({ prompt: "hi" });
    const killed = codec.exited({ exitCode: null, signal: "SIGKILL", stderr: "" });
    expect(killed.error?.code).toBe("backend_crashed");
    const quiet = ready().exited({ exitCode: 0, signal: null, stderr: "" });
    expect(quiet.error).toBeUndefined();
    const crashedIdle = ready().exited({ exitCode: 1, signal: null, stderr: "boom" });
    expect(crashedIdle.error?.code).toBe("backend_error");
    const zero = ready();
    zero.turn({ prompt: "hi" });
    expect(zero.exited({ exitCode: 0, signal: null, stderr: "" }).error).toBeDefined();
  });

  it("a failed session/new is fatal, with the CLI's reason", () => {
    const codec = live!.connect(base);
    codec.start();
    codec.line(transcript("turns")[1]?.line ?? "");
    const step = codec.line(
      ok('{"id":2,"error":{"code":-32000,"message":"Gemini API key is missing or not configured."}}'),
    );
    expect(step.fatal).toMatchObject({ code: "auth" });
    expect(step.ready).toBeUndefined();
  });
});

describe("gemini live: launch", () => {
  const oneShot = (o: Partial<InvocationOptions>) =>
    gemini
      .buildInvocation({ ...base, prompt: "p", promptVia: "argv", ...o })
      .args.filter((a) => a !== "--output-format=stream-json" && !a.startsWith("--prompt="));

  it("takes the one-shot flags, with --acp and no prompt", () => {
    const options = {
      model: "gemini-2.5-pro",
      approvalMode: "auto" as const,
      sandboxMode: "workspace" as LiveLaunchOptions["sandboxMode"],
      allowedTools: ["read_file"],
      allowedDirs: ["/data"],
      extraFlags: ["--extensions=none"],
    };
    const { args } = live!.launch({ ...base, ...options });
    expect(args[0]).toBe("--acp");
    expect(args.slice(1)).toEqual(oneShot(options));
    expect(args).toContain("--approval-mode=auto_edit");
    expect(args.some((a) => a.startsWith("--resume"))).toBe(false);
  });

  it("maps the approval modes as one-shot does", () => {
    for (const approvalMode of ["none", "always", "auto"] as const) {
      expect(live!.launch({ ...base, approvalMode }).args.slice(1)).toEqual(oneShot({ approvalMode }));
    }
  });

  it("serves client tools through the settings overlay, the token never on argv", () => {
    const clientTools = {
      name: "client",
      url: "http://127.0.0.1:1/mcp/secret-path",
      tools: ["get_weather"],
      keepBuiltins: false,
      token: "tok-123",
      configDir: "/tmp/x",
    };
    const invocation = live!.launch({ ...base, clientTools });
    expect(invocation.args).toContain("--allowed-mcp-server-names=client");
    expect(invocation.args.join(" ")).not.toContain("tok-123");
    expect(invocation.overlay?.settings).toMatchObject({ mcpServers: { client: { trust: true } } });
  });

  it("declares what it does", () => {
    expect(live!.capabilities).toEqual({ interrupt: true, permissions: true, resume: "own", streaming: true });
    expect(live!.minVersion).toBe("0.61.0");
  });
});
