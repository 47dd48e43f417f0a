import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InvocationOptions } from "../../src/backends/backend.js";
import { BACKENDS } from "../../src/backends/index.js";
import { checkImages, MAX_IMAGE_BYTES, MAX_IMAGES } from "../../src/engine/images.js";

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);
const dir = mkdtempSync(join(tmpdir(), "clinvk-images-"));
const png = join(dir, "dot.png");
writeFileSync(png, PNG);
const base: InvocationOptions = {
  prompt: "What is this?",
  approvalMode: "default",
  sandboxMode: "default",
  allowedTools: [],
  allowedDirs: [],
  extraFlags: [],
  ephemeral: false,
  promptVia: "argv",
};

describe("images", () => {
  it("are told by their bytes, bounded in number and size, and read only for an inline backend", () => {
    expect(checkImages(["dot.png"], BACKENDS.codex, dir)).toEqual([{ path: png, mediaType: "image/png" }]);
    expect(checkImages([png], BACKENDS.claude, dir)?.[0]?.base64).toBe(PNG.toString("base64"));
    const text = join(dir, "note.png");
    writeFileSync(text, "not an image");
    expect(() => checkImages([text], BACKENDS.codex, dir)).toThrow(/is not a PNG, JPEG, GIF or WebP image/);
    expect(() => checkImages(["missing.png"], BACKENDS.codex, dir)).toThrow(/is not a readable file/);
    expect(() => checkImages(Array(MAX_IMAGES + 1).fill(png), BACKENDS.codex, dir)).toThrow(/at most 8/);
    const big = join(dir, "big.png");
    writeFileSync(big, Buffer.concat([PNG, Buffer.alloc(MAX_IMAGE_BYTES)]));
    expect(() => checkImages([big], BACKENDS.codex, dir)).toThrow(/over the limit/);
    expect(() => checkImages("dot.png", BACKENDS.codex, dir)).toThrow(/list of file paths/);
  });

  it("reach each CLI its own way: codex --image, gemini @file with its folder, claude stream-json blocks", () => {
    const images = [{ path: png, mediaType: "image/png" as const, base64: PNG.toString("base64") }];
    const codex = BACKENDS.codex.buildInvocation({ ...base, images }).args;
    expect(codex).toContain(`--image=${png}`);
    expect(codex.slice(-2)).toEqual(["--", "What is this?"]);
    const gemini = BACKENDS.gemini.buildInvocation({ ...base, images }).args;
    expect(gemini).toContain(`--include-directories=${dir}`);
    expect(gemini.at(-1)).toBe(`--prompt=What is this?\n\n@${png}`);
    const claude = BACKENDS.claude.buildInvocation({ ...base, images });
    expect(claude.args).toContain("--input-format=stream-json");
    expect(claude.args).not.toContain("What is this?");
    expect(JSON.parse(claude.stdin ?? "")).toEqual({
      type: "user",
      message: {
        role: "user",
        content: [
          { type: "image", source: { type: "base64", media_type: "image/png", data: PNG.toString("base64") } },
          { type: "text", text: "What is this?" },
        ],
      },
    });
  });
});
