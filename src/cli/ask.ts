/** Asks for one line on the terminal (the prompt of `clinvk resume --last` given none). */
import { createInterface } from "node:readline/promises";

/** The answer, trimmed; undefined when the user gives none (an empty line, Ctrl+D or Ctrl+C). */
export async function askLine(question: string): Promise<string | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const controller = new AbortController();
  rl.on("SIGINT", () => controller.abort());
  rl.on("close", () => controller.abort());
  try {
    const answer = await rl.question(question, { signal: controller.signal });
    return answer.trim() || undefined;
  } catch {
    return undefined;
  } finally {
    rl.close();
  }
}
