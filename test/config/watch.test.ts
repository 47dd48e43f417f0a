import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type LoadedConfig, loadConfig } from "../../src/config/load.js";
import { type ConfigWatcher, watchConfig } from "../../src/config/watch.js";

let watcher: ConfigWatcher | undefined;
afterEach(() => watcher?.close());

const waitFor = async (check: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  return check();
};

describe("watchConfig", () => {
  it("hands over each saved change, keeps the last good config through a broken save", async () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-watch-"));
    const file = join(home, "config.yaml");
    writeFileSync(file, "server:\n  rate_limit_rps: 10\n");
    const env = { CLINVK_HOME: home };
    const changes: LoadedConfig[] = [];
    const errors: unknown[] = [];
    watcher = watchConfig(loadConfig({ env }), {
      env,
      debounceMs: 50,
      onChange: (loaded) => changes.push(loaded),
      onError: (error) => errors.push(error),
    });

    writeFileSync(file, "server:\n  rate_limit_rps: 25\n");
    expect(await waitFor(() => changes.length === 1)).toBe(true);
    expect(changes[0]?.config.server.rate_limit_rps).toBe(25);

    writeFileSync(file, "server:\n  rate_limit_rps: lots\n");
    expect(await waitFor(() => errors.length > 0)).toBe(true);
    expect((errors[0] as Error).message).toContain("server.rate_limit_rps");
    expect(changes).toHaveLength(1);

    // Saved the way editors do: a new file renamed over the old one.
    writeFileSync(`${file}.tmp`, "server:\n  rate_limit_rps: 30\n");
    renameSync(`${file}.tmp`, file);
    expect(await waitFor(() => changes.length === 2)).toBe(true);
    expect(changes[1]?.config.server.rate_limit_rps).toBe(30);
  });

  it("ignores saves that change nothing and other files", async () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-watch-"));
    const file = join(home, "config.yaml");
    writeFileSync(file, "server:\n  port: 1\n");
    const env = { CLINVK_HOME: home };
    let calls = 0;
    watcher = watchConfig(loadConfig({ env }), {
      env,
      debounceMs: 50,
      onChange: () => calls++,
      onError: () => calls++,
    });
    writeFileSync(file, "server:\n  port: 1 # same value\n");
    writeFileSync(join(home, "other.yaml"), "x: 1\n");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(calls).toBe(0);
  });
});
