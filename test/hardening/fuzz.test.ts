// biome-ignore-all lint/suspicious/noExplicitAny: the OpenAPI document and response bodies are read loosely.
/**
 * Hostile input, property-based: for every route that `clinvk serve` publishes in /openapi.json (the native API,
 * /openai/v1 and /anthropic/v1), plus the hidden ones, fast-check generates request bodies that follow the route's
 * schema most of the time and break it at any depth, bodies that are not JSON at all (or JSON that hurts parsers:
 * depth bombs, duplicate keys, __proto__, 2 MB strings, odd encodings), hostile query strings, path parameters and
 * headers, with and without the API key. Invariants: no 500 (no 5xx at all), no hang (each request has 20 s), every
 * error is a JSON error body, no key or secret in any answer or in the server's log, the server alive after each
 * route. Runs are dry by default (unified_flags.dry_run), so most valid bodies go all the way to the command line
 * without spawning; a body that says dry_run: false runs the fake CLI. CLINVK_FUZZ_SEED replays a run;
 * CLINVK_FUZZ_SCALE multiplies the number of cases (default 1: about 4,000).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { record } from "./lib/figures.js";
import { HangError, send } from "./lib/http.js";
import { fromSchema, type JsonSchema, nastyString, rawBodies, wildJson } from "./lib/schema-arb.js";
import { type Serve, startServe } from "./lib/serve.js";

const SEED = Number(process.env.CLINVK_FUZZ_SEED ?? Date.now() % 2 ** 31);
const SCALE = Number(process.env.CLINVK_FUZZ_SCALE ?? 1);
const TIMEOUT_MS = 20_000;
const suffix = Math.random().toString(36).slice(2, 10);
const KEY = `fuzz-key-${suffix}`;
const WRONG_KEY = `wrong-key-${suffix}`;
const SECRET = `sk-ant-secret-${suffix}`;
const SECRETS = [KEY, WRONG_KEY, SECRET];

interface Operation {
  method: string;
  path: string;
  body?: JsonSchema;
  query: { name: string; schema: JsonSchema }[];
  pathParams: string[];
}

interface Case {
  body: unknown;
  raw: { body: string; contentType: string | undefined } | null;
  query: [string, string][];
  badQuery: boolean;
  params: string[];
  auth: "x-api-key" | "bearer" | "none" | "wrong" | "wrong-bearer";
  accept: string | undefined;
  extra: Record<string, string>;
}

let serve: Serve;
let allowed: string;
const operations: Operation[] = [];
const statuses: Record<string, Record<string, number>> = {};
const violations: string[] = [];
let cases = 0;

beforeAll(async () => {
  allowed = mkdtempSync(join(tmpdir(), "clinvk-hz-fuzz-"));
  serve = await startServe({
    cwd: allowed,
    env: { FAKE_CLI_MODE: "echo", ANTHROPIC_API_KEY: SECRET, OPENAI_API_KEY: SECRET, GEMINI_API_KEY: SECRET },
    config: {
      unified_flags: { dry_run: true },
      concurrency: { max_running: 4, max_queued: 20, queue_timeout_secs: 10 },
      server: { api_keys: [KEY], allowed_workdir_prefixes: [allowed], metrics_enabled: true },
    },
  });
  const openapi = await send(`${serve.url}/openapi.json`, { headers: { "x-api-key": KEY } });
  expect(openapi.status).toBe(200);
  for (const [path, methods] of Object.entries<any>(openapi.json.paths)) {
    for (const [method, op] of Object.entries<any>(methods)) {
      const parameters: any[] = op.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        body: op.requestBody?.content?.["application/json"]?.schema,
        query: parameters.filter((p) => p.in === "query").map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        pathParams: parameters.filter((p) => p.in === "path").map((p) => p.name),
      });
    }
  }
  // Routes hidden from the document, and routes that do not exist.
  for (const path of ["/metrics", "/docs", "/openapi.json", "/openai/v1/nope", "/anthropic/v1/nope", "/api/v1/nope"]) {
    operations.push({ method: "GET", path, query: [], pathParams: [] });
  }
  for (const path of ["/api/v1/nope", "/openai/v1/embeddings", "/anthropic/v1/complete"]) {
    operations.push({ method: "POST", path, body: undefined, query: [], pathParams: [] });
  }
});

afterAll(async () => {
  await serve?.stop();
});

/** Header values a client can send (printable ASCII). */
const headerValue = () =>
  fc.oneof(
    fc.constantFrom("", "x", "../../etc", "-p", "claude", "00-00000000000000000000000000000000-0000000000000000-00"),
    fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")),
  );

/** Values that get past validation for the fields that gate everything else. */
const hints = (): Record<string, fc.Arbitrary<unknown>> => ({
  model: fc.constantFrom("claude", "codex", "gemini", "claude/sonnet", "gpt-5", "gemini-2.5-pro", "fast", "sonnet"),
  role: fc.constantFrom("user", "assistant", "system", "developer"),
  workdir: fc.oneof(fc.constant(allowed), fc.constant(join(allowed, "..")), nastyString()),
  max_tokens: fc.integer({ min: 1, max: 4096 }),
  session_id: fc.constant(undefined),
  approval_mode: fc.constantFrom(undefined, "default", "auto"),
  sandbox_mode: fc.constantFrom(undefined, "default", "read-only", "workspace"),
  timeout_secs: fc.constantFrom(undefined, 5, 30),
  extra: fc.constantFrom(undefined, [], ["--verbose"], ["--model", "x"], ["--model=y"], ["-m", "z"]),
  n: fc.constantFrom(undefined, 1),
  logprobs: fc.constantFrom(undefined, false),
  top_logprobs: fc.constant(undefined),
  background: fc.constantFrom(undefined, false),
  conversation: fc.constant(undefined),
  tool_choice: fc.constantFrom(undefined, "auto", "none"),
  top_k: fc.constantFrom(undefined, 5),
  // A conversation that ends with the user's words, whatever the words.
  messages: fc
    .tuple(
      fc.array(fc.record({ role: fc.constantFrom("user", "assistant"), content: nastyString() }), { maxLength: 2 }),
      nastyString(),
    )
    .map(([history, last]) => [...history, { role: "user", content: `${last} hello` }]),
  input: nastyString().map((text) => `${text} hello`),
  anthropic_version: fc.constant("2023-06-01"),
});

function caseArbitrary(op: Operation): fc.Arbitrary<Case> {
  const queryNames = op.query.map((q) => q.name);
  const queryPair = fc.tuple(
    queryNames.length ? fc.oneof(fc.constantFrom(...queryNames), nastyString()) : nastyString(),
    fc.oneof(
      nastyString(),
      fc.integer({ min: -5, max: 5000 }).map(String),
      fc.constantFrom("1", "0", "claude", "active", "99999999999999999999"),
    ),
  );
  return fc.record({
    body: op.body
      ? fc.oneof(
          { arbitrary: fromSchema(op.body, { wild: 0, sparse: true, hints: hints() }), weight: 3 },
          { arbitrary: fromSchema(op.body, { wild: 0, hints: hints() }), weight: 2 },
          { arbitrary: fromSchema(op.body, { wild: 1, hints: hints() }), weight: 3 },
          { arbitrary: wildJson(), weight: 1 },
        )
      : fc.oneof(fc.constant(undefined), wildJson()),
    raw: fc.oneof({ arbitrary: fc.constant(null), weight: 6 }, { arbitrary: rawBodies(), weight: 1 }),
    query: fc.array(queryPair, { maxLength: 4 }),
    badQuery: fc.boolean(),
    params: fc.array(
      fc.oneof(
        nastyString(),
        fc.stringMatching(/^[a-f0-9]{1,32}$/),
        fc.constantFrom("claude", "claude/sonnet", "gpt-5", ".."),
      ),
      { minLength: op.pathParams.length, maxLength: op.pathParams.length },
    ),
    auth: fc.oneof(
      { arbitrary: fc.constantFrom("x-api-key", "bearer"), weight: 8 },
      { arbitrary: fc.constantFrom("none", "wrong", "wrong-bearer"), weight: 1 },
    ),
    accept: fc.constantFrom(
      undefined,
      "text/event-stream",
      "application/x-ndjson",
      "*/*",
      "application/json",
      "text/html",
    ),
    extra: fc.dictionary(
      fc.constantFrom(
        "x-request-id",
        "traceparent",
        "tracestate",
        "anthropic-version",
        "anthropic-beta",
        "x-clinvk-session",
        "x-forwarded-for",
        "origin",
        "openai-organization",
        "content-encoding",
      ),
      headerValue(),
      { maxKeys: 2 },
    ),
  }) as fc.Arbitrary<Case>;
}

function encodeSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return "%ED%A0%80"; // a lone surrogate
  }
}

async function fire(op: Operation, c: Case): Promise<void> {
  let path = op.path;
  op.pathParams.forEach((name, i) => {
    path = path.replace(`{${name}}`, encodeSegment(c.params[i] ?? ""));
  });
  const query = new URLSearchParams(
    c.query.map(([k, v]): [string, string] => [k.replace(/\ud800/g, ""), v.replace(/\ud800/g, "")]),
  );
  let url = `${serve.url}${path}${query.size ? `?${query}` : ""}`;
  if (c.badQuery) url += `${query.size ? "&" : "?"}%zz=%&limit=%E0%A4%A`;
  const headers: Record<string, string> = { ...c.extra };
  if (c.auth === "x-api-key") headers["x-api-key"] = KEY;
  if (c.auth === "bearer") headers.authorization = `Bearer ${KEY}`;
  if (c.auth === "wrong") headers["x-api-key"] = WRONG_KEY;
  if (c.auth === "wrong-bearer") headers.authorization = `Bearer ${WRONG_KEY}`;
  if (c.accept) headers.accept = c.accept;
  const hasBody = op.method !== "GET" && op.method !== "DELETE";
  let rawBody: string | undefined;
  if (hasBody && c.raw) {
    rawBody = c.raw.body;
    if (c.raw.contentType) headers["content-type"] = c.raw.contentType;
  } else if (hasBody && c.body !== undefined) {
    rawBody = JSON.stringify(c.body);
    headers["content-type"] = "application/json";
  }
  const label = `${op.method} ${op.path}`;
  const where = () =>
    `${label} ${url.slice(0, 200)} headers=${JSON.stringify(headers).slice(0, 300)} body=${String(rawBody).slice(0, 300)}`;
  cases++;
  let reply: Awaited<ReturnType<typeof send>>;
  try {
    reply = await send(url, { method: op.method, rawBody, headers, timeoutMs: TIMEOUT_MS });
  } catch (error) {
    const headBytes = url.length + Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    if (!(error instanceof HangError) && headBytes > 16 * 1024) {
      // Node answers 431 to a request head over 16 KB and closes the socket while the client still uploads the
      // body: the client sees a reset, not the 431. That is the HTTP server's refusal, not a failure.
      statuses[label] ??= {};
      const byStatus = statuses[label] as Record<string, number>;
      byStatus["431 (reset while uploading)"] = (byStatus["431 (reset while uploading)"] ?? 0) + 1;
      return;
    }
    const kind = error instanceof HangError ? "HANG" : "connection failed";
    statuses[label] ??= {};
    (statuses[label] as Record<string, number>)[kind] = ((statuses[label] as Record<string, number>)[kind] ?? 0) + 1;
    violations.push(`${kind}: ${(error as Error).message} — ${where()}`);
    return;
  }
  statuses[label] ??= {};
  const byStatus = statuses[label] as Record<string, number>;
  byStatus[reply.status] = (byStatus[reply.status] ?? 0) + 1;
  if (reply.status >= 500) violations.push(`${reply.status}: ${reply.text.slice(0, 300)} — ${where()}`);
  for (const secret of SECRETS) {
    if (reply.text.includes(secret) || JSON.stringify(reply.headers).includes(secret)) {
      violations.push(`secret in the answer (${secret.slice(0, 10)}…) — ${where()}`);
    }
  }
  const isDocs = op.path === "/docs" && reply.status === 200;
  if (reply.status >= 400 && !isDocs) {
    const body = reply.json;
    const shaped = body && typeof body === "object" && (body.error || body.type === "error");
    if (!shaped) violations.push(`${reply.status} without a JSON error body: ${reply.text.slice(0, 200)} — ${where()}`);
  }
}

describe("property-based fuzzing of every route", () => {
  it("thousands of hostile requests: no 5xx, no hang, JSON errors, no secret in any answer", async () => {
    expect(operations.length).toBeGreaterThan(10);
    for (const [index, op] of operations.entries()) {
      const hasBody = op.method === "POST";
      const runs = Math.round((hasBody && op.body ? 300 : hasBody ? 60 : op.path.includes("nope") ? 40 : 110) * SCALE);
      await fc.assert(
        fc.asyncProperty(caseArbitrary(op), async (c) => {
          await fire(op, c);
          return true;
        }),
        { numRuns: runs, seed: SEED + index, endOnFailure: true },
      );
      // The server is still there after each route's cases.
      const health = await send(`${serve.url}/health`, { timeoutMs: TIMEOUT_MS });
      if (health.status !== 200) violations.push(`/health ${health.status} after ${op.method} ${op.path}`);
    }
    const log = serve.log() + serve.stderr();
    const leaked = SECRETS.filter((secret) => log.includes(secret));
    const fiveXX = Object.values(statuses).reduce(
      (a, byStatus) => a + Object.entries(byStatus).reduce((b, [s, n]) => b + (Number(s) >= 500 ? n : 0), 0),
      0,
    );
    const hangs = Object.values(statuses).reduce((a, byStatus) => a + (byStatus.HANG ?? 0), 0);
    record("fuzz", {
      seed: SEED,
      scale: SCALE,
      routes: operations.length,
      cases,
      status_500: Object.values(statuses).reduce((a, s) => a + (s[500] ?? 0), 0),
      status_5xx: fiveXX,
      hangs,
      per_request_timeout_ms: TIMEOUT_MS,
      violations: violations.length,
      violation_samples: violations.slice(0, 20),
      secrets_in_log: leaked.length,
      server_error_log_lines: serve.errorLines().length,
      by_route: statuses,
    });
    expect(violations.slice(0, 20)).toEqual([]);
    expect(leaked).toEqual([]);
    expect(serve.errorLines()).toEqual([]);
    expect(serve.child.exitCode).toBeNull();
    expect(cases).toBeGreaterThan(2000 * SCALE);
  }, 900_000);
});
