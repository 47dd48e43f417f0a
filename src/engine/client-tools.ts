/**
 * Client tools checked before a run (names every CLI accepts, bounded schemas and descriptions, a
 * choice that names an offered tool) and the instruction that carries a forced choice to the agent.
 */
import { ClinvkError } from "../core/errors.js";
import { CLIENT_TOOL_LIMITS, CLIENT_TOOL_NAME, type ClientTool, type ClientTools } from "../core/tools.js";

const invalid = (message: string, hint?: string) => new ClinvkError("invalid_request", message, hint);

export function checkClientTools(clientTools: ClientTools): ClientTools {
  const { tools, choice, handler } = clientTools;
  if (!Array.isArray(tools) || tools.length === 0) throw invalid("client tools: give at least one tool");
  if (typeof handler !== "function") throw invalid("client tools need a handler that answers their calls");
  if (tools.length > CLIENT_TOOL_LIMITS.tools) {
    throw invalid(`client tools: ${tools.length} tools, over the limit of ${CLIENT_TOOL_LIMITS.tools}`);
  }
  const names = new Set<string>();
  for (const tool of tools) {
    if (typeof tool?.name !== "string" || !CLIENT_TOOL_NAME.test(tool.name)) {
      throw invalid(
        `invalid tool name ${JSON.stringify(tool?.name)}`,
        "tool names are 1 to 64 letters, digits, _ or -, as the CLIs take them",
      );
    }
    if (names.has(tool.name)) throw invalid(`the tool ${tool.name} is defined twice`);
    names.add(tool.name);
    const schema = tool.inputSchema;
    if (schema === null || typeof schema !== "object" || Array.isArray(schema) || schema.type !== "object") {
      throw invalid(`the tool ${tool.name} needs an input schema of type "object"`);
    }
    if (Buffer.byteLength(JSON.stringify(schema)) > CLIENT_TOOL_LIMITS.schemaBytes) {
      throw invalid(`the input schema of ${tool.name} is over ${CLIENT_TOOL_LIMITS.schemaBytes} bytes`);
    }
    if (tool.description !== undefined && typeof tool.description !== "string") {
      throw invalid(`the description of ${tool.name} must be text`);
    }
    if ((tool.description?.length ?? 0) > CLIENT_TOOL_LIMITS.descriptionChars) {
      throw invalid(`the description of ${tool.name} is over ${CLIENT_TOOL_LIMITS.descriptionChars} characters`);
    }
  }
  if (choice !== undefined && choice !== "auto" && choice !== "required") {
    if (typeof choice?.name !== "string" || !names.has(choice.name)) {
      throw invalid(`the tool choice names ${JSON.stringify(choice?.name)}, which is not one of the tools`);
    }
  }
  return clientTools;
}

/** What the agent is told when the caller forces a tool call; nothing for `auto`. */
export function toolChoiceInstruction(clientTools: ClientTools): string | undefined {
  const { choice } = clientTools;
  if (choice === undefined || choice === "auto") return undefined;
  if (choice === "required") {
    return "(You must answer this by calling at least one of the tools of the clinvk MCP server.)";
  }
  return `(You must answer this by calling the tool ${choice.name} of the clinvk MCP server.)`;
}

/** The tools the agent is offered: the named one alone when the choice names one. */
export function offeredTools(clientTools: ClientTools): ClientTool[] {
  const { choice, tools } = clientTools;
  return typeof choice === "object" ? tools.filter((tool) => tool.name === choice.name) : tools;
}
