// The Go clinvoker's global flags (--config -b -m -w -o --dry-run --ephemeral) before or after a
// subcommand, help that is help, and typos of command names that are not sent as prompts.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAKE_CLI_DIR } from "../helpers.js";
import { runCli } from "./run-cli.js";

/** A home, a project dir and the fake CLIs (echoing), which record every call to `record`. */
function world(config = "") {
  const dir = mkdtempSync(join(tmpdir(), "clinvk-global-flags-"));
  const home = join(dir, "home");
  const record = join(dir, "calls.jsonl");
  const configFile = join(dir, "other.yaml");
  writeFileSync(configFile, config);
  const env = {
    ...process.env,
    PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`,
    CLINVK_HOME: home,
    FAKE_CLI_MODE: "echo",
    FAKE_CLI_RECORD: record,
  };
  const run = (...args: string[]) => runCli(args, { env, cwd: dir });
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  return { dir, run, file, configFile, spawned: () => existsSync(record) };
}

const TASKS = '{"tasks":[{"id":"a","prompt":"one"},{"id":"b","backend":"gemini","prompt":"two"}]}';
const CHAIN = '{"steps":[{"name":"s1","prompt":"one"},{"name":"s2","backend":"gemini","prompt":"two {{previous}}"}]}';

describe("global flags work before and after every subcommand that takes them", () => {
  it.each([
    ["before", (f: string) => ["--dry-run", "-b", "codex", "-m", "o3", "parallel", "-f", f, "--json"]],
    ["after", (f: string) => ["parallel", "-f", f, "--json", "--dry-run", "-b", "codex", "-m", "o3"]],
  ])("parallel, flags %s: a dry run, -b and -m for the tasks that name none, no CLI spawned", async (_, args) => {
    const w = world();
    const run = await w.run(...args(w.file("t.json", TASKS)));
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.results.map((r: { backend: string }) => r.backend)).toEqual(["codex", "gemini"]);
    expect(summary.results[0].output).toMatch(/\/codex exec .*--model=o3 .*-- one$/);
    expect(summary.results[1].output).toMatch(/\/gemini .*--model=o3/);
    expect(w.spawned()).toBe(false);
  });

  it("chain: --dry-run, -b and --config before the subcommand; -o json after it is --json", async () => {
    const w = world("backends:\n  codex:\n    model: gpt-5-mini\n");
    const run = await w.run(
      "--dry-run",
      "-b",
      "codex",
      "--config",
      w.configFile,
      "chain",
      "-f",
      w.file("c.json", CHAIN),
      "-o",
      "json",
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.results[0]).toMatchObject({ backend: "codex", status: "completed" });
    expect(summary.results[0].output).toContain("--model=gpt-5-mini");
    expect(w.spawned()).toBe(false);
  });

  it("compare: --dry-run and -m before it, -o json after it", async () => {
    const w = world();
    const run = await w.run("--dry-run", "-m", "fast", "compare", "--backends", "codex,gemini", "-o", "json", "hi");
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.results.map((r: { output: string }) => r.output)).toEqual([
      expect.stringMatching(/\/codex exec .*--model=/),
      expect.stringMatching(/\/gemini .*--model=/),
    ]);
    expect(w.spawned()).toBe(false);
  });

  it("-b before `sessions list` filters it, as -b after it does", async () => {
    const w = world();
    expect((await w.run("-b", "codex", "hello")).code).toBe(0);
    expect((await w.run("-b", "gemini", "hello")).code).toBe(0);
    for (const args of [
      ["-b", "codex", "sessions", "list", "--json"],
      ["sessions", "list", "-b", "codex", "-o", "json"],
    ]) {
      const listed = JSON.parse((await w.run(...args)).stdout);
      expect(listed.map((s: { backend: string }) => s.backend)).toEqual(["codex"]);
    }
  });

  it("resume --dry-run and --ephemeral, before or after; an ephemeral turn leaves the session as it was", async () => {
    const w = world();
    const first = JSON.parse((await w.run("-b", "codex", "hello")).stdout);
    const dry = await w.run("--dry-run", "resume", "--last", "again");
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/\/codex exec resume /);
    const ephemeral = await w.run("resume", "--last", "--ephemeral", "-o", "json", "a side question");
    expect(ephemeral.code, ephemeral.stderr).toBe(0);
    expect(ephemeral.stderr).toContain("this turn is not saved");
    const shown = JSON.parse((await w.run("sessions", "show", first.session_id, "--json")).stdout);
    expect(shown.turn_count).toBe(1);
  });

  it.each([
    [["--dry-run", "sessions", "list"], "--dry-run has no meaning for `clinvk sessions list`"],
    [["-w", "/tmp", "resume", "--last", "x"], "--workdir has no meaning for `clinvk resume`"],
    [["-b", "codex", "compare", "--backends", "claude", "x"], "compare takes --backends"],
    [["--ephemeral", "serve"], "--ephemeral has no meaning for `clinvk serve`"],
    [["--timeout", "5", "parallel"], "--timeout has no meaning for `clinvk parallel`"],
    [["sessions", "list", "-o", "stream-json"], "-o stream-json has no meaning for `clinvk sessions list`"],
  ])("%j is refused with a clear message (exit 3)", async (args, message) => {
    const w = world();
    const run = await w.run(...args);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(w.spawned()).toBe(false);
  });

  it("an unknown option of a subcommand is a usage error (3), not 1", async () => {
    const run = await world().run("sessions", "list", "--no-such-flag");
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("unknown option '--no-such-flag'");
    expect(run.stderr).not.toContain("a prompt that begins with -");
  });
});

describe("help is help, and a mistyped command is not a prompt", () => {
  it("`clinvk help parallel` and `clinvk help sessions list` print those commands' help", async () => {
    const w = world();
    const parallel = await w.run("help", "parallel");
    expect(parallel.code).toBe(0);
    expect(parallel.stdout).toMatch(/^Usage: clinvk parallel /);
    const list = await w.run("help", "sessions", "list");
    expect(list.stdout).toMatch(/^Usage: clinvk sessions list\|ls /);
    expect((await w.run("help")).stdout).toMatch(/^Usage: clinvk /);
    expect((await w.run("--dry-run", "help", "serve")).stdout).toMatch(/^Usage: clinvk serve /);
    expect(w.spawned()).toBe(false);
  });

  it("`clinvk help sesions` is a usage error with a did-you-mean", async () => {
    const run = await world().run("help", "sesions");
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("did you mean `clinvk help sessions`?");
  });

  it.each([
    [["sesions", "list"], "did you mean `clinvk sessions list`?"],
    [["parralel"], "did you mean `clinvk parallel`?"],
    [["sevre"], "did you mean `clinvk serve`?"],
  ])("%j is refused with a did-you-mean and runs nothing", async (args, message) => {
    const w = world();
    const run = await w.run(...args);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(message);
    expect(w.spawned()).toBe(false);
  });

  it("after --, or as one quoted argument, such words are a prompt; so are ordinary short prompts", async () => {
    const w = world();
    for (const args of [["--", "sesions", "list"], ["sesions list"], ["hello"], ["fix", "it"]]) {
      const run = await w.run("-b", "codex", "--new", ...args);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).content).toBe(`echo: ${args.filter((a) => a !== "--").join(" ")}`);
    }
  });
});
