// `clinvk serve` instances as separate machines for the scale lane: each its own CLINVK_HOME and its own
// sandbox for the real CLIs behind the provider stub (HOME, CODEX_HOME, gemini's settings, TMPDIR), all on
// one PostgreSQL schema and one Redis key prefix, each on a free port with an API key. `instancesSuite()`
// registers the hooks of a test file; its afterAll stops every instance and the CLIs they left.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { type CliName, type CliSandbox, prepareCliSandbox, RUNTIME_NODE } from "../e2e/cli-env.js";
import { snapshotClinvk } from "../e2e/clinvk-bin.js";
import { killSandboxProcesses, waitForNoSandboxProcesses } from "../e2e/processes.js";
import { type ProviderStub, startProviderStub } from "../e2e/stub/index.js";
import { dropRunSchemas, newSchemaName, TEST_PG_URL } from "./pg.js";
import { deleteRunKeys, REDIS_PREFIX, TEST_REDIS_URL } from "./redis.js";

/** What a group of instances shares: one PostgreSQL schema and one Redis key prefix. */
export interface SharedParts {
  schema: string;
  redisPrefix: string;
}

/** A new schema and key prefix (both removed at the end of the run by instancesSuite's afterAll). */
export function newSharedParts(): SharedParts {
  const schema = newSchemaName();
  return { schema, redisPrefix: `${REDIS_PREFIX}${schema}:` };
}

export interface InstanceOptions {
  /** Extra env on top of the machine's (applied last: may override the shared parts). */
  env?: Record<string, string>;
  /** Extra arguments of `clinvk serve` (e.g. `["--role", "worker"]`). */
  args?: string[];
  /** The CLIs configured in the machine's sandbox (default all three). */
  clis?: CliName | readonly CliName[] | "all";
  /** How long to wait for it to listen and answer /health (default 30 s). */
  startTimeoutMs?: number;
}

export interface ServeInstance {
  /** Where it listens, e.g. http://127.0.0.1:40123. */
  url: string;
  pid: number;
  /** The env it was started with (the sandbox's, CLINVK_HOME, the shared parts, the key, the extras). */
  env: Record<string, string>;
  /** Its machine: HOME, CODEX_HOME, TMPDIR and a work dir of its own. */
  sb: CliSandbox;
  /** The API key it accepts. */
  apiKey: string;
  /** The headers of an authenticated JSON request. */
  headers: Record<string, string>;
  process: ChildProcess;
  /** What it wrote to stderr, the last 64 KiB (for failure messages). */
  log(): string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** SIGTERM (the graceful stop), then SIGKILL after `graceMs` (default 10 s); resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a machine that dies; resolves once it exited. Its CLIs are left to their fate. */
  kill(): Promise<void>;
}

const LOG_LIMIT = 64 * 1024;
const running: ServeInstance[] = [];

/** Starts one `clinvk serve` (the bundle at `cli`) as a machine of its own; resolves once /health answers 200. */
export async function startInstance(
  cli: string,
  stubUrl: string,
  shared: SharedParts,
  options: InstanceOptions = {},
): Promise<ServeInstance> {
  const sb = prepareCliSandbox(options.clis ?? "all", stubUrl);
  const apiKey = `sk-clinvk-test-${randomBytes(12).toString("hex")}`;
  const env: Record<string, string> = {
    ...sb.env,
    CLINVK_HOME: join(sb.root, "clinvk-home"),
    CLINVK_STORE_URL: TEST_PG_URL,
    CLINVK_STORE_SCHEMA: shared.schema,
    CLINVK_REDIS_URL: TEST_REDIS_URL,
    CLINVK_REDIS_KEY_PREFIX: shared.redisPrefix,
    CLINVK_API_KEYS: apiKey,
    ...options.env,
  };
  const child = spawn(RUNTIME_NODE, [cli, "serve", "--port", "0", ...(options.args ?? [])], {
    cwd: sb.workDir,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    log = (log + chunk).slice(-LOG_LIMIT);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const signal = async (name: NodeJS.Signals) => {
    if (!gone()) child.kill(name);
    await exited;
  };
  const instance: ServeInstance = {
    url: "",
    pid: child.pid ?? -1,
    env,
    sb,
    apiKey,
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
    process: child,
    log: () => log,
    exited,
    kill: () => signal("SIGKILL"),
    async stop(graceMs = 10_000) {
      if (gone()) return;
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await signal("SIGTERM");
      clearTimeout(timer);
    },
  };
  running.push(instance);
  instance.url = await listening(instance, options.startTimeoutMs ?? 30_000);
  return instance;
}

/** The address the instance says it serves on, once its /health answers 200. */
async function listening(instance: ServeInstance, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exitedEarly = false;
  void instance.exited.then(() => {
    exitedEarly = true;
  });
  const fail = (why: string) => new Error(`clinvk serve (pid ${instance.pid}) ${why}:\n${instance.log()}`);
  for (;;) {
    if (exitedEarly) throw fail(`exited ${instance.process.exitCode ?? instance.process.signalCode}`);
    if (Date.now() > deadline) {
      await instance.kill();
      throw fail(`did not answer /health within ${timeoutMs} ms`);
    }
    const url = /serving on (http:\/\/\S+)/.exec(instance.log())?.[1];
    if (url) {
      const status = await fetch(`${url}/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return url;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One instance per entry of `options`, all on the same shared parts; in the same order. */
export function startInstances<const T extends readonly InstanceOptions[]>(
  cli: string,
  stubUrl: string,
  shared: SharedParts,
  options: T,
): Promise<{ -readonly [K in keyof T]: ServeInstance }> {
  return Promise.all(options.map((o) => startInstance(cli, stubUrl, shared, o))) as Promise<{
    -readonly [K in keyof T]: ServeInstance;
  }>;
}

/**
 * Stops every instance started so far (SIGTERM, then SIGKILL), then SIGKILLs by pid whatever is still
 * alive in their sandboxes (the CLIs of a killed instance), and removes the sandboxes. Returns the
 * processes that had to be killed that way, so that a caller can insist on none.
 */
export async function stopAllInstances(): Promise<string[]> {
  const all = running.splice(0);
  await Promise.all(all.map((instance) => instance.stop()));
  const leftovers: string[] = [];
  for (const instance of all) {
    if ((await waitForNoSandboxProcesses(instance.sb, 2000)).length > 0) {
      leftovers.push(...killSandboxProcesses(instance.sb).map((p) => `${p.pid} ${p.cmdline}`));
    }
    instance.sb.cleanup();
  }
  return leftovers;
}

export interface InstancesSuite {
  /** The snapshot of clinvk the file runs. */
  bin: { cli: string; cleanup(): void };
  stub: ProviderStub;
  /**
   * One machine per entry of `options` (`[{}, {}]`: two alike), on new shared parts, or on `shared` to add
   * machines to a group.
   */
  start<const T extends readonly InstanceOptions[]>(
    options: T,
    shared?: SharedParts,
  ): Promise<{ -readonly [K in keyof T]: ServeInstance }>;
}

/**
 * The hooks of a test file of instances: a clinvk snapshot and the provider stub before the tests, a stub
 * reset before each; after them every instance stopped, their CLIs gone, the run's Redis keys and
 * schemas removed.
 */
export function instancesSuite(): InstancesSuite {
  const suite = {
    start: (options, shared = newSharedParts()) => startInstances(suite.bin.cli, suite.stub.url, shared, options),
  } as InstancesSuite;
  beforeAll(async () => {
    suite.bin = snapshotClinvk();
    suite.stub = await startProviderStub();
  });
  beforeEach(() => suite.stub.reset());
  afterAll(async () => {
    const leftovers = await stopAllInstances();
    if (leftovers.length > 0) console.warn(`killed what instances left behind:\n${leftovers.join("\n")}`);
    await suite.stub?.close();
    suite.bin?.cleanup();
    await deleteRunKeys();
    await dropRunSchemas();
  });
  return suite;
}
