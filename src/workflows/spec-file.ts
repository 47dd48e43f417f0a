/**
 * Reads a task or chain file (JSON or YAML) and checks it against its schema, so that a mistake is
 * reported before any task starts: the file, the line, the task (index and id) and the problem.
 */
import type { TSchema } from "typebox";
import Value from "typebox/value";
import { LineCounter, type Node, parseDocument } from "yaml";
import { invalid } from "./task-request.js";

export interface SpecSource {
  /** For messages: a path, or "stdin". */
  name: string;
  text: string;
}

/** Parses and validates; `listKey` names the array whose items are tasks or steps. */
export function parseSpec<T>(source: SpecSource, schema: TSchema, listKey: "tasks" | "steps"): T {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 0 : lineCounter.linePos(offset).line);
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    throw invalid(`${source.name}:${lineOf(error?.pos[0])}: not valid JSON or YAML: ${error?.message.split("\n")[0]}`);
  }
  const data = doc.toJS() as unknown;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw invalid(
      `${source.name}: expected an object with "${listKey}"`,
      `see \`clinvk ${listKey === "tasks" ? "parallel" : "chain"} --help\``,
    );
  }
  const problems: string[] = [];
  for (const error of Value.Errors(schema, data)) {
    if (error.keyword === "boolean") continue;
    const path = error.instancePath.split("/").slice(1);
    const extra =
      error.keyword === "additionalProperties"
        ? (error.params as { additionalProperties: string[] }).additionalProperties
        : [];
    const node = doc.getIn(path, true) as Node | undefined;
    const where = `${source.name}:${lineOf(node?.range?.[0])}`;
    const subject = describePath(path, data as Record<string, unknown>, listKey);
    if (extra.length > 0)
      problems.push(`${where}: ${subject}unknown field${extra.length > 1 ? "s" : ""} ${extra.join(", ")}`);
    else if (error.keyword === "required") {
      const missing = (error.params as { requiredProperties: string[] }).requiredProperties;
      problems.push(`${where}: ${subject}missing ${missing.join(", ")}`);
    } else problems.push(`${where}: ${subject}${error.message}${allowed(error.params)}`);
  }
  if (problems.length > 0) {
    throw invalid(
      `invalid ${listKey === "tasks" ? "task" : "chain"} file:\n  ${[...new Set(problems)].slice(0, 10).join("\n  ")}`,
    );
  }
  return data as T;
}

function describePath(path: string[], data: Record<string, unknown>, listKey: string): string {
  if (path[0] !== listKey || path[1] === undefined) return path.length ? `${path.join(".")}: ` : "";
  const index = Number(path[1]);
  const item = (data[listKey] as Record<string, unknown>[] | undefined)?.[index];
  const label = item?.id ?? item?.name;
  const field = path.slice(2).join(".");
  const noun = listKey === "tasks" ? "task" : "step";
  return `${noun} ${index + 1}${typeof label === "string" ? ` (${label})` : ""}: ${field ? `${field}: ` : ""}`;
}

function allowed(params: object): string {
  const values = (params as { allowedValues?: unknown[] }).allowedValues;
  return values ? ` (${values.filter((v) => v !== "").join(", ")})` : "";
}
