// biome-ignore-all lint/suspicious/noExplicitAny: HTTP bodies and session files are read loosely.
/**
 * The attacks of the security review (issue 15), replayed against `clinvk serve` as users run it: the real claude,
 * codex and gemini behind the provider stub where the attack needs a real agent (a tool grant that would hand it a
 * shell, the environment it sees, CLIs hung on their provider when the server is SIGKILLed), the fake CLI where a
 * flood or a crash is the point, and real read-only and full file systems (tmpfs mounts; skipped where this
 * machine does not allow mounting). Each attack is a row of docs/reliability.md.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_NAMES, type CliSandbox, E2E_CLI_BIN, prepareCliSandbox } from "../e2e/cli-env.js";
import { killSandboxProcesses, sandboxProcesses } from "../e2e/processes.js";
import { type ProviderStub, startProviderStub } from "../e2e/stub/index.js";
import { fakeBackendsEnv, runClinvk } from "./lib/cli.js";
import { record } from "./lib/figures.js";
import { openStream, rawRequest, send } from "./lib/http.js";
import { CLINVK, FAKE } from "./lib/paths.js";
import { type Serve, startServe } from "./lib/serve.js";

const installed = CLI_NAMES.every((cli) => existsSync(join(E2E_CLI_BIN, cli)));
const KEY = "hz-attack-key-0123456789";
const DECOY = "decoy-db-password-9876";

interface Attack {
  attack: string;
  outcome: string;
  held: boolean;
}
const attacks: Attack[] = [];
const note = (attack: string, outcome: string, held: boolean) => attacks.push({ attack, outcome, held });

const auth = { "x-api-key": KEY };

describe.skipIf(!installed)("attacks through the real CLIs", () => {
  let stub: ProviderStub;
  let sb: CliSandbox;

  const realServe = (config: Record<string, unknown> = {}, home?: string) =>
    startServe({
      inheritEnv: false,
      env: { ...sb.env, CLINVK_API_KEYS: KEY, SERVER_DB_PASSWORD: DECOY },
      cwd: sb.workDir,
      ...(home ? { home } : {}),
      config: {
        backends: {
          claude: { binary: sb.commands.claude },
          codex: { binary: sb.commands.codex },
          gemini: { binary: sb.commands.gemini },
        },
        ...config,
      },
    });
  /** The CLIs of the sandbox: not the servers, not their supervisors. */
  const cliProcesses = (servers: Serve[]) =>
    sandboxProcesses(sb).filter(
      (p) => !servers.some((s) => s.pid === p.pid) && !p.cmdline.includes("__supervise-runs"),
    );

  beforeAll(async () => {
    stub = await startProviderStub();
    sb = prepareCliSandbox("all", stub.url, { retries: 0, apiTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    if (sb) killSandboxProcesses(sb);
    sb?.cleanup();
    await stub?.close();
  });

  it("a request cannot hand claude a shell: tool grants are refused before any CLI starts", async () => {
    const serve = await realServe();
    try {
      stub.reset();
      const pwned = join(sb.workDir, "pwned.txt");
      stub.script(
        { toolCall: { name: "Bash", input: { command: `echo pwned > ${pwned}` } }, provider: "anthropic" },
        "done",
      );
      const tries = [
        { allowed_tools: ["Bash"] },
        { extra: ["--allowedTools", "Bash"] },
        { extra: ["--tools=Bash"] },
        { extra: ["--agent", "general-purpose"] },
      ];
      for (const fields of tries) {
        const reply = await send(`${serve.url}/api/v1/prompt`, {
          body: { backend: "claude", prompt: "run it", ephemeral: true, ...fields },
          headers: auth,
          timeoutMs: 60_000,
        });
        expect(reply.status, reply.text).toBe(400);
      }
      const gemini = await send(`${serve.url}/api/v1/prompt`, {
        body: { backend: "gemini", prompt: "run it", ephemeral: true, allowed_tools: ["run_shell_command"] },
        headers: auth,
      });
      expect(gemini.status, gemini.text).toBe(400);
      expect(stub.mainRequests()).toHaveLength(0);
      expect(existsSync(pwned)).toBe(false);
      note(
        "POST /api/v1/prompt granting Bash (allowed_tools, --allowedTools, --tools, --agent; gemini's shell)",
        "400 each; the provider saw no request; no command ran",
        true,
      );
    } finally {
      await serve.stop();
    }
  }, 120_000);

  it("a tool the admin made grantable works, and the agent's shell sees none of clinvoker's secrets", async () => {
    const serve = await realServe({ server: { grantable_tools: ["Bash"] } });
    try {
      stub.reset();
      stub.script({ toolCall: { name: "Bash", input: { command: "env" } }, provider: "anthropic" }, "done");
      const reply = await send(`${serve.url}/api/v1/prompt`, {
        body: { backend: "claude", prompt: "show the environment", ephemeral: true, allowed_tools: ["Bash"] },
        headers: auth,
        timeoutMs: 90_000,
      });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.json.status, reply.text).toBe("success");
      const seen = stub.mainRequests("anthropic")[1]?.toolResults[0]?.output ?? "";
      expect(seen).toContain("PATH=");
      expect(seen).toContain("ANTHROPIC_BASE_URL=");
      for (const secret of [KEY, DECOY, "CLINVK_API_KEYS"]) expect(seen).not.toContain(secret);
      note(
        "claude runs `env` through a granted Bash: does the agent see the server's keys?",
        "the tool's output (as the provider received it) has PATH and ANTHROPIC_BASE_URL, not CLINVK_API_KEYS nor another variable of the server",
        true,
      );
    } finally {
      await serve.stop();
    }
  }, 120_000);

  it("DNS rebinding: a page whose name points at the server gets a 403 and runs nothing", async () => {
    const serve = await realServe({ server: { api_keys: [] } });
    try {
      stub.reset();
      const body = JSON.stringify({ backend: "claude", prompt: "rebound", ephemeral: true });
      const head = [
        "POST /api/v1/prompt HTTP/1.1",
        "Host: evil.example:8080",
        "Origin: http://evil.example:8080",
        "Content-Type: application/json",
        `Content-Length: ${Buffer.byteLength(body)}`,
        "Connection: close",
      ].join("\r\n");
      const rebound = await rawRequest(serve.url, head, body);
      expect(rebound.status).toBe(403);
      expect(stub.mainRequests()).toHaveLength(0);
      note(
        "POST with Host and Origin evil.example to a server without keys on loopback",
        `HTTP ${rebound.status}; the provider saw no request`,
        rebound.status === 403,
      );
    } finally {
      await serve.stop();
    }
  }, 60_000);

  it("SIGKILL of the server while the three real CLIs wait on a hung provider leaves none of them running", async () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-hz-crash-"));
    const first = await realServe({}, home);
    stub.reset();
    stub.script({ hang: true, times: "always" });
    const streams = CLI_NAMES.map((cli) =>
      openStream(
        `${first.url}/api/v1/prompt`,
        { backend: cli, prompt: `hang ${cli}` },
        { ...auth, accept: "text/event-stream" },
      ),
    );
    await stub.waitForRequests(3, { timeoutMs: 60_000, filter: (r) => !r.side });
    const running = cliProcesses([first]).length;
    expect(running).toBeGreaterThanOrEqual(3);
    first.child.kill("SIGKILL");
    await first.exited;
    const started = Date.now();
    while (cliProcesses([first]).length > 0 && Date.now() - started < 10_000)
      await new Promise((r) => setTimeout(r, 100));
    const left = cliProcesses([first]);
    const goneMs = Date.now() - started;
    for (const stream of streams) stream.destroy();
    stub.reset();
    expect(left.map((p) => p.cmdline)).toEqual([]);

    const second = await realServe({}, home);
    try {
      const listed = await send(`${second.url}/api/v1/sessions`, { headers: auth });
      const sessions = listed.json.sessions as any[];
      expect(sessions).toHaveLength(3);
      for (const session of sessions) expect(session.status).toBe("error");
      note(
        `SIGKILL of serve with claude, codex and gemini hung on their provider (${running} processes)`,
        `none left after ${goneMs} ms (its supervisor); at the next start their 3 sessions say interrupted`,
        true,
      );
    } finally {
      await second.stop();
    }
  }, 180_000);

  it("a saved config that drops every key of a server on a network address keeps the old keys", async () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-hz-reload-"));
    const configFile = join(home, "config.yaml");
    const config = (keys: string[]) =>
      `server:\n  api_keys: ${JSON.stringify(keys)}\nbackends:\n  claude: { binary: ${FAKE.claude} }\n`;
    writeFileSync(configFile, config([KEY]));
    const serve = spawn(process.execPath, [CLINVK, "serve", "--host", "0.0.0.0", "--port", "0"], {
      env: fakeBackendsEnv(home, { FAKE_CLI_MODE: "echo" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let log = "";
      serve.stdout?.on("data", (chunk) => {
        log += chunk;
      });
      const port = await new Promise<string>((resolve, reject) => {
        let stderr = "";
        serve.stderr?.on("data", (chunk) => {
          stderr += chunk;
          const match = /serving on http:\/\/\S+:(\d+)/.exec(stderr);
          if (match) resolve(match[1] as string);
        });
        serve.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      const base = `http://127.0.0.1:${port}`;
      const unauthenticated = () => send(`${base}/api/v1/backends`).then((r) => r.status);
      expect(await unauthenticated()).toBe(401);
      writeFileSync(configFile, config([]));
      await expect.poll(() => log, { timeout: 10_000 }).toContain("keeping the previous API keys");
      const after = await unauthenticated();
      expect(after).toBe(401);
      note(
        "saving api_keys: [] while serving 0.0.0.0 with keys",
        `HTTP ${after} without a key afterwards; the log says the previous keys stay`,
        after === 401,
      );
    } finally {
      serve.kill("SIGKILL");
    }
  }, 60_000);
});

describe("five SSE clients that never read, against a CLI that writes 100 MB each", () => {
  it("the server's memory stays bounded while they stall and after they are dropped", async () => {
    const serve = await startServe({
      env: { FAKE_CLI_MODE: "text-flood", FAKE_CLI_FLOOD_BYTES: String(100 * 1024 * 1024) },
      config: { server: { write_timeout_secs: 5 } },
    });
    try {
      const before = Math.round((serve.rss() ?? 0) / 2 ** 20);
      const clients = Array.from({ length: 5 }, (_, i) =>
        stalledClient(`${serve.url}/api/v1/prompt`, {
          prompt: `flood ${i}`,
          output_format: "stream-json",
          ephemeral: true,
        }),
      );
      let peak = before;
      const deadline = Date.now() + 12_000;
      while (Date.now() < deadline) {
        peak = Math.max(peak, Math.round((serve.rss() ?? 0) / 2 ** 20));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      // Past write_timeout_secs, the stalled clients are dropped and their runs cancelled.
      const runs = (await send(`${serve.url}/health`)).json.runs;
      expect(runs.active).toBe(0);
      for (const client of clients) client.destroy();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const after = Math.round((serve.rss() ?? 0) / 2 ** 20);
      const health = await send(`${serve.url}/health`);
      expect(health.status).toBe(200);
      expect(peak).toBeLessThan(400);
      note(
        "5 SSE clients that never read; the CLI writes 100 MB each",
        `RSS ${before} MB before, ${peak} MB at the peak, ${after} MB after; the clients were dropped after write_timeout_secs`,
        peak < 400,
      );
      record("attacks_memory", { rss_mb: { before, peak, after } });
    } finally {
      await serve.stop();
    }
  }, 60_000);
});

/** A POST whose response is never read: the socket is paused from the start. */
function stalledClient(url: string, body: unknown): { destroy(): void } {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  const socket = connect(Number(target.port), target.hostname, () => {
    socket.write(
      `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
    );
    socket.pause();
  });
  socket.on("error", () => {});
  return { destroy: () => socket.destroy() };
}

/** A tmpfs of `size` mounted on a new folder, or undefined where this machine does not allow mounting. */
function tmpfs(size: string, options = ""): { dir: string; unmount(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), "clinvk-hz-fs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}${options ? `,${options}` : ""}`, "tmpfs", dir], {
      stdio: "ignore",
    });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    unmount: () => {
      execFileSync("umount", ["-l", dir], { stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const mountable = (() => {
  const probe = tmpfs("64k");
  probe?.unmount();
  return probe !== undefined;
})();

describe.skipIf(!mountable)("a store on a disk that fails", () => {
  it("a read-only CLINVK_HOME fails at once, saying so, instead of waiting two minutes for a lock", async () => {
    const fs = tmpfs("1m") as NonNullable<ReturnType<typeof tmpfs>>;
    try {
      mkdirSync(join(fs.dir, "sessions"));
      execFileSync("mount", ["-o", "remount,ro", fs.dir]);
      const started = Date.now();
      const run = await runClinvk(["-b", "claude", "-o", "json", "hello"], {
        env: fakeBackendsEnv(fs.dir, { FAKE_CLI_MODE: "echo" }),
        timeoutMs: 60_000,
      });
      const ms = Date.now() - started;
      expect(run.code, run.stderr).toBe(4);
      expect(run.stderr).toContain("read-only (EROFS)");
      expect(ms).toBeLessThan(10_000);
      note(
        "clinvk prompt with CLINVK_HOME on a read-only file system",
        `exit ${run.code} after ${ms} ms: "${run.stderr.split("\n")[0]}"`,
        true,
      );
    } finally {
      fs.unmount();
    }
  }, 60_000);

  it("a disk that fills up during the run: the answer is printed, the exit code says the turn was not saved", async () => {
    const fs = tmpfs("512k") as NonNullable<ReturnType<typeof tmpfs>>;
    try {
      // The session is created; then the CLI fills the disk while it works: its answer cannot be recorded.
      const env = fakeBackendsEnv(fs.dir, { FAKE_CLI_MODE: "echo", FAKE_CLI_FILL: join(fs.dir, "filler") });
      const run = await runClinvk(["-b", "claude", "-o", "json", "fill the disk"], { env, timeoutMs: 60_000 });
      const doc = JSON.parse(run.stdout || "{}");
      expect(run.code, run.stderr).toBe(4);
      expect(doc.error_code ?? "", run.stdout).toBe("session_error");
      expect(doc.content, run.stdout).toBe("echo: fill the disk");
      note(
        "clinvk -o json on a full disk",
        `exit ${run.code}, error_code ${doc.error_code}: "${String(doc.error ?? run.stderr).slice(0, 160)}"`,
        run.code === 4,
      );
      const files = readdirSync(join(fs.dir, "sessions")).filter(
        (name) => name.endsWith(".json") && name !== "index.json",
      );
      for (const name of files) JSON.parse(readFileSync(join(fs.dir, "sessions", name), "utf8")); // none torn
    } finally {
      fs.unmount();
    }
  }, 60_000);
});

describe("figures", () => {
  it("records the attacks", () => {
    record("attacks", { attacks, mountable, real_clis: installed });
    expect(attacks.every((a) => a.held)).toBe(true);
  });
});
