// gemini's live mode end to end: the pinned real `gemini --acp` driven through its codec (src/backends/gemini-live.ts)
// by the host (src/engine/live-cli.ts), offline against the provider stub. Two turns in one process, an interrupt
// and a turn after it, a permission allowed and one denied, a resume in a fresh process, and no process left
// behind after close.
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { gemini } from "../../src/backends/gemini.js";
import type { LiveLaunchOptions } from "../../src/backends/live-protocol.js";
import type { EventBody } from "../../src/core/events.js";
import type { LiveCli, LiveTurnControl } from "../../src/engine/live-cli.js";
import { type CliSandbox, type CliSandboxOptions, prepareCliSandbox } from "./cli-env.js";
import { openLive, runTurn } from "./live-host.js";
import { type ProviderStub, startProviderStub } from "./stub/index.js";

const protocol = gemini.live;
if (!protocol) throw new Error("gemini has no live protocol");

let stub: ProviderStub;
const sandboxes: CliSandbox[] = [];
const clis: LiveCli[] = [];

beforeAll(async () => {
  stub = await startProviderStub({ usage: { inputTokens: 1000 } });
});
afterAll(async () => {
  await stub.close();
});
afterEach(async () => {
  await Promise.all(clis.splice(0).map((cli) => cli.close()));
  for (const sb of sandboxes.splice(0)) sb.cleanup();
  stub.reset();
});

function sandbox(options: CliSandboxOptions = {}): CliSandbox {
  const sb = prepareCliSandbox("gemini", stub.url, options);
  sandboxes.push(sb);
  return sb;
}

async function open(sb: CliSandbox, options: Partial<LiveLaunchOptions> = {}): Promise<LiveCli> {
  const cli = await openLive("gemini", protocol as NonNullable<typeof protocol>, sb, options);
  clis.push(cli);
  return cli;
}

const turn = runTurn;

const PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const contents = (n: number) => JSON.stringify(stub.mainRequests("gemini")[n]?.body?.contents ?? []);
const texts = (events: EventBody[]) => events.flatMap((e) => (e.type === "text" ? [e.text] : [])).join("");

/** Processes whose environment names this sandbox's HOME: what the CLI started and anything it left. */
function processesOf(sb: CliSandbox): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(`HOME=${sb.home}`)) {
        found.push(Number(entry));
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/**
 * gemini 0.61.0's session/load empties a session whose file is named after the current minute (it first writes a
 * new record for the loaded id into `session-<minute>-<id>.jsonl`): a resume in the minute the session began loses
 * it. Real resumes come later; the test ages the session's file to stand for that.
 */
function ageSession(sb: CliSandbox, sessionId: string) {
  const chats = join(sb.home, ".gemini", "tmp", basename(sb.workDir), "chats");
  for (const file of readdirSync(chats)) {
    if (file.endsWith(`-${sessionId.slice(0, 8)}.jsonl`))
      renameSync(join(chats, file), join(chats, file.replace(/T\d\d-\d\d-/, "T00-00-")));
  }
}

describe("gemini live (ACP) against the real CLI", () => {
  it("runs two turns in one process; the second request carries the first turn", async () => {
    const sb = sandbox();
    const cli = await open(sb);
    const pid = cli.pid;
    stub.script("First answer.", "Second answer.");
    const first = await turn(cli, { prompt: "hello" });
    expect(first.outcome.parsed).toMatchObject({ text: "First answer.", backendSessionId: cli.conversationId });
    expect(first.outcome.parsed.usage?.input_tokens).toBe(1000);
    expect(first.outcome.parsed.model).toMatch(/^gemini-/);
    expect(texts(first.events)).toBe("First answer.");
    const second = await turn(cli, { prompt: "and again", resume: cli.conversationId });
    expect(second.outcome.parsed.text).toBe("Second answer.");
    expect(cli.pid).toBe(pid);
    expect(contents(1)).toContain("First answer.");
    expect(contents(1)).toContain("hello");
  });

  it("gives a new conversation (a turn naming none) a session of its own in a used process", async () => {
    const sb = sandbox();
    const cli = await open(sb);
    stub.script("One.", "Two.");
    await turn(cli, { prompt: "first conversation" });
    const first = cli.conversationId;
    const other = await turn(cli, { prompt: "second conversation" });
    expect(other.outcome.parsed.text).toBe("Two.");
    expect(cli.conversationId).not.toBe(first);
    expect(other.outcome.parsed.backendSessionId).toBe(cli.conversationId);
    expect(contents(1)).not.toContain("first conversation");
  });

  it("interrupts a turn and continues the same conversation in the same process", async () => {
    const sb = sandbox();
    const cli = await open(sb);
    stub.script(
      "Before the interrupt.",
      { text: "one two three four five six seven eight", chunkSize: 4, chunkDelayMs: 500 },
      "After the interrupt.",
    );
    await turn(cli, { prompt: "first" });
    const interrupt = new AbortController();
    const resume = cli.conversationId;
    const cut = await turn(cli, { prompt: "count slowly", resume }, { interrupt: interrupt.signal }, (event) => {
      if (event.type === "text") interrupt.abort();
    });
    expect(cut.outcome.parsed.interrupted).toBe(true);
    expect(cut.outcome.exit).toBeUndefined();
    expect(cli.alive).toBe(true);
    const after = await turn(cli, { prompt: "continue", resume });
    expect(after.outcome.parsed.text).toBe("After the interrupt.");
    expect(after.outcome.parsed.error).toBeUndefined();
    expect(contents(2)).toContain("Before the interrupt.");
    expect(contents(2)).toContain("continue");
  });

  it("asks before a tool runs: an allowed command runs, a denied write does not", async () => {
    const sb = sandbox();
    const cli = await open(sb);
    stub.script(
      { toolCall: { name: "run_shell_command", input: { command: "echo allowed > allowed.txt" } } },
      "Ran it.",
      { toolCall: { name: "write_file", input: { file_path: "denied.txt", content: "denied\n" } } },
      "Not written.",
    );
    const asked: string[] = [];
    const onPermission: LiveTurnControl["onPermission"] = async (request) => {
      asked.push(request.tool);
      return request.tool === "run_shell_command" ? { behavior: "allow" } : { behavior: "deny", message: "no" };
    };
    const allowed = await turn(cli, { prompt: "run echo" }, { onPermission });
    expect(allowed.outcome.parsed.text).toBe("Ran it.");
    expect(existsSync(join(sb.workDir, "allowed.txt"))).toBe(true);
    const denied = await turn(cli, { prompt: "write denied.txt", resume: cli.conversationId }, { onPermission });
    expect(asked).toEqual(["run_shell_command", "write_file"]);
    expect(existsSync(join(sb.workDir, "denied.txt"))).toBe(false);
    expect(denied.outcome.parsed.permissionDenials).toMatchObject([{ tool: "write_file" }]);
    expect(denied.events.filter((e) => e.type === "permission").map((e) => e.type === "permission" && e.state)).toEqual(
      ["asked", "denied"],
    );
    // The model was told the tool did not run.
    expect(JSON.stringify(stub.lastRequest("gemini")?.toolResults)).toContain("canceled");
  });

  it("refuses without asking when permissions are not asked for (the default approval mode's one-shot behaviour)", async () => {
    const sb = sandbox();
    const cli = await open(sb, { askPermissions: false });
    stub.script({ toolCall: { name: "run_shell_command", input: { command: "echo no > no.txt" } } }, "Refused.");
    const { outcome, events } = await turn(cli, { prompt: "run echo" });
    expect(events.some((e) => e.type === "permission")).toBe(false);
    expect(outcome.parsed.permissionDenials).toMatchObject([{ tool: "run_shell_command" }]);
    expect(existsSync(join(sb.workDir, "no.txt"))).toBe(false);
  });

  it("sends an image given by path (outside the workspace) to the model", async () => {
    const sb = sandbox();
    const path = join(sb.root, "dot.png");
    writeFileSync(path, Buffer.from(PNG_1X1, "base64"));
    const cli = await open(sb, { askPermissions: false });
    stub.script("A dot.");
    const { outcome } = await turn(cli, { prompt: "what is this", images: [{ path, mediaType: "image/png" }] });
    expect(outcome.parsed.text).toBe("A dot.");
    const parts = stub.mainRequests("gemini")[0]?.body?.contents?.flatMap((c: { parts: unknown[] }) => c.parts);
    expect(parts).toContainEqual({ inlineData: { mimeType: "image/png", data: PNG_1X1 } });
  });

  it("resumes an earlier conversation in a fresh process (session/load)", async () => {
    const sb = sandbox();
    const first = await open(sb);
    stub.script("Remember the word kiwi.", "The word was kiwi.");
    await turn(first, { prompt: "remember kiwi" });
    const sessionId = first.conversationId ?? "";
    await first.close();
    ageSession(sb, sessionId);
    const fresh = await open(sb);
    expect(fresh.conversationId).not.toBe(sessionId);
    const { outcome, events } = await turn(fresh, { prompt: "which word?", resume: sessionId });
    expect(outcome.parsed).toMatchObject({ text: "The word was kiwi.", backendSessionId: sessionId });
    expect(texts(events)).toBe("The word was kiwi.");
    expect(fresh.conversationId).toBe(sessionId);
    expect(contents(1)).toContain("Remember the word kiwi.");
  });

  it("ends a turn that names an invalid session id, and the process goes on", async () => {
    const sb = sandbox();
    const cli = await open(sb);
    const bad = await turn(cli, { prompt: "x", resume: "not a session id" });
    expect(bad.outcome.parsed.error?.code).toBe("session_not_found");
    stub.script("Still here.");
    const good = await turn(cli, { prompt: "hello" });
    expect(good.outcome.parsed.text).toBe("Still here.");
  });

  it("leaves no process behind after close, with gemini's own relaunch as a second process", async () => {
    const sb = sandbox({ geminiNoRelaunch: false });
    const cli = await open(sb);
    stub.script("Hi.");
    await turn(cli, { prompt: "hello" });
    expect(processesOf(sb).length).toBeGreaterThanOrEqual(2);
    await cli.close();
    expect(cli.alive).toBe(false);
    expect(processesOf(sb)).toEqual([]);
  });
});
