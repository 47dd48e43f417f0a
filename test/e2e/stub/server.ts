// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is arbitrary; tests read it loosely.
// One node:http server that imitates the Anthropic Messages, OpenAI Responses and Gemini APIs at once,
// answers from a per-test script of turns (with optional faults), and records every request.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import type { Inspection, ProviderAdapter, ReplyPlan } from "./adapter.js";
import { anthropicAdapter } from "./anthropic.js";
import { geminiAdapter } from "./gemini.js";
import { openaiAdapter } from "./openai.js";
import type { Provider, RecordedRequest, ScriptedTurn, TurnInput, UsageSpec } from "./types.js";
import { estimateUsage, normalizeError, sleep, turnToolCalls } from "./util.js";

const ADAPTERS: ProviderAdapter[] = [anthropicAdapter, openaiAdapter, geminiAdapter];

const DEFAULT_MODEL: Record<Provider, string> = {
  anthropic: "claude-stub",
  openai: "gpt-stub",
  gemini: "gemini-stub",
};

export interface ProviderStubOptions {
  /** Port to listen on; 0 (default) picks a free port. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Called with one summary line per request (e.g. `console.error`). */
  log?: (line: string) => void;
  /** Serve the `/__stub/*` control API (script, requests, reset) used by the standalone runner. Default false. */
  controlApi?: boolean;
  /**
   * Token counts for answers whose turn gives none (or only some): a fixed spec, or one per request. Numbers left
   * out are estimated (request bytes / 4), which varies with dates and paths in the CLI's prompt; fix them to make
   * recordings reproducible.
   */
  usage?: UsageSpec | ((request: RecordedRequest) => UsageSpec | undefined);
}

export interface WaitOptions {
  timeoutMs?: number;
  filter?: (r: RecordedRequest) => boolean;
}

export interface ProviderStub {
  /** Base URL, e.g. `http://127.0.0.1:43123` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Every request received so far, oldest first (a live array; `reset()` empties it). */
  readonly requests: RecordedRequest[];
  /** Queues turns (appends). Each request takes the first queued turn that matches it. */
  script(...turns: Array<TurnInput | TurnInput[]>): ProviderStub;
  /** Turns still queued (not yet used up). */
  queued(): ScriptedTurn[];
  /** Main (non-side, non-probe) model requests, optionally for one provider. */
  mainRequests(provider?: Provider): RecordedRequest[];
  /** The last main model request, optionally for one provider. */
  lastRequest(provider?: Provider): RecordedRequest | undefined;
  /** Resolves once `count` requests (matching `filter`) have arrived; rejects after `timeoutMs` (default 10 s). */
  waitForRequests(count: number, options?: WaitOptions): Promise<RecordedRequest[]>;
  /** Clears the script and the recorded requests, and cuts any hung or in-flight answers. */
  reset(): void;
  /** Cuts open connections and stops the server. */
  close(): Promise<void>;
}

interface QueueEntry {
  turn: ScriptedTurn;
  remaining: number;
}

function toTurn(input: TurnInput): ScriptedTurn {
  return typeof input === "string" ? { text: input } : input;
}

function timesOf(turn: ScriptedTurn): number {
  if (turn.times === "always") return Number.POSITIVE_INFINITY;
  return typeof turn.times === "number" && turn.times > 0 ? turn.times : 1;
}

function turnMatches(turn: ScriptedTurn, rec: RecordedRequest): boolean {
  if (turn.provider && turn.provider !== rec.provider) return false;
  if ((turn.side ?? false) !== rec.side) return false;
  if (turn.model && !(rec.model ?? "").includes(turn.model)) return false;
  return true;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function decodeBody(raw: Buffer, encoding: string | undefined): Buffer | null {
  switch ((encoding ?? "identity").toLowerCase()) {
    case "identity":
    case "":
      return raw;
    case "gzip":
      return gunzipSync(raw);
    case "deflate":
      return inflateSync(raw);
    case "br":
      return brotliDecompressSync(raw);
    default:
      return null; // e.g. zstd: not decodable with Node 20's zlib
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startProviderStub(options: ProviderStubOptions = {}): Promise<ProviderStub> {
  const requests: RecordedRequest[] = [];
  let queue: QueueEntry[] = [];
  /** Aborted by reset()/close() to cut delays, hangs and streams in flight. */
  let generation = new AbortController();
  let closed = false;
  const log = options.log;
  const defaultUsage = (rec: RecordedRequest): UsageSpec | undefined =>
    typeof options.usage === "function" ? options.usage(rec) : options.usage;

  function takeTurn(rec: RecordedRequest): ScriptedTurn | null {
    const idx = queue.findIndex((e) => turnMatches(e.turn, rec));
    if (idx < 0) return null;
    const entry = queue[idx] as QueueEntry;
    entry.remaining--;
    if (entry.remaining <= 0) queue.splice(idx, 1);
    return entry.turn;
  }

  function buildPlan(adapter: ProviderAdapter, rec: RecordedRequest, turn: ScriptedTurn | null, body: any): ReplyPlan {
    const tools = turn ? turnToolCalls(turn) : [];
    // A turn without content (e.g. only `delayMs` or `chunkDelayMs`) gets the default reply.
    let text: string;
    if (turn?.text !== undefined || tools.length > 0) text = turn?.text ?? "";
    else if (rec.side) text = adapter.defaultSideText(body);
    else text = `stub reply: ${rec.userText}`;
    const toolCalls = tools.map((t) => ({ ...t, id: t.id ?? adapter.toolCallId() }));
    const plan: ReplyPlan = {
      model: rec.model ?? DEFAULT_MODEL[adapter.provider],
      text,
      toolCalls,
      usage: estimateUsage(rec.bytes, text, toolCalls, { ...defaultUsage(rec), ...turn?.usage }),
    };
    if (turn?.stopReason) plan.stopReason = turn.stopReason;
    if (turn?.chunkSize) plan.chunkSize = turn.chunkSize;
    return plan;
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, pathname: string, raw: Buffer) {
    if (pathname === "/__stub/requests") return sendJson(res, 200, requests);
    if (pathname === "/__stub/reset" && req.method === "POST") {
      stub.reset();
      return sendJson(res, 200, { ok: true });
    }
    if (pathname === "/__stub/script" && req.method === "POST") {
      const parsed: unknown = JSON.parse(raw.toString("utf8") || "[]");
      const turns = (Array.isArray(parsed) ? parsed : [parsed]) as TurnInput[];
      for (const t of turns) if (typeof t === "object" && t.times === null) t.times = "always"; // JSON has no Infinity
      stub.script(turns);
      return sendJson(res, 200, { ok: true, queued: queue.length });
    }
    return sendJson(res, 404, { error: "unknown control endpoint" });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://stub.invalid");
    const pathname = url.pathname;
    const raw = await readBody(req);

    if (options.controlApi && pathname.startsWith("/__stub/")) return handleControl(req, res, pathname, raw);

    const adapter = ADAPTERS.find((a) => a.matches(pathname));
    const decoded = decodeBody(raw, req.headers["content-encoding"] as string | undefined);
    let body: any;
    if (decoded && decoded.length > 0) {
      try {
        body = JSON.parse(decoded.toString("utf8"));
      } catch {
        body = undefined;
      }
    }
    let inspection: Inspection = {
      endpoint: "unknown",
      model: null,
      stream: false,
      side: false,
      userText: "",
      toolResults: [],
    };
    if (adapter && req.method === "POST") inspection = adapter.inspect(pathname, url.search, body);
    else if ((req.method === "HEAD" || req.method === "GET") && pathname === "/")
      inspection = { ...inspection, endpoint: "probe" };

    const rec: RecordedRequest = {
      n: requests.length + 1,
      time: new Date().toISOString(),
      method: req.method ?? "GET",
      path: req.url ?? "/",
      provider: adapter && req.method === "POST" ? adapter.provider : null,
      endpoint: inspection.endpoint,
      model: inspection.model,
      stream: inspection.stream,
      side: inspection.side,
      headers: { ...req.headers },
      body,
      bytes: raw.length,
      userText: inspection.userText,
      toolResults: inspection.toolResults,
      status: 0,
      turn: null,
      reply: null,
      outcome: "pending",
      contentSentAt: [],
    };
    requests.push(rec);

    const finishLog = () => {
      log?.(
        `#${rec.n} ${rec.method} ${rec.path} ${rec.provider ?? "-"} model=${rec.model ?? "-"} stream=${rec.stream}` +
          `${rec.side ? " side" : ""} user=${JSON.stringify(rec.userText.slice(0, 60))} -> ${rec.status} ${rec.outcome}` +
          `${rec.reply !== null ? ` ${JSON.stringify(rec.reply.slice(0, 60))}` : ""}`,
      );
    };
    res.on("close", finishLog);

    if (inspection.endpoint === "probe") {
      rec.status = 200;
      rec.outcome = "ok";
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end(req.method === "HEAD" ? undefined : "ok");
    }
    if (!adapter || inspection.endpoint === "unknown") {
      rec.status = 404;
      rec.outcome = "error";
      return sendJson(res, 404, { error: { message: `stub: no route for ${req.method} ${pathname}` } });
    }

    // Cut this answer when the client goes away, or on reset()/close().
    const abort = new AbortController();
    const gen = generation.signal;
    const onGen = () => abort.abort();
    gen.addEventListener("abort", onGen, { once: true });
    res.on("close", () => {
      gen.removeEventListener("abort", onGen);
      if (!res.writableFinished) {
        if (rec.outcome === "pending") rec.outcome = "aborted";
        abort.abort();
      }
    });
    const signal = abort.signal;
    // Destroy the socket (not just the response) so the client sees a truncated body, never a clean end.
    const cut = () => {
      if (res.socket) res.socket.destroy();
      else res.destroy();
    };

    const turn = inspection.endpoint === "count_tokens" ? null : takeTurn(rec);
    rec.turn = turn;

    if (turn?.delayMs) await sleep(turn.delayMs, signal);
    if (signal.aborted) return cut();

    if (turn?.hang === true) {
      rec.outcome = "hung";
      await untilAborted(signal);
      return cut();
    }

    if (turn?.error !== undefined) {
      const answer = adapter.error(normalizeError(turn.error));
      rec.status = answer.status;
      rec.outcome = "error";
      return sendJson(res, answer.status, answer.body, answer.headers);
    }

    const plan = buildPlan(adapter, rec, turn, body);
    rec.reply = [plan.text, ...plan.toolCalls.map((t) => `tool:${t.name}`)].filter((s) => s).join(" ");
    const chunkDelay = turn?.chunkDelayMs ?? 0;
    const midDrop = turn?.drop === true ? null : typeof turn?.drop === "object" ? turn.drop.afterEvents : undefined;
    const midHang = typeof turn?.hang === "object" ? turn.hang.afterEvents : undefined;

    if (!rec.stream || rawJsonTurn(turn)) {
      const payload = turn?.rawJson !== undefined ? turn.rawJson : adapter.jsonBody(plan, inspection, body);
      const text = JSON.stringify(payload);
      rec.status = 200;
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
        ...adapter.headers(),
      });
      if (midDrop !== undefined || midHang !== undefined) {
        res.write(text.slice(0, Math.floor(text.length / 2)));
        if (midDrop !== undefined) {
          rec.outcome = "dropped";
          return destroySoon(res);
        }
        rec.outcome = "hung";
        await untilAborted(signal);
        return cut();
      }
      rec.outcome = "ok";
      return res.end(text);
    }

    const events = adapter.streamEvents(plan, inspection, body);
    const firstContent = events.findIndex((e) => e.content);
    const defaultCut = firstContent >= 0 ? firstContent + 1 : Math.ceil(events.length / 2);
    const dropAt = midDrop === undefined ? -1 : (midDrop ?? defaultCut);
    const hangAt = midHang === undefined ? -1 : midHang;
    rec.status = 200;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      ...adapter.headers(),
    });
    for (let i = 0; i < events.length; i++) {
      if (signal.aborted) return cut();
      if (i === dropAt) {
        rec.outcome = "dropped";
        return destroySoon(res);
      }
      if (i === hangAt) {
        rec.outcome = "hung";
        await untilAborted(signal);
        return cut();
      }
      if (i > 0 && chunkDelay > 0) await sleep(chunkDelay, signal);
      if (signal.aborted) return cut();
      const event = events[i] as (typeof events)[number];
      res.write(adapter.formatEvent(event));
      if (event.content) rec.contentSentAt.push(Date.now());
    }
    // A cut point at or past the end: everything was sent, but the response never ends cleanly.
    if (dropAt >= events.length) {
      rec.outcome = "dropped";
      return destroySoon(res);
    }
    if (hangAt >= events.length) {
      rec.outcome = "hung";
      await untilAborted(signal);
      return cut();
    }
    rec.outcome = "ok";
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log?.(`stub error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) sendJson(res, 500, { error: { message: `stub internal error: ${String(err)}` } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? "127.0.0.1";
  const port = address.port;

  const stub: ProviderStub = {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    get requests() {
      return requests;
    },
    script(...turns) {
      for (const t of turns.flat()) {
        const turn = toTurn(t);
        queue.push({ turn, remaining: timesOf(turn) });
      }
      return stub;
    },
    queued() {
      return queue.map((e) => e.turn);
    },
    mainRequests(provider) {
      return requests.filter((r) => r.provider !== null && !r.side && (!provider || r.provider === provider));
    },
    lastRequest(provider) {
      const main = stub.mainRequests(provider);
      return main[main.length - 1];
    },
    async waitForRequests(count, opts = {}) {
      const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
      for (;;) {
        const got = opts.filter ? requests.filter(opts.filter) : requests.slice();
        if (got.length >= count) return got;
        if (Date.now() > deadline) throw new Error(`stub: expected ${count} request(s), got ${got.length}`);
        await sleep(20);
      }
    },
    reset() {
      queue = [];
      requests.length = 0;
      generation.abort();
      generation = new AbortController();
    },
    async close() {
      if (closed) return;
      closed = true;
      generation.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return stub;
}

/** Resolves once the signal aborts (client gone, reset() or close()). */
function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

function rawJsonTurn(turn: ScriptedTurn | null): boolean {
  return turn?.rawJson !== undefined;
}

/** Destroys the socket once what was written so far has been flushed, so the client sees a truncated body. */
function destroySoon(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket) return void res.destroy();
  socket.write("", () => socket.destroy());
}
