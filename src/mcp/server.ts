/**
 * clinvoker as an MCP server, whatever the transport (stdio for `clinvk mcp`, Streamable HTTP for
 * `/mcp` on `clinvk serve`): the tools list, and each call checked, handed to its handler with the
 * request's abort signal and a progress reporter, and answered with a tool result. Failures are tool
 * results with isError (the calling model reads them); an unknown tool is a protocol error.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { toClinvkError } from "../core/errors.js";
import { VERSION } from "../version.js";
import { checkArguments } from "./arguments.js";
import { type Call, HANDLERS, type McpDeps } from "./handlers.js";
import { ProgressReporter } from "./progress.js";
import { errorResult } from "./results.js";
import { TOOL_NAMES, TOOLS, type ToolName } from "./tools.js";

export interface McpServerOptions extends McpDeps {
  /** Told of unexpected failures (whose details the client does not get). */
  onInternalError?: (error: unknown) => void;
  /**
   * Told of each call as it starts, with the controller that stops it (a shutdown, a client gone);
   * the function it returns is called when the call ends.
   */
  onCall?: (requestId: RequestId, controller: AbortController) => () => void;
}

const INSTRUCTIONS =
  "clinvoker runs the coding-agent CLIs claude, codex and gemini. `run` sends one prompt to one of them and returns its answer and a session_id to continue the conversation; `parallel`, `chain` and `compare` run several at once, in sequence, or side by side. `sessions_list` and `session_show` find earlier sessions.";

const isToolName = (name: string): name is ToolName => (TOOL_NAMES as readonly string[]).includes(name);

export function createMcpServer(options: McpServerOptions): Server {
  const server = new Server(
    { name: "clinvoker", title: "clinvoker", version: VERSION },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOL_NAMES.map((name) => {
      const { title, description, inputSchema, annotations } = TOOLS[name];
      return { name, title, description, inputSchema: inputSchema as { type: "object" }, annotations };
    }),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args = {} } = request.params;
    if (!isToolName(name)) {
      throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}"; the tools are ${TOOL_NAMES.join(", ")}`);
    }
    const token = request.params._meta?.progressToken;
    const controller = new AbortController();
    const abort = () => controller.abort();
    extra.signal.addEventListener("abort", abort, { once: true });
    if (extra.signal.aborted) abort();
    const ended = options.onCall?.(extra.requestId, controller);
    // Notifications go out in order, and all of them before the result (after it, the client drops them).
    let sent = Promise.resolve();
    const call: Call = {
      signal: controller.signal,
      progress: (tasks) =>
        token === undefined
          ? undefined
          : new ProgressReporter(({ progress, message }) => {
              const params = { progressToken: token, progress, message };
              sent = sent
                .then(() => extra.sendNotification({ method: "notifications/progress", params }))
                .catch(() => {}); // a client gone mid-call: the abort stops the run
            }, tasks),
    };
    try {
      const checked = checkArguments<never>(name, TOOLS[name].inputSchema, args);
      const result = await HANDLERS[name](options, checked, call);
      await sent;
      return result;
    } catch (error) {
      const failure = toClinvkError(error);
      if (failure.code !== "internal") return errorResult(failure.toInfo());
      options.onInternalError?.(error);
      return errorResult({ code: "internal", message: `${name} failed unexpectedly` });
    } finally {
      extra.signal.removeEventListener("abort", abort);
      ended?.();
    }
  });
  return server;
}
