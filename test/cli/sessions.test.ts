import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAKE_CLI_DIR, fixturePath } from "../helpers.js";
import { runCli } from "./run-cli.js";

/** A project folder, a clinvoker home, and the fake claude replaying a real recording. */
function world(fixture = "stream-json") {
  const dir = mkdtempSync(join(tmpdir(), "clinvk-sessions-cli-"));
  const record = join(dir, "argv.jsonl");
  const env = {
    ...process.env,
    PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`,
    CLINVK_HOME: join(dir, "home"),
    FAKE_CLI_MODE: "replay",
    FAKE_CLI_STDOUT: fixturePath("claude", fixture, "stdout"),
    FAKE_CLI_STDERR: fixturePath("claude", fixture, "stderr"),
    FAKE_CLI_RECORD: record,
  };
  const run = (...args: string[]) => runCli(args, { env, cwd: dir });
  const calls = () =>
    readFileSync(record, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line).args as string[]);
  const list = async () => JSON.parse((await run("sessions", "list", "--json")).stdout);
  return { dir, run, calls, list };
}

const BACKEND_ID = "9da0288c-1368-41d4-86dd-e5ab6de59e60";

describe("sessions through the CLI", () => {
  it("a run creates a session; the next prompt here continues it and says so", async () => {
    const w = world();
    const first = await w.run("-b", "claude", "hello");
    expect(first.code).toBe(0);
    const sessionId = JSON.parse(first.stdout).session_id;
    expect(sessionId).toMatch(/^[a-f0-9]{32}$/);
    let listed = await w.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id: sessionId,
      backend: "claude",
      backend_session_id: BACKEND_ID,
      working_dir: w.dir,
      turn_count: 1,
      status: "completed",
      token_usage: { input_tokens: 18994, output_tokens: 5 },
    });

    const second = await w.run("-b", "claude", "and then?");
    expect(second.stderr).toContain(`continuing session ${sessionId.slice(0, 8)}`);
    expect(JSON.parse(second.stdout).session_id).toBe(sessionId);
    expect(w.calls()[1]).toContain(`--resume=${BACKEND_ID}`);
    listed = await w.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ turn_count: 2, token_usage: { input_tokens: 2 * 18994 } });
  });

  it("--new starts afresh; --ephemeral leaves nothing; another directory does not continue", async () => {
    const w = world();
    await w.run("-b", "claude", "one");
    await w.run("-b", "claude", "--new", "two");
    expect(w.calls()[1]?.some((arg) => arg.startsWith("--resume"))).toBe(false);
    await w.run("-b", "claude", "--ephemeral", "three");
    expect(w.calls()[2]).toContain("--no-session-persistence");
    expect(await w.list()).toHaveLength(2);
    const elsewhere = await runCli(["-b", "claude", "--dry-run", "four"], {
      env: { ...process.env, PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`, CLINVK_HOME: join(w.dir, "home") },
      cwd: tmpdir(),
    });
    expect(elsewhere.stdout).not.toContain("--resume");
  });

  it("session.auto_resume false turns continuing off; -c turns it back on", async () => {
    const w = world();
    await w.run("-b", "claude", "one");
    const env = { CLINVK_SESSION_AUTO_RESUME: "false" };
    const noAuto = await runCli(["--dry-run", "-b", "claude", "two"], {
      env: { ...process.env, PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`, CLINVK_HOME: join(w.dir, "home"), ...env },
      cwd: w.dir,
    });
    expect(noAuto.stdout).not.toContain("--resume");
    const continued = await runCli(["-c", "--dry-run", "three"], {
      env: { ...process.env, PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`, CLINVK_HOME: join(w.dir, "home"), ...env },
      cwd: w.dir,
    });
    expect(continued.stdout).toContain(`--resume=${BACKEND_ID}`);
  });

  it("resume --last, resume by prefix, and the errors when it cannot", async () => {
    const w = world();
    const sessionId = JSON.parse((await w.run("-b", "claude", "hello")).stdout).session_id as string;
    const last = await w.run("resume", "--last", "and", "then?");
    expect(last.code).toBe(0);
    expect(last.stderr).toContain(`resuming session ${sessionId.slice(0, 8)}`);
    expect(w.calls()[1]?.slice(-2)).toEqual(["--", "and then?"]);
    expect(w.calls()[1]).toContain(`--resume=${BACKEND_ID}`);
    const byPrefix = await w.run("resume", sessionId.slice(0, 5), "-o", "text", "more");
    expect(byPrefix).toMatchObject({ code: 0, stdout: "stub reply: hello\n" });

    expect((await w.run("resume")).code).toBe(3);
    const unknown = await w.run("resume", "ffffffff", "x");
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain("no session found");
    const traversal = await w.run("sessions", "show", "../../etc/passwd");
    expect(traversal.code).toBe(4);
    expect((await w.run("resume", "--last", "-b", "codex", "x")).code).toBe(4);
  });

  it("fork: its first turn forks claude's conversation (--fork-session), later ones do not; a prompt runs it now", async () => {
    const w = world();
    const id = JSON.parse((await w.run("-b", "claude", "hello")).stdout).session_id as string;
    const fork = JSON.parse((await w.run("sessions", "fork", id.slice(0, 8), "--json")).stdout);
    const first = await w.run("resume", fork.id.slice(0, 8), "fork turn");
    expect(first.code, first.stderr).toBe(0);
    expect(w.calls()[1]).toEqual(expect.arrayContaining([`--resume=${BACKEND_ID}`, "--fork-session"]));
    expect((await w.run("resume", fork.id.slice(0, 8), "second fork turn")).code).toBe(0);
    expect(w.calls()[2]).not.toContain("--fork-session");
    expect((await w.run("resume", id.slice(0, 8), "original turn")).code).toBe(0);
    expect(w.calls()[3]).not.toContain("--fork-session");

    const dry = await w.run("--dry-run", "sessions", "fork", id.slice(0, 8), "try another way");
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("--fork-session");
    expect(w.calls()).toHaveLength(4);
    const sessionsBefore = (await w.list()).length;
    const now = await w.run("sessions", "fork", id.slice(0, 8), "try", "another", "way");
    expect(now.code, now.stderr).toBe(0);
    const doc = JSON.parse(now.stdout);
    expect(doc.session_id).not.toBe(id);
    expect(w.calls()[4]).toEqual(expect.arrayContaining(["--fork-session", "--", "try another way"]));
    expect(await w.list()).toHaveLength(sessionsBefore + 1);
  });

  it("fork refuses a codex or gemini session: their CLIs cannot fork a conversation", async () => {
    const w = world();
    const env = {
      ...process.env,
      PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`,
      CLINVK_HOME: join(w.dir, "home"),
      FAKE_CLI_MODE: "echo",
    };
    const id = JSON.parse((await runCli(["-b", "codex", "hello"], { env, cwd: w.dir })).stdout).session_id as string;
    const run = await runCli(["sessions", "fork", id.slice(0, 8), "x"], { env, cwd: w.dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("codex cannot fork a conversation");
    expect(await w.list()).toHaveLength(1);
  });

  it("show, tag, fork, delete and clean with a preview", async () => {
    const w = world();
    const id = JSON.parse((await w.run("-b", "claude", "hello")).stdout).session_id as string;
    const shown = await w.run("sessions", "show", id.slice(0, 8));
    expect(shown.stdout).toContain(`ID:`);
    expect(shown.stdout).toContain(BACKEND_ID);
    expect(JSON.parse((await w.run("sessions", "show", id, "--json")).stdout).id).toBe(id);

    expect((await w.run("sessions", "tag", id.slice(0, 8), "ci,review")).stdout).toContain("ci, review");
    expect((await w.list())[0].tags).toEqual(["ci", "review"]);
    expect(JSON.parse((await w.run("sessions", "list", "--tag", "ci", "--json")).stdout)).toHaveLength(1);
    expect(shown.stdout).toMatch(/Kept Turns:\s+1; --json shows them/);
    expect(JSON.parse((await w.run("sessions", "show", id, "--json")).stdout).turns[0]).toMatchObject({
      prompt: "hello",
      status: "success",
    });
    expect(JSON.parse((await w.run("sessions", "list", "--search", "HELL", "--json")).stdout)).toHaveLength(1);
    expect(JSON.parse((await w.run("sessions", "list", "--search", "REVIEW", "--json")).stdout)).toHaveLength(1);
    expect(JSON.parse((await w.run("sessions", "list", "--search", "nowhere", "--json")).stdout)).toHaveLength(0);
    const tooLong = await w.run("sessions", "list", "--search", "x".repeat(201));
    expect(tooLong.code).toBe(3);
    expect(tooLong.stderr).toContain("--search is at most 200 characters");

    const fork = JSON.parse((await w.run("sessions", "fork", id.slice(0, 8), "--json")).stdout);
    expect(fork).toMatchObject({ parent_id: id, backend_session_id: BACKEND_ID });

    const table = await w.run("sessions", "list");
    expect(table.stdout).toMatch(/^ID\s+BACKEND\s+STATUS\s+LAST USED\s+TOKENS\s+TITLE\/PROMPT/);
    expect(table.stdout).toContain("just now");

    const preview = await w.run("sessions", "clean", "--older-than", "0", "--dry-run");
    expect(preview.stdout).toContain("Would delete 2 session(s)");
    expect(await w.list()).toHaveLength(2);
    expect((await w.run("sessions", "delete", fork.id)).stdout).toBe(`Session ${fork.id} deleted.\n`);
    expect((await w.run("sessions", "clean", "--older-than", "0")).stdout).toContain("Deleted 1 session(s)");
    expect(await w.list()).toHaveLength(0);
    expect((await w.run("sessions", "clean", "--older-than", "soon")).code).toBe(3);
  });

  it("a failed run records the error on its session", async () => {
    const w = world("http401-json");
    const run = await w.run("-b", "claude", "hello");
    expect(run.code).toBe(5);
    expect((await w.list())[0]).toMatchObject({ status: "error" });
    const shown = JSON.parse((await w.run("sessions", "show", JSON.parse(run.stdout).session_id, "--json")).stdout);
    expect(shown.error_message).toContain("Invalid API key");
  });
});

describe("clinvk sessions repair", () => {
  it("rebuilds the index from the session files, dropping a crafted entry, and says so", async () => {
    const w = world();
    expect((await w.run("hello")).code).toBe(0);
    const store = join(w.dir, "home", "sessions");
    const forged = {
      id: "../../escape",
      backend: "claude",
      working_dir: "/",
      status: "active",
      last_used: "x",
      tags: [],
    };
    appendFileSync(join(store, "index.log"), `${JSON.stringify({ set: forged })}\n`);
    const repair = await w.run("sessions", "repair", "--json");
    expect(repair.code).toBe(0);
    expect(JSON.parse(repair.stdout)).toMatchObject({ sessions: 1 });
    const index = JSON.parse(readFileSync(join(store, "index.json"), "utf8"));
    expect(Object.keys(index.sessions)).toHaveLength(1);
    expect(readFileSync(join(store, "index.log"), "utf8")).toBe("");
    const listed = await w.list();
    expect(Array.isArray(listed) ? listed : listed.sessions).toHaveLength(1);
  });
});
