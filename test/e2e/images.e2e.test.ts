// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is read loosely.
// `clinvk --image FILE` on the REAL claude, codex and gemini: the image's bytes reach the provider stub.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_NAMES, type CliName } from "./cli-env.js";
import { describeRun, realCliSuite, runClinvk, runDir } from "./clinvk-bin.js";
import type { Provider } from "./stub/index.js";

const PROVIDER: Record<CliName, Provider> = { claude: "anthropic", codex: "openai", gemini: "gemini" };
const e2e = realCliSuite();

// A 1x1 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

describe.each(CLI_NAMES)("images on %s", (cli) => {
  it("clinvk --image FILE: the image's bytes reach the provider", async () => {
    const dir = runDir(e2e.sb);
    const file = join(dir, "dot.png");
    writeFileSync(file, PNG);
    e2e.stub.script({ text: "A single dot." });
    const run = await runClinvk(e2e.bin.cli, e2e.sb, dir, ["-b", cli, "-o", "json", "--image", file, "What is this?"]);
    expect(run.code, describeRun(run)).toBe(0);
    expect(JSON.parse(run.stdout).content).toContain("A single dot.");
    const sent = JSON.stringify(e2e.stub.mainRequests(PROVIDER[cli]).map((request) => request.body));
    // Base64 of the PNG's bytes (a provider may re-encode the header, so its body part is what is looked for).
    expect(sent).toContain(PNG.toString("base64").slice(20, 60));
    expect(sent).toContain("What is this?");
  });
});
