import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAKE_CLI_DIR } from "../helpers.js";
import { replay } from "../server/compat-helpers.js";
import { runCli } from "./run-cli.js";

const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
const claudeSays = (text: string) => ({
  ...process.env,
  PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`,
  ...replay([
    { type: "system", subtype: "init", session_id: "s", model: "m" },
    { type: "result", subtype: "success", is_error: false, result: text, session_id: "s", usage: {} },
  ]),
});

describe("clinvk --json-schema", () => {
  it("a schema file: the answer is the checked JSON, in -o text and -o json", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "clinvk-schema-")), "schema.json");
    writeFileSync(file, JSON.stringify(schema));
    const env = claudeSays('```json\n{"n": 7}\n```');
    const text = await runCli(["-b", "claude", "-o", "text", "--json-schema", file, "count"], { env });
    expect(text).toMatchObject({ code: 0, stdout: '{"n":7}\n' });
    const json = await runCli(["-b", "claude", "-o", "json", "--json-schema", JSON.stringify(schema), "count"], {
      env,
    });
    expect(JSON.parse(json.stdout).content).toBe('{"n":7}');
  });

  it("an answer that never matches fails with bad_output; a bad schema is a usage error", async () => {
    const failed = await runCli(["-b", "claude", "-o", "json", "--json-schema", JSON.stringify(schema), "count"], {
      env: claudeSays("seven"),
    });
    expect(failed.code).not.toBe(0);
    expect(JSON.parse(failed.stdout)).toMatchObject({ error_code: "bad_output" });
    const bad = await runCli(["-b", "claude", "--json-schema", "{not json", "count"], { env: claudeSays("x") });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("--json-schema is not valid JSON");
    const missing = await runCli(["-b", "claude", "--json-schema", "/no/such/schema.json", "count"], {
      env: claudeSays("x"),
    });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("cannot read --json-schema file");
  });
});
