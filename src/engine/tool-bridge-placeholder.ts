/**
 * The address a run that is only prepared, never started, names instead of a tool bridge's (dry runs,
 * validation). Apart from tool-bridge.ts so that preparing a run does not load the MCP SDK.
 */
export const PLACEHOLDER_BRIDGE = {
  url: `http://127.0.0.1:0/mcp/${"0".repeat(16)}`,
  token: "<token>",
  configDir: "<run-config-dir>",
};
