// biome-ignore-all lint/suspicious/noExplicitAny: response bodies and recorded argv are read loosely.
/**
 * Hostile input, case by case: path traversal in session ids and workdirs; flag injection through prompts, models,
 * system prompts, tools and extra flags, proven on the argv that the fake CLI records (FAKE_CLI_RECORD); header
 * tricks (spoofed X-Forwarded-For against the rate limits, duplicate credentials, huge headers); API keys in logs
 * and error bodies (a server whose pino logger writes into a buffer, at trace level).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Writable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claude } from "../../src/backends/claude.js";
import { codex } from "../../src/backends/codex.js";
import { gemini } from "../../src/backends/gemini.js";
import { defaults } from "../../src/config/keys.js";
import { LiveConfig } from "../../src/config/live.js";
import type { Config } from "../../src/config/schema.js";
import { Engine } from "../../src/engine/engine.js";
import { engineOptionsFromConfig } from "../../src/engine/from-config.js";
import { buildServer } from "../../src/server/build-server.js";
import { FileSessionStore } from "../../src/sessions/file-store.js";
import { CLI_NAMES, E2E_CLI_BIN, prepareCliSandbox } from "../e2e/cli-env.js";
import { runInSandbox } from "../e2e/run-cli.js";
import { argvProblems } from "./lib/argv.js";
import { fakeBackendsEnv, runClinvk } from "./lib/cli.js";
import { record } from "./lib/figures.js";
import { parseNdjson, rawRequest, send } from "./lib/http.js";
import { BACKENDS, type BackendName, FAKE } from "./lib/paths.js";
import { token } from "./lib/procs.js";
import { pool, seededRandom } from "./lib/random.js";
import { nastyString } from "./lib/schema-arb.js";
import { type Serve, startServe } from "./lib/serve.js";

const random = seededRandom();
const suffix = Math.random().toString(36).slice(2, 10);
const KEY = `hostile-key-${suffix}`;
const WRONG_KEY = `wrong-key-${suffix}`;
const CANARY = `canary-${suffix}`;
const auth = { "x-api-key": KEY };
const SPEC = { claude, codex, gemini } as const;

let serve: Serve;
let home: string;
let allowed: string;
let outside: string;
let recordFile: string;
const figures: Record<string, unknown> = {};

interface Recorded {
  args: string[];
  stdin: string;
  cwd: string;
}

function recorded(): Recorded[] {
  if (!existsSync(recordFile)) return [];
  return readFileSync(recordFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Recorded);
}

const recordsOf = (marker: string) => recorded().filter((r) => r.args.some((a) => a.includes(marker)));

beforeAll(async () => {
  allowed = realpathSync(mkdtempSync(join(tmpdir(), "clinvk-hz-allowed-")));
  outside = realpathSync(mkdtempSync(join(tmpdir(), "clinvk-hz-outside-")));
  mkdirSync(join(allowed, "sub"));
  mkdirSync(`${allowed}-evil`);
  symlinkSync("/etc", join(allowed, "to-etc"));
  symlinkSync(outside, join(allowed, "to-outside"));
  symlinkSync(join(allowed, "sub"), join(allowed, "to-sub"));
  recordFile = join(outside, "argv.jsonl");
  home = mkdtempSync(join(tmpdir(), "clinvk-hz-hostile-home-"));
  // Files an attacker would like to read or delete through a session id.
  writeFileSync(join(home, "canary.json"), JSON.stringify({ id: "c".repeat(32), secret: CANARY }));
  writeFileSync(join(outside, `${"d".repeat(32)}.json`), JSON.stringify({ id: "d".repeat(32), secret: CANARY }));
  serve = await startServe({
    home,
    cwd: allowed,
    env: { FAKE_CLI_MODE: "echo", FAKE_CLI_RECORD: recordFile },
    config: { server: { api_keys: [KEY], allowed_workdir_prefixes: [allowed] } },
  });
});

afterAll(async () => {
  await serve?.stop();
  record("hostile", figures);
});

describe("path traversal", () => {
  it("session ids that climb out of the store are refused: nothing outside is read or deleted", async () => {
    const made = await send(`${serve.url}/api/v1/prompt`, {
      body: { backend: "claude", prompt: `${token("traversal")} a real session` },
      headers: auth,
    });
    const id = made.json.session_id as string;
    expect(id).toMatch(/^[a-f0-9]{32}$/);
    const ids = [
      "../../../../etc/passwd",
      "../canary",
      "..%2F..%2Fcanary",
      "..%2fcanary.json",
      "%2e%2e%2f%2e%2e%2fcanary",
      "..%252f..%252fcanary",
      "%2e%2e",
      "..",
      ".",
      `${"c".repeat(32)}`,
      `${"c".repeat(32)}%00`,
      `${id}%00.json`,
      `${id}%2F..%2F..%2Fcanary`,
      `${id}/../../canary`,
      "....//....//canary",
      "..%5c..%5ccanary",
      "%2Fetc%2Fpasswd",
      `..%2F..%2F${basename(outside)}%2F${"d".repeat(32)}`,
      "c".repeat(33),
      "%C0%AE%C0%AE%2F",
      "*",
      "%",
    ];
    const outcomes: Record<string, number> = {};
    let cases = 0;
    const check = (what: string, status: number, text: string) => {
      cases++;
      outcomes[status] = (outcomes[status] ?? 0) + 1;
      expect(status, `${what}: ${text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
      expect(status, `${what}: ${text.slice(0, 300)}`).toBeLessThan(500);
      expect(text, what).not.toContain(CANARY);
      expect(text, what).not.toContain("root:x:0:0");
    };
    for (const bad of ids) {
      for (const method of ["GET", "DELETE", "POST"]) {
        // Over a raw socket: no client normalizes the dots away.
        const path = method === "POST" ? `/api/v1/sessions/${bad}/resume` : `/api/v1/sessions/${bad}`;
        const body = method === "POST" ? JSON.stringify({ prompt: "hello" }) : "";
        const head = `${method} ${path} HTTP/1.1\r\nX-Api-Key: ${KEY}${body ? `\r\nContent-Type: application/json\r\nContent-Length: ${body.length}` : ""}`;
        const reply = await rawRequest(serve.url, head, body);
        check(`${method} ${path}`, reply.status, reply.raw);
      }
      const decoded = (() => {
        try {
          return decodeURIComponent(bad);
        } catch {
          return bad;
        }
      })();
      const viaBody = await send(`${serve.url}/api/v1/prompt`, {
        body: { prompt: "hello", session_id: decoded },
        headers: auth,
      });
      check(`session_id ${decoded}`, viaBody.status, viaBody.text);
      const viaHeader = await send(`${serve.url}/openai/v1/chat/completions`, {
        body: { model: "claude", messages: [{ role: "user", content: "hello" }] },
        headers: { ...auth, "x-clinvk-session": bad },
      });
      if (viaHeader.status !== 404 || !/no route/.test(viaHeader.text))
        check(`x-clinvk-session ${bad}`, viaHeader.status, viaHeader.text);
      const viaPrevious = await send(`${serve.url}/openai/v1/responses`, {
        body: { model: "claude", input: "hello", previous_response_id: `resp_${decoded}` },
        headers: auth,
      });
      if (viaPrevious.status !== 404 || !/no route/.test(viaPrevious.text))
        check(`previous_response_id resp_${decoded}`, viaPrevious.status, viaPrevious.text);
    }
    // Nothing outside the store was deleted, and the real session is still there.
    expect(existsSync(join(home, "canary.json"))).toBe(true);
    expect(existsSync(join(outside, `${"d".repeat(32)}.json`))).toBe(true);
    expect((await send(`${serve.url}/api/v1/sessions/${id.slice(0, 8)}`, { headers: auth })).status).toBe(200);
    figures.session_id_traversal = { cases, statuses: outcomes };
  }, 120_000);

  it("workdirs outside the allowed prefix are refused on every route; allowed ones run there and only there", async () => {
    const cases: [string, string, boolean][] = [
      ["the allowed directory", allowed, true],
      ["a directory below it", join(allowed, "sub"), true],
      ["a link inside it to a directory inside it", join(allowed, "to-sub"), true],
      ["none given: the server's own directory", "", true],
      ["/etc", "/etc", false],
      ["/etc/", "/etc/", false],
      ["//etc", "//etc", false],
      ["/./etc/.", "/./etc/.", false],
      ["climbing out with ..", `${allowed}/../${basename(outside)}`, false],
      ["climbing to /etc", `${allowed}/sub/../../../../../../../etc`, false],
      ["a link inside it to /etc", join(allowed, "to-etc"), false],
      ["a link inside it to a directory outside", join(allowed, "to-outside"), false],
      ["a sibling whose name starts with the allowed one", `${allowed}-evil`, false],
      ["a relative path", "sub", false],
      ["..", "..", false],
      ["~", "~", false],
      ["a NUL byte", `${allowed}\u0000/../../etc`, false],
      ["/proc/self/root", "/proc/self/root", false],
      ["/root", "/root", false],
      ["/", "/", false],
      ["a directory that does not exist", join(allowed, "nope"), false],
      ["a file", recordFile, false],
    ];
    const routes = ["prompt", "parallel", "chain", "compare"] as const;
    let refused = 0;
    let ran = 0;
    for (const [label, workdir, ok] of cases) {
      for (const route of routes) {
        const marker = token("workdir");
        const prompt = `${marker} where am I`;
        const backend = random.pick(BACKENDS);
        const task = { backend, prompt, ...(workdir ? { workdir } : {}) };
        const body =
          route === "prompt"
            ? { ...task, ephemeral: true }
            : route === "parallel"
              ? { tasks: [task] }
              : route === "chain"
                ? { steps: [task] }
                : { backends: [backend], prompt, ...(workdir ? { workdir } : {}) };
        const reply = await send(`${serve.url}/api/v1/${route}`, { body, headers: auth });
        const what = `${label} (${JSON.stringify(workdir)}) via /${route}: ${reply.status} ${reply.text.slice(0, 300)}`;
        const runs = recordsOf(marker);
        if (ok) {
          expect(reply.status, what).toBe(200);
          expect(runs.length, what).toBe(1);
          const cwd = runs[0]?.cwd ?? "";
          expect(cwd === allowed || cwd.startsWith(`${allowed}/`), `${what}: ran in ${cwd}`).toBe(true);
          ran++;
        } else {
          expect(reply.status, what).toBe(400);
          expect(reply.json?.error?.code, what).toBe("invalid_request");
          expect(runs, what).toEqual([]);
          refused++;
        }
      }
    }
    figures.workdirs = { cases: cases.length * routes.length, refused, ran_inside: ran, routes };
  }, 120_000);
});

/** Extra flags of a backend in forms that must never be read wrongly: `--flag=value`, `--flag value`, booleans. */
function extraFlags(backend: BackendName): fc.Arbitrary<string[]> {
  const specs = SPEC[backend].extraFlags;
  const one = fc.constantFrom(...specs).chain((spec) => {
    const name = fc.constantFrom(...spec.names);
    if (!spec.takesValue) return name.map((n) => [n]);
    return fc.oneof(
      fc.tuple(name, nastyString()).map(([n, v]) => [`${n}=${v}`]),
      fc
        .tuple(
          name,
          nastyString().filter((v) => !v.startsWith("-")),
        )
        .map(([n, v]) => [n, v]),
    );
  });
  return fc.array(one, { maxLength: 3 }).map((parts) => parts.flat());
}

const HEADS = [
  "-",
  "--",
  "-p",
  "--help",
  "-- --version",
  "--dangerously-skip-permissions",
  "--prompt=evil",
  '-c sandbox_mode="danger-full-access"',
  "--output-format=text",
  "--model=x",
  "-m",
  "--resume=../../x",
  "--yolo",
  "-y",
];

const runArbitrary = fc.constantFrom(...BACKENDS).chain((backend) =>
  fc.record({
    backend: fc.constant(backend),
    head: fc.tuple(fc.constantFrom(...HEADS), nastyString()).map(([h, t]) => `${h} ${t}`.replace(/\0/g, "")),
    model: fc.option(fc.constantFrom("fast", "sonnet", "gpt-5", "-m", "--x", "a b", "x\ny", "m;rm", "a=--b", "-")),
    system_prompt: fc.option(fc.constantFrom("--x", "-p", "a\n--yolo", '"; sandbox_mode="danger-full-access', "-")),
    allowed_tools: fc.option(fc.array(fc.constantFrom("Bash", "Read", "-x", "--allowedTools", "Bash(rm -rf /)"))),
    extra: fc.option(extraFlags(backend)),
  }),
);

describe("flag injection", () => {
  it("prompts that start with -, models, system prompts, tools and extra flags are never read as flags (dry runs)", async () => {
    const samples = fc.sample(runArbitrary, { numRuns: 3000, seed: random.seed });
    let accepted = 0;
    let refused = 0;
    const problems: string[] = [];
    await pool(
      samples.map((run) => async () => {
        const prompt = `${run.head} ${token("dry")}`;
        const reply = await send(`${serve.url}/api/v1/prompt`, {
          body: { ...stripNull(run), prompt, dry_run: true, ephemeral: true, output_format: "stream-json" },
          headers: auth,
        });
        if (reply.status === 400) {
          refused++;
          return;
        }
        expect(reply.status, reply.text.slice(0, 300)).toBe(200);
        const start = parseNdjson(reply.text).find((e) => e.type === "start");
        const found = argvProblems(run.backend, start.command.slice(1), prompt);
        if (found.length) problems.push(`${JSON.stringify(start.command.slice(1))}: ${found.join("; ")}`);
        accepted++;
      }),
      8,
    );
    figures.flag_injection_dry = { cases: samples.length, accepted, refused, problems: problems.length };
    expect(problems.slice(0, 10)).toEqual([]);
  }, 180_000);

  it("what the fake CLI receives is what clinvoker said it would run: 300 runs on the server, 20 on the CLI", async () => {
    const samples = fc.sample(runArbitrary, { numRuns: 300, seed: random.seed + 1 });
    const problems: string[] = [];
    let checked = 0;
    let refused = 0;
    await pool(
      samples.map((run) => async () => {
        const marker = token("argv");
        const prompt = `${run.head} ${marker}`;
        const reply = await send(`${serve.url}/api/v1/prompt`, {
          body: { ...stripNull(run), prompt, ephemeral: true, output_format: "stream-json" },
          headers: auth,
        });
        const runs = recordsOf(marker);
        if (reply.status === 400) {
          refused++;
          expect(runs).toEqual([]);
          return;
        }
        const start = parseNdjson(reply.text).find((e) => e.type === "start");
        expect(runs.length, reply.text.slice(0, 300)).toBe(1);
        const args = runs[0]?.args ?? [];
        // A lone surrogate cannot cross into argv: the CLI gets U+FFFD in its place.
        expect(args).toEqual(start.command.slice(1).map(wellFormed));
        const found = argvProblems(run.backend, args, wellFormed(prompt));
        if (found.length) problems.push(`${JSON.stringify(args)}: ${found.join("; ")}`);
        checked++;
      }),
      4,
    );
    // The CLI: a prompt that begins with - goes after --.
    const cliHome = mkdtempSync(join(tmpdir(), "clinvk-hz-argv-cli-"));
    const cliSamples = fc.sample(runArbitrary, { numRuns: 20, seed: random.seed + 2 });
    await pool(
      cliSamples.map((run) => async () => {
        const marker = token("cliargv");
        const prompt = `${run.head} ${marker}`;
        const result = await runClinvk(["-b", run.backend, "-o", "json", "--ephemeral", "--", prompt], {
          env: fakeBackendsEnv(cliHome, { FAKE_CLI_MODE: "echo", FAKE_CLI_RECORD: recordFile }),
          cwd: cliHome,
        });
        expect(result.code, result.stderr).toBe(0);
        const runs = recordsOf(marker);
        expect(runs.length).toBe(1);
        const found = argvProblems(run.backend, runs[0]?.args ?? [], wellFormed(prompt));
        if (found.length) problems.push(`clinvk: ${JSON.stringify(runs[0]?.args)}: ${found.join("; ")}`);
        checked++;
      }),
      3,
    );
    // The OpenAI and Anthropic surfaces: the model field and the messages.
    for (const [i, backend] of BACKENDS.entries()) {
      for (const head of HEADS.slice(0, 6)) {
        const marker = token("compatargv");
        const content = `${head} ${marker}`;
        const viaOpenai = i % 2 === 0;
        const reply = viaOpenai
          ? await send(`${serve.url}/openai/v1/chat/completions`, {
              body: { model: backend, messages: [{ role: "user", content }] },
              headers: auth,
            })
          : await send(`${serve.url}/anthropic/v1/messages`, {
              body: { model: backend, max_tokens: 100, messages: [{ role: "user", content }] },
              headers: { ...auth, "anthropic-version": "2023-06-01" },
            });
        if (reply.status === 404 && /no route/.test(reply.text)) continue;
        expect(reply.status, reply.text.slice(0, 300)).toBe(200);
        const runs = recordsOf(marker);
        expect(runs.length).toBe(1);
        const found = argvProblems(backend, runs[0]?.args ?? [], undefined);
        if (found.length) problems.push(`compat: ${JSON.stringify(runs[0]?.args)}: ${found.join("; ")}`);
        checked++;
      }
      for (const model of [`${backend}/--dangerously-skip-permissions`, `${backend}/-m`, `${backend}/a --yolo`]) {
        const reply = await send(`${serve.url}/openai/v1/chat/completions`, {
          body: { model, messages: [{ role: "user", content: `${token("compatmodel")} hi` }] },
          headers: auth,
        });
        if (reply.status === 404 && /no route/.test(reply.text)) continue;
        expect(reply.status, `${model}: ${reply.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
        refused++;
      }
    }
    figures.flag_injection_recorded = { runs_checked: checked, refused, problems: problems.length };
    expect(problems.slice(0, 10)).toEqual([]);
  }, 300_000);
});

const wellFormed = (text: string) =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");

function stripNull<T extends Record<string, unknown>>(run: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(run).filter(([key, value]) => value !== null && key !== "head"),
  ) as Partial<T>;
}

it('an extra flag\'s value that is its own token and looks like a flag is refused: `extra: ["--model", "--version"]` never reaches gemini', async () => {
  const cases: [BackendName, string[]][] = [
    ["gemini", ["--model", "--version"]],
    ["gemini", ["-m", "--yolo"]],
    ["codex", ["--model", "--full-auto"]],
    ["claude", ["--add-dir", "--dangerously-skip-permissions"]],
  ];
  const evidence: Record<string, string> = {};
  const problems: string[] = [];
  for (const [backend, extra] of cases) {
    const prompt = `${token("extra-value")} hello`;
    const reply = await send(`${serve.url}/api/v1/prompt`, {
      body: { backend, prompt, extra, dry_run: true, output_format: "stream-json" },
      headers: auth,
    });
    if (reply.status === 400) continue; // refused: what should happen
    const start = parseNdjson(reply.text).find((e) => e.type === "start");
    const args: string[] = start.command.slice(1);
    problems.push(...argvProblems(backend, args, prompt).map((p) => `${backend} ${JSON.stringify(extra)}: ${p}`));
    // With the real CLI: what it does with that command line (evidence for the report).
    if (CLI_NAMES.every((cli) => existsSync(join(E2E_CLI_BIN, cli))) && backend === "gemini") {
      const sb = prepareCliSandbox("gemini", "http://127.0.0.1:9", { retries: 0 });
      try {
        const run = await runInSandbox(sb, sb.commands.gemini, args, { timeoutMs: 60_000 });
        evidence[JSON.stringify(args)] = `exit ${run.code}: ${run.stdout.slice(0, 80).trim()}`;
      } finally {
        sb.cleanup();
      }
    }
  }
  figures.extra_value_evidence = { problems, real_gemini: evidence };
  expect(problems).toEqual([]);
}, 120_000);

it("extra flags cannot switch approvals or sandboxes off while server.allow_dangerous_modes is false", async () => {
  const bypasses: [BackendName, string[]][] = [
    ["claude", ["--permission-mode=bypassPermissions"]],
    ["claude", ["--permission-mode", "bypassPermissions"]],
    ["gemini", ["--yolo"]],
    ["gemini", ["--approval-mode=yolo"]],
    ["codex", ["--sandbox", "danger-full-access"]],
    ["codex", ["--full-auto"]],
  ];
  // The fields themselves are refused (the control):
  const control = await send(`${serve.url}/api/v1/prompt`, {
    body: { backend: "claude", prompt: "hi", approval_mode: "none", dry_run: true },
    headers: auth,
  });
  expect(control.status).toBe(400);
  const accepted: string[] = [];
  for (const [backend, extra] of bypasses) {
    const reply = await send(`${serve.url}/api/v1/prompt`, {
      body: { backend, prompt: "hi", extra, dry_run: true },
      headers: auth,
    });
    if (reply.status === 200) accepted.push(`${backend} ${extra.join(" ")}`);
  }
  figures.dangerous_extra_accepted = accepted;
  expect(accepted).toEqual([]);
}, 60_000);

it("extra flags cannot add directories the workdir policy blocks (--add-dir=/etc, --include-directories=/root)", async () => {
  const escapes: [BackendName, string[]][] = [
    ["claude", ["--add-dir=/etc"]],
    ["codex", ["--add-dir", "/root"]],
    ["gemini", ["--include-directories=/root"]],
  ];
  const accepted: string[] = [];
  for (const [backend, extra] of escapes) {
    const reply = await send(`${serve.url}/api/v1/prompt`, {
      body: { backend, prompt: "hi", extra, dry_run: true },
      headers: auth,
    });
    if (reply.status === 200) accepted.push(`${backend} ${extra.join(" ")}`);
  }
  figures.blocked_dirs_accepted = accepted;
  expect(accepted).toEqual([]);
}, 60_000);

describe("header tricks", () => {
  let limited: Serve;
  let trusting: Serve;
  beforeAll(async () => {
    const rateLimits = { rate_limit_enabled: true, rate_limit_rps: 1, rate_limit_burst: 3 };
    [limited, trusting] = await Promise.all([
      startServe({ env: { FAKE_CLI_MODE: "echo" }, config: { server: { ...rateLimits, api_keys: [KEY] } } }),
      startServe({
        env: { FAKE_CLI_MODE: "echo" },
        config: { server: { ...rateLimits, api_keys: [KEY], trusted_proxies: ["127.0.0.1"] } },
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([limited?.stop(), trusting?.stop()]);
  });

  const spoofed = (i: number) => ({
    "x-forwarded-for": `203.0.113.${i}, 10.0.0.${i}`,
    "x-real-ip": `198.51.100.${i}`,
    forwarded: `for=192.0.2.${i}`,
  });

  it("a spoofed X-Forwarded-For from an untrusted peer does not change the rate-limit key", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await send(`${limited.url}/health`, { headers: spoofed(i) })).status);
    // The control: a server that trusts 127.0.0.1 as its proxy does key by X-Forwarded-For.
    const trusted: number[] = [];
    for (let i = 0; i < 8; i++) trusted.push((await send(`${trusting.url}/health`, { headers: spoofed(i) })).status);
    figures.xff_spoof = { untrusted_peer: statuses, trusted_proxy_control: trusted };
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3).every((s) => s === 429)).toBe(true);
    expect(trusted.every((s) => s === 200)).toBe(true);
  });

  it("duplicate credentials: no 5xx, and a wrong key never gets in", async () => {
    const cases: [string, string[], "in" | "out" | "either"][] = [
      ["X-Api-Key good, then bad", [`X-Api-Key: ${KEY}`, `X-Api-Key: ${WRONG_KEY}`], "out"],
      ["X-Api-Key bad, then good", [`X-Api-Key: ${WRONG_KEY}`, `X-Api-Key: ${KEY}`], "out"],
      ["X-Api-Key good, twice", [`X-Api-Key: ${KEY}`, `X-Api-Key: ${KEY}`], "either"],
      ["Authorization bad, then good", [`Authorization: Bearer ${WRONG_KEY}`, `Authorization: Bearer ${KEY}`], "out"],
      [
        "Authorization good, then bad",
        [`Authorization: Bearer ${KEY}`, `Authorization: Bearer ${WRONG_KEY}`],
        "either",
      ],
      ["X-Api-Key bad, Authorization good", [`X-Api-Key: ${WRONG_KEY}`, `Authorization: Bearer ${KEY}`], "out"],
      ["X-Api-Key good, Authorization bad", [`X-Api-Key: ${KEY}`, `Authorization: Bearer ${WRONG_KEY}`], "either"],
      ["one Authorization with two keys", [`Authorization: Bearer ${WRONG_KEY}, Bearer ${KEY}`], "out"],
      ["Bearer with the key and junk", [`Authorization: Bearer ${KEY} junk`], "out"],
      ["Basic with the key", [`Authorization: Basic ${KEY}`], "out"],
      ["an empty X-Api-Key", ["X-Api-Key: "], "out"],
      ["the key with spaces around it", [`X-Api-Key:    ${KEY}   `], "either"],
    ];
    const table: Record<string, number> = {};
    for (const [label, headers, expected] of cases) {
      const reply = await rawRequest(serve.url, `GET /api/v1/backends HTTP/1.1\r\n${headers.join("\r\n")}`);
      table[label] = reply.status;
      expect(reply.status, label).toBeLessThan(500);
      expect(reply.raw, label).not.toContain(KEY);
      expect(reply.raw, label).not.toContain(WRONG_KEY);
      if (expected === "out") expect(reply.status, label).toBe(401);
      else expect([200, 401], label).toContain(reply.status);
    }
    figures.duplicate_credentials = table;
  });

  it("huge headers are 431, never a 5xx or a hang; the server goes on", async () => {
    const cases: [string, string][] = [
      ["one 20 KB header", `GET /health HTTP/1.1\r\nX-Big: ${"a".repeat(20_000)}`],
      ["one 1 MB header", `GET /health HTTP/1.1\r\nX-Big: ${"a".repeat(1_000_000)}`],
      [
        "3,000 small headers",
        `GET /health HTTP/1.1\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: ${i}`).join("\r\n")}`,
      ],
      ["a 64 KB URL", `GET /health?${"q=1&".repeat(16_000)} HTTP/1.1`],
      ["a 20 KB API key", `GET /api/v1/backends HTTP/1.1\r\nX-Api-Key: ${"k".repeat(20_000)}`],
      [
        "a 15 KB cookie and a 2 KB key",
        `GET /api/v1/backends HTTP/1.1\r\nCookie: ${"c".repeat(15_000)}\r\nX-Api-Key: ${"k".repeat(2_000)}`,
      ],
    ];
    const table: Record<string, number | string> = {};
    for (const [label, head] of cases) {
      const reply = await rawRequest(serve.url, head, "", 20_000);
      table[label] = reply.status || "closed without an answer";
      expect(reply.status, label).toBe(431);
      expect((await send(`${serve.url}/health`)).status, `after ${label}`).toBe(200);
    }
    figures.huge_headers = table;
  });

  it("API keys cannot be guessed without limit: wrong keys count against the client's rate limit", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await send(`${limited.url}/api/v1/backends`, { headers: { "x-api-key": `guess-${i}` } })).status);
    }
    figures.key_guessing = statuses;
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  });
});

describe("keys never appear in logs or error bodies", () => {
  it("a server logging at trace level into a buffer: no key, good or wrong, in its log or its answers", async () => {
    let log = "";
    const stream = new Writable({
      write(chunk, _encoding, done) {
        log += chunk.toString();
        done();
      },
    });
    const config = defaults() as unknown as Config;
    for (const name of BACKENDS) config.backends[name].binary = FAKE[name];
    config.server.api_keys = [KEY];
    config.server.metrics_enabled = true;
    config.server.child_env = ["FAKE_CLI_*"]; // the fake CLI's switches pass the server's env allowlist
    const live = new LiveConfig(config);
    const storeHome = mkdtempSync(join(tmpdir(), "clinvk-hz-logs-"));
    const store = new FileSessionStore(storeHome);
    const engine = new Engine({
      ...engineOptionsFromConfig(config, store),
      env: { ...process.env, FAKE_CLI_MODE: "echo", ANTHROPIC_API_KEY: CANARY },
    });
    const app = await buildServer({ engine, store, config: live, logger: { level: "trace", stream } });
    const bodies: string[] = [];
    const requests: { method: "GET" | "POST"; url: string; headers: Record<string, string>; payload?: unknown }[] = [];
    const credentials: Record<string, string>[] = [
      { "x-api-key": KEY },
      { authorization: `Bearer ${KEY}` },
      { "x-api-key": WRONG_KEY },
      { authorization: `Bearer ${WRONG_KEY}` },
      { authorization: `Basic ${Buffer.from(`user:${WRONG_KEY}`).toString("base64")}` },
      { "x-api-key": `${WRONG_KEY}\t` },
      {},
    ];
    for (const headers of credentials) {
      requests.push(
        { method: "GET", url: "/health", headers },
        { method: "GET", url: "/api/v1/backends", headers },
        { method: "GET", url: "/api/v1/sessions/zz", headers },
        { method: "GET", url: "/metrics", headers },
        { method: "POST", url: "/api/v1/prompt", headers, payload: { prompt: "hello", ephemeral: true } },
        { method: "POST", url: "/api/v1/prompt", headers, payload: { prompt: "" } },
        { method: "POST", url: "/api/v1/prompt", headers: { ...headers, "content-type": "text/plain" }, payload: "x" },
        { method: "POST", url: "/api/v1/prompt", headers, payload: { prompt: "hi [FAIL]", ephemeral: true } },
        { method: "POST", url: "/api/v1/nope", headers, payload: {} },
        {
          method: "POST",
          url: "/openai/v1/chat/completions",
          headers,
          payload: { model: "nope", messages: [{ role: "user", content: "hi" }] },
        },
        {
          method: "POST",
          url: "/anthropic/v1/messages",
          headers: { ...headers, "anthropic-version": "2023-06-01" },
          payload: { model: "claude", max_tokens: 10, messages: [] },
        },
      );
    }
    for (const r of requests) {
      const reply = await app.inject({ method: r.method, url: r.url, headers: r.headers, payload: r.payload as never });
      bodies.push(JSON.stringify(reply.headers) + reply.body);
    }
    await app.close();
    const answers = bodies.join("\n");
    const found = [KEY, WRONG_KEY, CANARY].filter((secret) => log.includes(secret) || answers.includes(secret));
    figures.keys_in_logs = {
      requests: requests.length,
      log_lines: log.split("\n").filter(Boolean).length,
      secrets_found: found.length,
      surfaces: 3,
    };
    expect(log.length).toBeGreaterThan(1000); // the logger did log
    expect(found).toEqual([]);
  }, 60_000);

  it("clinvk serve at --log-level trace, keys from CLINVK_API_KEYS: none in its log", async () => {
    const tracing = await startServe({
      logLevel: "trace",
      env: { FAKE_CLI_MODE: "echo", CLINVK_API_KEYS: KEY, OPENAI_API_KEY: CANARY },
    });
    try {
      const credentials: Record<string, string>[] = [
        { "x-api-key": KEY },
        { authorization: `Bearer ${WRONG_KEY}` },
        {},
      ];
      for (const headers of credentials) {
        for (const body of [{ prompt: "hi", ephemeral: true }, { prompt: 5 }]) {
          const reply = await send(`${tracing.url}/api/v1/prompt`, { body, headers });
          expect(reply.text).not.toContain(KEY);
          expect(reply.text).not.toContain(WRONG_KEY);
        }
      }
    } finally {
      await tracing.stop();
    }
    const log = tracing.log() + tracing.stderr();
    expect(log.length).toBeGreaterThan(1000);
    for (const secret of [KEY, WRONG_KEY, CANARY]) expect(log.includes(secret), secret.slice(0, 12)).toBe(false);
  }, 60_000);
});

it("the hostile-input server survived everything", async () => {
  expect(serve.child.exitCode).toBeNull();
  expect((await send(`${serve.url}/health`)).status).toBe(200);
  expect(serve.errorLines()).toEqual([]);
});
