/**
 * 6. Workflows: `clinvk parallel` with 50 tasks of a shell fake CLI that sleeps 200 ms, at
 * `--max-parallel 10`. The ideal is 1 s (5 waves of 10); the floor is this process running the same
 * fake 50 times, 10 at a time. Measured with concurrency.max_running raised to 10 (so that only the
 * scheduling is measured), and with the default configuration, whose admission cap also applies.
 */
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type BenchContext, reps, scratchDir } from "../lib/context.js";
import { pathWith, writeShellFakes } from "../lib/fakes.js";
import { timedOk } from "../lib/processes.js";
import { figure, type Note } from "../lib/report.js";
import { median, round, shuffle } from "../lib/stats.js";

const TASKS = 50;
const MAX_PARALLEL = 10;
const SLEEP_S = 0.2;
const IDEAL_S = Math.ceil(TASKS / MAX_PARALLEL) * SLEEP_S;

/** The most fake CLIs that were running at once, from their "<start ns> <end ns>" log. */
function mostAtOnce(log: string): number {
  const edges = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .flatMap((line) => {
      const [start, end] = line.split(" ").map(Number);
      return [
        [start ?? 0, 1],
        [end ?? 0, -1],
      ] as [number, number][];
    })
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of edges) {
    now += step;
    most = Math.max(most, now);
  }
  return most;
}

/** TASKS runs of the fake, MAX_PARALLEL at a time, straight from this process; seconds. */
async function directPool(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < TASKS) {
      next++;
      await new Promise<void>((resolve, reject) => {
        const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "ignore"] });
        child.stdout.resume();
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`the fake exited ${code}`))));
      });
    }
  };
  await Promise.all(Array.from({ length: MAX_PARALLEL }, worker));
  return (performance.now() - started) / 1000;
}

export async function workflowsSection(context: BenchContext): Promise<void> {
  const dir = scratchDir(context, "workflows");
  const fakes = writeShellFakes(join(dir, "bin"));
  const tasks = join(dir, "tasks.yaml");
  writeFileSync(
    tasks,
    `tasks:\n${Array.from({ length: TASKS }, (_, i) => `  - { id: t${i + 1}, backend: claude, prompt: "task ${i + 1}" }\n`).join("")}`,
  );
  const log = join(dir, "fake.log");
  const base = { ...process.env, PATH: pathWith(fakes), BENCH_FAKE_SLEEP: String(SLEEP_S), BENCH_FAKE_LOG: log };
  const homes = { raised: join(dir, "home-raised"), defaults: join(dir, "home-default") };
  scratchDir(context, "workflows/home-raised");
  scratchDir(context, "workflows/home-default");
  writeFileSync(join(homes.raised, "config.yaml"), `concurrency:\n  max_running: ${MAX_PARALLEL}\n`);

  const dry = await timedOk(
    process.execPath,
    [context.cli, "--dry-run", "-b", "claude", "-o", "json", "--ephemeral", "task"],
    {
      env: { ...base, CLINVK_HOME: homes.defaults },
      cwd: dir,
    },
  );
  const [command, ...args] = (JSON.parse(dry.stdout) as { command: string[] }).command;
  if (!command) throw new Error(`no command in ${dry.stdout}`);

  const samples = {
    raised: { wall: [] as number[], engine: [] as number[], most: [] as number[] },
    defaults: { wall: [] as number[], engine: [] as number[], most: [] as number[] },
    floor: { wall: [] as number[], most: [] as number[] },
  };
  const clinvk = (which: "raised" | "defaults") => async () => {
    rmSync(log, { force: true });
    const r = await timedOk(
      process.execPath,
      [context.cli, "parallel", "-f", tasks, "--max-parallel", String(MAX_PARALLEL), "--json"],
      { env: { ...base, CLINVK_HOME: homes[which] }, cwd: dir },
    );
    const summary = JSON.parse(r.stdout) as { completed: number; total_duration_seconds: number };
    if (summary.completed !== TASKS) throw new Error(`clinvk parallel completed ${summary.completed} of ${TASKS}`);
    samples[which].wall.push(r.ms / 1000);
    samples[which].engine.push(summary.total_duration_seconds);
    samples[which].most.push(mostAtOnce(log));
  };
  const floor = async () => {
    rmSync(log, { force: true });
    samples.floor.wall.push(await directPool(command, args, base));
    samples.floor.most.push(mostAtOnce(log));
  };
  const jobs = [clinvk("raised"), clinvk("defaults"), floor];
  for (const job of jobs) await job(); // warm-up
  for (const list of [samples.raised, samples.defaults, samples.floor])
    for (const xs of Object.values(list)) xs.length = 0;
  const rounds = reps(context, 3, 1);
  context.log(
    `workflows: ${rounds} rounds of clinvk parallel (${TASKS} tasks × ${SLEEP_S * 1000} ms, ${MAX_PARALLEL} at once) and a direct pool`,
  );
  for (let i = 0; i < rounds; i++) for (const job of shuffle([...jobs])) await job();

  const floorSeries = { label: `${MAX_PARALLEL}-wide pool, fake run directly`, samples: samples.floor.wall };
  const perTask = (engine: number[]) =>
    engine.map((s, i) => ((s - (samples.floor.wall[i] ?? Number.NaN)) * 1000 * MAX_PARALLEL) / TASKS);
  const most = (xs: number[]) => Math.max(...xs);
  for (const which of ["raised", "defaults"] as const) {
    const s = samples[which];
    const setting = which === "raised" ? `concurrency.max_running ${MAX_PARALLEL}` : "default config";
    context.figures.push(
      figure({
        section: "workflows",
        name: `parallel ${TASKS} × ${SLEEP_S * 1000} ms, --max-parallel ${MAX_PARALLEL} (${setting}): wall time`,
        unit: "s",
        samples: s.wall,
        floor: floorSeries,
        note: `ideal ${IDEAL_S} s: ${round(median(s.wall) / IDEAL_S)}× the ideal; the floor is ${round(median(samples.floor.wall) / IDEAL_S)}×; at most ${most(s.most)} fakes ran at once (floor: ${most(samples.floor.most)})`,
      }),
      figure({
        section: "workflows",
        name: `parallel (${setting}): scheduling overhead per task`,
        unit: "ms",
        samples: perTask(s.engine),
        note: "(engine's own total duration − floor) × max-parallel / tasks: the slot time each task costs beyond the CLI; without clinvk's own start",
      }),
    );
  }
  if (most(samples.defaults.most) < MAX_PARALLEL) {
    const note: Note = {
      section: "workflows",
      text: `with the default config, --max-parallel ${MAX_PARALLEL} ran at most ${most(samples.defaults.most)} tasks at once: the admission gate (concurrency.max_running) caps the workflow`,
    };
    context.notes.push(note);
  }
}
