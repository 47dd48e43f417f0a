import { readdirSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { testServer } from "./test-server.js";

const ID = /^[a-f0-9]{32}$/;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

interface Run {
  id: string;
  state: string;
  queue_position?: number;
}
/** The runs the server lists at `query`. */
const runsAt = async (url: string): Promise<Run[]> => ((await (await fetch(url)).json()) as { runs: Run[] }).runs;

/** Pids of the processes whose command line holds `token`. */
function processesWith(token: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(token)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("timed out waiting");
}

async function listening(change?: Parameters<typeof testServer>[0], options?: Parameters<typeof testServer>[1]) {
  const server = await testServer(change, options);
  await server.app.listen({ port: 0, host: "127.0.0.1" });
  closers.push(() => server.app.close());
  const base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  return { ...server, base };
}

/** Reads an SSE response to its end into frames. */
async function frames(response: Response) {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((frame) => frame.includes("data: "))
    .map((frame) => ({
      id: /^id: (.*)$/m.exec(frame)?.[1],
      event: /^event: (.*)$/m.exec(frame)?.[1],
      data: JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? "null"),
    }));
}

describe("the runs API", () => {
  it("records every run, from the native and the OpenAI surface alike, with usage and session", async () => {
    const { app } = await testServer();
    await app.inject({ method: "POST", url: "/api/v1/prompt", payload: { backend: "codex", prompt: "one" } });
    await app.inject({
      method: "POST",
      url: "/openai/v1/chat/completions",
      payload: { model: "gemini", messages: [{ role: "user", content: "two" }] },
    });
    const list = (await app.inject("/api/v1/runs")).json();
    expect(list.runs).toHaveLength(2);
    const [second, first] = list.runs;
    expect(first).toMatchObject({ backend: "codex", state: "succeeded", prompt_preview: "one" });
    expect(first.id).toMatch(ID);
    expect(first.session_id).toMatch(ID);
    expect(first.usage).toMatchObject({ input_tokens: 10, output_tokens: 3 });
    expect(second).toMatchObject({ backend: "gemini", state: "succeeded" });
    const one = await app.inject(`/api/v1/runs/${first.id}`);
    expect(one.json()).toMatchObject({ id: first.id, event_count: expect.any(Number) });
    const filtered = (await app.inject("/api/v1/runs?backend=gemini")).json();
    expect(filtered.runs.map((r: { id: string }) => r.id)).toEqual([second.id]);
  });

  it("validates ids and queries, and answers 404 for an unknown run", async () => {
    const { app } = await testServer();
    for (const url of ["/api/v1/runs/xyz", "/api/v1/runs/..%2F..%2Fetc", `/api/v1/runs/${"A".repeat(32)}/events`]) {
      const response = await app.inject(url);
      expect(response.statusCode, url).toBe(400);
    }
    expect((await app.inject("/api/v1/runs?state=bogus")).statusCode).toBe(400);
    expect((await app.inject("/api/v1/runs?limit=-1")).statusCode).toBe(400);
    const missing = await app.inject(`/api/v1/runs/${"0".repeat(32)}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("not_found");
    const cancel = await app.inject({ method: "POST", url: `/api/v1/runs/${"0".repeat(32)}/cancel` });
    expect(cancel.statusCode).toBe(404);
    const events = await app.inject({
      url: `/api/v1/runs/${"0".repeat(32)}/events`,
      headers: { "last-event-id": "x" },
    });
    expect(events.statusCode).toBe(400);
  });

  it("asks for the API key like every other route", async () => {
    const { app } = await testServer((c) => {
      c.server.api_keys = ["k-runs-test-123456"];
    });
    expect((await app.inject("/api/v1/runs")).statusCode).toBe(401);
    expect((await app.inject({ method: "POST", url: `/api/v1/runs/${"0".repeat(32)}/cancel` })).statusCode).toBe(401);
    const ok = await app.inject({ url: "/api/v1/runs", headers: { "x-api-key": "k-runs-test-123456" } });
    expect(ok.statusCode).toBe(200);
  });

  it("streams a run's events live as SSE, replays after Last-Event-ID, and ends with the run", async () => {
    const { base } = await listening(undefined, { delayMs: 700 });
    const prompt = fetch(`${base}/api/v1/prompt`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ backend: "claude", prompt: "stream me" }),
    });
    const run = await until(async () => {
      const runs = await runsAt(`${base}/api/v1/runs`);
      return runs.find((r) => r.state === "running");
    });
    const live = await frames(await fetch(`${base}/api/v1/runs/${run.id}/events`));
    await prompt;
    expect(live[0]).toMatchObject({ id: "0", event: "start" });
    expect(live.at(-2)).toMatchObject({ event: "result", data: { type: "result", text: "echo: stream me" } });
    expect(live.at(-1)).toMatchObject({ event: "end", data: { id: run.id, state: "succeeded" } });
    const ids = live.filter((f) => f.id !== undefined).map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const lastButTwo = ids.at(-3) as number;
    const replay = await frames(
      await fetch(`${base}/api/v1/runs/${run.id}/events`, { headers: { "last-event-id": String(lastButTwo) } }),
    );
    expect(replay.filter((f) => f.id).map((f) => Number(f.id))).toEqual(ids.slice(-2));
    expect(replay.at(-1)?.event).toBe("end");
  });

  it("cancels a running run: its CLI process is gone and the run says cancelled; a second cancel is a 409", async () => {
    const { base } = await listening(undefined, { delayMs: 60_000 });
    const token = `slow-${process.pid}-${Date.now()}`;
    const prompt = fetch(`${base}/api/v1/prompt`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ backend: "claude", prompt: token }),
    });
    const run = await until(async () => {
      const runs = await runsAt(`${base}/api/v1/runs?state=running`);
      return runs[0];
    });
    await until(() => processesWith(token).length > 0 || undefined);
    const started = Date.now();
    const cancel = await fetch(`${base}/api/v1/runs/${run.id}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toMatchObject({ cancelled: true, run: { id: run.id } });
    const answer = await (await prompt).json();
    expect(answer).toMatchObject({ status: "error", error_code: "cancelled" });
    expect(Date.now() - started).toBeLessThan(5000);
    await until(() => processesWith(token).length === 0 || undefined, 3000);
    expect(((await (await fetch(`${base}/api/v1/runs/${run.id}`)).json()) as Run).state).toBe("cancelled");
    const again = await fetch(`${base}/api/v1/runs/${run.id}/cancel`, { method: "POST" });
    expect(again.status).toBe(409);
  });

  it("cancels a queued run, taking it out of the admission queue", async () => {
    const { base } = await listening(
      (c) => {
        c.concurrency.max_running = 1;
      },
      { delayMs: 60_000 },
    );
    const body = (prompt: string) => ({
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ backend: "codex", prompt }),
    });
    const first = fetch(`${base}/api/v1/prompt`, body("first"));
    await until(async () => (await runsAt(`${base}/api/v1/runs?state=running`))[0]);
    const second = fetch(`${base}/api/v1/prompt`, body("second"));
    const queued = await until(async () => (await runsAt(`${base}/api/v1/runs?state=queued`))[0]);
    expect(queued.queue_position).toBe(1);
    expect((await fetch(`${base}/api/v1/runs/${queued.id}/cancel`, { method: "POST" })).status).toBe(200);
    expect(await (await second).json()).toMatchObject({ error: { code: "cancelled" } });
    const [running] = await runsAt(`${base}/api/v1/runs?state=running`);
    expect(running?.id).toMatch(ID);
    await fetch(`${base}/api/v1/runs/${running?.id}/cancel`, { method: "POST" });
    await first;
  });

  it("documents the runs routes in the OpenAPI document", async () => {
    const { app } = await testServer();
    const doc = (await app.inject("/openapi.json")).json();
    for (const path of ["/api/v1/runs", "/api/v1/runs/{id}", "/api/v1/runs/{id}/events", "/api/v1/runs/{id}/cancel"])
      expect(doc.paths, path).toHaveProperty([path]);
  });
});
