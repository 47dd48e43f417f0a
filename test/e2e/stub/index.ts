// Provider stub for the end-to-end tests: see test/e2e/README.md.
export { codeModeScript, type McpCallStyle, mcpToolCall } from "./mcp-tool-calls.js";
export { type ProviderStub, type ProviderStubOptions, startProviderStub, type WaitOptions } from "./server.js";
export type {
  Endpoint,
  ErrorSpec,
  MidStreamSpec,
  Provider,
  RecordedRequest,
  ScriptedTurn,
  ToolCallSpec,
  ToolResult,
  TurnInput,
  UsageSpec,
} from "./types.js";
