// biome-ignore-all lint/suspicious/noExplicitAny: node:http's request and response, read loosely.
// A tiny MCP server for the e2e tests of client tools: Streamable HTTP on loopback (SSE answers, the SDK
// default), stateless, offering `get_weather({city})` behind a secret path, recording every call.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const SECRET_PATH = "/run-3f9c2a";

export interface ToolCallRecord {
  city: string;
  start: number;
  end?: number;
}

/** A stateless Streamable HTTP MCP server on 127.0.0.1 (SSE answers, the SDK default) offering get_weather. */
export class WeatherMcpServer {
  readonly calls: ToolCallRecord[] = [];
  readonly rpcMethods: string[] = [];
  /** How long each tool call takes, ms. */
  delayMs = 0;
  readOnlyHint: boolean | undefined;
  private http: Server | undefined;
  url = "";

  async start(): Promise<void> {
    this.http = createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.http?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}${SECRET_PATH}`;
  }

  reset(): void {
    this.calls.length = 0;
    this.rpcMethods.length = 0;
    this.delayMs = 0;
    this.readOnlyHint = undefined;
  }

  async close(): Promise<void> {
    this.http?.closeAllConnections();
    await new Promise((resolve) => this.http?.close(resolve));
  }

  private async handle(req: any, res: any): Promise<void> {
    if (!req.url?.startsWith(SECRET_PATH)) {
      res.writeHead(404).end();
      return;
    }
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = raw ? JSON.parse(raw) : undefined;
    if (body?.method) this.rpcMethods.push(body.method);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const server = this.mcpServer();
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  private mcpServer(): McpServer {
    const server = new McpServer({ name: "weather", version: "1.0.0" });
    const annotations = this.readOnlyHint === undefined ? undefined : { readOnlyHint: this.readOnlyHint };
    server.registerTool(
      "get_weather",
      { description: "Current weather for a city", inputSchema: { city: z.string() }, annotations },
      async ({ city }) => {
        const record: ToolCallRecord = { city, start: Date.now() };
        this.calls.push(record);
        await new Promise((resolve) => setTimeout(resolve, this.delayMs));
        record.end = Date.now();
        return { content: [{ type: "text", text: `Sunny in ${city}, 21C` }] };
      },
    );
    return server;
  }
}
