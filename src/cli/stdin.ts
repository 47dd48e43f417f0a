/**
 * Reads a prompt piped to clinvk (`git diff | clinvk "review this"`). Only a pipe, file or socket
 * is read: a terminal or /dev/null is not input. A pipe that stays silent gets a hint on stderr.
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

export async function readPipedStdin(waitHintMs = 3000): Promise<string> {
  const hint = setTimeout(() => {
    process.stderr.write("clinvk: waiting for input on stdin (close it, or run with </dev/null)\n");
  }, waitHintMs);
  hint.unref();
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    clearTimeout(hint);
  }
}

/** The prompt from the argument and/or stdin: both are joined, argument first. */
export function combinePrompt(argument: string | undefined, piped: string | undefined): string {
  const stdinText = piped?.replace(/\s+$/, "") ?? "";
  if (argument && stdinText) return `${argument}\n\n${stdinText}`;
  return argument || stdinText;
}
