/**
 * `/mcp`: clinvoker's MCP tools over Streamable HTTP, behind the same API keys, rate limits and
 * workdir policy as every other route (the keys and limits are the app's hooks; the policy is the
 * native API's, see policy.ts). A client that initializes gets a session (sessions.ts), so
 * that its cancellations reach its calls; a message without one is served statelessly, by an MCP
 * server of its own. Progress streams back as SSE on the call's own response; a client that goes
 * away before its answers (or a shutdown) stops its calls' runs.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest, isJSONRPCRequest, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createMcpServer } from "../../mcp/server.js";
import type { ServerContext } from "../context.js";
import { apiError } from "../http/errors.js";
import { networkPolicy } from "./policy.js";
import { McpSessions } from "./sessions.js";

const SESSION_HEADER = "mcp-session-id";

const messages = (body: unknown): unknown[] => (Array.isArray(body) ? body : [body]);

export function mcpRoutes(app: FastifyInstance, context: ServerContext): void {
  const policy = networkPolicy(context);
  const sessions = new McpSessions();
  app.addHook("onClose", () => sessions.closeAll());

  /** Whose session it is: the API key's id, or the client's address when the server has no keys. */
  const ownerOf = (request: FastifyRequest) => context.apiKeys.validKeyId(request) ?? `ip:${request.ip}`;
  const sessionId = (request: FastifyRequest) => {
    const value = request.headers[SESSION_HEADER];
    return typeof value === "string" ? value : undefined;
  };
  const noSession = (reply: FastifyReply) =>
    reply.status(404).send({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32001, message: "no such MCP session: initialize a new one" },
    });

  const newServer = (request: FastifyRequest, calls: Map<RequestId, AbortController>): Server =>
    createMcpServer({
      engine: context.engine,
      store: context.store,
      policy,
      onInternalError: (error) => request.log.error({ err: error }, "MCP tool call failed"),
      onCall: (id, controller) => {
        context.active.add(controller);
        calls.set(id, controller);
        return () => {
          context.active.delete(controller);
          calls.delete(id);
        };
      },
    });

  const schema = {
    summary: "MCP over Streamable HTTP",
    description:
      "clinvoker's MCP tools (run, parallel, chain, compare, sessions_list, session_show) for MCP clients: JSON-RPC messages, answered as JSON or as an SSE stream with progress. An initialize opens a session (Mcp-Session-Id); messages without one are served statelessly. See docs/guides/mcp.md.",
  };
  app.post("/mcp", { schema }, async (request: FastifyRequest, reply: FastifyReply) => {
    const id = sessionId(request);
    let transport: StreamableHTTPServerTransport;
    let calls: Map<RequestId, AbortController>;
    let stateless: Server | undefined;
    if (id !== undefined) {
      const session = sessions.get(id, ownerOf(request));
      if (!session) return noSession(reply);
      ({ transport, calls } = session);
    } else if (messages(request.body).some((message) => isInitializeRequest(message))) {
      if (sessions.full) {
        return reply
          .status(503)
          .header("retry-after", "60")
          .send(apiError("queue_full", "too many MCP sessions open", "close one (DELETE /mcp) or retry later"));
      }
      calls = new Map();
      const owner = ownerOf(request);
      const server = newServer(request, calls);
      const opened: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid: string) => {
          sessions.add({ id: sid, owner, server, transport: opened, calls, lastUsed: Date.now() });
        },
      });
      transport = opened;
      await server.connect(transport);
    } else {
      calls = new Map();
      stateless = newServer(request, calls);
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      await stateless.connect(transport);
    }
    const asked = messages(request.body).flatMap((message) => (isJSONRPCRequest(message) ? [message.id] : []));

    // The transport writes the response itself; the headers the hooks set (request id, rate limit) go too.
    reply.hijack();
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    reply.raw.on("close", () => {
      // Gone before its answers: what it asked for stops.
      if (!reply.raw.writableFinished) for (const requestId of asked) calls.get(requestId)?.abort();
      if (stateless) void stateless.close();
    });
    try {
      await transport.handleRequest(request.raw, reply.raw, request.body);
    } catch (error) {
      // Hijacked: Fastify's error handler cannot answer for us any more.
      request.log.error({ err: error }, "MCP request failed");
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { "content-type": "application/json" });
        reply.raw.end(JSON.stringify(apiError("internal", "internal server error")));
      } else reply.raw.end();
    }
  });

  // The client ends its session.
  app.delete("/mcp", { schema: { hide: true } }, async (request, reply) => {
    const id = sessionId(request);
    if (id === undefined || !sessions.get(id, ownerOf(request))) return noSession(reply);
    await sessions.end(id);
    return reply.status(204).send();
  });

  // No stream for messages the server starts: it starts none.
  app.get("/mcp", { schema: { hide: true } }, async (_request, reply) =>
    reply
      .status(405)
      .header("allow", "POST, DELETE")
      .send(apiError("method_not_allowed", "send MCP messages as POST; this server opens no stream of its own")),
  );
}
