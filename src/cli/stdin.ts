/**
 * Reads a prompt piped to clinvk (`git diff | clinvk "review this"`). Only a pipe, file or socket
 * is read: a terminal or /dev/null is not input. When a prompt argument was given, a stdin that
 * stays silent (a parent process that left it open) is given up after a few seconds, as claude does.
 */
import { fstatSync } from "node:fs";

export function stdinIsPiped(): boolean {
  if (process.stdin.isTTY) return false;
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isFile() || stat.isSocket();
  } catch {
    return false;
  }
}

export const STDIN_GRACE_MS = 3000;

/**
 * Reads stdin to its end. With `optional`, gives up when no byte arrived within `graceMs` and
 * returns undefined; without, waits as long as it takes (saying once that it is waiting).
 */
export function readPipedStdin(options: { optional: boolean; graceMs?: number }): Promise<string | undefined> {
  const graceMs = options.graceMs ?? STDIN_GRACE_MS;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stdin = process.stdin;
    const done = (value: string | undefined) => {
      clearTimeout(timer);
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.off("error", onError);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      clearTimeout(timer);
    };
    const onEnd = () => done(Buffer.concat(chunks).toString("utf8"));
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    const timer = setTimeout(() => {
      if (chunks.length > 0) return;
      if (options.optional) {
        process.stderr.write(
          `clinvk: no input on stdin after ${graceMs / 1000} s; going on with the prompt argument alone (run with </dev/null to skip this wait)\n`,
        );
        stdin.pause();
        stdin.destroy();
        done(undefined);
      } else {
        process.stderr.write("clinvk: waiting for the prompt on stdin (close it, or give the prompt as an argument)\n");
      }
    }, graceMs);
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.on("error", onError);
  });
}

/** The prompt from the argument and/or stdin: both are joined, argument first. */
export function combinePrompt(argument: string | undefined, piped: string | undefined): string {
  const stdinText = piped?.replace(/\s+$/, "") ?? "";
  if (argument && stdinText) return `${argument}\n\n${stdinText}`;
  return argument || stdinText;
}
