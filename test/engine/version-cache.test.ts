import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BackendRegistry } from "../../src/engine/registry.js";
import { fileVersionCache } from "../../src/engine/version-cache.js";

/** A `claude` that says its version and counts how often it was asked. */
function fakeClaude(dir: string, version: string): string {
  const path = join(dir, "claude");
  writeFileSync(path, `#!/bin/sh\necho x >> "${join(dir, "probes")}"\necho "${version} (Claude Code)"\n`);
  chmodSync(path, 0o755);
  return path;
}

const probes = (dir: string) => readFileSync(join(dir, "probes"), "utf8").split("\n").filter(Boolean).length;

describe("the version cache", () => {
  it("spares a later process the --version probe, until the executable changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clinvk-versions-"));
    const cache = join(dir, "cache", "versions.json");
    const binary = fakeClaude(dir, "2.0.1");
    const registry = () =>
      new BackendRegistry({ binaries: { claude: binary }, versionCache: fileVersionCache(cache), fallbackDirs: [] });

    expect((await registry().status("claude")).version).toBe("2.0.1");
    expect((await registry().status("claude")).version).toBe("2.0.1"); // a new registry: a new process
    expect(probes(dir)).toBe(1);

    fakeClaude(dir, "2.0.22"); // an upgrade rewrites the file: another size
    expect((await registry().status("claude")).version).toBe("2.0.22");
    expect(probes(dir)).toBe(2);
  });

  it("keeps no failed probe, and survives a torn file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clinvk-versions-"));
    const cache = join(dir, "versions.json");
    const binary = join(dir, "claude");
    writeFileSync(binary, `#!/bin/sh\necho x >> "${join(dir, "probes")}"\necho "no version here"\n`);
    chmodSync(binary, 0o755);
    const status = () =>
      new BackendRegistry({ binaries: { claude: binary }, versionCache: fileVersionCache(cache) }).status("claude");
    expect((await status()).version).toBeUndefined();
    expect((await status()).version).toBeUndefined();
    expect(probes(dir)).toBe(2);
    writeFileSync(cache, "{not json");
    expect((await status()).problem).toBe("could not read its version");
  });
});
