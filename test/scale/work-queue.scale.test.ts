// Runs shared between `clinvk serve` instances through Redis, with the real CLIs behind the provider stub and
// each instance a machine of its own (CLINVK_HOME, HOME, CODEX_HOME), one PostgreSQL schema and one Redis
// prefix: a run followed through one instance and, after a reconnect, through another, every event once; a
// run cancelled through an instance that does not run it; `--role api` handing 30 runs to two workers within
// their caps; and a worker killed mid-run leaving the run failed, its session intact and no process behind.
import type { ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliSandbox, prepareCliSandbox } from "../e2e/cli-env.js";
import { runDir, snapshotClinvk, startServe } from "../e2e/clinvk-bin.js";
import {
  killSandboxProcesses,
  type SandboxProcess,
  sandboxProcesses,
  waitForNoSandboxProcesses,
} from "../e2e/processes.js";
import { type ProviderStub, startProviderStub } from "../e2e/stub/index.js";
import { dropRunSchemas, newSchemaName, TEST_PG_URL } from "./pg.js";
import { deleteRunKeys, REDIS_PREFIX, TEST_REDIS_URL } from "./redis.js";

let stub: ProviderStub;
let bin: { cli: string; cleanup(): void };
const sandboxes: CliSandbox[] = [];
const servers: ChildProcess[] = [];

beforeAll(async () => {
  bin = snapshotClinvk();
  stub = await startProviderStub();
});
/** Stops a server and waits for it (and its supervisor's sweep), so that nothing writes into a removed sandbox. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  const late = setTimeout(() => server.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(late);
}

afterAll(async () => {
  await Promise.all(servers.map(stopServer));
  // A killed server's supervisor and CLIs may still write into its sandbox for a moment: gone before it is removed.
  for (const sb of sandboxes) if ((await waitForNoSandboxProcesses(sb, 2000)).length > 0) killSandboxProcesses(sb);
  for (const sb of sandboxes) sb.cleanup();
  await stub?.close();
  bin?.cleanup();
  await deleteRunKeys();
  await dropRunSchemas();
});

interface Machine {
  base: string;
  sb: CliSandbox;
  server: ChildProcess;
  instance?: string;
}

/** A machine running `clinvk serve`: its own sandbox and CLINVK_HOME, the shared store and Redis. */
async function machine(schema: string, env: Record<string, string> = {}, args: string[] = []): Promise<Machine> {
  const sb = prepareCliSandbox("all", stub.url);
  sandboxes.push(sb);
  const shared = {
    CLINVK_HOME: join(sb.root, "clinvk-home"),
    CLINVK_STORE_URL: TEST_PG_URL,
    CLINVK_STORE_SCHEMA: schema,
    CLINVK_REDIS_URL: TEST_REDIS_URL,
    CLINVK_REDIS_KEY_PREFIX: `${REDIS_PREFIX}${schema}:`,
    ...env,
  };
  const { server, base } = await startServe(bin.cli, sb, shared, args);
  servers.push(server);
  const health = (await (await fetch(`${base}/health`)).json()) as { queue?: { instance?: string } };
  return { base, sb, server, ...(health.queue?.instance ? { instance: health.queue.instance } : {}) };
}

/** The CLIs still running in a machine's sandbox (its clinvk serve and supervisor aside). */
async function cliProcesses(sb: CliSandbox, timeoutMs = 5000): Promise<SandboxProcess[]> {
  const ours = (p: SandboxProcess) => / serve --port 0| __supervise-runs /.test(p.cmdline);
  const deadline = Date.now() + timeoutMs;
  let left = sandboxProcesses(sb).filter((p) => !ours(p));
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = sandboxProcesses(sb).filter((p) => !ours(p));
  }
  return left;
}

const post = (base: string, path: string, body: unknown = {}) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const json = async <T>(response: Response | Promise<Response>): Promise<T> => (await response).json() as Promise<T>;

interface Run {
  id: string;
  state: string;
  instance?: string;
  session_id?: string;
  started_at?: string;
  finished_at?: string;
  error?: { code: string; message: string };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const runningOn = (base: string) =>
  until("a running run", async () => (await json<{ runs: Run[] }>(fetch(`${base}/api/v1/runs?state=running`))).runs[0]);

interface Frame {
  id?: number;
  event: string;
  data: Record<string, unknown>;
}

/** Reads a run's SSE events through `base`, from after `lastId`; stops after `stopAfter` frames (then aborts). */
async function follow(
  base: string,
  id: string,
  lastId?: number,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<Frame[]> {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/v1/runs/${id}/events`, {
    headers: lastId === undefined ? {} : { "last-event-id": String(lastId) },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const frames: Frame[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        const frameId = /^id: (\d+)$/m.exec(block)?.[1];
        if (!event || !data) continue;
        frames.push({ event, data: JSON.parse(data), ...(frameId ? { id: Number(frameId) } : {}) });
        if (frames.length >= stopAfter) {
          controller.abort();
          return frames;
        }
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return frames;
}

describe("runs shared between instances", () => {
  it("a client follows a run through A, reconnects through B with Last-Event-ID, and gets every event once", async () => {
    const schema = newSchemaName();
    const [a, b] = await Promise.all([machine(schema), machine(schema)]);
    const workdir = runDir(a.sb);
    stub.reset();
    const chunks = ["one ", "two ", "three ", "four ", "five ", "six."];
    stub.script({ text: chunks.join(""), chunkSize: 4, chunkDelayMs: 250 });
    const answer = json<{ text: string; status: string }>(
      post(a.base, "/api/v1/prompt", { backend: "claude", prompt: "count", workdir, ephemeral: true }),
    );
    const run = await runningOn(b.base); // B lists A's run
    expect(run.instance).toBe(a.instance);

    const first = await follow(a.base, run.id, undefined, 3);
    const lastSeen = first.at(-1)?.id as number;
    const rest = await follow(b.base, run.id, lastSeen);
    expect((await answer).status).toBe("success");

    expect(rest.at(-1)?.event).toBe("end");
    expect(rest.at(-1)?.data).toMatchObject({ id: run.id, state: "succeeded", instance: a.instance });
    const ids = [...first, ...rest].flatMap((f) => (f.id === undefined ? [] : [f.id]));
    expect(new Set(ids).size).toBe(ids.length); // once each
    expect(ids).toEqual(ids.map((_, i) => i)); // and none missed
    const text = [...first, ...rest].flatMap((f) => (f.event === "text" ? [f.data.text] : [])).join("");
    expect(text).toBe(chunks.join(""));
    // The whole run, replayed through B after its end, is the same events.
    const replay = await follow(b.base, run.id);
    expect(replay.flatMap((f) => (f.id === undefined ? [] : [f.id]))).toEqual(ids);
  });

  it("a run is cancelled through the instance that does not run it: its CLI is gone", async () => {
    const schema = newSchemaName();
    const [a, b] = await Promise.all([machine(schema), machine(schema)]);
    const workdir = runDir(a.sb);
    stub.reset();
    stub.script({ text: "a very slow answer that never ends in time", chunkSize: 2, chunkDelayMs: 1000 });
    const answer = post(a.base, "/api/v1/prompt", { backend: "codex", prompt: "slow", workdir, ephemeral: true });
    const run = await runningOn(b.base);
    const cancelled = await post(b.base, `/api/v1/runs/${run.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(await json(answer)).toMatchObject({ status: "error", error_code: "cancelled" });
    const ended = await until("the cancelled record", async () => {
      const seen = await json<Run>(fetch(`${b.base}/api/v1/runs/${run.id}`));
      return seen.state === "cancelled" ? seen : undefined;
    });
    expect(ended.instance).toBe(a.instance);
    expect(await cliProcesses(a.sb)).toEqual([]);
    expect((await post(b.base, `/api/v1/runs/${run.id}/cancel`)).status).toBe(409);
  });
});

describe("--role api hands runs to --role worker instances", () => {
  it("30 runs are shared by two workers, each within its cap of 2", async () => {
    const schema = newSchemaName();
    const cap = { CLINVK_CONCURRENCY_PER_BACKEND_CODEX: "2" };
    const [api, w1, w2] = await Promise.all([
      machine(schema, {}, ["--role", "api"]),
      machine(schema, cap, ["--role", "worker"]),
      machine(schema, cap, ["--role", "worker"]),
    ]);
    expect(api.instance).toBeTruthy();
    // A worker serves its health only.
    expect((await fetch(`${w1.base}/api/v1/backends`)).status).toBe(404);
    const workdir = runDir(api.sb);
    stub.reset();
    stub.script({ text: "done", delayMs: 300, times: "always" });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        json<{ status: string; text: string }>(
          post(api.base, "/api/v1/prompt", { backend: "codex", prompt: `task ${i}`, workdir, ephemeral: true }),
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(results.map(() => "success"));
    expect(stub.mainRequests("openai")).toHaveLength(30);

    const { runs } = await json<{ runs: Run[] }>(fetch(`${api.base}/api/v1/runs?backend=codex&limit=100`));
    expect(runs).toHaveLength(30);
    const byWorker = (instance?: string) => runs.filter((r) => r.instance === instance);
    expect(byWorker(w1.instance).length + byWorker(w2.instance).length).toBe(30);
    expect(byWorker(w1.instance).length).toBeGreaterThan(0);
    expect(byWorker(w2.instance).length).toBeGreaterThan(0);
    for (const worker of [w1, w2]) {
      // At no moment did a worker run more than its cap.
      const spans = byWorker(worker.instance).map((r) => ({
        start: Date.parse(r.started_at ?? ""),
        end: Date.parse(r.finished_at ?? ""),
      }));
      const overlapping = (at: number) => spans.filter((span) => span.start <= at && at < span.end).length;
      const most = Math.max(...spans.map((span) => overlapping(span.start)));
      expect(most).toBeLessThanOrEqual(2);
    }
    // A workflow sent to the API instance spreads its steps over the workers too.
    const parallel = await post(api.base, "/api/v1/parallel", {
      tasks: Array.from({ length: 6 }, (_, i) => ({ backend: "codex", prompt: `step ${i}`, workdir, ephemeral: true })),
      max_parallel: 6,
    });
    expect(parallel.status).toBe(200);
    const steps = (await json<{ runs: Run[] }>(fetch(`${api.base}/api/v1/runs?backend=codex&limit=6`))).runs;
    expect(steps.map((r) => r.state)).toEqual(steps.map(() => "succeeded"));
    expect(new Set(steps.map((r) => r.instance))).toEqual(new Set([w1.instance, w2.instance]));

    const health = await json<{ queue: { role: string; backends: Record<string, Record<string, number>> } }>(
      fetch(`${api.base}/health`),
    );
    expect(health.queue.role).toBe("api");
    expect(health.queue.backends.codex).toMatchObject({ waiting: 0, active: 0, workers: 2 });
  });

  it("an image sent to the API instance reaches the provider through the worker, whose copy is removed", async () => {
    const schema = newSchemaName();
    const [api, worker] = await Promise.all([
      machine(schema, {}, ["--role", "api"]),
      machine(schema, {}, ["--role", "worker"]),
    ]);
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    stub.reset();
    stub.script({ text: "A dot, from a worker." });
    const response = await post(api.base, "/openai/v1/chat/completions", {
      model: "codex",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Describe the image." },
            { type: "image_url", image_url: { url: `data:image/png;base64,${png}` } },
          ],
        },
      ],
    });
    expect(response.status).toBe(200);
    const completion = await json<{ choices: { message: { content: string } }[] }>(response);
    expect(completion.choices[0]?.message.content).toContain("A dot, from a worker.");
    expect(JSON.stringify(stub.mainRequests("openai").map((r) => r.body))).toContain(png.slice(20, 60));
    const { runs } = await json<{ runs: Run[] }>(fetch(`${api.base}/api/v1/runs`));
    expect(runs[0]?.instance).toBe(worker.instance);
    const left = readdirSync(worker.sb.env.TMPDIR as string).filter((name) => name.startsWith("clinvk-queued-images-"));
    expect(left).toEqual([]);
  });

  it("a backend at its usage limit: the runs not started wait for the reset instead of failing", async () => {
    const schema = newSchemaName();
    const [api] = await Promise.all([
      machine(schema, {}, ["--role", "api"]),
      machine(schema, { CLINVK_CONCURRENCY_PER_BACKEND_CLAUDE: "1" }, ["--role", "worker"]),
    ]);
    const workdir = runDir(api.sb);
    stub.reset();
    stub.script(
      {
        error: {
          status: 429,
          type: "rate_limit_error",
          message: "You've hit your usage limit. Try again in 4 seconds.",
        },
      },
      { text: "after the reset" },
    );
    const ask = (prompt: string) =>
      json<{ status: string; error_code?: string; output?: string }>(
        post(api.base, "/api/v1/prompt", { backend: "claude", prompt, workdir, ephemeral: true }),
      );
    const limited = ask("first");
    await until(
      "the first run to start",
      async () => (await json<{ runs: Run[] }>(fetch(`${api.base}/api/v1/runs?state=running`))).runs[0],
    );
    const waiting = ask("second");
    // The run that met the limit fails with it (it may have done work that must not be repeated).
    expect(await limited).toMatchObject({ status: "error", error_code: "usage_limit" });
    const limitedAt = Date.now();
    expect(await waiting).toMatchObject({ status: "success", output: "after the reset" });
    expect(Date.now() - limitedAt).toBeGreaterThanOrEqual(3000);

    const { runs } = await json<{ runs: Run[] }>(fetch(`${api.base}/api/v1/runs?backend=claude`));
    const second = runs.find((r) => r.state === "succeeded") as Run;
    const events = await follow(api.base, second.id);
    const notice = events.find((f) => f.event === "notice");
    expect(notice?.data.message).toMatch(/claude is at its usage limit: this run waits for it to reset at /);
    expect(events.findIndex((f) => f.event === "notice")).toBeLessThan(events.findIndex((f) => f.event === "start"));
    expect(stub.mainRequests("anthropic")).toHaveLength(2); // the delayed run ran once
  });

  it("a worker killed mid-run: the run fails, is not run again, the session keeps its turns, no CLI is left", async () => {
    const schema = newSchemaName();
    const [api, w1, w2] = await Promise.all([
      machine(schema, {}, ["--role", "api"]),
      machine(schema, {}, ["--role", "worker"]),
      machine(schema, {}, ["--role", "worker"]),
    ]);
    const workdir = runDir(api.sb);
    stub.reset();
    stub.script({ text: "first answer" });
    const first = await json<{ status: string; session_id: string }>(
      post(api.base, "/api/v1/prompt", { backend: "claude", prompt: "remember pelican", workdir }),
    );
    expect(first.status).toBe("success");

    stub.script({ text: "a slow second answer", chunkSize: 2, chunkDelayMs: 1000 });
    const second = post(api.base, `/api/v1/sessions/${first.session_id}/resume`, { prompt: "and now?" });
    const run = await runningOn(api.base);
    const victim = [w1, w2].find((w) => w.instance === run.instance) as Machine;
    const survivor = victim === w1 ? w2 : w1;
    victim.server.kill("SIGKILL");

    // Answered as a CLI that crashed here would be.
    expect(await json(second)).toMatchObject({ status: "error", error_code: "backend_crashed" });
    const failed = await json<Run>(fetch(`${api.base}/api/v1/runs/${run.id}`));
    expect(failed).toMatchObject({ state: "failed", error: { code: "backend_crashed" } });
    expect(await waitForNoSandboxProcesses(victim.sb, 10_000)).toEqual([]);
    const requests = stub.mainRequests("anthropic").length;

    // The session is intact and goes on through the other worker, with its first turn.
    const session = await json<{ id: string; turn_count?: number }>(
      fetch(`${api.base}/api/v1/sessions/${first.session_id}`),
    );
    expect(session.id).toBe(first.session_id);
    stub.script({ text: "third answer" });
    const third = await json<{ status: string }>(
      post(api.base, `/api/v1/sessions/${first.session_id}/resume`, { prompt: "what was the word?" }),
    );
    expect(third.status).toBe("success");
    expect(JSON.stringify(stub.lastRequest("anthropic")?.body)).toContain("remember pelican");
    // The killed run was not run again by the survivor.
    expect(stub.mainRequests("anthropic")).toHaveLength(requests + 1);
    const runs = (await json<{ runs: Run[] }>(fetch(`${api.base}/api/v1/runs`))).runs;
    expect(runs.filter((r) => r.instance === survivor.instance).length).toBeGreaterThan(0);
  }, 90_000);
});
