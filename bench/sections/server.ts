/**
 * 4. Server throughput and memory. Requests per second of a trivial authenticated route
 * (`GET /api/v1/backends` with an API key: every per-request hook runs) and of `GET /health` (the
 * deeper check) from `clinvk serve` against a bare Fastify app (autocannon, 50 connections, on this
 * machine, the servers taking turns in the same rounds), with an empty session store and with 10,000
 * sessions, and the server's CPU time per request; then 200 concurrent streaming runs
 * through the OpenAI-compatible route (or the native API's SSE while that route is missing), with the
 * admission gate capped at 16 running and 250 queued: completed runs, errors, the server's peak RSS,
 * and the most runs seen waiting in the queue. The streaming CLI is the shell fake (5 text deltas
 * 40 ms apart): 16 Node fakes booting at once would starve the server of CPU on 2 cores, and then
 * the requests trickle in instead of arriving together, which is not what this measures.
 */
import { join } from "node:path";
import autocannon from "autocannon";
import { type BenchContext, reps, scratchDir } from "../lib/context.js";
import { pathWith, writeShellFakes } from "../lib/fakes.js";
import { getJson, postSse, type SseResponse } from "../lib/http.js";
import { cpuMsOf, sleep } from "../lib/processes.js";
import { figure, targets } from "../lib/report.js";
import { seedSessions } from "../lib/seed.js";
import { type RunningServer, startBareFastify, startClinvkServe } from "../lib/servers.js";
import { shuffle } from "../lib/stats.js";

const CONNECTIONS = 50;
const CONCURRENT_RUNS = 200;
const MAX_RUNNING = 16;
const MAX_QUEUED = 250;
const SESSIONS = 10_000;

interface Load {
  /** Answered requests per second. */
  rps: number;
  /** CPU time the server spent per request, in µs (a steadier figure than rps on a shared machine). */
  cpuUs: number;
}

/** The trivial authenticated route: the backends' state (cached), behind the key check. */
const TRIVIAL_ROUTE = "/api/v1/backends";
const API_KEY = "bench-key-0123456789abcdef";

async function load(server: RunningServer, seconds: number, path = "/health"): Promise<Load> {
  const url = `${server.url}${path}`;
  const headers: Record<string, string> = path === TRIVIAL_ROUTE ? { "x-api-key": API_KEY } : {};
  const cpuBefore = cpuMsOf(server.pid);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers });
  const cpu = cpuMsOf(server.pid) - cpuBefore;
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`);
  }
  return { rps: result["2xx"] / result.duration, cpuUs: (cpu * 1000) / result["2xx"] };
}

async function throughput(context: BenchContext): Promise<void> {
  const dir = scratchDir(context, "server-health");
  // /health looks up the three backends (cached for 30 s): shell fakes answer their --version.
  const env = { ...process.env, PATH: pathWith(writeShellFakes(join(dir, "bin"))) };
  const full = join(dir, "home-sessions");
  context.log(`server: seeding ${SESSIONS.toLocaleString("en")} sessions for the second clinvk server`);
  await seedSessions(full, 0, SESSIONS);
  const servers: Record<"bare" | "empty" | "full" | "keyed", RunningServer | undefined> = {
    bare: undefined,
    empty: undefined,
    full: undefined,
    keyed: undefined,
  };
  try {
    servers.bare = await startBareFastify(context.root);
    servers.empty = await startClinvkServe(context.cli, { home: join(dir, "home-empty"), env });
    servers.full = await startClinvkServe(context.cli, { home: full, env });
    // Defaults but for one API key: every request passes the Host, CORS, tracing, rate-limit and key
    // checks and is logged, as on a server that others use.
    const keyed = `server:\n  api_keys: [${API_KEY}]\n`;
    servers.keyed = await startClinvkServe(context.cli, { home: join(dir, "home-keyed"), env, config: keyed });
    const seconds = reps(context, 3, 1);
    const rounds = reps(context, 3, 1);
    const samples = { bare: [] as Load[], empty: [] as Load[], full: [] as Load[], keyed: [] as Load[] };
    const names = ["bare", "empty", "full", "keyed"] as const;
    const pathOf = (name: (typeof names)[number]) => (name === "keyed" ? TRIVIAL_ROUTE : "/health");
    for (const name of names) if (servers[name]) await load(servers[name], 1, pathOf(name)); // warm-up
    context.log(
      `server: ${rounds} rounds of ${seconds} s of GET /health (and ${TRIVIAL_ROUTE} with a key), ${CONNECTIONS} connections, per server`,
    );
    for (let i = 0; i < rounds; i++) {
      for (const name of shuffle([...names])) {
        const server = servers[name];
        if (server) samples[name].push(await load(server, seconds, pathOf(name)));
      }
    }
    const rps = (xs: Load[]) => xs.map((x) => x.rps);
    const cpu = (xs: Load[]) => xs.map((x) => x.cpuUs);
    const floorRps = { label: "bare Fastify, one route", samples: rps(samples.bare) };
    const floorCpu = { label: "bare Fastify, one route", samples: cpu(samples.bare) };
    const n = SESSIONS.toLocaleString("en");
    context.figures.push(
      figure({
        section: "server",
        name: `GET ${TRIVIAL_ROUTE} with an API key (defaults + api_keys, info logging)`,
        unit: "req/s",
        samples: rps(samples.keyed),
        floor: floorRps,
        target: targets.ratioAtLeast(0.6),
        note: `autocannon, ${CONNECTIONS} connections, ${seconds} s per round, load generator and server sharing the 2 cores; the servers take turns in the same rounds`,
      }),
      figure({
        section: "server",
        name: `GET ${TRIVIAL_ROUTE} with an API key: server CPU per request`,
        unit: "µs",
        samples: cpu(samples.keyed),
        floor: floorCpu,
        note: "CPU time of the server process (utime + stime) over requests answered",
      }),
      figure({
        section: "server",
        name: "GET /health, clinvk serve (defaults, empty store)",
        unit: "req/s",
        samples: rps(samples.empty),
        floor: floorRps,
        note: "the deeper check (every backend's state, the store's count): reported against the floor, no target",
      }),
      figure({
        section: "server",
        name: "GET /health: server CPU per request (empty store)",
        unit: "µs",
        samples: cpu(samples.empty),
        floor: floorCpu,
      }),
      figure({
        section: "server",
        name: `GET /health, clinvk serve (defaults, ${n} sessions)`,
        unit: "req/s",
        samples: rps(samples.full),
        floor: floorRps,
      }),
      figure({
        section: "server",
        name: `GET /health: server CPU per request (${n} sessions)`,
        unit: "µs",
        samples: cpu(samples.full),
        floor: floorCpu,
      }),
    );
  } finally {
    for (const server of Object.values(servers)) await server?.stop();
  }
}

interface RoundResult {
  completed: number;
  /** SSE `queued` events (queue position updates) received in all. */
  queuedEvents: number;
  errors: number;
  firstErrors: string[];
  peakRssMb: number;
  maxQueued: number;
  maxRunning: number;
  seconds: number;
}

type Surface = "openai" | "native";

function judge(surface: Surface, response: SseResponse): string | undefined {
  if (response.status !== 200) return `HTTP ${response.status}: ${response.body.slice(0, 200)}`;
  if (surface === "openai") {
    const done = response.frames.some((f) => f.data === "[DONE]");
    const reasons = response.frames
      .filter((f) => f.data !== "[DONE]")
      .map((f) => (JSON.parse(f.data) as { choices?: { finish_reason?: string | null }[] }).choices?.[0]?.finish_reason)
      .filter(Boolean);
    return done && reasons.at(-1) === "stop" ? undefined : `no clean end: ${response.body.slice(-300)}`;
  }
  const result = response.frames.find((f) => f.event === "result");
  const status = result ? (JSON.parse(result.data) as { status?: string }).status : undefined;
  return status === "success" ? undefined : `no successful result: ${response.body.slice(-300)}`;
}

const request = (surface: Surface, i: number) =>
  surface === "openai"
    ? {
        path: "/openai/v1/chat/completions",
        body: { model: "claude", stream: true, messages: [{ role: "user", content: `run ${i}` }] },
      }
    : { path: "/api/v1/prompt", body: { backend: "claude", prompt: `run ${i}`, ephemeral: true } };

async function burst(server: RunningServer, surface: Surface): Promise<RoundResult> {
  let maxQueued = 0;
  let maxRunning = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const health = await getJson<{ runs?: { queued?: number; running?: number } }>(`${server.url}/health`).catch(
        () => undefined,
      );
      maxQueued = Math.max(maxQueued, health?.body.runs?.queued ?? 0);
      maxRunning = Math.max(maxRunning, health?.body.runs?.running ?? 0);
      await sleep(50);
    }
  })();
  const started = performance.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: CONCURRENT_RUNS }, (_, i) => {
      const { path, body } = request(surface, i);
      return postSse(`${server.url}${path}`, body, { timeoutMs: 120_000 });
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  polling = false;
  await poller;
  const problems = outcomes.map((o) => (o.status === "rejected" ? String(o.reason) : judge(surface, o.value)));
  const failed = problems.filter((p): p is string => p !== undefined);
  const queuedEvents = outcomes.reduce(
    (sum, o) => sum + (o.status === "fulfilled" ? o.value.frames.filter((f) => f.event === "queued").length : 0),
    0,
  );
  return {
    completed: problems.length - failed.length,
    queuedEvents,
    errors: failed.length,
    firstErrors: [...new Set(failed)].slice(0, 3),
    peakRssMb: server.memory()?.peakMb ?? Number.NaN,
    maxQueued,
    maxRunning,
    seconds,
  };
}

async function concurrentStreams(context: BenchContext): Promise<void> {
  const dir = scratchDir(context, "server-streams");
  const env = {
    ...process.env,
    PATH: pathWith(writeShellFakes(join(dir, "bin"))),
    BENCH_FAKE_TICKS: "5",
    BENCH_FAKE_TICK_S: "0.04",
  };
  const config = `concurrency:\n  max_running: ${MAX_RUNNING}\n  max_queued: ${MAX_QUEUED}\n  queue_timeout_secs: 300\nserver:\n  child_env: ["BENCH_FAKE_*"]\n`;
  const server = await startClinvkServe(context.cli, { home: join(dir, "home"), env, config, logLevel: "warn" });
  try {
    const probe = await postSse(`${server.url}${request("openai", 0).path}`, request("openai", 0).body);
    const surface: Surface = probe.status === 404 ? "native" : "openai";
    if (surface === "native") {
      context.notes.push({
        section: "server",
        text: "POST /openai/v1/chat/completions answered 404 (not there yet): the 200 streams went through POST /api/v1/prompt (SSE) instead",
      });
    } else {
      const problem = judge("openai", probe);
      if (problem) throw new Error(`the OpenAI route's probe failed: ${problem}`);
    }
    const idleMb = server.memory()?.rssMb ?? Number.NaN;
    const rounds = reps(context, 2, 1);
    const route = surface === "openai" ? "/openai/v1/chat/completions" : "/api/v1/prompt SSE";
    context.log(`server: ${rounds} rounds of ${CONCURRENT_RUNS} concurrent streaming runs through ${route}`);
    const results: RoundResult[] = [];
    for (let i = 0; i < rounds; i++) results.push(await burst(server, surface));
    const label = `${CONCURRENT_RUNS} streams via ${route}`;
    const errors = results.flatMap((r) => r.firstErrors);
    context.figures.push(
      figure({
        section: "server",
        name: `${label}: completed`,
        unit: "runs",
        samples: results.map((r) => r.completed),
        target: targets.everyRound(`all ${CONCURRENT_RUNS}`, (v) => v === CONCURRENT_RUNS),
      }),
      figure({
        section: "server",
        name: `${label}: errors`,
        unit: "runs",
        samples: results.map((r) => r.errors),
        target: targets.everyRound("0", (v) => v === 0),
        ...(errors.length > 0 ? { note: errors.join(" | ").slice(0, 500) } : {}),
      }),
      figure({
        section: "server",
        name: `${label}: server peak RSS`,
        unit: "MB",
        samples: results.map((r) => r.peakRssMb),
        target: targets.worstBelow(300, "MB"),
        note: `idle after start: ${Math.round(idleMb)} MB (VmHWM, the process's peak so far)`,
      }),
      figure({
        section: "server",
        name: `${label}: most queued (cap ${MAX_RUNNING} running)`,
        unit: "runs",
        samples: results.map((r) => r.maxQueued),
        target: targets.everyRound("> 0: queues, never refuses", (v) => v > 0),
        note: `most running seen: ${Math.max(...results.map((r) => r.maxRunning))}; polled from /health every 50 ms${
          surface === "native"
            ? `; the clients received ${Math.max(...results.map((r) => r.queuedEvents)).toLocaleString("en")} \`queued\` (position) events in a round`
            : ""
        }`,
      }),
      figure({
        section: "server",
        name: `${label}: wall time`,
        unit: "s",
        samples: results.map((r) => r.seconds),
        note: `each run streams 5 text deltas 40 ms apart; ${Math.ceil(CONCURRENT_RUNS / MAX_RUNNING)} waves of ${MAX_RUNNING}`,
      }),
    );
  } finally {
    await server.stop();
  }
}

export async function serverSection(context: BenchContext): Promise<void> {
  await throughput(context);
  await concurrentStreams(context);
}
