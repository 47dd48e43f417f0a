import { describe, expect, it } from "vitest";
import { overheadKey, PromptOverheads } from "../../src/server/compat/prompt-overhead.js";

describe("PromptOverheads", () => {
  it("keeps the smallest overhead measured per key; nothing from a count at or under the estimate", () => {
    const overheads = new PromptOverheads();
    expect(overheads.get("claude@1/")).toBeUndefined();
    overheads.record("claude@1/", 30_000, 17);
    expect(overheads.get("claude@1/")).toBe(29_983);
    // An agent that ran its own tools reports several model calls: not the fixed overhead.
    overheads.record("claude@1/", 90_000, 17);
    expect(overheads.get("claude@1/")).toBe(29_983);
    overheads.record("claude@1/", 29_017, 17);
    expect(overheads.get("claude@1/")).toBe(29_000);
    overheads.record("codex@2/", 10, 17);
    overheads.record("codex@2/", Number.NaN, 17);
    expect(overheads.get("codex@2/")).toBeUndefined();
  });

  it("is bounded: the oldest key goes first", () => {
    const overheads = new PromptOverheads();
    for (let i = 0; i < 300; i++) overheads.record(`k${i}`, 100, 1);
    expect(overheads.get("k0")).toBeUndefined();
    expect(overheads.get("k299")).toBe(99);
  });

  it("keys name the backend, its CLI's version and the model", async () => {
    const registry = { status: async () => ({ version: "2.1.0" }) } as never;
    expect(await overheadKey(registry, "claude", "opus")).toBe("claude@2.1.0/opus");
    const broken = { status: async () => Promise.reject(new Error("no")) } as never;
    expect(await overheadKey(broken, "gemini", undefined)).toBe("gemini@?/");
  });
});
