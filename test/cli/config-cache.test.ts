import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigCached } from "../../src/cli/config-cache.js";
import { mapEnvironment } from "../../src/config/env.js";
import { loadConfig } from "../../src/config/load.js";
import { SECRET_KEYS, SECRET_VARIABLES } from "../../src/config/secrets.js";

function home(config?: string) {
  const dir = mkdtempSync(join(tmpdir(), "clinvk-config-cache-"));
  if (config !== undefined) writeFileSync(join(dir, "config.yaml"), config);
  return { dir, env: { CLINVK_HOME: dir }, cache: join(dir, "cache", "config.json") };
}

/** Rewrites the cached configuration in place (same key), so that a hit can be told from a load. */
function tamperCache(cache: string, port: number) {
  const file = JSON.parse(readFileSync(cache, "utf8"));
  file.loaded.config.server.port = port;
  writeFileSync(cache, JSON.stringify(file));
}

describe("the CLI's configuration cache", () => {
  it("answers a second start from the cache, with what loadConfig gives", async () => {
    const h = home("server:\n  port: 9001\n");
    const first = await loadConfigCached({ env: h.env, buildId: "b1" });
    expect(first.config.server.port).toBe(9001);
    expect(existsSync(h.cache)).toBe(true);
    const second = await loadConfigCached({ env: h.env, buildId: "b1" });
    const direct = loadConfig({ env: h.env });
    expect(second).toEqual(direct);
    expect(second.sources.get("server.port")).toEqual({ kind: "file", file: join(h.dir, "config.yaml"), line: 2 });
    tamperCache(h.cache, 9999);
    expect((await loadConfigCached({ env: h.env, buildId: "b1" })).config.server.port).toBe(9999); // a hit
  });

  it("loads anew when the file, a CLINVK_ variable or the build changes", async () => {
    const h = home("server:\n  port: 9001\n");
    await loadConfigCached({ env: h.env, buildId: "b1" });
    tamperCache(h.cache, 9999);
    expect((await loadConfigCached({ env: h.env, buildId: "b2" })).config.server.port).toBe(9001);
    tamperCache(h.cache, 9999);
    const env = { ...h.env, CLINVK_SERVER_PORT: "9002" };
    expect((await loadConfigCached({ env, buildId: "b2" })).config.server.port).toBe(9002);
    expect((await loadConfigCached({ env, buildId: "b2" })).config.server.port).toBe(9002);
    expect(JSON.parse(readFileSync(h.cache, "utf8")).loaded.config.server.port).toBe(9999); // not written
    writeFileSync(join(h.dir, "config.yaml"), "server:\n  port: 9003\n");
    expect((await loadConfigCached({ env: h.env, buildId: "b2" })).config.server.port).toBe(9003);
  });

  it("still refuses an invalid configuration every time, and caches nothing of it", async () => {
    const h = home("server:\n  port: seventy\n");
    for (let i = 0; i < 2; i++) {
      await expect(loadConfigCached({ env: h.env, buildId: "b1" })).rejects.toMatchObject({ code: "invalid_config" });
    }
    expect(existsSync(h.cache)).toBe(false);
  });

  it("never writes what came from the environment, nor API keys", async () => {
    const h0 = home();
    const fromEnv = { ...h0.env, CLINVK_BACKENDS_CLAUDE_ENV: '{"ANTHROPIC_API_KEY":"sk-from-env"}' };
    const loaded = await loadConfigCached({ env: fromEnv, buildId: "b1" });
    expect(loaded.config.backends.claude.env).toEqual({ ANTHROPIC_API_KEY: "sk-from-env" });
    expect(existsSync(h0.cache)).toBe(false);
    const h = home("server:\n  api_keys: [secret-key-1]\n");
    expect((await loadConfigCached({ env: h.env, buildId: "b1" })).config.server.api_keys).toEqual(["secret-key-1"]);
    expect(existsSync(h.cache)).toBe(false);
    const env = { CLINVK_HOME: home().dir, CLINVK_API_KEYS: "secret-key-2" };
    await loadConfigCached({ env, buildId: "b1" });
    expect(existsSync(join(env.CLINVK_HOME, "cache", "config.json"))).toBe(false);
  });

  it("caches nothing without a build id (tests, the library)", async () => {
    const h = home("server:\n  port: 9001\n");
    await loadConfigCached({ env: h.env });
    expect(existsSync(h.cache)).toBe(false);
  });

  it("ignores a torn cache file", async () => {
    const h = home("server:\n  port: 9001\n");
    await loadConfigCached({ env: h.env, buildId: "b1" });
    writeFileSync(h.cache, '{"format":1,"key":');
    expect((await loadConfigCached({ env: h.env, buildId: "b1" })).config.server.port).toBe(9001);
  });
});

describe("the secret variables", () => {
  it("are exactly the variables that set a secret key", () => {
    for (const variable of SECRET_VARIABLES) {
      const { overrides } = mapEnvironment({ [variable]: "x" });
      expect(SECRET_KEYS).toContain(overrides[0]?.path.join("."));
    }
    for (const key of SECRET_KEYS) {
      expect(SECRET_VARIABLES).toContain(`CLINVK_${key.replace(/\./g, "_").toUpperCase()}`);
    }
  });
});
