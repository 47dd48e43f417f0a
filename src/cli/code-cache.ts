/**
 * Runs the bundled CLI through V8's code cache: a start deserializes the bytecode an earlier start
 * compiled instead of parsing and compiling the bundle again (Node 20 has no compile cache of its
 * own; Node 22's does not reach code run this way). The cache lives in `$CLINVK_HOME/cache/code` (the
 * user's own directory, not a shared temporary one: what is in it is run), one file per build and
 * command. Per build, because V8 checks a cache against the source's length only: a cache must
 * never meet another build's code. Per command, because V8 keeps the code a start has compiled: a
 * cache written by `doctor` holds little of what a prompt runs, and one written by `serve` holds a
 * server a prompt would read for nothing. NODE_DISABLE_COMPILE_CACHE=1 (Node's own switch) turns
 * it off. Why and how much: docs/performance.md.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script } from "node:vm";
import { clinvkHome } from "../config/paths.js";

/** What became of the cache on this start. */
export type CodeCacheUse = "accepted" | "rejected" | "missing" | "off";

/** A start has compiled its command's code by then, or it has exited: the moment the cache is written. */
const WRITE_AFTER_MS = 2000;

/** Other builds' caches stay (two installs may share one $CLINVK_HOME), the newest few of them. */
const KEEP_BUILDS = 3;

/** The commands of cli/program.ts (a test keeps them equal) and the supervisor's start, each a cache of its own. */
export const CACHED_COMMANDS = new Set([
  "resume",
  "sessions",
  "parallel",
  "chain",
  "compare",
  "serve",
  "mcp",
  "completion",
  "__complete",
  "help",
  "version",
  "doctor",
  "config",
  "__supervise-runs",
]);

/** The cache file of this build and start, or undefined when there is none to keep. */
export function codeCacheFile(
  buildId: string | undefined,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (buildId === undefined || env.NODE_DISABLE_COMPILE_CACHE === "1") return undefined;
  // A prompt is the command when no other is named; a word of a prompt taken for one only costs speed.
  const command = argv.slice(2).find((word) => CACHED_COMMANDS.has(word)) ?? "prompt";
  return join(clinvkHome(env), "cache", "code", `${buildId}-${command.replace(/[^a-z]/g, "")}.bin`);
}

/**
 * Runs `bundle` (a CommonJS file of ASCII text, as scripts/build.mjs makes it) as Node would run it as
 * a module, its code from `cacheFile` when that holds this bundle's. A cache that is missing or that
 * V8 rejects is written anew, whole or not at all; a cache that cannot be read or written only costs
 * speed.
 */
export function runWithCodeCache(
  bundle: string,
  cacheFile: string | undefined,
  writeAfterMs = WRITE_AFTER_MS,
): CodeCacheUse {
  // latin1 makes a one-byte string without decoding: the build checks that the bundle is ASCII.
  const source = readFileSync(bundle, "latin1");
  const cachedData = cacheFile === undefined ? undefined : readIfPresent(cacheFile);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  const use: CodeCacheUse =
    cacheFile === undefined
      ? "off"
      : cachedData === undefined
        ? "missing"
        : script.cachedDataRejected
          ? "rejected"
          : "accepted";
  if (cacheFile !== undefined && use !== "accepted") writeLater(script, cacheFile, writeAfterMs);
  const module = { exports: {} };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return use;
}

function readIfPresent(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Other builds' caches stay (two installs may share one $CLINVK_HOME, and neither should undo the
 * other's), but only those of the builds written last: every rebuild leaves its caches behind.
 */
function forgetOldCaches(directory: string): void {
  const lastWritten = new Map<string, number>();
  const files = readdirSync(directory).map((name) => {
    const build = name.slice(0, name.lastIndexOf("-")); // <build>-<command>.bin[.<pid>.tmp]
    const written = statSync(join(directory, name)).mtimeMs;
    lastWritten.set(build, Math.max(lastWritten.get(build) ?? 0, written));
    return { path: join(directory, name), build };
  });
  const kept = new Set(
    [...lastWritten]
      .sort((a, b) => b[1] - a[1])
      .slice(0, KEEP_BUILDS)
      .map(([build]) => build),
  );
  for (const { path, build } of files) if (!kept.has(build)) rmSync(path, { force: true });
}

/** After the start (the bytecode of what it ran is in the cache then), or at exit if that comes first. */
function writeLater(script: Script, cacheFile: string, afterMs: number): void {
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    process.removeListener("exit", write);
    writeCache(script.createCachedData(), cacheFile);
  };
  setTimeout(write, afterMs).unref();
  process.once("exit", write);
}

function writeCache(data: Buffer, cacheFile: string): void {
  const directory = dirname(cacheFile);
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    writeFileSync(temporary, data, { mode: 0o600 });
    renameSync(temporary, cacheFile); // whole or not at all, whoever writes at the same time
    forgetOldCaches(directory);
  } catch {
    rmSync(temporary, { force: true });
  }
}
