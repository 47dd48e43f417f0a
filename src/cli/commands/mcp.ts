/**
 * `clinvk mcp`: clinvoker as an MCP server on stdin/stdout, for an agent on this machine (Claude Code,
 * Codex, Gemini CLI) to call run, parallel, chain, compare and the sessions as tools. stdout carries
 * the protocol only; anything for a person goes to stderr. It ends when the client closes stdin or on
 * SIGINT/SIGTERM, stopping the runs in flight (the exit hook kills every CLI's group).
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { localPolicy } from "../../mcp/local-policy.js";
import { createMcpServer } from "../../mcp/server.js";
import { cliContext } from "../context.js";
import { ExitCode } from "../exit-codes.js";
import { printError } from "../fail.js";

export interface McpFlags {
  config?: string;
}

export async function runMcpCommand(flags: McpFlags): Promise<number> {
  const { config, store, engine } = await cliContext(flags.config);
  const server = createMcpServer({
    engine,
    store,
    policy: localPolicy(config),
    onInternalError: (error) =>
      printError({ code: "internal", message: error instanceof Error ? error.message : String(error) }),
  });
  const transport = new StdioServerTransport();
  return new Promise<number>((resolve, reject) => {
    let code: number = ExitCode.ok;
    server.onclose = () => resolve(code);
    const stop = (signal: NodeJS.Signals) => {
      code = signal === "SIGINT" ? ExitCode.cancelled : ExitCode.ok;
      void server.close();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    // The client closing our stdin is the end of the session.
    process.stdin.once("end", () => void server.close());
    server.connect(transport).catch(reject);
  });
}
