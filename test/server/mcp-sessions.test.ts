import { describe, expect, it } from "vitest";
import { type McpSession, McpSessions } from "../../src/server/mcp/sessions.js";

function fakeSession(id: string, owner: string, lastUsed: number, running = 0) {
  const closed: string[] = [];
  const session = {
    id,
    owner,
    lastUsed,
    calls: new Map(Array.from({ length: running }, (_, i) => [i, new AbortController()])),
    server: { close: async () => void closed.push(id) },
    transport: {},
  } as unknown as McpSession;
  return { session, closed };
}

describe("MCP sessions of /mcp", () => {
  it("answer only their owner, count as used when looked up, and are capped", () => {
    let now = 1000;
    const sessions = new McpSessions({ max: 2, idleMs: 60_000 }, () => now);
    sessions.add(fakeSession("a", "key:1", 0).session);
    expect(sessions.get("a", "key:2")).toBeUndefined();
    now = 5000;
    expect(sessions.get("a", "key:1")?.lastUsed).toBe(5000);
    expect(sessions.full).toBe(false);
    sessions.add(fakeSession("b", "key:1", 0).session);
    expect(sessions.full).toBe(true);
    void sessions.closeAll();
  });

  it("a sweep ends the idle sessions with nothing running, and only those", async () => {
    const now = 100_000;
    const sessions = new McpSessions({ max: 10, idleMs: 10_000 }, () => now);
    const idle = fakeSession("idle", "o", now - 20_000);
    const busy = fakeSession("busy", "o", now - 20_000, 1);
    const fresh = fakeSession("fresh", "o", now - 1000);
    for (const s of [idle, busy, fresh]) sessions.add(s.session);
    await sessions.sweep();
    expect([idle.closed, busy.closed, fresh.closed]).toEqual([["idle"], [], []]);
    expect(sessions.size).toBe(2);
    await sessions.closeAll();
    expect(sessions.size).toBe(0);
    expect(busy.closed).toEqual(["busy"]);
  });
});
