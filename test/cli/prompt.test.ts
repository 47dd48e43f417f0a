import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.js";
import { FAKE_CLI_DIR, fixturePath, ROOT } from "../helpers.js";
import { CLI, runCli } from "./run-cli.js";

const pathWithFakes = `${FAKE_CLI_DIR}:${process.env.PATH}`;
const replayEnv = (cli: string, name: string, exit = "0", extra: Record<string, string> = {}) => ({
  ...process.env,
  PATH: pathWithFakes,
  FAKE_CLI_MODE: "replay",
  FAKE_CLI_STDOUT: fixturePath(cli, name, "stdout"),
  FAKE_CLI_STDERR: fixturePath(cli, name, "stderr"),
  FAKE_CLI_EXIT: exit,
  ...extra,
});

describe("clinvk basics", () => {
  it("--version prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(VERSION).toBe(pkg.version);
    const run = await runCli(["--version"]);
    expect(run).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it("--help explains the flags and exit codes", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    for (const text of ["--backend", "--output-format", "--dry-run", "--ephemeral", "--timeout", "Exit codes"]) {
      expect(run.stdout).toContain(text);
    }
  });

  it("package.json's license comes with its LICENSE file", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.license).toBe("MIT");
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License\n/);
  });

  it("the built dist/cli.cjs is executable (npm link runs it after every rebuild)", () => {
    expect(statSync(CLI).mode & 0o111).toBe(0o111);
  });

  it("an unknown option is a usage error (3)", async () => {
    const run = await runCli(["--no-such-flag", "hi"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("unknown option");
  });
});

describe("clinvk prompt with a fake CLI", () => {
  it("-o json prints the Go clinvoker's fields plus backend_session_id", async () => {
    const run = await runCli(["-b", "claude", "hello"], { env: replayEnv("claude", "stream-json") });
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({
      backend: "claude",
      content: "stub reply: hello",
      backend_session_id: "9da0288c-1368-41d4-86dd-e5ab6de59e60",
      model: "claude-opus-4-8",
      exit_code: 0,
      usage: { input_tokens: 18994, output_tokens: 5, total_tokens: 18999 },
    });
    expect(typeof doc.duration_seconds).toBe("number");
    expect(doc).toHaveProperty("session_id");
  });

  it("a tool call refused under the approval mode is a warning with a hint, and permission_denials in -o json", async () => {
    const run = await runCli(["-b", "claude", "write out.txt"], {
      env: replayEnv("claude", "write-default-mode-json"),
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "clinvk: warning: claude refused a tool call that needed approval: Write $SCRATCH/work-claude/out.txt\n  hint: allow edits with approval mode auto",
    );
    expect(JSON.parse(run.stdout).permission_denials).toEqual([
      { tool: "Write", input: { file_path: "$SCRATCH/work-claude/out.txt", content: "written by stub\n" } },
    ]);
  });

  it("-o text prints the answer with messages apart", async () => {
    const run = await runCli(["-b", "claude", "-o", "text", "read note.txt"], {
      env: replayEnv("claude", "tool-stream-json"),
    });
    expect(run).toMatchObject({ code: 0, stdout: "Let me read it.\n\nThe note says hello.\n" });
  });

  it("-o stream-json prints unified events as NDJSON", async () => {
    const run = await runCli(["-b", "gemini", "-o", "stream-json", "hi"], { env: replayEnv("gemini", "stream-json") });
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ type: "start", backend: "gemini", v: 1 });
    expect(events.at(-1)).toMatchObject({ type: "result", text: "stub reply: hello" });
  });

  it("a provider auth failure exits 5 with one line and a hint on stderr", async () => {
    const run = await runCli(["-b", "codex", "-o", "text", "hi"], { env: replayEnv("codex", "http401-json", "1") });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("Error [codex]: unexpected status 401 Unauthorized");
    expect(run.stderr).toContain("hint:");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("the prompt can come from stdin, alone or after the argument", async () => {
    const record = join(mkdtempSync(join(tmpdir(), "clinvk-cli-")), "argv.jsonl");
    const env = replayEnv("claude", "stream-json", "0", { FAKE_CLI_RECORD: record });
    await runCli(["-b", "claude"], { env, input: "from stdin\n" });
    await runCli(["-b", "claude", "review this"], { env, input: "diff --git a b\n" });
    const [alone, both] = readFileSync(record, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(alone.args.at(-1)).toBe("from stdin");
    expect(both.args.at(-1)).toBe("review this\n\ndiff --git a b");
  });

  it("--timeout stops a hanging CLI and exits 6", async () => {
    const run = await runCli(["-b", "claude", "--timeout", "0.5", "hi"], {
      env: { ...process.env, PATH: pathWithFakes, FAKE_CLI_MODE: "hang" },
    });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain("did not finish within 0.5 s");
  });

  it("SIGINT interrupts the run (a one-shot CLI is stopped) and exits 7", async () => {
    const run = await runCli(["-b", "claude", "hi"], {
      env: { ...process.env, PATH: pathWithFakes, FAKE_CLI_MODE: "hang" },
      onSpawn: (pid) => setTimeout(() => process.kill(pid, "SIGINT"), 700),
    });
    expect(run.code).toBe(7);
    expect(run.stderr).toContain("interrupting the turn");
    expect(run.stderr).toContain("the claude run was interrupted");
  });

  it("SIGTERM cancels the run and exits 7", async () => {
    const run = await runCli(["-b", "claude", "hi"], {
      env: { ...process.env, PATH: pathWithFakes, FAKE_CLI_MODE: "hang" },
      onSpawn: (pid) => setTimeout(() => process.kill(pid, "SIGTERM"), 700),
    });
    expect(run.code).toBe(7);
    expect(run.stderr).toContain("the claude run was cancelled");
  });
});

describe("clinvk bad input: one clear line, the right exit code", () => {
  it.each([
    // 2, as the Go clinvoker's exit-code reference says of a backend it does not know.
    [["-b", "chatgpt", "hi"], 2, 'unknown backend "chatgpt"'],
    [["-o", "yaml", "hi"], 3, 'invalid --output-format "yaml"'],
    [["-w", "/nonexistent/dir", "hi"], 3, "does not exist"],
    [["--timeout", "soon", "hi"], 3, 'invalid --timeout "soon"'],
    [["-b", "claude"], 3, "the prompt is empty"],
  ])("%j exits %i", async (args, code, message) => {
    const run = await runCli(args, { env: { ...process.env, PATH: pathWithFakes } });
    expect(run.code).toBe(code);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("a CLI that is not installed exits 2 and says how to install it", async () => {
    const run = await runCli(["-b", "gemini", "hi"], { env: { ...process.env, PATH: "/usr/bin:/bin" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("npm install -g @google/gemini-cli");
  });
});

describe("clinvk --dry-run", () => {
  it('prints "Would execute: " and a command that can be pasted, and runs nothing', async () => {
    const run = await runCli(["--dry-run", "-b", "codex", "-m", "best", "it's -here"], {
      env: { ...process.env, PATH: "/usr/bin:/bin" },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      "Would execute: codex exec --json --skip-git-repo-check --model=gpt-5-codex -- 'it'\\''s -here'\n",
    );
  });
});

describe("clinvk --dry-run -o json", () => {
  it("gives the argv and the line as JSON", async () => {
    const run = await runCli(["--dry-run", "-o", "json", "-b", "claude", "hi"], {
      env: { ...process.env, PATH: "/usr/bin:/bin" },
    });
    expect(JSON.parse(run.stdout)).toMatchObject({
      dry_run: true,
      backend: "claude",
      command_line: expect.stringContaining("claude -p"),
    });
  });
});

describe("clinvk with a stdin left open by its parent", () => {
  it("goes on with the argument after a short wait, and says so", async () => {
    const record = join(mkdtempSync(join(tmpdir(), "clinvk-cli-")), "argv.jsonl");
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [CLI, "-b", "claude", "-o", "text", "the argument"], {
      env: replayEnv("claude", "stream-json", "0", { FAKE_CLI_RECORD: record }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.on("close", resolve));
    child.stdin.destroy();
    expect(code).toBe(0);
    expect(stderr).toContain("no input on stdin");
    expect(JSON.parse(readFileSync(record, "utf8")).args.at(-1)).toBe("the argument");
  });
});

describe("every command's --help ends with examples", () => {
  it("has examples for each command", async () => {
    const { buildProgram } = await import("../../src/cli/program.js");
    const { EXAMPLES } = await import("../../src/cli/examples.js");
    const program = buildProgram();
    const paths: string[] = [];
    const walk = (command: typeof program, prefix: string[]) => {
      for (const child of command.commands) {
        if (child.name().startsWith("__")) continue;
        paths.push([...prefix, child.name()].join(" "));
        walk(child, [...prefix, child.name()]);
      }
    };
    walk(program, []);
    expect(paths.filter((path) => path !== "completion" && !EXAMPLES[path])).toEqual([]);
    const help = await runCli(["sessions", "clean", "--help"]);
    expect(help.stdout).toContain("Examples:\n  clinvk sessions clean --older-than 30d --dry-run");
  });
});
