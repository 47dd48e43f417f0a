/**
 * 2. Run overhead: `clinvk -b X -o json --ephemeral "hi"` against the same CLI run directly with the
 * very arguments clinvoker gives it (taken from `clinvk --dry-run`), with the same environment.
 * First a fast fake CLI, where the difference is all ours; then the real pinned CLIs against the
 * provider stub of test/e2e (skipped when .cache/e2e-clis is not installed).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CLI_NAMES, type CliName, E2E_CLI_BIN, prepareCliSandbox } from "../../test/e2e/cli-env.js";
import { startProviderStub } from "../../test/e2e/stub/index.js";
import { type BenchContext, reps, scratchDir } from "../lib/context.js";
import { fakeCliDir, pathWith } from "../lib/fakes.js";
import { timedOk } from "../lib/processes.js";
import { figure, targets } from "../lib/report.js";
import { median, round, shuffle } from "../lib/stats.js";

const PROMPT = "hi";

/** The command clinvoker would run for this prompt, from `clinvk --dry-run`. */
async function commandOf(context: BenchContext, backend: CliName, env: NodeJS.ProcessEnv, cwd: string) {
  const dry = await timedOk(process.execPath, [context.cli, "--dry-run", ...runArgs(backend)], { env, cwd });
  const command = (JSON.parse(dry.stdout) as { command: string[] }).command;
  if (!command[0]) throw new Error(`no command in clinvk --dry-run's output: ${dry.stdout}`);
  return { command: command[0], args: command.slice(1) };
}

const runArgs = (backend: CliName) => ["-b", backend, "-o", "json", "--ephemeral", PROMPT];

interface Pair {
  backend: CliName;
  ours: number[];
  floor: number[];
}

/** Rounds of ours-and-floor for every backend, shuffled within each round. */
async function measurePairs(
  context: BenchContext,
  backends: readonly CliName[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  rounds: number,
  expect: RegExp,
  extra: { node?: number[] } = {},
): Promise<Pair[]> {
  const pairs: Pair[] = [];
  const jobs: (() => Promise<void>)[] = [];
  for (const backend of backends) {
    const direct = await commandOf(context, backend, env, cwd);
    const pair: Pair = { backend, ours: [], floor: [] };
    pairs.push(pair);
    jobs.push(async () => {
      const r = await timedOk(process.execPath, [context.cli, ...runArgs(backend)], { env, cwd });
      const content = (JSON.parse(r.stdout) as { content?: string }).content ?? "";
      if (!expect.test(content)) throw new Error(`clinvk -b ${backend} answered ${JSON.stringify(content)}`);
      pair.ours.push(r.ms);
    });
    jobs.push(async () => {
      pair.floor.push((await timedOk(direct.command, direct.args, { env, cwd })).ms);
    });
  }
  if (extra.node) {
    const node = extra.node;
    jobs.push(async () => {
      node.push((await timedOk(process.execPath, ["-e", "0"], { env, cwd })).ms);
    });
  }
  for (const job of jobs) await job(); // warm-up round, not counted
  for (const pair of pairs) {
    pair.ours.length = 0;
    pair.floor.length = 0;
  }
  if (extra.node) extra.node.length = 0;
  for (let i = 0; i < rounds; i++) for (const job of shuffle([...jobs])) await job();
  return pairs;
}

async function fakeOverhead(context: BenchContext): Promise<void> {
  const dir = scratchDir(context, "run-fake");
  const env = {
    ...process.env,
    CLINVK_HOME: join(dir, "home"),
    PATH: pathWith(fakeCliDir(context.root)),
    FAKE_CLI_MODE: "echo",
    FAKE_CLI_DELAY_MS: "0",
  };
  const rounds = reps(context, 10, 3);
  context.log(`run: ${rounds} rounds of clinvk and the fake CLI directly, for each backend`);
  const node: number[] = [];
  const pairs = await measurePairs(context, CLI_NAMES, env, dir, rounds, /^echo: hi$/, { node });
  const nodeStart = median(node);
  // A Node process cannot start faster than Node: the target is Node's own start (same rounds) + 10 ms.
  const limit = nodeStart + 10;
  for (const pair of pairs) {
    const f = figure({
      section: "run",
      name: `fake ${pair.backend}: clinvk -b ${pair.backend} -o json --ephemeral`,
      unit: "ms",
      samples: pair.ours,
      floor: { label: "the fake CLI directly", samples: pair.floor },
      target: targets.addedAtMost(limit, `added ≤ node -e 0 + 10 ms (${round(limit)} ms)`),
    });
    f.note = `of the ${round(f.added ?? 0)} ms added, ${round(nodeStart)} ms is starting Node itself (node -e 0, same rounds): ${round((f.added ?? 0) - nodeStart)} ms is clinvoker's own`;
    context.figures.push(f);
  }
}

async function realOverhead(context: BenchContext): Promise<void> {
  const missing = CLI_NAMES.filter((cli) => !existsSync(join(E2E_CLI_BIN, cli)));
  if (missing.length > 0) {
    context.notes.push({
      section: "run",
      text: `real CLIs skipped: ${missing.join(", ")} not installed in ${E2E_CLI_BIN} (run node scripts/install-e2e-clis.mjs)`,
    });
    return;
  }
  const stub = await startProviderStub();
  const sandbox = prepareCliSandbox("all", stub.url, { retries: 0, parentDir: scratchDir(context, "run-real") });
  try {
    const env = { ...sandbox.env, CLINVK_HOME: join(sandbox.root, "clinvk-home") };
    const rounds = reps(context, 5, 1);
    context.log(`run: ${rounds} rounds of clinvk and the real CLIs directly, against the provider stub`);
    const pairs = await measurePairs(context, CLI_NAMES, env, sandbox.workDir, rounds, /stub reply: hi/);
    for (const pair of pairs) {
      context.figures.push(
        figure({
          section: "run",
          name: `real ${pair.backend}: clinvk -b ${pair.backend} -o json --ephemeral`,
          unit: "ms",
          samples: pair.ours,
          floor: { label: `${pair.backend} directly`, samples: pair.floor },
          target: targets.ratioBelow(1.05),
          note: `the direct runs alone spread over ${round(Math.max(...pair.floor) - Math.min(...pair.floor))} ms: a smaller difference is noise`,
        }),
      );
    }
  } finally {
    sandbox.cleanup();
    await stub.close();
  }
}

/**
 * When a CLI exits (and, for a run that left something behind, again after the kill grace period
 * and in the exit hook), src/process/process-group.ts looks for stragglers carrying the run's marker
 * by reading every /proc/<pid>/environ, synchronously. Its cost grows with the machine's process count.
 */
async function exitSweep(context: BenchContext): Promise<void> {
  const module = (await import("../../src/process/process-group.js").catch(() => undefined)) as
    | Record<string, unknown>
    | undefined;
  const scan = module?.markedProcesses;
  if (typeof scan !== "function") return; // gone from src/: nothing to measure
  const processes = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).length;
  for (let i = 0; i < 3; i++) scan("bench-no-such-run");
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (let i = 0; i < 20; i++) scan("bench-no-such-run");
    samples.push((performance.now() - start) / 20);
  }
  context.figures.push(
    figure({
      section: "run",
      name: `straggler sweep of /proc at a run's end (${processes} processes here)`,
      unit: "ms",
      samples,
      note: "synchronous, on the event loop: once per run, when its CLI exits; again (SIGKILL after the grace period, and in the exit hook) only for a run that left something behind",
    }),
  );
}

export async function runSection(context: BenchContext): Promise<void> {
  await fakeOverhead(context);
  await exitSweep(context);
  await realOverhead(context);
}
