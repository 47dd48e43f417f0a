/**
 * The MCP sessions of `/mcp`: for a client that initialized one, its MCP server and transport stay,
 * so that its later messages (a cancellation above all) reach the server that runs its calls. A
 * session belongs to the API key (or, with no keys, the address) that opened it and answers no one
 * else; it ends on the client's DELETE, after `idleMs` without a message and no call running, or
 * when the server stops. At most `max` at once.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";

export interface McpSession {
  id: string;
  owner: string;
  server: Server;
  transport: StreamableHTTPServerTransport;
  /** The calls running, by JSON-RPC request id, with what stops each. */
  calls: Map<RequestId, AbortController>;
  lastUsed: number;
}

export class McpSessions {
  private readonly sessions = new Map<string, McpSession>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limits: { max: number; idleMs: number } = { max: 100, idleMs: 10 * 60_000 },
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.sweep(), Math.min(60_000, limits.idleMs));
    this.timer.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  get full(): boolean {
    return this.sessions.size >= this.limits.max;
  }

  add(session: McpSession): void {
    this.sessions.set(session.id, session);
  }

  /** The session, if it exists and `owner` opened it; its use counts as activity. */
  get(id: string, owner: string): McpSession | undefined {
    const session = this.sessions.get(id);
    if (!session || session.owner !== owner) return undefined;
    session.lastUsed = this.now();
    return session;
  }

  async end(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    await session.server.close(); // stops its calls, closes its transport
  }

  /** Ends the sessions idle for longer than `idleMs` with nothing running. */
  async sweep(): Promise<void> {
    const cutoff = this.now() - this.limits.idleMs;
    const idle = [...this.sessions.values()].filter((s) => s.calls.size === 0 && s.lastUsed < cutoff);
    await Promise.all(idle.map((s) => this.end(s.id)));
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id)));
  }
}
