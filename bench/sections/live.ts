/**
 * 7. Live processes: how much sooner a session's second turn reaches the provider when its CLI is
 * still running (a warm live process from the pool) than when it starts again with `--resume` (one
 * process per turn). The real CLIs against the provider stub, through the library, both ways in the
 * same rounds: from the call to the stub receiving the turn's request.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Clinvoker } from "../../src/index.js";
import { CLI_NAMES, type CliName, E2E_CLI_BIN, prepareCliSandbox } from "../../test/e2e/cli-env.js";
import { startProviderStub } from "../../test/e2e/stub/index.js";
import { type BenchContext, reps, scratchDir } from "../lib/context.js";
import { figure, targets } from "../lib/report.js";
import { round, shuffle } from "../lib/stats.js";

export async function liveSection(context: BenchContext): Promise<void> {
  const missing = CLI_NAMES.filter((cli) => !existsSync(join(E2E_CLI_BIN, cli)));
  if (missing.length > 0) {
    context.notes.push({ section: "live", text: `skipped: ${missing.join(", ")} not installed in ${E2E_CLI_BIN}` });
    return;
  }
  const stub = await startProviderStub();
  const sandbox = prepareCliSandbox("all", stub.url, { retries: 0, parentDir: scratchDir(context, "live") });
  const client = new Clinvoker({
    binaries: sandbox.commands,
    env: sandbox.env,
    home: join(sandbox.root, "clinvk-home"),
    store: false,
    config: { live: { max_idle_per_backend: 2, idle_timeout_secs: 600 } },
  });
  let turn = 0;
  /** ms from the second turn's call to the stub's receiving it. */
  const secondTurn = async (backend: CliName, live: boolean): Promise<number> => {
    const base = { backend, workdir: sandbox.workDir, live, timeoutMs: 120_000 };
    const first = await client.run({ ...base, prompt: `first ${++turn}` });
    if (first.error || !first.backend_session_id)
      throw new Error(`${backend} first turn: ${JSON.stringify(first.error)}`);
    const marker = `second ${++turn}`;
    const sent = Date.now();
    const second = await client.run({
      ...base,
      prompt: marker,
      resume: { backendSessionId: first.backend_session_id },
    });
    if (second.error) throw new Error(`${backend} second turn: ${JSON.stringify(second.error)}`);
    const reached = stub.requests.find((r) => !r.side && r.userText.includes(marker));
    if (!reached) throw new Error(`${backend}: the stub never saw "${marker}"`);
    return Date.parse(reached.time) - sent;
  };
  try {
    const rounds = reps(context, 5, 1);
    context.log(`live: ${rounds} rounds per backend of a second turn, warm live process vs one-shot --resume`);
    for (const backend of CLI_NAMES) {
      const warm: number[] = [];
      const cold: number[] = [];
      await secondTurn(backend, true); // warm-up: the CLI's files and caches
      for (let i = 0; i < rounds; i++) {
        for (const live of shuffle([true, false])) (live ? warm : cold).push(await secondTurn(backend, live));
      }
      context.figures.push(
        figure({
          section: "live",
          name: `${backend}: second turn → provider, warm live process`,
          unit: "ms",
          samples: warm,
          floor: { label: "one-shot --resume", samples: cold },
          target: targets.ratioBelow(0.2),
          note: `5x sooner is a ratio under 0.2; the one-shot turn spent ${round(cold.reduce((a, b) => a + b, 0) / cold.length)} ms on average starting the CLI again`,
        }),
      );
    }
  } finally {
    await client.close();
    sandbox.cleanup();
    await stub.close();
  }
}
