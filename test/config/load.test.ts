import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaults } from "../../src/config/keys.js";
import { loadConfig } from "../../src/config/load.js";

function home(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "clinvk-config-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const load = (env: Record<string, string>, configFile?: string) => loadConfig({ env, configFile });

function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected a failure");
}

describe("config precedence: defaults < file < environment", () => {
  it("uses the built-in defaults when there is no file", () => {
    const loaded = load({ CLINVK_HOME: home() });
    expect(loaded.fileFound).toBe(false);
    expect(loaded.config).toEqual(defaults());
    expect(loaded.config.server.port).toBe(8080);
    expect(loaded.config.session.auto_resume).toBe(true);
    expect(loaded.sources.get("server.port")).toEqual({ kind: "default" });
  });

  it("the file overrides defaults, the environment overrides the file", () => {
    const dir = home({ "config.yaml": "server:\n  port: 9000\n  host: 0.0.0.0\ndefault_backend: codex\n" });
    const loaded = load({ CLINVK_HOME: dir, CLINVK_SERVER_PORT: "9100" });
    expect(loaded.config.server.host).toBe("0.0.0.0");
    expect(loaded.config.server.port).toBe(9100);
    expect(loaded.config.default_backend).toBe("codex");
    expect(loaded.sources.get("server.host")).toEqual({ kind: "file", file: join(dir, "config.yaml"), line: 3 });
    expect(loaded.sources.get("server.port")).toEqual({ kind: "env", variable: "CLINVK_SERVER_PORT" });
  });

  it("maps nested environment names, whose keys contain underscores too", () => {
    const loaded = load({
      CLINVK_HOME: home(),
      CLINVK_SERVER_RATE_LIMIT_ENABLED: "true",
      CLINVK_SERVER_RATE_LIMIT_RPS: "50",
      CLINVK_BACKENDS_CLAUDE_MODEL: "opus",
      CLINVK_BACKENDS_GEMINI_EXTRA_FLAGS: "-e,none",
      CLINVK_BACKENDS_CODEX_ENV: '{"OPENAI_BASE_URL":"http://127.0.0.1:1"}',
      CLINVK_CONCURRENCY_PER_BACKEND_CODEX: "2",
    });
    expect(loaded.config.server.rate_limit_enabled).toBe(true);
    expect(loaded.config.server.rate_limit_rps).toBe(50);
    expect(loaded.config.backends.claude.model).toBe("opus");
    expect(loaded.config.backends.gemini.extra_flags).toEqual(["-e", "none"]);
    expect(loaded.config.backends.codex.env).toEqual({ OPENAI_BASE_URL: "http://127.0.0.1:1" });
    expect(loaded.config.concurrency.per_backend.codex).toBe(2);
  });

  it("keeps the Go clinvoker's variable names working, the nested spelling winning", () => {
    const loaded = load({
      CLINVK_HOME: home(),
      CLINVK_BACKEND: "gemini",
      CLINVK_CODEX_MODEL: "o3",
      CLINVK_API_KEYS: "k1, k2",
    });
    expect(loaded.config.default_backend).toBe("gemini");
    expect(loaded.config.backends.codex.model).toBe("o3");
    expect(loaded.config.server.api_keys).toEqual(["k1", "k2"]);
    const both = load({ CLINVK_HOME: home(), CLINVK_BACKEND: "gemini", CLINVK_DEFAULT_BACKEND: "codex" });
    expect(both.config.default_backend).toBe("codex");
  });

  it("--config and CLINVK_CONFIG select another file; the flag wins", () => {
    const dir = home({ "a.yaml": "server:\n  port: 1001\n", "b.yaml": "server:\n  port: 1002\n" });
    expect(load({ CLINVK_CONFIG: join(dir, "a.yaml") }).config.server.port).toBe(1001);
    expect(load({ CLINVK_CONFIG: join(dir, "a.yaml") }, join(dir, "b.yaml")).config.server.port).toBe(1002);
  });

  it("an empty file or one with only comments is the defaults", () => {
    expect(load({ CLINVK_HOME: home({ "config.yaml": "" }) }).config).toEqual(defaults());
    expect(load({ CLINVK_HOME: home({ "config.yaml": "# nothing\n" }) }).config).toEqual(defaults());
  });
});

describe("config validation names the file, the line, the key and what is allowed", () => {
  it.each([
    [
      "server:\n  port: abc\n",
      /config\.yaml:2: server\.port: "abc" is not allowed; expected a whole number from 0 to 65535/,
    ],
    ["server:\n  port: 70000\n", /config\.yaml:2: server\.port: 70000 is not allowed/],
    [
      "default_backend: gpt\n",
      /config\.yaml:1: default_backend: "gpt" is not allowed; expected one of: claude, codex, gemini/,
    ],
    ["unified_flags:\n  approval_mode: maybe\n", /expected one of: default, auto, none, always/],
    [
      "session:\n  auto_resume: sometimes\n",
      /session\.auto_resume: "sometimes" is not allowed; expected true or false/,
    ],
    ["server:\n  prot: 1\n", /config\.yaml:2: unknown key server\.prot \(did you mean server\.port\?\)/],
    ["colour: true\n", /config\.yaml:1: unknown key colour/],
    ["server: 8080\n", /config\.yaml:1: server must be a section of keys/],
    ["server:\n  port: 1\n  port: 2\n", /config\.yaml:3: not valid YAML/],
    ["server: [unclosed\n", /not valid YAML/],
    ["- a list\n", /must be a mapping/],
    ["backends:\n  claude:\n    env:\n      BAD-NAME: x\n", /backends\.claude\.env/],
    ["parallel:\n  max_workers: 0\n", /parallel\.max_workers: 0 is not allowed; expected a whole number ≥ 1/],
  ])("%j", (content, message) => {
    const error = failure(() => load({ CLINVK_HOME: home({ "config.yaml": content }) }));
    expect(error.code).toBe("invalid_config");
    expect(error.message).toMatch(message);
  });

  it("reports several problems at once", () => {
    const error = failure(() => load({ CLINVK_HOME: home({ "config.yaml": "server:\n  port: x\n  hots: y\n" }) }));
    expect(error.message).toContain("server.port");
    expect(error.message).toContain("server.hots");
  });

  it("a bad environment value names the variable", () => {
    const error = failure(() => load({ CLINVK_HOME: home(), CLINVK_SERVER_PORT: "eighty" }));
    expect(error.message).toContain('CLINVK_SERVER_PORT (server.port): "eighty" is not valid');
  });

  it("an environment value out of range names the variable", () => {
    const error = failure(() => load({ CLINVK_HOME: home(), CLINVK_SERVER_PORT: "99999" }));
    expect(error.message).toContain("env CLINVK_SERVER_PORT: server.port: 99999 is not allowed");
  });

  it("a CLINVK_ variable that names no key is ignored and listed, with a did-you-mean when one is close", () => {
    // CLINVK_BIN is exported by the Go clinvoker's own test suite, CLINVK_KEY by our compatible-APIs guide.
    const loaded = load({
      CLINVK_HOME: home(),
      CLINVK_BIN: "/usr/local/bin/clinvk",
      CLINVK_KEY: "secret",
      CLINVK_SERVR_PORT: "1",
      CLINVK_DEBUG: "1",
      CLINVK_E2E_TMP: "/x",
    });
    expect(loaded.config.server.port).toBe(8080);
    expect(loaded.ignoredEnv).toEqual([
      { variable: "CLINVK_BIN", suggestion: undefined },
      { variable: "CLINVK_KEY", suggestion: undefined },
      { variable: "CLINVK_SERVR_PORT", suggestion: "CLINVK_SERVER_PORT" },
    ]);
  });

  it("a named file that does not exist is an error, the default one is not", () => {
    expect(failure(() => load({}, "/nonexistent/clinvk.yaml")).message).toMatch(/does not exist/);
    expect(() => load({ CLINVK_HOME: "/nonexistent/home" })).not.toThrow();
  });
});
