/**
 * `clinvk serve` as users run it: the bundled CLI in a process of its own, with a config file whose backends are
 * the fake CLI (or whatever the test sets), on 127.0.0.1 and a free port.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLINVK, FAKE } from "./paths.js";
import { rssBytes } from "./procs.js";

export interface ServeOptions {
  /** Config keys, deep-merged over the base (fake CLIs as backends, 127.0.0.1, port 0). */
  config?: Record<string, unknown>;
  /** Environment of the server (and so of the CLIs it runs), on top of a copy of this process's. */
  env?: Record<string, string | undefined>;
  /** Start from an empty environment instead of this process's (the real CLIs' sandboxes). Default true. */
  inheritEnv?: boolean;
  /** CLINVK_HOME; default: a new temporary directory. */
  home?: string;
  /** The server's working directory (the default workdir of runs). */
  cwd?: string;
  logLevel?: string;
}

export interface Serve {
  url: string;
  pid: number;
  home: string;
  child: ChildProcess;
  /** The server's log (pino JSON lines on stdout), the last few MB of it. */
  log(): string;
  stderr(): string;
  /** Log lines at level error or above seen so far. */
  errorLines(): string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  rss(): number | undefined;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const KEEP_LOG = 4 * 1024 * 1024;

export function baseConfig(): Record<string, unknown> {
  return {
    backends: {
      claude: { binary: FAKE.claude },
      codex: { binary: FAKE.codex },
      gemini: { binary: FAKE.gemini },
    },
    // The fake CLI's switches must pass the server's environment allowlist.
    server: { host: "127.0.0.1", port: 0, child_env: ["FAKE_CLI_*"] },
  };
}

export function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const bothObjects =
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      current !== null &&
      typeof current === "object" &&
      !Array.isArray(current);
    out[key] = bothObjects ? merge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

/** This process's environment without CLINVK_ variables (they are config overrides), plus `extra`. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("CLINVK_")) env[key] = value;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export async function startServe(options: ServeOptions = {}): Promise<Serve> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), "clinvk-hz-home-"));
  mkdirSync(home, { recursive: true });
  const configFile = join(mkdtempSync(join(tmpdir(), "clinvk-hz-config-")), "config.yaml");
  // YAML is a superset of JSON.
  writeFileSync(configFile, JSON.stringify(merge(baseConfig(), options.config ?? {}), null, 2));
  const child = spawn(
    process.execPath,
    [CLINVK, "--config", configFile, "serve", "--port", "0", "--log-level", options.logLevel ?? "info"],
    {
      cwd: options.cwd ?? home,
      env:
        options.inheritEnv === false
          ? { ...options.env, CLINVK_HOME: home }
          : cleanEnv({ CLINVK_HOME: home, ...options.env }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  let stderr = "";
  const errors: string[] = [];
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    log += text;
    if (log.length > KEEP_LOG * 2) log = log.slice(-KEEP_LOG);
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const level = /"level":(\d+)/.exec(line)?.[1];
      if (level && Number(level) >= 50) errors.push(line.slice(0, 4000));
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
    if (stderr.length > KEEP_LOG) stderr = stderr.slice(-KEEP_LOG);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`clinvk serve did not start in 20 s:\n${stderr}`)), 20_000);
    const check = () => {
      const found = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
      if (found) {
        clearTimeout(timer);
        child.stderr?.off("data", check);
        resolve(found);
      }
    };
    child.stderr?.on("data", check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`clinvk serve exited (${code ?? signal}) before serving:\n${stderr}`));
    });
  });
  const pid = child.pid as number;
  return {
    url,
    pid,
    home,
    child,
    log: () => log,
    stderr: () => stderr,
    errorLines: () => [...errors],
    exited,
    rss: () => rssBytes(pid),
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
  };
}
