import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EVENT_SCHEMA_FILE, eventSchemaJson } from "../../scripts/write-event-schema.js";
import { ROOT } from "../helpers.js";

describe("published event schema", () => {
  it("schema/run-event.schema.json is generated from the TypeBox definitions (run `npm run schema`)", () => {
    expect(readFileSync(join(ROOT, EVENT_SCHEMA_FILE), "utf8")).toBe(eventSchemaJson());
  });

  it("names every event type", () => {
    const schema = JSON.parse(eventSchemaJson());
    const types = schema.anyOf.map(
      (variant: { properties: { type: { const: string } } }) => variant.properties.type.const,
    );
    expect(types).toEqual([
      "queued",
      "start",
      "init",
      "text",
      "thinking",
      "tool_call",
      "tool_result",
      "usage",
      "notice",
      "permission",
      "error",
      "raw",
      "result",
    ]);
  });
});
