import { describe, expect, it } from "vitest";
import { messagesOutputSchema } from "../../src/server/anthropic/structured-output.js";
import { chatOutputSchema, responsesOutputSchema } from "../../src/server/openai/structured-output.js";

const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false };
const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
};

describe("structured output parameters", () => {
  it("chat response_format: json_schema gives its schema, json_object any object, text none", () => {
    expect(chatOutputSchema({ type: "json_schema", json_schema: { name: "x", schema, strict: true } })).toEqual(schema);
    expect(chatOutputSchema({ type: "json_object" })).toEqual({ type: "object" });
    expect(chatOutputSchema({ type: "text" })).toBeUndefined();
    expect(chatOutputSchema(undefined)).toBeUndefined();
    expect(thrown(() => chatOutputSchema({ type: "json_schema", json_schema: {} }))).toMatchObject({
      param: "response_format.schema",
      code: "invalid_value",
    });
    expect(thrown(() => chatOutputSchema({ type: "grammar" }))).toMatchObject({ param: "response_format.type" });
  });

  it("Responses text.format and Anthropic output_config.format; an invalid schema is a 400 naming it", () => {
    expect(responsesOutputSchema({ type: "json_schema", name: "x", schema })).toEqual(schema);
    expect(messagesOutputSchema({ format: { type: "json_schema", schema } })).toEqual(schema);
    expect(messagesOutputSchema({})).toBeUndefined();
    const bad = thrown(() => responsesOutputSchema({ type: "json_schema", name: "x", schema: { type: "no-such" } }));
    expect(bad).toMatchObject({ param: "text.format.schema", code: "invalid_value" });
    expect(String((bad as Error).message)).toContain("not a valid JSON Schema");
  });
});
