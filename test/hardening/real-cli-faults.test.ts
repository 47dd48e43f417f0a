// biome-ignore-all lint/suspicious/noExplicitAny: clinvk's JSON output and HTTP bodies are read loosely.
/**
 * The REAL claude, codex and gemini CLIs (pinned, in .cache/e2e-clis) against the provider stub's fault modes: a
 * 401, a 429 with a reset time, a 529, a stream dropped mid-answer and a hang after the first token. Through clinvk
 * (exit code and JSON) and through `clinvk serve` (SSE error and result events), each must surface as its
 * classified error; no process of the run may be left; the server goes on serving. Skipped when the CLIs are not
 * installed (scripts/install-e2e-clis.mjs installs them).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_NAMES, type CliName, type CliSandbox, E2E_CLI_BIN, prepareCliSandbox } from "../e2e/cli-env.js";
import { killSandboxProcesses, sandboxProcesses } from "../e2e/processes.js";
import { type ProviderStub, type ScriptedTurn, startProviderStub } from "../e2e/stub/index.js";
import { runClinvk } from "./lib/cli.js";
import { record } from "./lib/figures.js";
import { parseSse, send } from "./lib/http.js";
import { token, waitGone } from "./lib/procs.js";
import { type Serve, startServe } from "./lib/serve.js";

const installed = CLI_NAMES.every((cli) => existsSync(join(E2E_CLI_BIN, cli)));
const PROVIDER = { claude: "anthropic", codex: "openai", gemini: "gemini" } as const;
/** clinvk's idle timeout: what ends a stalled stream (claude and gemini wait forever by themselves). */
const IDLE_S = 8;

interface RealFault {
  name: string;
  turn: ScriptedTurn;
  code: string;
  exit: number;
}

const FAULTS: RealFault[] = [
  { name: "401: the key is refused", turn: { error: 401 }, code: "auth", exit: 5 },
  {
    name: "429 with a reset time (retry-after 7 s)",
    turn: { error: { status: 429, retryAfter: 7 } },
    code: "rate_limit",
    exit: 5,
  },
  { name: "529: overloaded", turn: { error: { status: 529 } }, code: "overloaded", exit: 5 },
  {
    name: "the stream is dropped after the first delta",
    turn: { text: "a long answer cut", drop: true },
    code: "api_error",
    exit: 5,
  },
  {
    name: "hang after the first token",
    turn: { text: "the first words of a stalled answer", hang: { afterEvents: 3 } },
    code: "timeout",
    exit: 6,
  },
];

interface Observed {
  cli: CliName;
  fault: string;
  face: string;
  code: string;
  exit?: number | null;
  ms: number;
  retryAfter?: string;
}

let stub: ProviderStub;
let sb: CliSandbox;
let serve: Serve;
const observed: Observed[] = [];
const leftovers: string[] = [];

describe.skipIf(!installed)("faults of the real CLIs against the provider stub", () => {
  beforeAll(async () => {
    stub = await startProviderStub();
    sb = prepareCliSandbox("all", stub.url, { retries: 0, apiTimeoutMs: 4000 });
    serve = await startServe({
      inheritEnv: false,
      env: sb.env,
      cwd: sb.workDir,
      config: {
        backends: {
          claude: { binary: sb.commands.claude },
          codex: { binary: sb.commands.codex },
          gemini: { binary: sb.commands.gemini },
        },
        unified_flags: { idle_timeout_secs: IDLE_S },
      },
    });
  });

  afterAll(async () => {
    await serve?.stop();
    if (sb) killSandboxProcesses(sb);
    sb?.cleanup();
    await stub?.close();
  });

  /** The sandbox's processes, but the server itself and its supervisor. */
  const runProcesses = () =>
    sandboxProcesses(sb).filter((p) => p.pid !== serve.pid && !p.cmdline.includes("__supervise-runs"));

  async function waitNoRunProcesses(timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = runProcesses();
      if (left.length === 0 || Date.now() > deadline) return left;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  for (const cli of CLI_NAMES) {
    it(`${cli}: every fault is classified on the CLI and the server, and nothing is left`, async () => {
      for (const fault of FAULTS) {
        stub.reset();
        stub.script({ ...fault.turn, provider: PROVIDER[cli], times: "always" });
        const marker = token(`real-${cli}`);
        const dir = join(sb.root, "runs", marker);
        mkdirSync(dir, { recursive: true });
        const started = performance.now();
        const [viaCli, viaServer] = await Promise.all([
          runClinvk(
            ["-b", cli, "-o", "json", "--ephemeral", "--idle-timeout", String(IDLE_S), `${marker} cli: hello`],
            {
              env: { ...sb.env, CLINVK_HOME: join(sb.root, "clinvk-home") },
              cwd: dir,
              timeoutMs: 90_000,
            },
          ),
          send(`${serve.url}/api/v1/prompt`, {
            body: { backend: cli, prompt: `${marker} sse: hello`, ephemeral: true },
            headers: { accept: "text/event-stream" },
            timeoutMs: 90_000,
          }),
        ]);
        const ms = performance.now() - started;
        let doc: any;
        try {
          doc = JSON.parse(viaCli.stdout);
        } catch {
          doc = undefined;
        }
        const frames = parseSse(viaServer.text);
        const result = frames.filter((f) => f.event === "result").at(-1)?.data;
        const errorEvent = frames.filter((f) => f.event === "error").at(-1)?.data;
        observed.push(
          { cli, fault: fault.name, face: "clinvk -o json", code: doc?.error_code ?? "no JSON", exit: viaCli.code, ms },
          { cli, fault: fault.name, face: "HTTP SSE", code: result?.error?.code ?? `HTTP ${viaServer.status}`, ms },
        );
        const where = `${cli}, ${fault.name}: clinvk exit ${viaCli.code} ${viaCli.stdout.slice(0, 600)} ${viaCli.stderr.slice(-600)} | SSE ${viaServer.status} ${viaServer.text.slice(-800)}`;
        expect(doc?.error_code, where).toBe(fault.code);
        expect(viaCli.code, where).toBe(fault.exit);
        expect(viaServer.status, where).toBe(200);
        expect(result?.error?.code, where).toBe(fault.code);
        expect(errorEvent?.error?.code, where).toBe(fault.code);

        // Nothing of either run is left: not the CLI, not its children.
        stub.reset(); // cuts hung answers
        const left = [
          ...(await waitGone(marker, 10_000)).map((p) => p.args),
          ...(await waitNoRunProcesses(5000)).map((p) => p.cmdline),
        ];
        leftovers.push(...left);
        expect(left, `${cli}, ${fault.name}: processes left`).toEqual([]);
      }

      // The 429's reset time, as the OpenAI surface passes it on (figures only).
      stub.reset();
      stub.script({ ...FAULTS[1]!.turn, provider: PROVIDER[cli], times: "always" });
      const limited = await send(`${serve.url}/openai/v1/chat/completions`, {
        body: { model: cli, messages: [{ role: "user", content: `${token("real-429")} hello` }] },
        timeoutMs: 90_000,
      });
      observed.push({
        cli,
        fault: FAULTS[1]!.name,
        face: `OpenAI chat (HTTP ${limited.status})`,
        code: limited.json?.error?.code ?? limited.json?.error?.type ?? "none",
        retryAfter: limited.headers["retry-after"],
        ms: limited.ms,
      });

      // The server goes on serving.
      stub.reset();
      const health = await send(`${serve.url}/health`);
      expect(health.status).toBe(200);
      const good = await send(`${serve.url}/api/v1/prompt`, {
        body: { backend: cli, prompt: "say hello", ephemeral: true },
        timeoutMs: 90_000,
      });
      expect(good.status, good.text).toBe(200);
      expect(good.json, good.text).toMatchObject({ status: "success", output: "stub reply: say hello" });
    }, 300_000);
  }

  it("a provider's reset time reaches the client: gemini says to retry in 7 s, the OpenAI surface's Retry-After says 7", async () => {
    stub.reset();
    stub.script({ error: { status: 429, retryAfter: 7 }, provider: "gemini", times: "always" });
    const limited = await send(`${serve.url}/openai/v1/chat/completions`, {
      body: { model: "gemini", messages: [{ role: "user", content: `${token("real-reset")} hello` }] },
      timeoutMs: 90_000,
    });
    stub.reset();
    expect(limited.status).toBe(429);
    expect(limited.json?.error?.message ?? "").toMatch(/retry in 7s/i);
    expect(limited.headers["retry-after"]).toBe("7");
  }, 120_000);

  it("figures", () => {
    expect(serve.child.exitCode).toBeNull();
    record("faults_real", {
      clis: CLI_NAMES,
      faults: FAULTS.map((f) => ({ fault: f.name, expected: f.code, expected_exit: f.exit })),
      faults_tried: FAULTS.length,
      runs: observed.filter((o) => o.face === "clinvk -o json" || o.face === "HTTP SSE").length,
      observed,
      processes_left: leftovers.length,
      server_error_log_lines: serve.errorLines().length,
    });
  });
});
