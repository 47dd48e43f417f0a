// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is arbitrary; tests read it loosely.
// Runs a command (a real CLI, or clinvk) inside a sandbox from cli-env.ts: stdin closed (or fed), an outer
// timeout that kills the whole process group, stdout/stderr captured.
import { spawn } from "node:child_process";
import type { CliSandbox } from "./cli-env.js";

export interface RunOptions {
  /** Kill the process group after this many ms (default 60 s). */
  timeoutMs?: number;
  /** Data written to stdin, which is then closed. Default: stdin is /dev/null. */
  stdin?: string;
  /**
   * Keep stdin an open pipe that sends nothing for this many ms (as a parent that forgot to close it would), then
   * write `stdin` (if any) and close it.
   */
  stdinOpenMs?: number;
  /** Working dir (default: the sandbox work dir). */
  cwd?: string;
  /** Extra env on top of the sandbox env (`undefined` removes a var). */
  env?: Record<string, string | undefined>;
}

export interface RunResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the outer timeout fired and the process group was killed. */
  timedOut: boolean;
}

/** Parses JSONL output, skipping lines that are not JSON objects. */
export function parseJsonLines(text: string): any[] {
  const out: any[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      out.push(JSON.parse(t));
    } catch {
      // not JSON
    }
  }
  return out;
}

/** Spawns `command args` with the sandbox env and cwd; resolves when it exits (or after the timeout kill). */
export function runInSandbox(
  sandbox: CliSandbox,
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const env: Record<string, string> = { ...sandbox.env };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined || v === null) delete env[k];
    else env[k] = v;
  }
  const started = Date.now();
  const child = spawn(command, [...args], {
    cwd: options.cwd ?? sandbox.workDir,
    env,
    stdio: [options.stdin === undefined && options.stdinOpenMs === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    detached: true, // own process group, so the timeout can kill grandchildren too
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on("data", (c: Buffer) => stdout.push(c));
  child.stderr?.on("data", (c: Buffer) => stderr.push(c));
  let stdinTimer: NodeJS.Timeout | undefined;
  if (child.stdin) {
    const stdin = child.stdin;
    stdin.on("error", () => {});
    if (options.stdinOpenMs === undefined) stdin.end(options.stdin);
    else stdinTimer = setTimeout(() => stdin.end(options.stdin ?? ""), options.stdinOpenMs);
  }
  let timedOut = false;
  const killGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  let hardKill: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup("SIGTERM");
    hardKill = setTimeout(() => killGroup("SIGKILL"), 2000);
  }, options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on("error", (err) => {
      clearTimeout(timer);
      clearTimeout(stdinTimer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(stdinTimer);
      if (hardKill) clearTimeout(hardKill);
      // Leftover helpers of the CLI (same process group) must not outlive the test.
      killGroup("SIGKILL");
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        durationMs: Date.now() - started,
        timedOut,
      });
    });
  });
}

/** Runs one of the real CLIs of the sandbox by name. */
export function runCli(
  sandbox: CliSandbox,
  cli: keyof CliSandbox["commands"],
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return runInSandbox(sandbox, sandbox.commands[cli], args, options);
}
