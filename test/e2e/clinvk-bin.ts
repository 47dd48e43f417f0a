// The bundled clinvk for e2e tests: copied out of dist/ when a test file starts, so that a rebuild meanwhile
// cannot pull it away; run with a sandbox's env in a directory of the test's own.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { copyBinary, LAUNCHER } from "../../scripts/binary.mjs";
import { type CliSandbox, prepareCliSandbox, REPO_ROOT, RUNTIME_NODE } from "./cli-env.js";
import { type RunOptions, type RunResult, runInSandbox } from "./run-cli.js";
import { type ProviderStub, startProviderStub } from "./stub/index.js";

const DIST = join(REPO_ROOT, "dist");
export const RUN_TIMEOUT_MS = 60_000;
export const NOTE = "hello from note.txt\n";

/**
 * Fails early when dist/cli.cjs is missing, and warns when a source file is newer than it (the tests would run
 * the old build; `npm run test:e2e` builds first, a bare `vitest --config vitest.e2e.config.ts` does not).
 */
function checkBuild(): void {
  const cli = join(DIST, LAUNCHER);
  if (!existsSync(cli))
    throw new Error(`${cli} is missing: run \`npm run build\` (\`npm run test:e2e\` builds it first)`);
  const built = statSync(cli).mtimeMs;
  const src = join(REPO_ROOT, "src");
  const newer = readdirSync(src, { recursive: true, encoding: "utf8" }).find((file) => {
    const stat = statSync(join(src, file), { throwIfNoEntry: false });
    return stat?.isFile() && stat.mtimeMs > built + 1000;
  });
  if (newer) console.warn(`warning: dist/cli.cjs is older than src/${newer}: these tests run the older build`);
}

/** Copies the binary (self-contained) to a temp dir; returns its launcher's path and a cleanup. */
export function snapshotClinvk(): { cli: string; cleanup(): void } {
  checkBuild();
  const dir = mkdtempSync(join(tmpdir(), "clinvk-e2e-dist-"));
  return { cli: copyBinary(DIST, dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs clinvk (the snapshot at `cli`) in `dir` with the sandbox's env. */
export function runClinvk(
  cli: string,
  sb: CliSandbox,
  dir: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return runInSandbox(sb, RUNTIME_NODE, [cli, ...args], { timeoutMs: RUN_TIMEOUT_MS, cwd: dir, ...options });
}

let runDirs = 0;
/**
 * A new work directory inside the sandbox, holding note.txt. Each test gets its own, because clinvk continues
 * the newest session of the same directory (session.auto_resume).
 */
export function runDir(sb: CliSandbox): string {
  const dir = join(sb.root, "runs", `${process.pid}-${++runDirs}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "note.txt"), NOTE);
  return dir;
}

/** Adds clinvk's output to assertion failures. */
export function describeRun(r: RunResult): string {
  return `exit ${r.code} (signal ${r.signal}, ${r.durationMs} ms${r.timedOut ? ", TIMED OUT" : ""})\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

/** `clinvk serve` (the snapshot at `cli`) on a free port with the sandbox's env (plus `env`); resolves once it says where it listens. */
export async function startServe(
  cli: string,
  sb: CliSandbox,
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<{ server: ChildProcess; base: string }> {
  const server = spawn(RUNTIME_NODE, [cli, "serve", "--port", "0", ...args], {
    cwd: sb.workDir,
    env: { ...sb.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let err = "";
    server.stderr?.on("data", (chunk) => {
      err += chunk;
      const match = /serving on (http:\/\/\S+)/.exec(err);
      if (match) resolve(match[1] as string);
    });
    server.on("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { server, base };
}

export interface RealCliSuite {
  /** The snapshot of clinvk the file runs. */
  bin: { cli: string; cleanup(): void };
  stub: ProviderStub;
  /** One sandbox with the three CLIs, for the whole file. */
  sb: CliSandbox;
}

/**
 * Registers the hooks of a test file that runs clinvk on the real CLIs: a clinvk snapshot, the provider stub and
 * one sandbox for all three CLIs before the tests (filled into the returned object), a stub reset before each.
 */
export function realCliSuite(): RealCliSuite {
  const suite = {} as RealCliSuite;
  beforeAll(async () => {
    suite.bin = snapshotClinvk();
    suite.stub = await startProviderStub();
    suite.sb = prepareCliSandbox("all", suite.stub.url);
  });
  afterAll(async () => {
    suite.sb?.cleanup();
    await suite.stub?.close();
    suite.bin?.cleanup();
  });
  beforeEach(() => suite.stub.reset());
  return suite;
}
