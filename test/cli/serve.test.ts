// `clinvk serve` as users start it: its flags, its banner, what it serves without a key.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, runCli } from "./run-cli.js";

/** Starts clinvk serve; resolves with the banner's URL and a stop function. */
function startServe(args: string[], env: NodeJS.ProcessEnv): Promise<{ url: string; stop(): void }> {
  const serve = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], {
    env: { ...env, CLINVK_HOME: mkdtempSync(join(tmpdir(), "clinvk-serve-cli-")) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let stderr = "";
    serve.stderr.on("data", (chunk) => {
      stderr += chunk;
      const match = /serving on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve({ url: match[1] as string, stop: () => serve.kill("SIGKILL") });
    });
    serve.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

describe("clinvk serve", () => {
  it("an unknown --log-level is a usage error (3)", async () => {
    const run = await runCli(["serve", "--log-level", "loud"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('invalid --log-level "loud"');
  });

  it("--role: an unknown one is a usage error; api and worker need Redis and a PostgreSQL store, before anything starts", async () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-serve-role-"));
    const env = { ...process.env, CLINVK_HOME: home, CLINVK_REDIS_URL: "", CLINVK_STORE_URL: "" };
    const bogus = await runCli(["serve", "--role", "boss"], { env });
    expect(bogus.code).toBe(3);
    expect(bogus.stderr).toContain('invalid --role "boss"');
    for (const role of ["api", "worker"]) {
      const run = await runCli(["serve", "--role", role, "--port", "0"], { env });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(`role ${role} needs redis.url`);
    }
    // server.role from the environment, with Redis named but no shared store: the store is asked for.
    const noStore = await runCli(["serve", "--port", "0"], {
      env: { ...env, CLINVK_SERVER_ROLE: "worker", CLINVK_REDIS_URL: "redis://127.0.0.1:1/0" },
    });
    expect(noStore.code).toBe(3);
    expect(noStore.stderr).toContain("role worker needs a shared session store (store.url: postgres://...)");
  });

  it("the banner names the address bound (0.0.0.0); /docs and /openapi.json need no key, the API does", async () => {
    const { url, stop } = await startServe(["--host", "0.0.0.0"], { ...process.env, CLINVK_API_KEYS: "k-123" });
    try {
      expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      const local = url.replace("0.0.0.0", "127.0.0.1");
      expect((await fetch(`${local}/docs`)).status).toBe(200);
      const spec = await fetch(`${local}/openapi.json`);
      expect(spec.status).toBe(200);
      expect(((await spec.json()) as { openapi: string }).openapi).toMatch(/^3\./);
      expect((await fetch(`${local}/api/v1/sessions`)).status).toBe(401);
    } finally {
      stop();
    }
  });
});

const hasScript = spawnSync("script", ["--version"]).status === 0;

describe.skipIf(!hasScript)("clinvk serve on a terminal", () => {
  it("logs one readable line per request (pino-pretty), not JSON", async () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-serve-tty-"));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const serve = spawn("script", ["-qfec", `'${process.execPath}' '${CLI}' serve --port ${port}`, "/dev/null"], {
      env: { ...process.env, CLINVK_HOME: home, NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    let screen = "";
    serve.stdout.on("data", (chunk) => {
      screen += chunk;
    });
    try {
      await expect.poll(() => screen, { timeout: 15_000 }).toContain("serving on");
      await fetch(`http://127.0.0.1:${port}/health`);
      await expect
        .poll(() => screen, { timeout: 5_000 })
        .toMatch(/INFO: request completed GET \/health \d{3} [\d.]+ms/);
      expect(screen).not.toContain('{"level"');
    } finally {
      if (serve.pid) process.kill(-serve.pid, "SIGKILL");
    }
  });
});
