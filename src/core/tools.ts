/**
 * Client-defined tools: tools that a caller (an HTTP client, an SDK user) defines and executes
 * itself, offered to a CLI's agent for one run. The CLI calls them through a per-run MCP server;
 * the caller's handler answers each call.
 */

/** A tool as the caller defines it: a name, what it does, and a JSON Schema for its input. */
export interface ClientTool {
  name: string;
  description?: string;
  /** A JSON Schema of an object (`{"type": "object", ...}`). */
  inputSchema: Record<string, unknown>;
}

/** One call of a client tool by the agent. */
export interface ClientToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** What the caller answers a call with: the tool's output as text, and whether it failed. */
export interface ClientToolResult {
  content: string;
  isError?: boolean;
}

/** Answers one call; the signal aborts when the run ends first. */
export type ClientToolHandler = (call: ClientToolCall, signal: AbortSignal) => Promise<ClientToolResult>;

/**
 * Which tool the agent must use: any or none of them (`auto`), at least one (`required`), or the
 * named one. (`none` means no tools are offered at all.)
 */
export type ClientToolChoice = "auto" | "required" | { name: string };

export interface ClientTools {
  tools: ClientTool[];
  handler: ClientToolHandler;
  choice?: ClientToolChoice;
  /** Keep the CLI's own tools as well (default: off, since the caller executes the tools). */
  keepBuiltinTools?: boolean;
}

/** The name of the per-run MCP server, as the CLIs show it (claude: `mcp__clinvk__<tool>`). */
export const CLIENT_TOOL_SERVER = "clinvk";

/** Tool names that every CLI and MCP accept. */
export const CLIENT_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Bounds on what a caller may offer. */
// Claude Code as a client sends tools with descriptions of some 10 000 characters.
export const CLIENT_TOOL_LIMITS = { tools: 128, schemaBytes: 64 * 1024, descriptionChars: 64 * 1024 } as const;
