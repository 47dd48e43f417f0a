import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GENERATED } from "../../scripts/docs/reference.js";
import { ROOT } from "../helpers.js";

describe("generated reference pages are up to date (run `npm run docs`)", () => {
  it.each(Object.keys(GENERATED))("%s", async (file) => {
    expect(readFileSync(join(ROOT, file), "utf8")).toBe(await GENERATED[file]?.());
  });
});
