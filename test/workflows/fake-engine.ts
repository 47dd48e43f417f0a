import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../../src/engine/engine.js";
import { FAKE_CLI_DIR } from "../helpers.js";

/** An engine whose three backends are the fake CLI in `echo` mode, recording when each run ran. */
export function echoEngine(delayMs = 0) {
  const times = join(mkdtempSync(join(tmpdir(), "clinvk-wf-")), "times.jsonl");
  const engine = new Engine({
    backends: {
      claude: { binary: join(FAKE_CLI_DIR, "claude") },
      codex: { binary: join(FAKE_CLI_DIR, "codex") },
      gemini: { binary: join(FAKE_CLI_DIR, "gemini") },
    },
    env: { ...process.env, FAKE_CLI_MODE: "echo", FAKE_CLI_DELAY_MS: String(delayMs), FAKE_CLI_TIMES: times },
    killGraceMs: 300,
  });
  const runs = (): { prompt: string; started: number; ended: number }[] => {
    try {
      return readFileSync(times, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    } catch {
      return [];
    }
  };
  return { engine, runs };
}

export async function drain<E, R>(gen: AsyncGenerator<E, R>): Promise<{ events: E[]; summary: R }> {
  const events: E[] = [];
  while (true) {
    const step = await gen.next();
    if (step.done) return { events, summary: step.value };
    events.push(step.value);
  }
}

/** The most runs that overlapped in time. */
export function maxOverlap(runs: { started: number; ended: number }[]): number {
  const points = runs.flatMap((r) => [
    [r.started, 1],
    [r.ended, -1],
  ]) as [number, number][];
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let best = 0;
  for (const [, delta] of points) {
    current += delta;
    best = Math.max(best, current);
  }
  return best;
}
