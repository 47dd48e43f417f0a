/**
 * Process hygiene: 500 runs stopped at random moments, through every way a run can be stopped (engine and SDK
 * aborts and timeouts, a consumer that stops reading, HTTP clients that vanish mid-stream, SIGINT/SIGTERM to
 * `clinvk`, SIGTERM to `clinvk serve` with runs in flight), must leave no process behind: not clinvk, not the CLI,
 * not the CLI's children. Each run's prompt holds a unique token that the fake CLI also gives its grandchild, so
 * `ps -eo pid,args` finds every process of a run. The fake CLI is `family` mode: it streams, starts a grandchild,
 * and (for some runs) ignores SIGTERM, lets its grandchild hold the output pipe, or puts it in a group of its own.
 * CLINVK_HARDENING_SEED replays the same random moments.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { Clinvoker } from "../../src/index.js";
import { AdmissionGate } from "../../src/process/admission.js";
import { fakeBackendsEnv, startClinvk } from "./lib/cli.js";
import { record } from "./lib/figures.js";
import { openStream, send } from "./lib/http.js";
import { BACKENDS, FAKE } from "./lib/paths.js";
import { killMatching, matching, runPrefix, token, waitGone } from "./lib/procs.js";
import { pool, seededRandom, sleep } from "./lib/random.js";
import { type Serve, startServe } from "./lib/serve.js";

const random = seededRandom();
/** Every token of this file starts with this (token() adds a per-file id). */
const FILE_PREFIX = token("hygiene").replace(/-hygiene-\d+$/, "");
const counts: Record<string, number> = {};
const outcomes: Record<string, number> = {};
const leftByPhase: Record<string, number> = {};
const phaseSeconds: Record<string, number> = {};
const count = (kind: string) => {
  counts[kind] = (counts[kind] ?? 0) + 1;
};
const outcome = (what: string) => {
  outcomes[what] = (outcomes[what] ?? 0) + 1;
};
/** Runs that did not end within their bound (a hang of clinvk itself). */
let stuck = 0;

/** Extra fault of a run's CLI: none mostly; sometimes one that makes stopping it harder. */
function variant(): Record<string, string> {
  const roll = random.next();
  if (roll < 0.08) return { FAKE_CLI_IGNORE_TERM: "1" };
  if (roll < 0.16) return { FAKE_CLI_GRANDCHILD_PIPE: "1" };
  if (roll < 0.22) return { FAKE_CLI_GRANDCHILD_DETACHED: "1" };
  return {};
}

/** Awaits `promise`, but gives up (and counts a stuck run) after `ms`. */
async function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    promise,
    new Promise<"stuck">((resolve) => {
      timer = setTimeout(() => resolve("stuck"), ms);
    }),
  ]);
  clearTimeout(timer);
  if (result === "stuck") {
    stuck++;
    return undefined;
  }
  return result as T;
}

const errorCode = (error: unknown) => (error as { code?: string })?.code ?? (error as Error)?.name ?? "unknown";

afterAll(() => {
  // Whatever a failed test left behind: end it (by pid), so that the next files start clean.
  killMatching(FILE_PREFIX);
});

describe("process hygiene: 500 runs stopped at random moments leave no process behind", () => {
  it("300 engine and SDK runs: aborts, timeouts and consumers that stop reading, at random delays", async () => {
    const started = performance.now();
    const prefix = `${FILE_PREFIX}-lib`;
    const env = { ...process.env, FAKE_CLI_MODE: "family", FAKE_CLI_DELAY_MS: "4000", FAKE_CLI_TICK_MS: "40" };
    const engine = new Engine({
      backends: { claude: { binary: FAKE.claude }, codex: { binary: FAKE.codex }, gemini: { binary: FAKE.gemini } },
      env,
      gate: new AdmissionGate({ maxRunning: 8, maxQueued: 1000, queueTimeoutMs: 0 }),
      killGraceMs: 500,
    });
    const client = new Clinvoker({
      home: mkdtempSync(join(tmpdir(), "clinvk-hz-hygiene-")),
      binaries: { ...FAKE },
      env,
      maxConcurrent: 8,
      config: { concurrency: { max_queued: 1000 } },
    });
    const kinds = [
      "engine: AbortController at a random moment",
      "engine: wall-clock timeout",
      "engine: the consumer stops reading the stream",
      "SDK: AbortSignal.timeout",
      "SDK: stream() aborted mid-way",
      "SDK: per-query timeout",
    ] as const;
    const tasks = Array.from({ length: 300 }, (_, i) => async () => {
      const kind = kinds[i % kinds.length] as (typeof kinds)[number];
      count(kind);
      const backend = random.pick(BACKENDS);
      const prompt = `${prefix}-${i} work for a while`;
      const extra = variant();
      const delay = random.int(0, 900);
      const run = async () => {
        switch (kind) {
          case "engine: AbortController at a random moment": {
            const controller = new AbortController();
            setTimeout(() => controller.abort(), delay);
            try {
              const result = await engine.run(
                { backend, prompt, ephemeral: true, env: extra },
                { signal: controller.signal },
              );
              outcome(result.error?.code ?? "success");
            } catch (error) {
              outcome(errorCode(error));
            }
            return;
          }
          case "engine: wall-clock timeout": {
            const result = await engine.run({ backend, prompt, ephemeral: true, env: extra, timeoutMs: delay + 50 });
            outcome(result.error?.code ?? "success");
            return;
          }
          case "engine: the consumer stops reading the stream": {
            // At any event, the `queued` one included: a slot left behind would stall every later run.
            const stopAfter = random.int(0, 6);
            let seen = 0;
            for await (const _event of engine.stream({ backend, prompt, ephemeral: true, env: extra })) {
              if (++seen > stopAfter) break;
            }
            outcome("consumer stopped");
            return;
          }
          case "SDK: AbortSignal.timeout": {
            try {
              const result = await client.run(
                { backend, prompt, ephemeral: true, env: extra },
                { signal: AbortSignal.timeout(delay + 1) },
              );
              outcome(result.error?.code ?? "success");
            } catch (error) {
              outcome(errorCode(error));
            }
            return;
          }
          case "SDK: stream() aborted mid-way": {
            const controller = new AbortController();
            setTimeout(() => controller.abort(), delay);
            try {
              for await (const _event of client.stream(
                { backend, prompt, ephemeral: true, env: extra },
                { signal: controller.signal },
              )) {
                // reading
              }
              outcome("success");
            } catch (error) {
              outcome(errorCode(error));
            }
            return;
          }
          case "SDK: per-query timeout": {
            const result = await client.run({ backend, prompt, ephemeral: true, env: extra, timeoutMs: delay + 50 });
            outcome(result.error?.code ?? "success");
            return;
          }
        }
      };
      await bounded(run(), 30_000);
    });
    await pool(tasks, 16);
    const left = await waitGone(prefix, 10_000);
    leftByPhase.library = left.length;
    phaseSeconds.library = (performance.now() - started) / 1000;
    expect(left.map((p) => p.args)).toEqual([]);
    expect(stuck).toBe(0);
  }, 240_000);

  describe("through clinvk serve", () => {
    let serve: Serve;
    afterAll(async () => {
      await serve?.stop();
    });

    it("150 HTTP clients that vanish mid-run (NDJSON, SSE, JSON, OpenAI and Anthropic streams)", async () => {
      const started = performance.now();
      const prefix = `${FILE_PREFIX}-http`;
      serve = await startServe({
        env: { FAKE_CLI_MODE: "family", FAKE_CLI_DELAY_MS: "4000", FAKE_CLI_TICK_MS: "40" },
        config: { concurrency: { max_running: 6, max_queued: 100 } },
      });
      const shapes = [
        { kind: "HTTP NDJSON stream", path: "/api/v1/prompt", stream: "ndjson" },
        { kind: "HTTP SSE stream", path: "/api/v1/prompt", stream: "sse" },
        { kind: "HTTP JSON (client gives up waiting)", path: "/api/v1/prompt", stream: "none" },
        { kind: "OpenAI chat stream", path: "/openai/v1/chat/completions", stream: "openai" },
        { kind: "Anthropic messages stream", path: "/anthropic/v1/messages", stream: "anthropic" },
      ] as const;
      const tasks = Array.from({ length: 150 }, (_, i) => async () => {
        const shape = shapes[i % shapes.length] as (typeof shapes)[number];
        count(shape.kind);
        const backend = random.pick(BACKENDS);
        const prompt = `${prefix}-${i} work for a while`;
        const body =
          shape.stream === "openai"
            ? { model: backend, stream: true, messages: [{ role: "user", content: prompt }] }
            : shape.stream === "anthropic"
              ? { model: backend, stream: true, max_tokens: 100, messages: [{ role: "user", content: prompt }] }
              : {
                  backend,
                  prompt,
                  ephemeral: true,
                  ...(shape.stream === "ndjson" ? { output_format: "stream-json" } : {}),
                };
        const headers: Record<string, string> =
          shape.stream === "sse"
            ? { accept: "text/event-stream" }
            : shape.stream === "anthropic"
              ? { "anthropic-version": "2023-06-01" }
              : {};
        const handle = openStream(`${serve.url}${shape.path}`, body, headers);
        const delay = random.int(0, 1200);
        await bounded(
          Promise.race([handle.done, sleep(delay)]).then(() => {
            handle.destroy();
            outcome(handle.received() ? "client left mid-stream" : "client left before the first byte");
          }),
          30_000,
        );
      });
      await pool(tasks, 8);
      const left = await waitGone(prefix, 10_000);
      leftByPhase.http = left.length;
      expect(left.map((p) => p.args)).toEqual([]);
      // The server knows nothing is running any more.
      let health = (await send(`${serve.url}/health`)).json;
      for (let i = 0; i < 50 && (health.runs.active > 0 || health.runs.running > 0); i++) {
        await sleep(100);
        health = (await send(`${serve.url}/health`)).json;
      }
      expect(health.runs).toMatchObject({ active: 0, running: 0, queued: 0 });
      expect(serve.errorLines()).toEqual([]);
      phaseSeconds.http = (performance.now() - started) / 1000;
    }, 240_000);
  });

  it("20 clinvk runs stopped by SIGINT or SIGTERM (a few twice: quit at once)", async () => {
    const started = performance.now();
    const prefix = `${FILE_PREFIX}-cli`;
    const home = mkdtempSync(join(tmpdir(), "clinvk-hz-hygiene-cli-"));
    const tasks = Array.from({ length: 20 }, (_, i) => async () => {
      const signal: NodeJS.Signals = i % 5 === 4 ? "SIGTERM" : "SIGINT";
      const twice = i % 4 === 3;
      const kind = `clinvk: ${signal}${twice ? " twice" : ""}`;
      count(kind);
      const backend = random.pick(BACKENDS);
      // A CLI that ignores SIGTERM takes the grace period to stop: time for the second signal to quit at once.
      const extra = twice ? { FAKE_CLI_IGNORE_TERM: "1" } : variant();
      const run = startClinvk(["-b", backend, "-o", "stream-json", "--ephemeral", `${prefix}-${i} work for a while`], {
        env: fakeBackendsEnv(home, { FAKE_CLI_MODE: "family", FAKE_CLI_DELAY_MS: "6000", ...extra }),
        cwd: home,
        timeoutMs: 40_000,
      });
      await sleep(random.int(150, 1500));
      run.child.kill(signal);
      if (twice) {
        await sleep(random.int(20, 300));
        run.child.kill(signal);
      }
      const result = await run.done;
      outcome(`clinvk exit ${result.code ?? result.signal}`);
      if (result.timedOut) stuck++;
    });
    await pool(tasks, 4);
    const left = await waitGone(prefix, 10_000);
    leftByPhase.cli = left.length;
    phaseSeconds.cli = (performance.now() - started) / 1000;
    expect(left.map((p) => p.args)).toEqual([]);
    expect(stuck).toBe(0);
  }, 180_000);

  it("30 runs in flight when clinvk serve gets SIGTERM (5 servers, one of them then SIGINT)", async () => {
    const started = performance.now();
    const prefix = `${FILE_PREFIX}-serve`;
    const exits: string[] = [];
    for (let round = 0; round < 5; round++) {
      const serve = await startServe({
        env: { FAKE_CLI_MODE: "family", FAKE_CLI_DELAY_MS: "20000", FAKE_CLI_TICK_MS: "100" },
        config: {
          concurrency: { max_running: 4, max_queued: 10 },
          server: { shutdown_timeout_secs: 1 },
        },
      });
      const handles = Array.from({ length: 6 }, (_, i) => {
        count("serve: SIGTERM with the run in flight");
        const stream = i % 2 === 0;
        return openStream(
          `${serve.url}/api/v1/prompt`,
          {
            backend: BACKENDS[i % 3],
            prompt: `${prefix}-${round}-${i} work for a long while`,
            ephemeral: true,
            ...(stream ? { output_format: "stream-json" } : {}),
          },
          {},
        );
      });
      // Let the runs start (four run, two wait in the queue), then stop the server.
      await Promise.race([Promise.all(handles.filter((_, i) => i % 2 === 0).map((h) => h.firstData)), sleep(3000)]);
      await sleep(random.int(0, 500));
      const stopping = performance.now();
      serve.child.kill("SIGTERM");
      if (round === 4) {
        // Impatient: Ctrl+C after the SIGTERM quits at once (the exit hook still kills every run).
        await sleep(200);
        serve.child.kill("SIGINT");
      }
      const exit = await bounded(serve.exited, 30_000);
      exits.push(`${exit?.code ?? exit?.signal ?? "stuck"} after ${Math.round(performance.now() - stopping)} ms`);
      await Promise.all(handles.map((h) => bounded(h.done, 10_000)));
      for (const h of handles) outcome(h.received() ? "client saw the run, then the end" : "client saw no data");
      if (!exit) serve.child.kill("SIGKILL");
    }
    const left = await waitGone(prefix, 10_000);
    leftByPhase.serve = left.length;
    phaseSeconds.serve = (performance.now() - started) / 1000;
    record("hygiene", { serve_exits: exits });
    expect(left.map((p) => p.args)).toEqual([]);
    expect(exits.every((e) => !e.startsWith("stuck"))).toBe(true);
    expect(stuck).toBe(0);
  }, 240_000);

  it("figures: zero processes of the runs anywhere", async () => {
    const left = matching(runPrefix()).filter((p) => p.args.includes(FILE_PREFIX));
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    record("hygiene", {
      seed: random.seed,
      runs_aborted: total,
      by_kind: counts,
      outcomes,
      processes_left: left.length + Object.values(leftByPhase).reduce((a, b) => a + b, 0),
      processes_left_by_phase: leftByPhase,
      stuck_runs: stuck,
      phase_seconds: Object.fromEntries(Object.entries(phaseSeconds).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    });
    expect(total).toBe(500);
    expect(left).toEqual([]);
  });
});

it("breaking out of engine.stream() while the run waits in the queue gives its slot back: later runs go on", async () => {
  const env = { ...process.env, FAKE_CLI_MODE: "echo", FAKE_CLI_DELAY_MS: "300" };
  const engine = new Engine({
    backends: { claude: { binary: FAKE.claude } },
    env,
    gate: new AdmissionGate({ maxRunning: 1, maxQueued: 10, queueTimeoutMs: 0 }),
  });
  const prefix = token("slot-leak");
  const first = engine.run({ backend: "claude", prompt: `${prefix} one`, ephemeral: true });
  await sleep(100);
  // The second run waits for the slot; its consumer gives up at the `queued` event.
  for await (const event of engine.stream({ backend: "claude", prompt: `${prefix} two`, ephemeral: true })) {
    expect(event.type).toBe("queued");
    break;
  }
  expect((await first).status).toBe("success");
  const third = await Promise.race([
    engine.run({ backend: "claude", prompt: `${prefix} three`, ephemeral: true }).then((r) => r.status),
    sleep(5000).then(() => "still waiting for a slot after 5 s"),
  ]);
  expect(third).toBe("success");
}, 30_000);

it("a second SIGTERM stops clinvk serve at once with exit 7, and its exit hook still kills the runs in flight and their children", async () => {
  const prefix = token("double-term");
  const serve = await startServe({
    env: { FAKE_CLI_MODE: "family", FAKE_CLI_DELAY_MS: "20000", FAKE_CLI_TICK_MS: "100" },
    config: { server: { shutdown_timeout_secs: 5 } },
  });
  try {
    const handles = [0, 1, 2].map((i) =>
      openStream(`${serve.url}/api/v1/prompt`, {
        backend: BACKENDS[i],
        prompt: `${prefix}-${i} work for a long while`,
        ephemeral: true,
        output_format: "stream-json",
      }),
    );
    await Promise.race([Promise.all(handles.map((h) => h.firstData)), sleep(5000)]);
    serve.child.kill("SIGTERM");
    await sleep(300);
    serve.child.kill("SIGTERM"); // "stop now": documented to exit 7, the exit hook killing every run
    const exit = await serve.exited;
    const left = await waitGone(prefix, 5000);
    expect(left.map((p) => p.args)).toEqual([]);
    expect(exit).toEqual({ code: 7, signal: null });
  } finally {
    killMatching(prefix);
    serve.child.kill("SIGKILL");
  }
}, 60_000);
