/**
 * Checks a tool call's arguments against the tool's schema, and says what is wrong in words a model
 * can act on: the field, and what it should be.
 */
import type { TSchema } from "typebox";
import Value from "typebox/value";
import { ClinvkError } from "../core/errors.js";

const MAX_PROBLEMS = 5;

/** The arguments, typed, or an `invalid_request` error naming every problem (at most five). */
export function checkArguments<T>(tool: string, schema: TSchema, args: unknown): T {
  if (Value.Check(schema, args)) return args as T;
  const problems: string[] = [];
  for (const error of Value.Errors(schema, args)) {
    if (error.keyword === "boolean") continue; // repeats an additionalProperties error
    const field = error.instancePath.split("/").slice(1).join(".");
    const at = field ? `${field}: ` : "";
    const params = error.params as {
      additionalProperties?: string[];
      requiredProperties?: string[];
      allowedValues?: unknown[];
    };
    if (error.keyword === "additionalProperties") {
      problems.push(`${at}unknown field ${params.additionalProperties?.join(", ")}`);
    } else if (error.keyword === "required") {
      problems.push(`${at}missing ${params.requiredProperties?.join(", ")}`);
    } else {
      const allowed = params.allowedValues ? ` (${params.allowedValues.filter((v) => v !== "").join(", ")})` : "";
      problems.push(`${at}${error.message}${allowed}`);
    }
  }
  const unique = [...new Set(problems)];
  throw new ClinvkError(
    "invalid_request",
    `invalid arguments for ${tool}: ${unique.slice(0, MAX_PROBLEMS).join("; ")}`,
    "see the tool's input schema (tools/list)",
  );
}
