/** The bundled clinvk, run as users run it: its own process, stdin closed, a scratch CLINVK_HOME. */
import { type ChildProcess, spawn } from "node:child_process";
import { CLINVK, FAKE } from "./paths.js";
import { cleanEnv } from "./serve.js";

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The outer time limit fired (the run was killed). */
  timedOut: boolean;
}

export interface CliHandle {
  child: ChildProcess;
  pid: number;
  /** Everything printed on stdout so far. */
  stdout(): string;
  done: Promise<CliRun>;
}

/** Env that makes clinvk run the fake CLI for every backend (config overrides through CLINVK_ variables). */
export function fakeBackendsEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    CLINVK_HOME: home,
    CLINVK_BACKENDS_CLAUDE_BINARY: FAKE.claude,
    CLINVK_BACKENDS_CODEX_BINARY: FAKE.codex,
    CLINVK_BACKENDS_GEMINI_BINARY: FAKE.gemini,
    ...extra,
  });
}

export function startClinvk(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): CliHandle {
  const started = performance.now();
  const child = spawn(process.execPath, [CLINVK, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.timeoutMs ?? 60_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started, timedOut });
    });
  });
  return { child, pid: child.pid as number, stdout: () => stdout, done };
}

export function runClinvk(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<CliRun> {
  return startClinvk(args, options).done;
}
