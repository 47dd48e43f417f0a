// biome-ignore-all lint/suspicious/noExplicitAny: clinvk's JSON output and HTTP bodies are read loosely.
/**
 * Faults of the CLIs beneath clinvk (the fake CLI's fault modes): each one must surface as its classified error on
 * every face (the SDK's result and stream, clinvk's exit code and JSON / NDJSON, the server's JSON, NDJSON and SSE,
 * and the OpenAI / Anthropic surfaces), the session must record it, no process of the run
 * may be left, and the server must go on serving (/health and a good prompt right after).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Clinvoker, type RunEvent } from "../../src/index.js";
import { fakeBackendsEnv, runClinvk } from "./lib/cli.js";
import { record } from "./lib/figures.js";
import { parseNdjson, parseSse, send } from "./lib/http.js";
import { BACKENDS, type BackendName, FAKE } from "./lib/paths.js";
import { token, waitGone } from "./lib/procs.js";
import { type Serve, startServe } from "./lib/serve.js";

interface Fault {
  name: string;
  mode: string;
  /** The result's error code; undefined: the run succeeds. */
  code?: string;
  /** clinvk's exit code. */
  exit: number;
  /** An error event the streaming faces must show (besides the result's own). */
  streamError?: string;
  backends: readonly BackendName[];
}

const FAULTS: Fault[] = [
  {
    name: "crash mid-stream (SIGSEGV after the first words)",
    mode: "crash-mid-stream",
    code: "backend_crashed",
    exit: 1,
    backends: BACKENDS,
  },
  {
    name: "exit 3 with only an error on stderr",
    mode: "exit-nonzero",
    code: "backend_error",
    exit: 3,
    backends: BACKENDS,
  },
  { name: "exit 0 with no output at all", mode: "silent", code: "bad_output", exit: 1, backends: BACKENDS },
  {
    name: "garbage: not JSON, broken JSON, unknown events",
    mode: "garbage",
    code: "bad_output",
    exit: 1,
    backends: BACKENDS,
  },
  { name: "a truncated JSON line, then exit 0", mode: "partial-json", code: "bad_output", exit: 1, backends: BACKENDS },
  {
    name: "hang after the first token (idle timeout 3 s)",
    mode: "hang-after-token",
    code: "timeout",
    exit: 6,
    backends: BACKENDS,
  },
  {
    name: "a 50 MB line and no answer",
    mode: "huge-line",
    code: "output_too_large",
    exit: 1,
    streamError: "output_too_large",
    backends: BACKENDS,
  },
  {
    name: "a 50 MB line, then a good answer",
    mode: "flood",
    exit: 0,
    streamError: "output_too_large",
    backends: ["claude"],
  },
];

/** What one face showed for one run. */
interface Observed {
  face: string;
  /** The result's error code, or "success". */
  code: string;
  /** Codes of the error events before the result (streaming faces). */
  streamErrors?: string[];
  exit?: number | null;
  httpStatus?: number;
  sessionStatus?: string;
  sessionError?: boolean;
  /** The error code in a compatible surface's error body, when it gives one. */
  errorCode?: string;
  detail?: string;
}

const ok = (code: string | undefined) => code ?? "success";
/** The idle timeout of every run: what ends a hang after the first token. Tight values misfire on a busy machine. */
const IDLE_S = 3;
/** The faces whose run leaves a session to look at. */
const SESSION_FACES = ["SDK run()", "clinvk -o json", "HTTP JSON"];
const expectedSessionStatus = (fault: Fault) => (fault.code ? "error" : "completed");

let serve: Serve;
let sdkHome: string;
let cliHome: string;
let client: Clinvoker;
const table: Record<string, Record<string, Observed[]>> = {};
let runs = 0;
let goodPrompts = 0;
let healthChecks = 0;

beforeAll(async () => {
  sdkHome = mkdtempSync(join(tmpdir(), "clinvk-hz-faults-sdk-"));
  cliHome = mkdtempSync(join(tmpdir(), "clinvk-hz-faults-cli-"));
  client = new Clinvoker({
    home: sdkHome,
    binaries: { ...FAKE },
    env: { ...process.env, FAKE_CLI_MODE: "echo" },
    idleTimeoutMs: IDLE_S * 1000,
  });
  // One server for every fault: the fake CLI runs the mode named in each prompt.
  serve = await startServe({
    config: { unified_flags: { idle_timeout_secs: IDLE_S } },
    env: { FAKE_CLI_MODE: "dispatch" },
  });
  const openai = await send(`${serve.url}/openai/v1/chat/completions`, {
    body: { model: "claude", messages: [{ role: "user", content: `${token("probe")} hello` }] },
  });
  const anthropic = await send(`${serve.url}/anthropic/v1/messages`, {
    body: { model: "claude", max_tokens: 100, messages: [{ role: "user", content: `${token("probe")} hello` }] },
    headers: { "anthropic-version": "2023-06-01" },
  });
  expect([openai.status, anthropic.status]).toEqual([200, 200]);
});

afterAll(async () => {
  await serve?.stop();
});

function resultOf(events: any[]): any {
  return events.filter((e) => e?.type === "result").at(-1);
}

function streamErrorsOf(events: any[]): string[] {
  return events.filter((e) => e?.type === "error").map((e) => e.error?.code);
}

function sessionFile(home: string, id: string | undefined): any {
  if (!id) return undefined;
  try {
    return JSON.parse(readFileSync(join(home, "sessions", `${id}.json`), "utf8"));
  } catch {
    return undefined;
  }
}

async function sdkFaces(fault: Fault, backend: BackendName, prefix: string): Promise<Observed[]> {
  const out: Observed[] = [];
  const env = { FAKE_CLI_MODE: fault.mode };
  const result = await client.run({ backend, prompt: `${prefix}-sdkrun`, env });
  const session = result.session_id ? await client.store?.get(result.session_id) : undefined;
  out.push({
    face: "SDK run()",
    code: ok(result.error?.code),
    sessionStatus: session?.status,
    sessionError: Boolean(session?.error_message),
  });
  const events: RunEvent[] = [];
  for await (const event of client.stream({ backend, prompt: `${prefix}-sdkstream`, env })) {
    events.push(event);
  }
  const last = events.at(-1) as any;
  out.push({
    face: "SDK stream()",
    code: last?.type === "result" ? ok(last.error?.code) : "no result event",
    streamErrors: streamErrorsOf(events),
  });
  runs += 2;
  return out;
}

async function cliFaces(fault: Fault, backend: BackendName, prefix: string): Promise<Observed[]> {
  const env = fakeBackendsEnv(cliHome, { FAKE_CLI_MODE: fault.mode });
  const args = (format: string, face: string) => [
    "-b",
    backend,
    "-o",
    format,
    "--new",
    "--idle-timeout",
    String(IDLE_S),
    `${prefix}-${face}`,
  ];
  const [json, stream] = await Promise.all([
    runClinvk(args("json", "clijson"), { env, cwd: cliHome }),
    runClinvk(args("stream-json", "clistream"), { env, cwd: cliHome }),
  ]);
  runs += 2;
  let doc: any;
  try {
    doc = JSON.parse(json.stdout);
  } catch {
    doc = undefined;
  }
  const session = sessionFile(cliHome, doc?.session_id);
  let events: any[] = [];
  try {
    events = parseNdjson(stream.stdout);
  } catch {
    events = [];
  }
  const result = resultOf(events);
  return [
    {
      face: "clinvk -o json",
      code: doc ? ok(doc.error_code) : "no JSON",
      exit: json.code,
      sessionStatus: session?.status,
      sessionError: Boolean(session?.error_message),
      detail: doc ? undefined : json.stderr.slice(-500),
    },
    {
      face: "clinvk -o stream-json",
      code: result ? ok(result.error?.code) : "no result event",
      exit: stream.code,
      streamErrors: streamErrorsOf(events),
    },
  ];
}

/** A good prompt on the same backend: the server goes on serving (and the breaker's count starts over). */
async function goodPrompt(backend: BackendName, prefix: string): Promise<void> {
  const good = await send(`${serve.url}/api/v1/prompt`, {
    body: { backend, prompt: `${prefix}-good`, ephemeral: true },
  });
  goodPrompts++;
  expect(good.status, good.text).toBe(200);
  expect(good.json).toMatchObject({ status: "success", output: `echo: ${prefix}-good` });
}

async function httpFaces(fault: Fault, backend: BackendName, prefix: string): Promise<Observed[]> {
  const prompt = (face: string) => `${prefix}-${face} [[mode:${fault.mode}]]`;
  const native = async (): Promise<Observed> => {
    const json = await send(`${serve.url}/api/v1/prompt`, { body: { backend, prompt: prompt("httpjson") } });
    const session = json.json?.session_id
      ? (await send(`${serve.url}/api/v1/sessions/${json.json.session_id}`)).json
      : undefined;
    return {
      face: "HTTP JSON",
      code: json.status === 200 ? ok(json.json?.error_code) : `HTTP ${json.status}`,
      httpStatus: json.status,
      sessionStatus: session?.status,
      sessionError: Boolean(session?.error_message),
    };
  };
  const ndjson = async (): Promise<Observed> => {
    const reply = await send(`${serve.url}/api/v1/prompt`, {
      body: { backend, prompt: prompt("httpndjson"), output_format: "stream-json" },
    });
    const events = reply.status === 200 ? parseNdjson(reply.text) : [];
    return {
      face: "HTTP NDJSON",
      code: resultOf(events) ? ok(resultOf(events).error?.code) : `HTTP ${reply.status}`,
      httpStatus: reply.status,
      streamErrors: streamErrorsOf(events),
    };
  };
  const sse = async (): Promise<Observed> => {
    const reply = await send(`${serve.url}/api/v1/prompt`, {
      body: { backend, prompt: prompt("httpsse") },
      headers: { accept: "text/event-stream" },
    });
    const frames = reply.status === 200 ? parseSse(reply.text) : [];
    const resultFrame = frames.filter((f) => f.event === "result").at(-1);
    return {
      face: "HTTP SSE",
      code: resultFrame ? ok(resultFrame.data?.error?.code) : `HTTP ${reply.status}`,
      httpStatus: reply.status,
      streamErrors: frames.filter((f) => f.event === "error").map((f) => f.data?.error?.code),
    };
  };
  const openai = (stream: boolean) => async (): Promise<Observed> => {
    const reply = await send(`${serve.url}/openai/v1/chat/completions`, {
      body: { model: backend, stream, messages: [{ role: "user", content: prompt(stream ? "oaistream" : "oai") }] },
    });
    return compatObserved(`OpenAI chat${stream ? " (stream)" : ""}`, reply.status, reply.text, reply.json);
  };
  const anthropic = (stream: boolean) => async (): Promise<Observed> => {
    const reply = await send(`${serve.url}/anthropic/v1/messages`, {
      body: {
        model: backend,
        max_tokens: 1000,
        stream,
        messages: [{ role: "user", content: prompt(stream ? "antstream" : "ant") }],
      },
      headers: { "anthropic-version": "2023-06-01" },
    });
    return compatObserved(`Anthropic messages${stream ? " (stream)" : ""}`, reply.status, reply.text, reply.json);
  };
  const faces = [native, ndjson, sse, openai(false), openai(true), anthropic(false), anthropic(true)];
  // Four at a time, then a good prompt: five failures in a row would open the backend's circuit breaker.
  const out: Observed[] = [];
  for (let i = 0; i < faces.length; i += 4) {
    out.push(...(await Promise.all(faces.slice(i, i + 4).map((face) => face()))));
    await goodPrompt(backend, prefix);
  }
  runs += faces.length;
  return out;
}

/** The compatible surfaces answer in their own shapes: a failure is an HTTP error, or an SSE error event. */
function compatObserved(face: string, status: number, text: string, json: any): Observed {
  if (status !== 200) {
    const type = json?.error?.type ?? "no error body";
    return { face, code: `HTTP ${status} ${type}`, httpStatus: status, errorCode: json?.error?.code ?? undefined };
  }
  const frames = parseSse(text);
  const errorFrame = frames.find((f) => f.event === "error" || f.data?.error);
  if (errorFrame) {
    const error = errorFrame.data?.error;
    return { face, code: `SSE error ${error?.type ?? ""}`, httpStatus: status, errorCode: error?.code ?? undefined };
  }
  return { face, code: "success", httpStatus: status };
}

describe("faults of the CLIs, on every face", () => {
  for (const fault of FAULTS) {
    it(`${fault.name} → ${fault.code ?? "success"}`, async () => {
      table[fault.name] = {};
      await Promise.all(
        fault.backends.map(async (backend) => {
          const prefix = token(`${fault.mode}-${backend}`);
          const [local, http] = await Promise.all([
            Promise.all([sdkFaces(fault, backend, prefix), cliFaces(fault, backend, prefix)]).then((x) => x.flat()),
            httpFaces(fault, backend, prefix),
          ]);
          const observed = [...local, ...http];
          (table[fault.name] as Record<string, Observed[]>)[backend] = observed;

          // Every process of the runs is gone (the CLI, and whatever it started).
          expect(await waitGone(prefix, 8000), `processes left by ${fault.mode} on ${backend}`).toEqual([]);
          // The server goes on serving.
          const health = await send(`${serve.url}/health`);
          healthChecks++;
          expect(health.status).toBe(200);
          expect(health.json.status).toBe("ok");
          await goodPrompt(backend, prefix);

          for (const o of observed) {
            const where = `${backend}, ${o.face}: ${JSON.stringify(o)}`;
            if (o.face.startsWith("OpenAI") || o.face.startsWith("Anthropic")) {
              // Their own shapes: a failure is an HTTP error or an SSE error event, never the 500 of a bug in
              // clinvk itself; a success is a 200.
              if (fault.code) expect(o.code, where).not.toBe("success");
              else expect(o.code, where).toBe("success");
              expect(o.code, where).not.toMatch(/HTTP 500/);
              if (o.errorCode !== undefined && fault.code) expect(o.errorCode, where).toBe(fault.code);
              continue;
            }
            expect(o.code, where).toBe(ok(fault.code));
            if (o.exit !== undefined) expect(o.exit, where).toBe(fault.exit);
            if (o.httpStatus !== undefined) expect(o.httpStatus, where).toBe(200);
            if (SESSION_FACES.includes(o.face)) {
              expect(o.sessionStatus, where).toBe(expectedSessionStatus(fault));
              expect(o.sessionError, where).toBe(Boolean(fault.code));
            }
            if (o.streamErrors) {
              const expected = [...(fault.streamError ? [fault.streamError] : []), ...(fault.code ? [fault.code] : [])];
              expect(o.streamErrors, where).toEqual(expected);
            }
          }
        }),
      );
    }, 180_000);
  }

  it("the server survived every fault: alive, healthy, no error logged", async () => {
    expect(serve.child.exitCode).toBeNull();
    const health = await send(`${serve.url}/health`);
    expect(health.status).toBe(200);
    expect(serve.errorLines()).toEqual([]);
    const faces = new Set<string>();
    for (const byBackend of Object.values(table))
      for (const list of Object.values(byBackend)) for (const o of list) faces.add(o.face);
    record("faults_fake", {
      faults: FAULTS.map((fault) => ({
        fault: fault.name,
        mode: fault.mode,
        expected: fault.code ?? "success",
        expected_exit: fault.exit,
        stream_error: fault.streamError,
        observed: table[fault.name],
      })),
      faults_tried: FAULTS.length,
      faces: [...faces],
      runs,
      good_prompts_after_faults: goodPrompts,
      health_checks: healthChecks,
      server_error_log_lines: serve.errorLines().length,
    });
  });
});

it("a 50 MB line that is the CLI's whole output ends as output_too_large on the JSON faces, not bad_output", async () => {
  const prefix = token("huge-json");
  const result = await client.run({ backend: "claude", prompt: prefix, env: { FAKE_CLI_MODE: "huge-line" } });
  const cli = await runClinvk(["-b", "claude", "-o", "json", "--new", `${prefix}-cli`], {
    env: fakeBackendsEnv(cliHome, { FAKE_CLI_MODE: "huge-line" }),
    cwd: cliHome,
  });
  expect(await waitGone(prefix, 8000)).toEqual([]);
  expect(JSON.parse(cli.stdout).error_code).toBe("output_too_large");
  expect(result.error?.code).toBe("output_too_large");
}, 60_000);

it("the OpenAI surface answers a CLI's crash with HTTP 502, as the native API does (500 is for clinvk's own bugs)", async () => {
  const prefix = token("oai-500");
  const reply = await send(`${serve.url}/openai/v1/chat/completions`, {
    body: { model: "claude", messages: [{ role: "user", content: `${prefix} [[mode:crash-mid-stream]]` }] },
  });
  await goodPrompt("claude", prefix);
  expect(reply.json?.error?.code).toBe("backend_crashed");
  expect(reply.status).toBe(502);
}, 60_000);
