// 5. Session store figures: creating 10,000 sessions, listing them, getting one by id prefix, and 8
// processes updating one session at once (updates per second, none lost). Part of `npm run bench`
// (`--only sessions`); also runs alone, printing its own table:
//   npm run bench:sessions [-- --sessions 10000 --updates 40 --quick]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { FileSessionStore } from "../src/sessions/file-store.js";
import { type BenchContext, reps, scratchDir } from "./lib/context.js";
import { timedOk } from "./lib/processes.js";
import { figure, footnotes, table, targets } from "./lib/report.js";
import { sampleSession, seedSessions } from "./lib/seed.js";

const WORKERS = 8;

export interface SessionsOptions {
  /** Sessions in the store (default 10,000). */
  sessions?: number;
  /** Updates per worker process and round (default 40). */
  updates?: number;
}

const ms = (start: number) => performance.now() - start;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** 8 processes, each making `updates` locked updates of the same session after a common start signal. */
async function concurrentUpdates(root: string, home: string, id: string, updates: number) {
  const worker = join(root, "bench", "workers", "session-updater.ts");
  const children = Array.from({ length: WORKERS }, (_, k) =>
    spawn(process.execPath, ["--import", "tsx", worker, home, id, String(updates), String(k)], {
      cwd: root,
      stdio: ["pipe", "pipe", "pipe"],
    }),
  );
  const outputs = children.map((child) => {
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString("utf8");
    });
    const ready = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.includes("ready\n")) {
          child.stdout.off("data", check);
          resolve();
        }
      };
      child.stdout.on("data", check);
      child.once("exit", (code) => reject(new Error(`an updater exited ${code} before it was ready: ${err}`)));
    });
    const exited = new Promise<void>((resolve, reject) => {
      child.once("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`an updater exited ${code}: ${err.slice(-1000)}`)),
      );
    });
    return { ready, exited };
  });
  try {
    await Promise.all(outputs.map((o) => o.ready));
    const started = performance.now();
    for (const child of children) child.stdin.end("go\n");
    await Promise.all(outputs.map((o) => o.exited));
    return ms(started);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  }
}

export async function sessionsSection(context: BenchContext, options: SessionsOptions = {}): Promise<void> {
  const count = options.sessions ?? 10_000;
  const updates = options.updates ?? reps(context, 40, 10);
  const home = scratchDir(context, "sessions-home");
  const store = new FileSessionStore(home);
  const add = (input: Parameters<typeof figure>[0]) => context.figures.push(figure(input));

  // Create: a part through the store (lock, atomic write, fsync, index append), timed in batches;
  // the rest written straight to disk and indexed by one rebuild, so that the run stays short.
  const batches = reps(context, 5, 2);
  const batch = Math.min(200, Math.floor(count / batches));
  context.log(`sessions: ${batches} × ${batch} store.create, then seeding up to ${count}`);
  const createRates: number[] = [];
  let made = 0;
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) {
      const s = sampleSession(made++);
      await store.create({
        backend: s.backend,
        working_dir: s.working_dir,
        initial_prompt: s.initial_prompt,
        tags: s.tags,
      });
    }
    createRates.push((batch / ms(start)) * 1000);
  }
  add({ section: "sessions", name: "create (one process, fsync'd)", unit: "creates/s", samples: createRates });
  const rebuild = await seedSessions(home, made, count);
  add({
    section: "sessions",
    name: `index rebuild from ${count.toLocaleString("en")} files`,
    unit: "ms",
    samples: [rebuild],
    note: `${made} sessions made by store.create, the rest written as files, then \`store.repair()\``,
  });
  let start = 0;

  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < reps(context, 7, 3); i++) {
    const fresh = new FileSessionStore(home);
    start = performance.now();
    const page = await fresh.list();
    cold.push(ms(start));
    if (page.total !== count) throw new Error(`listed ${page.total} sessions, expected ${count}`);
    start = performance.now();
    await fresh.list();
    warm.push(ms(start));
  }
  const n = count.toLocaleString("en");
  add({
    section: "sessions",
    name: `list all ${n} (new store: reads the index)`,
    unit: "ms",
    samples: cold,
    target: targets.medianBelow(50, "ms"),
    note: "what `clinvk sessions list` does once it has started",
  });
  add({ section: "sessions", name: `list all ${n} (index cached)`, unit: "ms", samples: warm });

  const ids = (await store.list({ limit: 50 })).sessions.map((s) => s.id);
  const perGet: number[] = [];
  for (let round = 0; round < 5; round++) {
    start = performance.now();
    for (const id of ids) await store.getByPrefix(id.slice(0, 8));
    perGet.push(ms(start) / ids.length);
  }
  add({ section: "sessions", name: `get by 8-character prefix (${n} sessions)`, unit: "ms", samples: perGet });

  if (context.cli) {
    const env = { ...process.env, CLINVK_HOME: home };
    const list: number[] = [];
    const node: number[] = [];
    await timedOk(process.execPath, [context.cli, "sessions", "list", "--json"], { env }); // warm-up
    for (let i = 0; i < reps(context, 5, 2); i++) {
      list.push((await timedOk(process.execPath, [context.cli, "sessions", "list", "--json"], { env })).ms);
      node.push((await timedOk(process.execPath, ["-e", "0"], { env })).ms);
    }
    add({
      section: "sessions",
      name: `clinvk sessions list --json (${n}), whole process`,
      unit: "ms",
      samples: list,
      floor: { label: "node -e 0", samples: node },
      target: targets.addedBelow(30, "ms"),
    });
  }

  const target = await store.create({ backend: "claude", working_dir: "/w" });
  const single: number[] = [];
  for (let round = 0; round < reps(context, 3, 1); round++) {
    start = performance.now();
    for (let i = 0; i < 100; i++) {
      await store.update(target.id, (s) => {
        s.turn_count += 1;
      });
    }
    single.push((100 / ms(start)) * 1000);
  }
  add({ section: "sessions", name: "update (one process)", unit: "updates/s", samples: single });

  const rounds = reps(context, 3, 1);
  context.log(`sessions: ${rounds} rounds of ${WORKERS} processes × ${updates} updates of one session`);
  const rates: number[] = [];
  const lost: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const before = await store.get(target.id);
    const elapsed = await concurrentUpdates(context.root, home, target.id, updates);
    const after = await store.get(target.id);
    const expected = before.turn_count + WORKERS * updates;
    const missing = Array.from({ length: WORKERS }, (_, k) => after.metadata[`w${k}`]).filter(
      (v) => v !== String(updates),
    ).length;
    lost.push(expected - after.turn_count + missing);
    rates.push(((WORKERS * updates) / elapsed) * 1000);
  }
  add({
    section: "sessions",
    name: `${WORKERS} processes updating one session at once`,
    unit: "updates/s",
    samples: rates,
    note: `${WORKERS} × ${updates} updates per round, all contending for the store lock`,
  });
  add({
    section: "sessions",
    name: `${WORKERS} processes: updates lost`,
    unit: "updates",
    samples: lost,
    target: targets.everyRound("0", (v) => v === 0),
  });
  context.log(`sessions: ${mean(rates).toFixed(0)} concurrent updates/s`);
}

// Alone: `tsx bench/sessions.ts`.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: {
      sessions: { type: "string", default: "10000" },
      updates: { type: "string", default: "40" },
      quick: { type: "boolean", default: false },
    },
  });
  const scratch = mkdtempSync(join(tmpdir(), "clinvk-bench-sessions-"));
  const context: BenchContext = {
    root: resolve(dirname(fileURLToPath(import.meta.url)), ".."),
    cli: "",
    scratch,
    quick: values.quick,
    figures: [],
    notes: [],
    log: (text) => process.stderr.write(`${text}\n`),
  };
  try {
    await sessionsSection(context, { sessions: Number(values.sessions), updates: Number(values.updates) });
    process.stdout.write(`${table(context.figures)}\n\n${footnotes(context.figures, context.notes)}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
