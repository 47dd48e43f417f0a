import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LAUNCHER } from "../../scripts/binary.mjs";
import { ROOT } from "../helpers.js";

export const CLI = join(ROOT, "dist", LAUNCHER);

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the bundled clinvk; stdin is /dev/null unless `input` is given. */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string; onSpawn?: (pid: number) => void } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      // A fresh CLINVK_HOME unless the test gives one: no config or session of the developer's, or
      // of another test, changes what a run does.
      env: { CLINVK_HOME: mkdtempSync(join(tmpdir(), "clinvk-home-")), ...(options.env ?? process.env) },
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    if (child.pid) options.onSpawn?.(child.pid);
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
