/**
 * Structured output on the OpenAI surface: chat completions' `response_format` (`json_schema`,
 * `json_object`) and the Responses API's `text.format`, as the run's output schema. The engine asks
 * the CLI for JSON, checks it and repairs it once (engine/structured-output.ts); the answer is the
 * JSON text, which `chat.completions.parse` and `responses.parse` read.
 */
import { compileSchema, type JsonSchema } from "../../engine/structured-output.js";
import { invalidValue, unsupported } from "../compat/errors.js";

/** JSON mode promises a JSON object, nothing more. */
const ANY_OBJECT: JsonSchema = { type: "object" };

function schemaOf(param: string, format: Record<string, unknown>, schema: unknown): JsonSchema | undefined {
  switch (format.type) {
    case undefined:
    case "text":
      return undefined;
    case "json_object":
      return ANY_OBJECT;
    case "json_schema": {
      if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
        throw invalidValue(`${param}.schema`, "a json_schema format needs its schema (a JSON Schema object)");
      }
      try {
        compileSchema(schema);
      } catch (error) {
        throw invalidValue(`${param}.schema`, (error as Error).message);
      }
      return schema as JsonSchema;
    }
    default:
      throw unsupported(
        `${param}.type`,
        `${param}.type ${String(format.type)} is not supported: use text, json_object or json_schema`,
      );
  }
}

/** `response_format`: `{type: "json_schema", json_schema: {name, schema, strict}}` or `{type: "json_object"}`. */
export function chatOutputSchema(format: Record<string, unknown> | null | undefined): JsonSchema | undefined {
  if (!format) return undefined;
  const inner = (format.json_schema ?? {}) as { schema?: unknown };
  return schemaOf("response_format", format, inner.schema);
}

/** `text.format`: `{type: "json_schema", name, schema, strict}` or `{type: "json_object"}`. */
export function responsesOutputSchema(format: Record<string, unknown> | null | undefined): JsonSchema | undefined {
  if (!format) return undefined;
  return schemaOf("text.format", format, format.schema);
}
