// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is read loosely.
// `clinvk --image FILE` and an image_url data URL through `clinvk serve`, on the REAL claude, codex and
// gemini: the image's bytes reach the provider stub.
import type { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_NAMES, type CliName } from "./cli-env.js";
import { describeRun, realCliSuite, runClinvk, runDir, startServe } from "./clinvk-bin.js";
import type { Provider } from "./stub/index.js";

const PROVIDER: Record<CliName, Provider> = { claude: "anthropic", codex: "openai", gemini: "gemini" };
const e2e = realCliSuite();

// A 1x1 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

let base = "";
let server: ReturnType<typeof spawn> | undefined;
beforeAll(async () => {
  ({ server, base } = await startServe(e2e.bin.cli, e2e.sb));
});
afterAll(() => {
  server?.kill("SIGTERM");
});

describe.each(CLI_NAMES)("images on %s", (cli) => {
  it("an image_url data URL through the OpenAI SDK: the bytes reach the provider", async () => {
    const { default: OpenAI } = await import("openai");
    const client = new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local", maxRetries: 0 });
    e2e.stub.script({ text: "A dot, over HTTP." });
    const completion = await client.chat.completions.create({
      model: cli,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Describe the image." },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` } },
          ],
        },
      ],
    });
    expect(completion.choices[0]?.message.content).toContain("A dot, over HTTP.");
    const sent = JSON.stringify(e2e.stub.mainRequests(PROVIDER[cli]).map((request) => request.body));
    expect(sent).toContain(PNG.toString("base64").slice(20, 60));
  });

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
