/**
 * `/mcp`: clinvoker's MCP tools over Streamable HTTP, behind the same API keys, rate limits and
 * workdir policy as every other route (the keys and limits are the app's hooks; the policy is the
 * native API's, see mcp-policy.ts). Stateless: each POST gets its own MCP server, so that any
 * instance can answer any request; a call's progress streams back as SSE on its own response, and
 * a client that goes away (or a shutdown) stops the call's runs.
 */
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createMcpServer } from "../../mcp/server.js";
import type { ServerContext } from "../context.js";
import { apiError } from "../http-errors.js";
import { networkPolicy } from "../mcp-policy.js";

export function mcpRoutes(app: FastifyInstance, context: ServerContext): void {
  const policy = networkPolicy(context);

  const schema = {
    summary: "MCP over Streamable HTTP",
    description:
      "clinvoker's MCP tools (run, parallel, chain, compare, sessions_list, session_show) for MCP clients: JSON-RPC messages, answered as JSON or as an SSE stream with progress. Stateless. See docs/guides/mcp.md.",
  };
  app.post("/mcp", { schema }, async (request: FastifyRequest, reply: FastifyReply) => {
    const server = createMcpServer({
      engine: context.engine,
      store: context.store,
      policy,
      active: context.active,
      onInternalError: (error) => request.log.error({ err: error }, "MCP tool call failed"),
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    // The transport writes the response itself; the headers the hooks set (request id, rate limit) go too.
    reply.hijack();
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    reply.raw.on("close", () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
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

  // Stateless: no stream to resume (GET) and no session to end (DELETE).
  const notAllowed = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .status(405)
      .header("allow", "POST")
      .send(apiError("method_not_allowed", "this MCP endpoint is stateless: send every message as a POST"));
  app.get("/mcp", { schema: { hide: true } }, notAllowed);
  app.delete("/mcp", { schema: { hide: true } }, notAllowed);
}
