/**
 * Load: a soak of `clinvk serve` at its admission cap (max_running 4, a queue of 8) with more clients than that,
 * mixing streaming and non-streaming requests from the official SDK clients (`openai` on /openai/v1/chat/completions,
 * `@anthropic-ai/sdk` on /anthropic/v1/messages) and the native API. Expected: zero 5xx, memory flat, at most
 * 4 running and 8 queued at any time, and beyond that 429 queue_full with Retry-After, never a 5xx.
 * CLINVK_SOAK_SECONDS sets the length (default 180).
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { record } from "./lib/figures.js";
import { parseSse, send } from "./lib/http.js";
import { BACKENDS } from "./lib/paths.js";
import { killMatching, token, waitGone } from "./lib/procs.js";
import { seededRandom, sleep } from "./lib/random.js";
import { type Serve, startServe } from "./lib/serve.js";

const SECONDS = Number(process.env.CLINVK_SOAK_SECONDS ?? 180);
const CLIENTS = 16;
const MAX_RUNNING = 4;
const MAX_QUEUED = 8;
const KEY = "soak-key-0123456789";
const random = seededRandom();
const PREFIX = token("soak");

let serve: Serve;

beforeAll(async () => {
  serve = await startServe({
    env: { FAKE_CLI_MODE: "echo", FAKE_CLI_DELAY_MS: "200" },
    config: {
      concurrency: { max_running: MAX_RUNNING, max_queued: MAX_QUEUED, queue_timeout_secs: 30 },
      server: { api_keys: [KEY] },
    },
  });
  const headers = { authorization: `Bearer ${KEY}` };
  const openai = await send(`${serve.url}/openai/v1/chat/completions`, {
    body: { model: "claude", messages: [{ role: "user", content: `${PREFIX}-probe hello` }] },
    headers,
  });
  const anthropic = await send(`${serve.url}/anthropic/v1/messages`, {
    body: { model: "claude", max_tokens: 64, messages: [{ role: "user", content: `${PREFIX}-probe hello` }] },
    headers: { ...headers, "anthropic-version": "2023-06-01" },
  });
  expect([openai.status, anthropic.status]).toEqual([200, 200]);
});

afterAll(async () => {
  await serve?.stop();
  killMatching(PREFIX);
});

type Kind =
  | "openai chat"
  | "openai chat stream"
  | "anthropic messages"
  | "anthropic messages stream"
  | "native JSON"
  | "native SSE";

interface Tally {
  ok: number;
  queueFull: number;
  other4xx: number;
  fiveXX: number;
  failed: number;
}

describe(`soak: ${SECONDS} s at the admission cap`, () => {
  it(
    "zero 5xx, memory flat, the cap and the queue hold, beyond them 429 queue_full",
    async () => {
      const openai = new OpenAI({ baseURL: `${serve.url}/openai/v1`, apiKey: KEY, maxRetries: 0, timeout: 60_000 });
      const anthropic = new Anthropic({
        baseURL: `${serve.url}/anthropic`,
        apiKey: KEY,
        maxRetries: 0,
        timeout: 60_000,
      });
      const kinds: Kind[] = [
        "openai chat",
        "openai chat stream",
        "anthropic messages",
        "anthropic messages stream",
        "native JSON",
        "native SSE",
      ];
      const tally: Record<string, Tally> = {};
      const problems: string[] = [];
      const retryAfter = new Set<string>();
      const latencies: number[] = [];
      const note = (kind: Kind, what: keyof Tally, detail?: string) => {
        tally[kind] ??= { ok: 0, queueFull: 0, other4xx: 0, fiveXX: 0, failed: 0 };
        (tally[kind] as Tally)[what]++;
        if (detail && problems.length < 50) problems.push(`${kind}: ${detail}`);
      };
      /** A refusal: 429 queue_full (expected beyond the cap), or anything else (a problem). */
      const refused = (kind: Kind, status: number | undefined, code: string | undefined, message: string) => {
        if (status === 429) {
          if (code && !/queue_full|rate_limit/.test(code)) note(kind, "other4xx", `429 with code ${code}`);
          else note(kind, "queueFull");
        } else if (status && status >= 500) note(kind, "fiveXX", `${status} ${message}`);
        else if (status && status >= 400) note(kind, "other4xx", `${status} ${message}`);
        else note(kind, "failed", message);
      };

      const one = async (kind: Kind, n: number) => {
        const backend = random.pick(BACKENDS);
        const prompt = `${PREFIX}-${n} hello`;
        const started = performance.now();
        try {
          switch (kind) {
            case "openai chat": {
              const completion = await openai.chat.completions.create({
                model: backend,
                messages: [{ role: "user", content: prompt }],
              });
              const text = completion.choices[0]?.message.content ?? "";
              if (text.includes(prompt)) note(kind, "ok");
              else note(kind, "failed", `answer ${JSON.stringify(text).slice(0, 200)}`);
              break;
            }
            case "openai chat stream": {
              const stream = await openai.chat.completions.create({
                model: backend,
                stream: true,
                messages: [{ role: "user", content: prompt }],
              });
              let text = "";
              for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
              if (text.includes(prompt)) note(kind, "ok");
              else note(kind, "failed", `streamed ${JSON.stringify(text).slice(0, 200)}`);
              break;
            }
            case "anthropic messages": {
              const message = await anthropic.messages.create({
                model: backend,
                max_tokens: 256,
                messages: [{ role: "user", content: prompt }],
              });
              const text = message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
              if (text.includes(prompt)) note(kind, "ok");
              else note(kind, "failed", `answer ${JSON.stringify(text).slice(0, 200)}`);
              break;
            }
            case "anthropic messages stream": {
              const stream = await anthropic.messages.create({
                model: backend,
                max_tokens: 256,
                stream: true,
                messages: [{ role: "user", content: prompt }],
              });
              let text = "";
              for await (const event of stream) {
                if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
              }
              if (text.includes(prompt)) note(kind, "ok");
              else note(kind, "failed", `streamed ${JSON.stringify(text).slice(0, 200)}`);
              break;
            }
            case "native JSON":
            case "native SSE": {
              const reply = await send(`${serve.url}/api/v1/prompt`, {
                body: { backend, prompt },
                headers: { "x-api-key": KEY, ...(kind === "native SSE" ? { accept: "text/event-stream" } : {}) },
                timeoutMs: 60_000,
              });
              if (reply.status !== 200) {
                if (reply.status === 429) retryAfter.add(reply.headers["retry-after"] ?? "none");
                refused(kind, reply.status, reply.json?.error?.code, reply.text.slice(0, 200));
                if (reply.status === 429) await sleep(random.int(300, 1000));
                break;
              }
              const result =
                kind === "native SSE" ? parseSse(reply.text).find((f) => f.event === "result")?.data : reply.json;
              const output = kind === "native SSE" ? result?.text : result?.output;
              if (result?.status === "success" && output === `echo: ${prompt}`) note(kind, "ok");
              else note(kind, "failed", `result ${reply.text.slice(-300)}`);
              break;
            }
          }
          latencies.push(performance.now() - started);
        } catch (error) {
          const e = error as {
            status?: number;
            error?: { error?: { code?: string; type?: string } };
            headers?: unknown;
          };
          const status = e.status;
          if (status === 429) {
            const headers = e.headers as { get?: (name: string) => string | null } | undefined;
            retryAfter.add(headers?.get?.("retry-after") ?? "none");
          }
          refused(kind, status, e.error?.error?.code ?? e.error?.error?.type, (error as Error).message.slice(0, 200));
          // A refused client waits a moment (less than Retry-After asks: the soak keeps the pressure on).
          if (status === 429) await sleep(random.int(300, 1000));
        }
      };

      // Memory before any load, then samples through the soak.
      const rssStart = serve.rss() ?? 0;
      const samples: { t: number; rss: number }[] = [];
      let maxRunning = 0;
      let maxQueued = 0;
      const deadline = Date.now() + SECONDS * 1000;
      const sampler = (async () => {
        while (Date.now() < deadline) {
          const health = await send(`${serve.url}/health`, { timeoutMs: 10_000 });
          maxRunning = Math.max(maxRunning, health.json?.runs?.running ?? 0);
          maxQueued = Math.max(maxQueued, health.json?.runs?.queued ?? 0);
          samples.push({ t: (SECONDS * 1000 - (deadline - Date.now())) / 1000, rss: serve.rss() ?? 0 });
          await sleep(1000);
        }
      })();
      let n = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, client) => {
          while (Date.now() < deadline) await one(kinds[(client + n) % kinds.length] as Kind, n++);
        }),
      );
      await sampler;

      // Quiet again: nothing running, nothing left, the server healthy.
      let health = (await send(`${serve.url}/health`)).json;
      for (let i = 0; i < 50 && health.runs.running + health.runs.queued > 0; i++) {
        await sleep(100);
        health = (await send(`${serve.url}/health`)).json;
      }
      const left = await waitGone(PREFIX, 10_000);
      const rssEnd = serve.rss() ?? 0;
      const warm = samples.filter((s) => s.t >= SECONDS * 0.2);
      const rssWarm = warm[0]?.rss ?? rssStart;
      const rssPeak = Math.max(...samples.map((s) => s.rss), rssEnd);
      // Least-squares slope of RSS over the warm part of the soak, in MB per minute.
      const slope = (() => {
        if (warm.length < 3) return 0;
        const mt = warm.reduce((a, s) => a + s.t, 0) / warm.length;
        const mr = warm.reduce((a, s) => a + s.rss, 0) / warm.length;
        const num = warm.reduce((a, s) => a + (s.t - mt) * (s.rss - mr), 0);
        const den = warm.reduce((a, s) => a + (s.t - mt) ** 2, 0);
        return den ? ((num / den) * 60) / 1024 ** 2 : 0;
      })();
      const totals = Object.values(tally).reduce(
        (a, t) => ({
          ok: a.ok + t.ok,
          queueFull: a.queueFull + t.queueFull,
          other4xx: a.other4xx + t.other4xx,
          fiveXX: a.fiveXX + t.fiveXX,
          failed: a.failed + t.failed,
        }),
        { ok: 0, queueFull: 0, other4xx: 0, fiveXX: 0, failed: 0 },
      );
      latencies.sort((a, b) => a - b);
      const mb = (bytes: number) => Math.round((bytes / 1024 ** 2) * 10) / 10;
      record("load", {
        seconds: SECONDS,
        clients: CLIENTS,
        max_running: MAX_RUNNING,
        max_queued: MAX_QUEUED,
        apis: "openai SDK (chat completions), @anthropic-ai/sdk (messages), native API (JSON and SSE)",
        requests: Object.values(totals).reduce((a, b) => a + b, 0),
        served: totals.ok,
        queue_full_429: totals.queueFull,
        other_4xx: totals.other4xx,
        http_5xx: totals.fiveXX,
        failed: totals.failed,
        by_kind: tally,
        problems,
        retry_after_values: [...retryAfter],
        observed_max_running: maxRunning,
        observed_max_queued: maxQueued,
        latency_ms: {
          p50: Math.round(latencies[Math.floor(latencies.length * 0.5)] ?? 0),
          p99: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? 0),
        },
        rss_mb: { start: mb(rssStart), after_warmup: mb(rssWarm), peak: mb(rssPeak), end: mb(rssEnd) },
        rss_slope_mb_per_min: Math.round(slope * 10) / 10,
        processes_left: left.length,
        server_error_log_lines: serve.errorLines().length,
      });

      expect(problems).toEqual([]);
      expect(totals.fiveXX).toBe(0);
      expect(totals.failed).toBe(0);
      expect(totals.ok).toBeGreaterThan(SECONDS * 2);
      expect(totals.queueFull).toBeGreaterThan(0); // the load did go beyond the cap and the queue
      expect(maxRunning).toBeLessThanOrEqual(MAX_RUNNING);
      expect(maxQueued).toBeLessThanOrEqual(MAX_QUEUED);
      expect([...retryAfter].every((v) => /^\d+$/.test(v))).toBe(true);
      expect(health.status).toBe("ok");
      expect(health.runs).toMatchObject({ running: 0, queued: 0 });
      expect(left.map((p) => p.args)).toEqual([]);
      expect(serve.errorLines()).toEqual([]);
      // Memory flat: after warm-up, RSS grows by less than 64 MB over the soak.
      expect(rssEnd - rssWarm).toBeLessThan(64 * 1024 ** 2);
    },
    (SECONDS + 120) * 1000,
  );
});
