// biome-ignore-all lint/suspicious/noExplicitAny: clinvk's NDJSON and session files are read loosely.
/**
 * Data safety: `clinvk` processes (running prompts, tagging sessions) and `clinvk serve` (runs in flight, through
 * the native API) are killed with SIGKILL at random moments, over and over, while they write sessions. Afterwards
 * every session file parses, the index rebuilds from the files to the same sessions, and no session that was
 * reported saved is lost: a session id printed or returned before the kill is still there, a run whose result was
 * printed has its turn recorded, a tag that was printed is on its session.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileSessionStore } from "../../src/sessions/file-store.js";
import { fakeBackendsEnv, startClinvk } from "./lib/cli.js";
import { record } from "./lib/figures.js";
import { openStream, send } from "./lib/http.js";
import { BACKENDS } from "./lib/paths.js";
import { killMatching, token, waitGone } from "./lib/procs.js";
import { pool, seededRandom, sleep } from "./lib/random.js";
import { startServe } from "./lib/serve.js";

const random = seededRandom();
const CLI_SECONDS = Number(process.env.CLINVK_DATA_SECONDS ?? 25);
const SERVE_ROUNDS = 6;
const PREFIX = token("data").replace(/-data-\d+$/, "");
const SESSION_FILE = /^[a-f0-9]{32}\.json$/;

afterAll(() => {
  killMatching(PREFIX);
});

interface Reported {
  /** Sessions whose id was printed or returned. */
  created: Set<string>;
  /** Sessions whose run's result was printed or returned: their turn is recorded. */
  completed: Set<string>;
  /** Tags printed as added, by session. */
  tagged: Map<string, string[]>;
}

const newReported = (): Reported => ({ created: new Set(), completed: new Set(), tagged: new Map() });

/** Reads a line stream's NDJSON events as they come. */
function eventsOf(text: string): any[] {
  const out: any[] = [];
  for (const line of text.split("\n")) {
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line cut by the kill, or not JSON
    }
  }
  return out;
}

function note(reported: Reported, events: any[]): void {
  for (const event of events) {
    if (typeof event?.session_id !== "string") continue;
    reported.created.add(event.session_id);
    if (event.type === "result" && !event.error) reported.completed.add(event.session_id);
  }
}

/** Checks the store in `home` against what was reported; returns the figures. */
async function verify(home: string, reported: Reported): Promise<Record<string, number>> {
  const directory = join(home, "sessions");
  const names = readdirSync(directory);
  const files = names.filter((name) => SESSION_FILE.test(name));
  let corrupt = 0;
  for (const name of files) {
    try {
      const session = JSON.parse(readFileSync(join(directory, name), "utf8"));
      if (session.id !== name.slice(0, 32)) corrupt++;
    } catch {
      corrupt++;
    }
  }
  const leftovers = names.filter(
    (n) => !SESSION_FILE.test(n) && !["index.json", "index.log", "store.lock"].includes(n),
  );
  // The index as it was left, then rebuilt from nothing.
  const store = new FileSessionStore(home);
  const listed = (await store.list()).total;
  rmSync(join(directory, "index.json"), { force: true });
  rmSync(join(directory, "index.log"), { force: true });
  const rebuilt = new FileSessionStore(home);
  const relisted = (await rebuilt.list()).total;
  const repaired = (await rebuilt.repair?.()) ?? relisted;
  let lost = 0;
  let turnsLost = 0;
  let tagsLost = 0;
  for (const id of reported.created) {
    try {
      await rebuilt.get(id);
    } catch {
      lost++;
    }
  }
  for (const id of reported.completed) {
    const session = await rebuilt.get(id).catch(() => undefined);
    if (!session || session.turn_count < 1 || session.status !== "completed") turnsLost++;
  }
  for (const [id, tags] of reported.tagged) {
    const session = await rebuilt.get(id).catch(() => undefined);
    if (!session || !tags.every((tag) => session.tags.includes(tag))) tagsLost++;
  }
  // A write goes through: no lock was left behind for good (a stale one is recovered).
  const started = performance.now();
  await rebuilt.create({ backend: "claude", working_dir: "/w" });
  return {
    session_files: files.length,
    corrupt_files: corrupt,
    temp_files_left: leftovers.length,
    index_listed: listed,
    index_rebuilt: relisted,
    index_repaired: repaired,
    reported_created: reported.created.size,
    reported_completed: reported.completed.size,
    reported_tags: reported.tagged.size,
    sessions_lost: lost,
    turns_lost: turnsLost,
    tags_lost: tagsLost,
    next_write_ms: Math.round(performance.now() - started),
  };
}

describe("data safety under SIGKILL", () => {
  it(
    `clinvk processes killed while they write sessions, for ${CLI_SECONDS} s`,
    async () => {
      const home = mkdtempSync(join(tmpdir(), "clinvk-hz-data-cli-"));
      const reported = newReported();
      let kills = 0;
      let finished = 0;
      let n = 0;
      const deadline = Date.now() + CLI_SECONDS * 1000;
      const worker = async () => {
        while (Date.now() < deadline) {
          const i = n++;
          const known = [...reported.created];
          const tagging = known.length > 0 && random.chance(0.3);
          const target = tagging ? random.pick(known) : undefined;
          const tag = `${PREFIX}-tag-${i}`;
          const args = tagging
            ? ["sessions", "tag", "--json", target as string, tag]
            : ["-b", random.pick(BACKENDS), "-o", "stream-json", "--new", `${PREFIX}-${i} remember this`];
          const run = startClinvk(args, {
            env: fakeBackendsEnv(home, { FAKE_CLI_MODE: "echo", FAKE_CLI_DELAY_MS: String(random.int(0, 150)) }),
            cwd: home,
            timeoutMs: 60_000,
          });
          const killAfter = random.chance(0.15) ? undefined : random.int(20, 500);
          let timer: NodeJS.Timeout | undefined;
          if (killAfter !== undefined) timer = setTimeout(() => run.child.kill("SIGKILL"), killAfter);
          const result = await run.done;
          clearTimeout(timer);
          if (result.signal === "SIGKILL") kills++;
          else finished++;
          if (tagging) {
            // Printed as JSON only once the update was written.
            try {
              const session = JSON.parse(result.stdout);
              if (session.tags?.includes(tag)) {
                reported.tagged.set(session.id, [...(reported.tagged.get(session.id) ?? []), tag]);
              }
            } catch {
              // killed before it printed: nothing was reported
            }
          } else note(reported, eventsOf(result.stdout));
        }
      };
      await Promise.all([worker(), worker(), worker()]);
      const left = await waitGone(PREFIX, 10_000);
      const figures = await verify(home, reported);
      record("data_safety", {
        clinvk: {
          seconds: CLI_SECONDS,
          processes: n,
          sigkills: kills,
          finished,
          ...figures,
          processes_left: left.length,
        },
      });
      expect(kills).toBeGreaterThan(10);
      expect(figures.corrupt_files).toBe(0);
      expect(figures.sessions_lost).toBe(0);
      expect(figures.turns_lost).toBe(0);
      expect(figures.tags_lost).toBe(0);
      expect(figures.index_rebuilt).toBe(figures.session_files);
      expect(figures.index_listed).toBe(figures.session_files);
      expect(figures.index_repaired).toBe(figures.session_files);
      expect(reported.created.size).toBeGreaterThan(5);
    },
    (CLI_SECONDS + 120) * 1000,
  );

  it(`clinvk serve killed with runs in flight, ${SERVE_ROUNDS} times`, async () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-hz-data-serve-"));
    const reported = newReported();
    const checks = { before_each_round: 0, found: 0 };
    for (let round = 0; round < SERVE_ROUNDS; round++) {
      const serve = await startServe({
        home,
        env: { FAKE_CLI_MODE: "echo", FAKE_CLI_DELAY_MS: String(random.int(20, 300)) },
        config: { concurrency: { max_running: 8, max_queued: 50 } },
      });
      // What earlier rounds reported is here, through the server that restarted on the same store.
      for (const id of reported.created) {
        const reply = await send(`${serve.url}/api/v1/sessions/${id}`);
        checks.before_each_round++;
        if (reply.status === 200) checks.found++;
        if (reported.completed.has(id)) expect(reply.json?.turn_count, id).toBeGreaterThanOrEqual(1);
      }
      const inFlight = Array.from({ length: 12 }, (_, i) => async () => {
        const backend = BACKENDS[i % 3];
        const prompt = `${PREFIX}-serve-${round}-${i} remember this`;
        if (i % 2 === 0) {
          const reply = await send(`${serve.url}/api/v1/prompt`, {
            body: { backend, prompt },
            timeoutMs: 30_000,
          }).catch(() => undefined);
          // The JSON answer comes after the run was recorded.
          if (reply?.status === 200 && reply.json?.session_id) {
            reported.created.add(reply.json.session_id);
            if (reply.json.status === "success") reported.completed.add(reply.json.session_id);
          }
          return;
        }
        const stream = openStream(`${serve.url}/api/v1/prompt`, { backend, prompt, output_format: "stream-json" });
        await stream.done;
        note(reported, eventsOf(stream.received()));
      });
      const running = pool(inFlight, 12);
      await sleep(random.int(50, 700));
      serve.child.kill("SIGKILL");
      await serve.exited;
      await running;
    }
    const left = await waitGone(PREFIX, 10_000);
    const figures = await verify(home, reported);
    record("data_safety", {
      serve: { rounds: SERVE_ROUNDS, sigkills: SERVE_ROUNDS, ...figures, ...checks, processes_left: left.length },
    });
    expect(checks.found).toBe(checks.before_each_round);
    expect(figures.corrupt_files).toBe(0);
    expect(figures.sessions_lost).toBe(0);
    expect(figures.turns_lost).toBe(0);
    expect(figures.index_rebuilt).toBe(figures.session_files);
    expect(figures.index_listed).toBe(figures.session_files);
    expect(reported.created.size).toBeGreaterThan(5);
  }, 300_000);
});
