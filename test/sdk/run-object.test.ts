import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClinvkError, Clinvoker } from "../../src/index.js";
import { FAKE_CLI_DIR } from "../helpers.js";
import { replay } from "../server/compat-helpers.js";

const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
const claudeSays = (text: string) =>
  new Clinvoker({
    binaries: { claude: join(FAKE_CLI_DIR, "claude") },
    home: mkdtempSync(join(tmpdir(), "clinvk-sdk-")),
    env: {
      ...process.env,
      ...replay([
        { type: "system", subtype: "init", session_id: "s", model: "m" },
        { type: "result", subtype: "success", is_error: false, result: text, session_id: "s", usage: {} },
      ]),
    },
  });

describe("the SDK's outputSchema", () => {
  it("runObject resolves to the parsed, checked value", async () => {
    const { object, result } = await claudeSays('{"n": 7}').runObject<{ n: number }>({
      backend: "claude",
      prompt: "count",
      outputSchema: schema,
    });
    expect(object.n).toBe(7);
    expect(result.text).toBe('{"n":7}');
  });

  it("an answer that never matches rejects with bad_output; an invalid schema before anything runs", async () => {
    const client = claudeSays("seven");
    const error = await client
      .runObject({ backend: "claude", prompt: "count", outputSchema: schema })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClinvkError);
    expect(error).toMatchObject({ code: "bad_output" });
    const invalid = await client
      .runObject({ backend: "claude", prompt: "count", outputSchema: { type: 3 } })
      .catch((caught: unknown) => caught);
    expect(invalid).toMatchObject({ code: "invalid_request" });
  });
});
