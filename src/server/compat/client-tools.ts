/**
 * What the OpenAI and Anthropic surfaces share about a request's own tools: the tools and the
 * choice as the engine takes them, checked with each surface's field names, and the arguments of a
 * call as the JSON object each surface carries.
 */
import type { ClientTool, ClientToolChoice } from "../../core/tools.js";
import { CLIENT_TOOL_LIMITS, CLIENT_TOOL_NAME } from "../../core/tools.js";
import { invalidValue } from "./errors.js";

/** A request's tools, as a turn offers them: none when the choice is `none` or no tools came. */
export interface RequestTools {
  tools: ClientTool[];
  choice: ClientToolChoice;
}

/** Checks one tool of a request (the engine checks again; this names the surface's field). */
export function clientTool(param: string, name: unknown, description: unknown, schema: unknown): ClientTool {
  if (typeof name !== "string" || !CLIENT_TOOL_NAME.test(name)) {
    throw invalidValue(`${param}.name`, "tool names are 1 to 64 letters, digits, _ or -");
  }
  if (description != null && typeof description !== "string") {
    throw invalidValue(`${param}.description`, "a tool's description is text");
  }
  const inputSchema = schema ?? { type: "object", properties: {} };
  if (typeof inputSchema !== "object" || Array.isArray(inputSchema)) {
    throw invalidValue(param, `the tool ${name} needs a JSON Schema object for its input`);
  }
  // A schema without a type is an object's (the MCP tools that carry it must say so).
  const typed = { type: "object", ...(inputSchema as Record<string, unknown>) };
  if (typed.type !== "object") throw invalidValue(param, `the input of the tool ${name} must be an object`);
  if (Buffer.byteLength(JSON.stringify(typed)) > CLIENT_TOOL_LIMITS.schemaBytes) {
    throw invalidValue(param, `the input schema of ${name} is over ${CLIENT_TOOL_LIMITS.schemaBytes} bytes`);
  }
  return { name, ...(typeof description === "string" && description ? { description } : {}), inputSchema: typed };
}

/** The tools with the choice, or undefined when there are none to offer. */
export function requestTools(
  param: string,
  tools: ClientTool[],
  choice: ClientToolChoice | "none",
): RequestTools | undefined {
  if (tools.length > CLIENT_TOOL_LIMITS.tools) {
    throw invalidValue(param, `${tools.length} tools, over the limit of ${CLIENT_TOOL_LIMITS.tools}`);
  }
  const names = new Set<string>();
  for (const tool of tools) {
    if (names.has(tool.name)) throw invalidValue(param, `the tool ${tool.name} is defined twice`);
    names.add(tool.name);
  }
  if (typeof choice === "object" && !names.has(choice.name)) {
    throw invalidValue("tool_choice", `tool_choice names ${choice.name}, which is not one of the tools`);
  }
  if (choice !== "auto" && choice !== "none" && tools.length === 0) {
    throw invalidValue("tool_choice", "tool_choice asks for a tool call, but the request has no tools");
  }
  if (choice === "none" || tools.length === 0) return undefined;
  return { tools, choice };
}

/** A call's arguments (JSON text) as the object the Anthropic surface carries; {} when they are not one. */
export function argumentsObject(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}
