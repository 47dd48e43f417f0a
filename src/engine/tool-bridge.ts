/**
 * The per-run MCP server through which a CLI's agent calls the tools its caller defined. One
 * loopback HTTP listener serves every run of this process (started on first use, never keeping the
 * process alive); each run gets its own path with a secret, its own tool list and handler, and is
 * gone when the run ends. A call is held open (SSE keep-alives flowing) until the handler answers,
 * which may take as long as a client takes to run the tool and come back.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import { CLIENT_TOOL_SERVER, type ClientTool, type ClientToolHandler } from "../core/tools.js";
import { VERSION } from "../version.js";

export interface ToolBridgeRun {
  /** The MCP endpoint to give the CLI. */
  readonly url: string;
  /** The bearer token the CLI must send (through its environment). */
  readonly token: string;
  /** Calls that wait for their handler right now (the CLI is not idle while one does). */
  readonly waiting: number;
  close(): void;
}

interface Route {
  secret: Buffer;
  tools: ClientTool[];
  handler: ClientToolHandler;
  /** Aborts the handlers of calls in flight when the run ends. */
  controller: AbortController;
  waiting: number;
}

const routes = new Map<string, Route>();
let listening: Promise<{ server: HttpServer; port: number }> | undefined;

const PATH = /^\/mcp\/([a-f0-9]{16})$/;
const BEARER = /^Bearer ([a-f0-9]{64})$/;
const MAX_BODY = 8 * 1024 * 1024;

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message } }));
}

/**
 * The route a request names, if it brings the route's token (compared in constant time). The token
 * travels in a header, from the CLI's environment: never in a URL or argv that `ps` shows.
 */
function routeOf(req: IncomingMessage): Route | undefined {
  const match = PATH.exec((req.url ?? "").split("?")[0] ?? "");
  const token = BEARER.exec(req.headers.authorization ?? "")?.[1];
  if (!match || !token) return undefined;
  const route = routes.get(match[1] as string);
  if (!route) return undefined;
  const given = Buffer.from(token, "hex");
  return given.length === route.secret.length && timingSafeEqual(given, route.secret) ? route : undefined;
}

function mcpServerFor(route: Route): Server {
  const server = new Server(
    { name: CLIENT_TOOL_SERVER, version: VERSION },
    {
      capabilities: { tools: {} },
      instructions: "These tools are executed by the user's application, which returns their results.",
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: route.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      inputSchema: tool.inputSchema as { type: "object" },
      // Read-only: CLIs that run read-only tools at once then make parallel calls together.
      annotations: { readOnlyHint: true },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const { name, arguments: args = {} } = request.params;
    if (!route.tools.some((tool) => tool.name === name)) {
      throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}"`);
    }
    route.waiting++;
    try {
      const result = await route.handler({ name, arguments: ownArguments(route, name, args) }, route.controller.signal);
      return { content: [{ type: "text", text: result.content }], isError: result.isError === true };
    } catch (error) {
      return { content: [{ type: "text", text: `tool call failed: ${(error as Error).message}` }], isError: true };
    } finally {
      route.waiting--;
    }
  });
  return server;
}

/** gemini adds `wait_for_previous` to every tool it offers; the client's tool never asked for it. */
function ownArguments(route: Route, name: string, args: Record<string, unknown>): Record<string, unknown> {
  const schema = route.tools.find((tool) => tool.name === name)?.inputSchema as { properties?: object } | undefined;
  if (!("wait_for_previous" in args) || (schema?.properties && "wait_for_previous" in schema.properties)) return args;
  const { wait_for_previous: _dropped, ...own } = args;
  return own;
}

async function handle(req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
  // Only this machine's loopback names: a page elsewhere cannot rebind a name onto the listener.
  const host = req.headers.host ?? "";
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return refuse(res, 403, "host not allowed");
  const route = routeOf(req);
  if (!route) return refuse(res, 401, "no such tool server, or a wrong token");
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "POST" });
    res.end();
    return;
  }
  // Stateless: each message gets a server of its own; the route holds what lasts.
  const server = mcpServerFor(route);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, maxRequestBodySize: MAX_BODY });
  res.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res);
}

function listen(): Promise<{ server: HttpServer; port: number }> {
  listening ??= new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const port = (server.address() as AddressInfo).port;
      handle(req, res, port).catch(() => {
        if (!res.headersSent) refuse(res, 500, "tool server error");
        else res.end();
      });
    });
    // Calls wait as long as their client takes: no request timeout here (the run has its own).
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.once("error", (error) => {
      listening = undefined;
      reject(error);
    });
    server.listen(0, "127.0.0.1", () => {
      server.unref();
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
  return listening;
}

/** Opens a run's MCP server offering these tools, answered by this handler. */
export async function openToolBridge(tools: ClientTool[], handler: ClientToolHandler): Promise<ToolBridgeRun> {
  const { port } = await listen();
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32);
  const route: Route = { secret, tools, handler, controller: new AbortController(), waiting: 0 };
  routes.set(id, route);
  return {
    url: `http://127.0.0.1:${port}/mcp/${id}`,
    token: secret.toString("hex"),
    get waiting() {
      return route.waiting;
    },
    close() {
      routes.delete(id);
      route.controller.abort();
    },
  };
}
