import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { setConfigValue, starterConfig } from "../../src/config/edit.js";
import { defaults } from "../../src/config/keys.js";
import { loadConfig, parseConfigText } from "../../src/config/load.js";

const location = (content?: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "clinvk-edit-")), "config.yaml");
  if (content !== undefined) writeFileSync(path, content);
  return { path, explicit: true };
};

describe("config set", () => {
  it("keeps the file's comments and other keys", () => {
    const loc = location("# my settings\nserver:\n  # the port we use\n  port: 8080 # inline\n  host: 127.0.0.1\n");
    expect(setConfigValue(loc, "server.port", "9000")).toBe(9000);
    const text = readFileSync(loc.path, "utf8");
    expect(text).toContain("# my settings");
    expect(text).toContain("# the port we use");
    expect(text).toContain("port: 9000");
    expect(text).toContain("host: 127.0.0.1");
    expect(loadConfig({ configFile: loc.path, env: {} }).config.server.port).toBe(9000);
  });

  it("writes typed values: booleans, lists, maps", () => {
    const loc = location();
    setConfigValue(loc, "server.rate_limit_enabled", "yes");
    setConfigValue(loc, "session.default_tags", "a, b");
    setConfigValue(loc, "backends.claude.env", '{"X":"1"}');
    const { config } = loadConfig({ configFile: loc.path, env: {} });
    expect(config.server.rate_limit_enabled).toBe(true);
    expect(config.session.default_tags).toEqual(["a", "b"]);
    expect(config.backends.claude.env).toEqual({ X: "1" });
    expect(statSync(loc.path).mode & 0o777).toBe(0o600);
  });

  it.each([
    ["server.prot", "1", /unknown config key "server.prot"/],
    ["server.port", "abc", /not valid/],
    ["server.port", "70000", /not allowed/],
    ["default_backend", "gpt", /expected one of/],
    ["server", "1", /unknown config key/],
  ])("refuses %s = %s", (key, value, message) => {
    const loc = location("server:\n  port: 1\n");
    expect(() => setConfigValue(loc, key, value)).toThrow(message);
    expect(readFileSync(loc.path, "utf8")).toBe("server:\n  port: 1\n");
  });
});

describe("config init", () => {
  it("the starter file loads as the defaults", () => {
    const loc = location(starterConfig());
    expect(loadConfig({ configFile: loc.path, env: {} }).config).toEqual(defaults());
  });

  it("uncommented, the starter file is a complete valid config equal to the defaults", () => {
    const uncommented = starterConfig()
      .split("\n")
      .filter((line) => !/^#\s*#/.test(line) && /^# \s*\S+:/.test(line))
      .map((line) => line.slice(2))
      .join("\n");
    const parsed = parseConfigText(uncommented, "starter");
    expect(parsed.unknown).toEqual([]);
    expect(parsed.data).toEqual(defaults());
  });
});
