import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { type AddressInfo, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { BreakerRegistry } from "../../src/engine/circuit-breaker.js";
import { CLI, runCli } from "../cli/run-cli.js";
import { FAKE_CLI_DIR } from "../helpers.js";
import { testServer } from "./test-server.js";

const prompt = (headers: Record<string, string> = {}, payload: object = { prompt: "hi", ephemeral: true }) => ({
  method: "POST" as const,
  url: "/api/v1/prompt",
  payload,
  headers,
});

describe("API keys", () => {
  it("refuses a missing or wrong key, accepts X-Api-Key and Bearer, exempts /health and the API's docs", async () => {
    const { app } = await testServer((c) => {
      c.server.api_keys = ["k-one", "k-two"];
    });
    const missing = await app.inject(prompt());
    expect(missing.statusCode).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe("Bearer");
    expect(missing.json().error).toMatchObject({ code: "unauthorized", message: "missing API key" });
    expect((await app.inject(prompt({ "x-api-key": "k-three" }))).json().error.message).toBe("invalid API key");
    expect((await app.inject(prompt({ "x-api-key": "k-two" }))).statusCode).toBe(200);
    expect((await app.inject(prompt({ authorization: "Bearer k-one" }))).statusCode).toBe(200);
    expect((await app.inject(prompt({ authorization: "Basic k-one" }))).statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
    // Public by default, as in the Go clinvoker (server.auth_exempt_paths).
    expect((await app.inject({ method: "GET", url: "/openapi.json" })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/docs" })).statusCode).toBe(200);
  });

  it("keys follow a config reload", async () => {
    const { app, live } = await testServer((c) => {
      c.server.api_keys = ["old"];
    });
    live.set({ ...live.current, server: { ...live.current.server, api_keys: ["new"] } });
    expect((await app.inject(prompt({ "x-api-key": "old" }))).statusCode).toBe(401);
    expect((await app.inject(prompt({ "x-api-key": "new" }))).statusCode).toBe(200);
  });
});

describe("a reload keeps the rules of startup", () => {
  it("saving api_keys: [] on a network address keeps the previous keys, and says so in the log", async () => {
    const lines: string[] = [];
    const logger = {
      level: "error",
      stream: new Writable({
        write: (chunk, _encoding, done) => {
          lines.push(String(chunk));
          done();
        },
      }),
    };
    const { app, live } = await testServer(
      (c) => {
        c.server.host = "0.0.0.0";
        c.server.api_keys = ["k"];
      },
      { logger },
    );
    live.set({ ...live.current, server: { ...live.current.server, api_keys: [] } });
    expect((await app.inject(prompt())).statusCode).toBe(401);
    expect((await app.inject(prompt({ "x-api-key": "k" }))).statusCode).toBe(200);
    expect(lines.join("")).toContain("refusing to listen on 0.0.0.0 without API keys");
    expect(lines.join("")).toContain("keeping the previous API keys");
  });

  it("a loopback server may drop its keys on reload, as it may start without them", async () => {
    const { app, live } = await testServer((c) => {
      c.server.api_keys = ["k"];
    });
    live.set({ ...live.current, server: { ...live.current.server, api_keys: [] } });
    expect((await app.inject(prompt())).statusCode).toBe(200);
  });
});

describe("the Host check (DNS rebinding)", () => {
  it("a page on a rebound name gets a 403, even with a matching Origin; loopback names pass", async () => {
    const { app } = await testServer();
    const rebound = await app.inject(prompt({ host: "evil.example", origin: "http://evil.example" }));
    expect(rebound.statusCode).toBe(403);
    expect(rebound.json().error).toMatchObject({
      code: "host_not_allowed",
      message: 'host "evil.example" is not allowed',
    });
    for (const host of ["localhost:8080", "127.0.0.1:8080", "[::1]:8080", "app.localhost"]) {
      expect((await app.inject(prompt({ host }))).statusCode, host).toBe(200);
    }
    expect((await app.inject({ method: "GET", url: "/health", headers: { host: "evil.example" } })).statusCode).toBe(
      403,
    );
  });

  it("the compatible surfaces answer it in their own error shape", async () => {
    const { app } = await testServer();
    const openai = await app.inject({ method: "GET", url: "/openai/v1/models", headers: { host: "evil.example" } });
    expect(openai.statusCode).toBe(403);
    expect(openai.json().error.message).toBe('host "evil.example" is not allowed');
    const anthropic = await app.inject({
      method: "GET",
      url: "/anthropic/v1/models",
      headers: { host: "evil.example" },
    });
    expect(anthropic.statusCode).toBe(403);
    expect(anthropic.json()).toMatchObject({ type: "error", error: { type: "permission_error" } });
  });

  it("server.allowed_hosts names the host names; a server on every address answers any unless it is set", async () => {
    const { app } = await testServer((c) => {
      c.server.allowed_hosts = ["clinvk.internal", ".corp.example"];
    });
    expect((await app.inject(prompt({ host: "clinvk.internal:8080" }))).statusCode).toBe(200);
    expect((await app.inject(prompt({ host: "build.corp.example" }))).statusCode).toBe(200);
    expect((await app.inject(prompt({ host: "localhost" }))).statusCode).toBe(403);
    const { app: everywhere } = await testServer((c) => {
      c.server.host = "0.0.0.0";
      c.server.api_keys = ["k"];
    });
    expect((await everywhere.inject(prompt({ host: "10.1.2.3:8080", "x-api-key": "k" }))).statusCode).toBe(200);
  });
});

describe("the environment of the CLIs the server runs", () => {
  it("is built from an allowlist: the CLI's own provider variables and server.child_env, never clinvoker's keys", async () => {
    const record = join(mkdtempSync(join(tmpdir(), "clinvk-env-")), "record.jsonl");
    const { app } = await testServer(
      (c) => {
        c.server.child_env.push("TEAM_SETTING");
      },
      {
        env: {
          FAKE_CLI_RECORD: record,
          CLINVK_API_KEYS: "server-secret",
          CLINVK_SERVER_API_KEYS: "server-secret",
          DATABASE_PASSWORD: "db-secret",
          TEAM_SETTING: "1",
          ANTHROPIC_API_KEY: "sk-ant",
          OPENAI_API_KEY: "sk-openai",
        },
      },
    );
    expect((await app.inject(prompt({}, { prompt: "hi", ephemeral: true }))).statusCode).toBe(200);
    const seen = JSON.parse(readFileSync(record, "utf8").trim()).env as string[];
    expect(seen).toEqual(
      expect.arrayContaining(["PATH", "HOME", "ANTHROPIC_API_KEY", "TEAM_SETTING", "FAKE_CLI_MODE"]),
    );
    for (const name of ["CLINVK_API_KEYS", "CLINVK_SERVER_API_KEYS", "DATABASE_PASSWORD", "OPENAI_API_KEY"]) {
      expect(seen).not.toContain(name);
    }
  });

  it("the local CLI passes the user's environment on, minus clinvoker's keys", async () => {
    const record = join(mkdtempSync(join(tmpdir(), "clinvk-env-")), "record.jsonl");
    const run = await runCli(["-b", "codex", "--ephemeral", "hi"], {
      env: {
        ...process.env,
        PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`,
        FAKE_CLI_MODE: "echo",
        FAKE_CLI_RECORD: record,
        CLINVK_API_KEYS: "k",
        MY_TOOLCHAIN: "x",
      },
    });
    expect(run.code).toBe(0);
    const seen = JSON.parse(readFileSync(record, "utf8").trim()).env as string[];
    expect(seen).toContain("MY_TOOLCHAIN");
    expect(seen).not.toContain("CLINVK_API_KEYS");
  });
});

describe("CORS", () => {
  it("answers a localhost preflight without a key; other origins get no grant", async () => {
    const { app } = await testServer((c) => {
      c.server.api_keys = ["k"];
    });
    const preflight = await app.inject({
      method: "OPTIONS",
      url: "/api/v1/prompt",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST" },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    const sdk = await app.inject({
      method: "OPTIONS",
      url: "/api/v1/prompt",
      headers: {
        origin: "http://localhost:5173",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-stainless-os,x-clinvk-session",
      },
    });
    expect(sdk.headers["access-control-allow-headers"]).toContain("x-stainless-os");
    const foreign = await app.inject({
      method: "OPTIONS",
      url: "/api/v1/prompt",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("rate limits", () => {
  it("429 with Retry-After and X-RateLimit headers; a reloaded limit applies at once", async () => {
    const { app, live } = await testServer((c) => {
      c.server.rate_limit_enabled = true;
      c.server.rate_limit_rps = 1;
      c.server.rate_limit_burst = 2;
    });
    const health = () => app.inject({ method: "GET", url: "/health" });
    expect((await health()).headers["x-ratelimit-limit"]).toBe("2");
    await health();
    const limited = await health();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBeTruthy();
    expect(limited.json().error.code).toBe("rate_limit");
    // The file changed: a larger burst takes effect without a restart.
    live.set({ ...live.current, server: { ...live.current.server, rate_limit_burst: 50, rate_limit_rps: 25 } });
    const after = await health();
    expect(after.statusCode).toBe(200);
    expect(after.headers["x-ratelimit-limit"]).toBe("50");
    live.set({ ...live.current, server: { ...live.current.server, rate_limit_enabled: false } });
    for (let i = 0; i < 60; i++) expect((await health()).statusCode).toBe(200);
  });

  it("wrong API keys are guesses counted against the client's address; a valid key keeps its own bucket", async () => {
    const { app } = await testServer((c) => {
      c.server.api_keys = ["the-right-key"];
      c.server.rate_limit_enabled = true;
      c.server.rate_limit_rps = 1;
      c.server.rate_limit_burst = 3;
    });
    const backends = (key: string) =>
      app.inject({ method: "GET", url: "/api/v1/backends", headers: { "x-api-key": key } });
    const guesses: number[] = [];
    for (let i = 0; i < 6; i++) guesses.push((await backends(`guess-${i}`)).statusCode);
    expect(guesses).toEqual([401, 401, 401, 429, 429, 429]);
    expect((await backends("the-right-key")).statusCode).toBe(200);
  });
});

describe("request ids and trace context", () => {
  it("echoes a given request id and continues the caller's trace", async () => {
    const { app } = await testServer();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const response = await app.inject({
      method: "GET",
      url: "/health",
      headers: { "x-request-id": "req-123", traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(response.headers["x-request-id"]).toBe("req-123");
    expect(response.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(response.headers.traceparent).not.toContain("00f067aa0ba902b7");
    const fresh = await app.inject({
      method: "GET",
      url: "/health",
      headers: { traceparent: "garbage", "x-request-id": "../bad id" },
    });
    expect(fresh.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(fresh.headers["x-request-id"]).not.toBe("../bad id");
  });
});

describe("request logging", () => {
  it("one line per request, when it ends, with the method, url, status, time and trace id", async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const { app } = await testServer(() => {}, { logger: { level: "info", stream } });
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    await app.inject({ method: "GET", url: "/health", headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    await app.inject({ method: "GET", url: "/nowhere" });
    const requests = lines.filter((line) => /^request/.test(String(line.msg)));
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      msg: "request completed",
      trace_id: traceId,
      req: { method: "GET", url: "/health" },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    expect(requests[1]).toMatchObject({ req: { url: "/nowhere" }, res: { statusCode: 404 } });
  });
});

describe("admission and circuit breakers", () => {
  it("a full queue is 429 with Retry-After; a streaming client sees its queue position", async () => {
    const { app } = await testServer(
      (c) => {
        c.concurrency.max_running = 1;
        c.concurrency.max_queued = 1;
      },
      { delayMs: 600 },
    );
    const first = app.inject(prompt());
    await new Promise((resolve) => setTimeout(resolve, 150));
    const second = app.inject(prompt({}, { prompt: "queued", ephemeral: true, output_format: "stream-json" }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const third = await app.inject(prompt());
    expect(third.statusCode).toBe(429);
    expect(third.json().error.code).toBe("queue_full");
    expect(third.headers["retry-after"]).toBeTruthy();
    expect((await first).statusCode).toBe(200);
    const events = (await second).body
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ type: "queued", position: 1 });
    expect(events.at(-1)).toMatchObject({ type: "result", status: "success" });
  });

  it("an open breaker answers 503 at once", async () => {
    const breakers = new BreakerRegistry({ failureThreshold: 1, openMs: 60_000 });
    const { app } = await testServer(() => {}, { breakers, env: { FAKE_CLI_MODE: "exit-nonzero" } });
    const failed = await app.inject(prompt());
    expect(failed.json().error_code).toBe("backend_error");
    const refused = await app.inject(prompt());
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.code).toBe("circuit_open");
    const health = (await app.inject({ method: "GET", url: "/health" })).json();
    expect(health.backends[0]).toMatchObject({ name: "claude", circuit: "open" });
  });
});

describe("client disconnect", () => {
  it("a streaming client that goes away cancels its run: no process is left", async () => {
    const { app } = await testServer(() => {}, { delayMs: 60_000 });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const marker = `disconnect-${process.pid}-${Date.now()}`;
    const alive = () =>
      execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.includes(marker));
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/api/v1/prompt",
          headers: { "content-type": "application/json" },
        },
        (res) => {
          res.once("data", () => {
            // The run has started; now the client vanishes.
            setTimeout(() => {
              req.destroy();
              resolve();
            }, 300);
          });
        },
      );
      req.on("error", () => {});
      req.on("timeout", reject);
      req.end(JSON.stringify({ prompt: marker, output_format: "stream-json", ephemeral: true }));
    });
    expect(alive().length).toBeGreaterThan(0);
    const deadline = Date.now() + 5000;
    while (alive().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive()).toEqual([]);
    expect(app.clinvk.active.size).toBe(0);
    await app.close();
  });
});

describe("a client that leaves while its run waits for a slot", () => {
  it("on the OpenAI surface (which holds its answer until admitted), the run never starts", async () => {
    const record = join(mkdtempSync(join(tmpdir(), "clinvk-queued-")), "record.jsonl");
    const { app } = await testServer(
      (c) => {
        c.concurrency.max_running = 1;
      },
      { delayMs: 1500, env: { FAKE_CLI_RECORD: record } },
    );
    await app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const busy = app.inject(prompt({}, { prompt: "busy", ephemeral: true }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const req = httpRequest({
      host: "127.0.0.1",
      port,
      method: "POST",
      path: "/openai/v1/chat/completions",
      headers: { "content-type": "application/json" },
    });
    req.on("error", () => {});
    req.end(JSON.stringify({ model: "claude", stream: true, messages: [{ role: "user", content: "queued one" }] }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    req.destroy(); // gone while queued
    await busy;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const prompts = readFileSync(record, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line).args.at(-1));
    expect(prompts).toEqual(["busy"]);
    expect(app.clinvk.active.size).toBe(0);
    await app.close();
  });
});

describe("backpressure on streams", () => {
  it("a client that does not read pauses its CLI, and is dropped after server.write_timeout_secs", async () => {
    const progress = join(mkdtempSync(join(tmpdir(), "clinvk-flood-")), "written");
    const { app } = await testServer(
      (c) => {
        c.server.write_timeout_secs = 3;
      },
      { env: { FAKE_CLI_MODE: "text-flood", FAKE_CLI_PROGRESS: progress } },
    );
    await app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const written = () => Number(readFileSync(progress, "utf8") || 0);
    const socket = await new Promise<import("node:net").Socket>((resolve) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/api/v1/prompt",
          headers: { "content-type": "application/json" },
        },
        (res) => {
          res.pause(); // a client that never reads
          resolve(res.socket);
        },
      );
      req.on("error", () => {});
      req.end(JSON.stringify({ prompt: "flood", output_format: "stream-json", ephemeral: true }));
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stalled = written();
    expect(stalled).toBeGreaterThan(0);
    expect(stalled).toBeLessThan(40 * 1024 * 1024); // of 100 MiB: the CLI waits for the client
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(written() - stalled).toBeLessThan(2 * 1024 * 1024);
    const deadline = Date.now() + 8000;
    while (app.clinvk.active.size > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(app.clinvk.active.size).toBe(0); // dropped, and its run cancelled
    expect(written()).toBeLessThan(100 * 1024 * 1024);
    socket.destroy();
    await app.close();
  });
});

describe("the documented timeouts", () => {
  it("read_timeout_secs cuts a request whose body does not arrive (408)", async () => {
    const { app } = await testServer((c) => {
      c.server.read_timeout_secs = 1;
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      const socket = connect(port, "127.0.0.1", () => {
        socket.write(
          "POST /api/v1/prompt HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        );
      });
      socket.on("data", (chunk) => {
        text += chunk;
      });
      socket.on("close", () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect(Date.now() - started).toBeLessThan(5000);
    await app.close();
  });

  it("request_timeout_secs caps every run a request starts", async () => {
    const { app } = await testServer(
      (c) => {
        c.server.request_timeout_secs = 1;
      },
      { delayMs: 20_000 },
    );
    const started = Date.now();
    const response = await app.inject(prompt({}, { prompt: "slow", ephemeral: true, timeout_secs: 60 }));
    expect(response.json()).toMatchObject({ status: "error", error_code: "timeout" });
    expect(Date.now() - started).toBeLessThan(8000);
  });
});

describe("clinvk serve", () => {
  it("refuses a network address without API keys", async () => {
    const run = await runCli(["serve", "--host", "0.0.0.0", "--port", "0"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("refusing to listen on 0.0.0.0 without API keys");
  });

  it("exits at once, non-zero and saying why, when it cannot listen (EADDRINUSE)", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const started = Date.now();
      const run = await runCli(["serve", "--port", String(port)]);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the address is in use (EADDRINUSE)`);
    } finally {
      taken.close();
    }
  });

  it("a saved config applies without a restart (a changed rate limit); a broken save changes nothing", async () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-reload-"));
    const configFile = join(home, "config.yaml");
    const limits = (burst: number) =>
      `server:\n  rate_limit_enabled: true\n  rate_limit_rps: 1\n  rate_limit_burst: ${burst}\n`;
    writeFileSync(configFile, limits(2));
    const serve = spawn(process.execPath, [CLI, "serve", "--port", "0"], {
      env: { ...process.env, CLINVK_HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let stderr = "";
      let log = "";
      serve.stdout.on("data", (chunk) => {
        log += chunk;
      });
      const base = await new Promise<string>((resolve, reject) => {
        serve.stderr.on("data", (chunk) => {
          stderr += chunk;
          const match = /serving on (http:\/\/\S+)/.exec(stderr);
          if (match) resolve(match[1] as string);
        });
        serve.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      const limit = async () => (await fetch(`${base}/health`)).headers.get("x-ratelimit-limit");
      expect(await limit()).toBe("2");
      writeFileSync(configFile, limits(50));
      await expect.poll(limit, { timeout: 10_000, interval: 200 }).toBe("50");
      writeFileSync(configFile, "server:\n  rate_limit_burst: [not, a, number\n");
      await expect.poll(() => log, { timeout: 10_000, interval: 200 }).toContain("the last good one stays");
      expect(await limit()).toBe("50");
    } finally {
      serve.kill("SIGKILL");
    }
  });
});

describe("refusals of streaming requests", () => {
  it("a full queue refuses a streaming request with a JSON 429, not a broken stream", async () => {
    const { app } = await testServer(
      (c) => {
        c.concurrency.max_running = 1;
        c.concurrency.max_queued = 0;
      },
      { delayMs: 500 },
    );
    const first = app.inject(prompt());
    await new Promise((resolve) => setTimeout(resolve, 150));
    const refused = await app.inject(prompt({ accept: "text/event-stream" }));
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe("queue_full");
    await first;
  });
});
