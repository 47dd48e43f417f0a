// `clinvk resume` without a prompt, on a terminal (a pty from util-linux `script`) and with piped stdin.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAKE_CLI_DIR } from "../helpers.js";
import { CLI, runCli } from "./run-cli.js";

const hasScript = spawnSync("script", ["--version"]).status === 0;

function world() {
  const dir = mkdtempSync(join(tmpdir(), "clinvk-resume-tty-"));
  const record = join(dir, "calls.jsonl");
  const env = {
    ...process.env,
    PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`,
    CLINVK_HOME: join(dir, "home"),
    FAKE_CLI_MODE: "echo",
    NO_COLOR: "1",
  };
  return { dir, env, record };
}

/** Runs clinvk on a pseudo-terminal, typing each input after a pause; stdout is the terminal's screen. */
function onTerminal(
  w: ReturnType<typeof world>,
  args: string[],
  inputs: string[],
): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: w.dir,
    env: { ...w.env, FAKE_CLI_RECORD: w.record },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  child.stdout.on("data", (chunk) => {
    screen += chunk;
  });
  // Each input after a pause, so that clinvk is waiting for it (the picker, then the question).
  for (const [i, input] of inputs.entries()) setTimeout(() => child.stdin.write(input), 700 * (i + 1));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, screen })));
}

describe.skipIf(!hasScript)("clinvk resume without a prompt", () => {
  it("--last on a terminal asks for the prompt and sends the answer", async () => {
    const w = world();
    expect((await runCli(["-b", "codex", "hello"], { env: w.env, cwd: w.dir })).code).toBe(0);
    const run = await onTerminal(w, ["resume", "--last", "-o", "text"], ["and then?\r"]);
    expect(run.code, run.screen).toBe(0);
    expect(run.screen).toMatch(/Prompt for session [0-9a-f]{8} \(codex\): /);
    expect(run.screen).toContain("echo: and then?");
  });

  it("an empty answer sends nothing (exit 7)", async () => {
    const w = world();
    expect((await runCli(["-b", "codex", "hello"], { env: w.env, cwd: w.dir })).code).toBe(0);
    const run = await onTerminal(w, ["resume", "--last"], ["\r"]);
    expect(run.code, run.screen).toBe(7);
    expect(run.screen).toContain("no prompt given; nothing was sent");
    expect(existsSync(w.record)).toBe(false);
  });

  it("bare `clinvk resume` on a terminal opens the picker, then asks for the prompt", async () => {
    const w = world();
    expect((await runCli(["-b", "gemini", "hello"], { env: w.env, cwd: w.dir })).code).toBe(0);
    const run = await onTerminal(w, ["resume", "-o", "text"], ["\r", "picked it\r"]);
    expect(run.code, run.screen).toBe(0);
    expect(run.screen).toContain("Resume which session?");
    expect(run.screen).toContain("echo: picked it");
  });

  it("--last takes the prompt from piped stdin", async () => {
    const w = world();
    expect((await runCli(["-b", "codex", "hello"], { env: w.env, cwd: w.dir })).code).toBe(0);
    const run = await runCli(["resume", "--last", "-o", "text"], { env: w.env, cwd: w.dir, input: "from a pipe\n" });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("echo: from a pipe\n");
  });
});
