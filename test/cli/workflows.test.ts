import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAKE_CLI_DIR } from "../helpers.js";
import { CLI, runCli } from "./run-cli.js";

const dir = () => mkdtempSync(join(tmpdir(), "clinvk-wf-cli-"));
const echoEnv = (delayMs = 0, extra: Record<string, string> = {}) => ({
  ...process.env,
  PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`,
  FAKE_CLI_MODE: "echo",
  FAKE_CLI_DELAY_MS: String(delayMs),
  ...extra,
});

function file(content: string, name = "tasks.yaml"): string {
  const path = join(dir(), name);
  writeFileSync(path, content);
  return path;
}

describe("clinvk parallel", () => {
  it("--json gives the Go clinvoker's summary fields; --output-dir writes private files", async () => {
    const out = join(dir(), "out");
    const tasks = file(
      '{"tasks":[{"id":"lint-1","backend":"codex","prompt":"one"},{"name":"Second: task!","backend":"gemini","prompt":"two"}]}',
      "t.json",
    );
    const run = await runCli(["parallel", "-f", tasks, "--json", "--output-dir", out], { env: echoEnv() });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ total_tasks: 2, completed: 2, failed: 0 });
    expect(summary.results[0]).toMatchObject({
      index: 0,
      task_id: "lint-1",
      backend: "codex",
      exit_code: 0,
      output: "echo: one",
    });
    for (const key of ["start_time", "end_time", "duration_seconds"]) expect(summary.results[1]).toHaveProperty(key);
    expect(readdirSync(out).sort()).toEqual(["001_lint-1.json", "002_Second__task.json", "summary.json"]);
    expect(statSync(join(out, "001_lint-1.json")).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(out, "002_Second__task.json"), "utf8")).result.output).toBe("echo: two");
  });

  it("reads tasks from stdin and prints outputs and a results table", async () => {
    const run = await runCli(["parallel"], { env: echoEnv(), input: "tasks:\n  - prompt: from stdin\n" });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("echo: from stdin");
    expect(run.stdout).toMatch(/#\s+BACKEND\s+STATUS\s+DURATION\s+TASK/);
    expect(run.stdout).toContain("Total: 1 tasks, 1 completed, 0 failed");
    expect(run.stderr).toContain("Running 1 task (");
  });

  it("a failed task exits 1; --fail-fast cancels the rest", async () => {
    const tasks = file("tasks:\n  - prompt: FAIL\n  - prompt: slow\n  - prompt: later\n");
    const run = await runCli(["parallel", "-f", tasks, "--fail-fast", "--max-parallel", "1", "--json"], {
      env: echoEnv(2000),
    });
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout);
    expect(summary.results.map((r: { status: string }) => r.status)).toEqual(["failed", "cancelled", "cancelled"]);
  });

  it.each([
    ["tasks:\n  - backend: claude\n", /tasks\.yaml:2: task 1: missing prompt/],
    ["tasks:\n  - prompt: a\n    backend: gpt\n", /task 1: backend/],
    ["tasks:\n  - prompt: a\n    timeout: 5\n", /unknown field timeout/],
    ["tasks:\n  - {id: a, prompt: x, depends_on: [a]}\n", /cannot depend on itself/],
    ["tasks: [\n", /not valid JSON or YAML/],
  ])("a bad task file is refused before anything runs (exit 3): %j", async (content, message) => {
    const run = await runCli(["parallel", "-f", file(content)], { env: echoEnv() });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });

  it("with no file and no stdin it says what to do", async () => {
    const run = await runCli(["parallel"], { env: echoEnv() });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("no input provided");
  });

  it("Ctrl+C cancels every task, leaves no process behind, and still prints the summary", async () => {
    const marker = `marker-${process.pid}-${Date.now()}`;
    const tasks = file(`tasks:\n  - prompt: a ${marker}\n  - prompt: b ${marker}\n  - prompt: c ${marker}\n`);
    const child = spawn(process.execPath, [CLI, "parallel", "-f", tasks, "--json"], {
      env: { ...echoEnv(60_000), CLINVK_HOME: dir() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    setTimeout(() => child.kill("SIGINT"), 1000);
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code).toBe(7);
    const summary = JSON.parse(stdout);
    expect(summary.cancelled).toBe(3);
    const { execFileSync } = await import("node:child_process");
    const leftovers = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes(marker));
    expect(leftovers).toEqual([]);
  });
});

describe("clinvk chain", () => {
  it("feeds {{previous}} on and prints each step and a summary", async () => {
    const chain = file("steps:\n  - {name: draft, prompt: first}\n  - {backend: codex, prompt: 'then {{previous}}'}\n");
    const run = await runCli(["chain", "-f", chain], { env: echoEnv() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("echo: then echo: first");
    expect(run.stdout).toContain("CHAIN EXECUTION SUMMARY");
    expect(run.stdout).toContain("Total: 2/2 steps completed");
  });

  it("--json; a failure stops the chain (exit 1) unless --continue-on-failure", async () => {
    const chain = file('{"steps":[{"prompt":"FAIL"},{"prompt":"after"}]}', "c.json");
    const stopped = await runCli(["chain", "-f", chain, "--json"], { env: echoEnv() });
    expect(stopped.code).toBe(1);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ total_steps: 2, completed_steps: 0, failed_step: 1 });
    const goOn = await runCli(["chain", "--input", chain, "--json", "--continue-on-failure"], { env: echoEnv() });
    expect(JSON.parse(goOn.stdout).completed_steps).toBe(1);
  });

  it("an invalid placeholder is refused before any step runs", async () => {
    const run = await runCli(["chain", "-f", file("steps:\n  - prompt: '{{steps.x.output}}'\n")], { env: echoEnv() });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("step 1: {{steps.x.output}} names no earlier step");
  });
});

describe("clinvk compare", () => {
  it("--all-backends takes the installed ones in a stable order; --json", async () => {
    const run = await runCli(["compare", "--all-backends", "--json", "hello"], { env: echoEnv() });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.backends).toEqual(["claude", "codex", "gemini"]);
    expect(summary.results.map((r: { output: string }) => r.output)).toEqual([
      "echo: hello",
      "echo: hello",
      "echo: hello",
    ]);
  });

  it("--backends skips the missing ones with a warning; none left exits 2; unknown exits 2", async () => {
    const onlyClaude = { ...echoEnv(), PATH: `${join(dir())}:/usr/bin:/bin` };
    const { symlinkSync } = await import("node:fs");
    const bin = mkdtempSync(join(tmpdir(), "clinvk-bin-"));
    symlinkSync(join(FAKE_CLI_DIR, "claude"), join(bin, "claude"));
    onlyClaude.PATH = `${bin}:/usr/bin:/bin`;
    // Not every backend answered, so the exit code says so (docs/guides/ci.md relies on it).
    const some = await runCli(["compare", "--backends", "claude,codex", "--json", "hi"], { env: onlyClaude });
    expect(some.code).toBe(1);
    expect(some.stderr).toContain('backend "codex" is not available, skipping');
    expect(JSON.parse(some.stdout)).toMatchObject({ backends: ["claude"], skipped: ["codex"] });
    const text = await runCli(["compare", "--backends", "claude,codex", "hi"], { env: onlyClaude });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/codex\s+SKIPPED/);
    const none = await runCli(["compare", "--backends", "codex", "hi"], { env: onlyClaude });
    expect(none.code).toBe(2);
    const unknown = await runCli(["compare", "--backends", "claude,gpt", "hi"], { env: onlyClaude });
    expect(unknown.code).toBe(2);
    expect((await runCli(["compare", "hi"], { env: onlyClaude })).code).toBe(3);
  });

  it("prints the answers and a summary table with tokens and model", async () => {
    const run = await runCli(["compare", "--backends", "claude,gemini", "--sequential", "hi"], { env: echoEnv() });
    expect(run.stdout).toContain("[claude]");
    expect(run.stdout).toMatch(/BACKEND\s+STATUS\s+DURATION\s+TOKENS\s+MODEL/);
    expect(run.stdout).toContain("fake-model");
  });
});
