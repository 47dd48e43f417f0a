// biome-ignore-all lint/suspicious/noExplicitAny: protocol JSON is arbitrary; callers read it loosely.
// A long-lived CLI process in a sandbox, driven line by line over its stdio: for recording a live protocol
// (record-claude-live.ts) and for e2e tests that need the raw process. No shell; its own process group, so that a
// kill takes its children too; stdout/stderr kept whole (tests and recordings are short).
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { CliSandbox } from "./cli-env.js";

export interface LiveChild {
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly stdout: string[];
  /** Every line written to stdin so far. */
  readonly stdin: string[];
  /** Both directions in order: `> ` written, `< ` read. */
  readonly transcript: string[];
  stderr(): string;
  write(line: string): void;
  /** Resolves with the first stdout line from index `from` on that `match` accepts (its parsed JSON). */
  waitFor(match: (message: any) => boolean, options?: { from?: number; timeoutMs?: number }): Promise<any>;
  /** Closes stdin and waits for the exit (killing the group after `timeoutMs`). */
  close(timeoutMs?: number): Promise<{ code: number | null; signal: string | null }>;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export function startLiveChild(sb: CliSandbox, command: string, args: string[]): LiveChild {
  const child = spawn(command, args, { cwd: sb.workDir, env: sb.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
  const stdout: string[] = [];
  const stdin: string[] = [];
  const transcript: string[] = [];
  let stderr = "";
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    stdout.push(line);
    transcript.push(`< ${line}`);
    for (const wake of [...waiters]) wake();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on("close", (code, signal) => {
      for (const wake of [...waiters]) wake();
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  return {
    child,
    stdout,
    stdin,
    transcript,
    exited,
    stderr: () => stderr,
    write(line) {
      stdin.push(line);
      transcript.push(`> ${line}`);
      child.stdin?.write(`${line}\n`);
    },
    waitFor(match, options = {}) {
      const timeoutMs = options.timeoutMs ?? 30_000;
      let next = options.from ?? 0;
      return new Promise((resolve, reject) => {
        const check = () => {
          for (; next < stdout.length; next++) {
            let message: unknown;
            try {
              message = JSON.parse(stdout[next] ?? "");
            } catch {
              continue;
            }
            if (match(message)) {
              finish();
              resolve(message);
              return;
            }
          }
          if (done) {
            finish();
            reject(new Error(`the process exited before the awaited line; stderr: ${stderr.slice(-500)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no awaited line within ${timeoutMs} ms`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close(timeoutMs = 10_000) {
      child.stdin?.end();
      const timer = setTimeout(() => killGroup("SIGKILL"), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    kill(signal = "SIGTERM") {
      killGroup(signal);
    },
  };
}
