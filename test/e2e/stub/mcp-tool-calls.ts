// Scripted calls of a tool that an MCP server offers, spelled the way each CLI's model sees it
// (see /work/briefs/cli-mcp-facts.md and test/e2e/README.md): claude `mcp__<server>__<tool>`, gemini
// `mcp_<server>_<tool>`, codex a `function_call` in namespace `mcp__<server>` (models without catalog metadata)
// or, in code mode (codex's default model), JavaScript for its freeform `exec` tool.
import type { ToolCallSpec } from "./types.js";

export type McpCallStyle = "claude" | "gemini" | "codex" | "codex-exec";

/** A scripted call of MCP tool `tool` on server `server` with `input`, as the given CLI's model makes it. */
export function mcpToolCall(style: McpCallStyle, server: string, tool: string, input: object): ToolCallSpec {
  switch (style) {
    case "claude":
      return { name: `mcp__${server}__${tool}`, input };
    case "gemini":
      return { name: `mcp_${server}_${tool}`, input };
    case "codex":
      return { name: tool, namespace: `mcp__${server}`, input, kind: "function" };
    case "codex-exec":
      return { name: "exec", input: codeModeScript([{ server, tool, input }]), kind: "custom" };
  }
}

/**
 * JavaScript for codex's `exec` tool that calls MCP tools at once (`Promise.all`) and prints each result's
 * text, one per line (one `text()` call: separate calls are joined without a separator). Names are codex's normalized identifiers, `tools.mcp__<server>__<tool>`.
 */
export function codeModeScript(calls: Array<{ server: string; tool: string; input: object }>): string {
  const expressions = calls.map((c) => `tools.mcp__${c.server}__${c.tool}(${JSON.stringify(c.input)})`);
  return [
    `const results = await Promise.all([${expressions.join(", ")}]);`,
    'text(results.map((r) => r.content.map((c) => c.text ?? "").join("")).join("\\n"));',
  ].join("\n");
}
