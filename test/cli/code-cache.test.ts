import { mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { CACHED_COMMANDS, codeCacheFile, runWithCodeCache } from "../../src/cli/code-cache.js";
import { buildProgram } from "../../src/cli/program.js";
import { FAKE_CLI_DIR } from "../helpers.js";
import { runCli } from "./run-cli.js";

const scratch = () => mkdtempSync(join(tmpdir(), "clinvk-code-cache-"));

/** A bundle that counts its runs on globalThis, with enough functions for V8 to have code worth caching. */
function writeBundle(dir: string, marker: string): string {
  const bundle = join(dir, "bundle.cjs");
  const helpers = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i}; }`).join("\n");
  writeFileSync(
    bundle,
    `${helpers}\nglobalThis.${marker} = (globalThis.${marker} ?? 0) + f3(1); module.exports.ran = __filename;\n`,
  );
  return bundle;
}

const counter = (marker: string) => (globalThis as Record<string, unknown>)[marker];

describe("codeCacheFile", () => {
  it("is per build and command, in $CLINVK_HOME/cache/code", () => {
    const env = { CLINVK_HOME: "/tmp/some-home" };
    expect(codeCacheFile("b1", ["node", "cli.cjs", "-b", "codex", "hi"], env)).toBe(
      "/tmp/some-home/cache/code/b1-prompt.bin",
    );
    expect(codeCacheFile("b1", ["node", "cli.cjs", "-o", "json", "doctor"], env)).toBe(
      "/tmp/some-home/cache/code/b1-doctor.bin",
    );
    expect(codeCacheFile("b1", ["node", "cli.cjs", "--config", "c.yaml", "serve"], env)).toBe(
      "/tmp/some-home/cache/code/b1-serve.bin",
    );
    expect(codeCacheFile("b1", ["node", "cli.cjs", "__supervise-runs", "/x", "1"], env)).toBe(
      "/tmp/some-home/cache/code/b1-superviseruns.bin",
    );
  });

  it("knows every command of the command tree", () => {
    const names = buildProgram().commands.map((command) => command.name());
    expect([...CACHED_COMMANDS].sort()).toEqual([...names, "__supervise-runs"].sort());
  });

  it("is none without a build id (the sources run unbundled) or with NODE_DISABLE_COMPILE_CACHE=1", () => {
    expect(codeCacheFile(undefined, ["node", "cli.cjs", "hi"], { CLINVK_HOME: "/tmp/h" })).toBeUndefined();
    const env = { CLINVK_HOME: "/tmp/h", NODE_DISABLE_COMPILE_CACHE: "1" };
    expect(codeCacheFile("b1", ["node", "cli.cjs", "hi"], env)).toBeUndefined();
  });
});

describe("runWithCodeCache", () => {
  it("runs the bundle, writes the cache once it has run, and takes it on the next start", async () => {
    const dir = scratch();
    const bundle = writeBundle(dir, "__codeCacheA");
    const cache = join(dir, "cache", "code", "b1-cli.bin");
    expect(runWithCodeCache(bundle, cache, 0)).toBe("missing");
    expect(counter("__codeCacheA")).toBe(6);
    await sleep(50);
    expect(statSync(cache).size).toBeGreaterThan(0);
    expect(statSync(cache).mode & 0o777).toBe(0o600);
    expect(runWithCodeCache(bundle, cache, 0)).toBe("accepted");
    expect(counter("__codeCacheA")).toBe(12);
  });

  it("writes a cache V8 rejects anew, whole", async () => {
    const dir = scratch();
    const bundle = writeBundle(dir, "__codeCacheB");
    const cache = join(dir, "b1-cli.bin");
    writeFileSync(cache, Buffer.from("not a code cache at all"));
    expect(runWithCodeCache(bundle, cache, 0)).toBe("rejected");
    await sleep(50);
    expect(readFileSync(cache).toString()).not.toContain("not a code cache");
    expect(runWithCodeCache(bundle, cache, 0)).toBe("accepted");
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("keeps the caches of the three builds written last", async () => {
    const dir = scratch();
    const bundle = writeBundle(dir, "__codeCacheC");
    const caches = join(dir, "code");
    runWithCodeCache(bundle, join(caches, "b0-prompt.bin"), 0);
    await sleep(50);
    for (let i = 1; i <= 4; i++) {
      for (const command of ["prompt", "doctor"]) {
        const file = join(caches, `b${i}-${command}.bin`);
        writeFileSync(file, "x");
        utimesSync(file, new Date(Date.now() - i * 60_000), new Date(Date.now() - i * 60_000));
      }
    }
    runWithCodeCache(bundle, join(caches, "b5-prompt.bin"), 0);
    await sleep(50);
    const left = readdirSync(caches).sort();
    expect(left).toEqual(["b0-prompt.bin", "b1-doctor.bin", "b1-prompt.bin", "b5-prompt.bin"]);
  });

  it("runs without a cache when there is none to keep", () => {
    const dir = scratch();
    expect(runWithCodeCache(writeBundle(dir, "__codeCacheD"), undefined, 0)).toBe("off");
    expect(counter("__codeCacheD")).toBe(6);
    expect(readdirSync(dir)).toEqual(["bundle.cjs"]);
  });
});

describe("the built clinvk and its code cache", () => {
  it("writes one on the first run and answers the same from it", async () => {
    const home = scratch();
    const env = {
      CLINVK_HOME: home,
      PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`,
      FAKE_CLI_MODE: "echo",
    };
    const first = await runCli(["-b", "claude", "-o", "text", "--ephemeral", "hi"], { env });
    const caches = readdirSync(join(home, "cache", "code"));
    expect(caches).toHaveLength(1);
    expect(caches[0]).toMatch(/^[0-9a-f-]{36}-prompt\.bin$/);
    const written = statSync(join(home, "cache", "code", caches[0] as string)).mtimeMs;
    const second = await runCli(["-b", "claude", "-o", "text", "--ephemeral", "hi"], { env });
    expect([first.code, first.stdout]).toEqual([0, "echo: hi\n"]);
    expect([second.code, second.stdout]).toEqual([0, "echo: hi\n"]);
    // Taken, not written again.
    expect(statSync(join(home, "cache", "code", caches[0] as string)).mtimeMs).toBe(written);
  });
});
