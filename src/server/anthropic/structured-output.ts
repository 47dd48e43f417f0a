/**
 * Structured output on the Anthropic surface: `output_config.format` (`{type: "json_schema",
 * schema}`) as the run's output schema; the answer's text block is the checked JSON.
 */
import { compileSchema, type JsonSchema } from "../../engine/structured-output.js";
import { invalidValue, unsupported } from "../compat/errors.js";

export function messagesOutputSchema(outputConfig: unknown): JsonSchema | undefined {
  const format = (outputConfig as { format?: Record<string, unknown> | null } | undefined)?.format;
  if (format == null) return undefined;
  if (format.type !== "json_schema") {
    throw unsupported(
      "output_config.format.type",
      `output_config.format.type ${String(format.type)} is not supported: use json_schema`,
    );
  }
  const schema = format.schema;
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw invalidValue("output_config.format.schema", "a json_schema format needs its schema (a JSON Schema object)");
  }
  try {
    compileSchema(schema);
  } catch (error) {
    throw invalidValue("output_config.format.schema", (error as Error).message);
  }
  return schema as JsonSchema;
}
