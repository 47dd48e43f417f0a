import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { enableCompileCache } from "../../src/cli/compile-cache.js";

describe("enableCompileCache", () => {
  it("puts Node's compile cache in $CLINVK_HOME/cache/node-compile for the bundled CLI", () => {
    const dirs: (string | undefined)[] = [];
    enableCompileCache({ CLINVK_HOME: "/tmp/some-home" }, { enableCompileCache: (dir) => dirs.push(dir) }, "build-1");
    expect(dirs).toEqual([join(resolve("/tmp/some-home"), "cache", "node-compile")]);
  });

  it("does nothing on a Node without it (Node 20) or outside the bundle (no build id)", () => {
    const dirs: (string | undefined)[] = [];
    expect(() => enableCompileCache({ CLINVK_HOME: "/tmp/h" }, {}, "build-1")).not.toThrow();
    enableCompileCache({ CLINVK_HOME: "/tmp/h" }, { enableCompileCache: (dir) => dirs.push(dir) }, undefined);
    expect(dirs).toEqual([]);
  });

  it("a cache that cannot be made is not an error", () => {
    const failing = () => {
      throw new Error("EACCES");
    };
    expect(() => enableCompileCache({ CLINVK_HOME: "/tmp/h" }, { enableCompileCache: failing }, "b")).not.toThrow();
  });
});
