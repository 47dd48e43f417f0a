// The per-run MCP server of client tools, driven by the official MCP client as a CLI would drive it.
import { request } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import type { ClientToolCall, ClientToolResult } from "../../src/core/tools.js";
import { openToolBridge, type ToolBridgeRun } from "../../src/engine/tool-bridge.js";

const WEATHER = {
  name: "get_weather",
  description: "The weather",
  inputSchema: { type: "object", properties: { city: { type: "string" } } },
};

let bridges: ToolBridgeRun[] = [];
afterEach(() => {
  for (const bridge of bridges) bridge.close();
  bridges = [];
});

async function open(handler: (call: ClientToolCall) => Promise<ClientToolResult>) {
  const bridge = await openToolBridge([WEATHER], handler);
  bridges.push(bridge);
  return bridge;
}

async function connect(bridge: ToolBridgeRun, token = bridge.token) {
  const client = new Client({ name: "test-cli", version: "1" });
  const transport = new StreamableHTTPClientTransport(new URL(bridge.url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

describe("the client-tool bridge", () => {
  it("offers exactly the client's tools, read-only, with their schemas", async () => {
    const client = await connect(await open(async () => ({ content: "" })));
    const { tools } = await client.listTools();
    expect(tools).toEqual([
      expect.objectContaining({
        name: "get_weather",
        inputSchema: WEATHER.inputSchema,
        annotations: { readOnlyHint: true },
      }),
    ]);
    await client.close();
  });

  it("holds a call until the handler answers, and counts it as waiting meanwhile", async () => {
    let answer: ((result: ClientToolResult) => void) | undefined;
    const calls: ClientToolCall[] = [];
    const bridge = await open(
      (call) =>
        new Promise((resolve) => {
          calls.push(call);
          answer = resolve;
        }),
    );
    const client = await connect(bridge);
    const pending = client.callTool({ name: "get_weather", arguments: { city: "Oslo", wait_for_previous: true } });
    await expect.poll(() => bridge.waiting).toBe(1);
    // gemini's own parameter never reaches the client's tool.
    expect(calls).toEqual([{ name: "get_weather", arguments: { city: "Oslo" } }]);
    answer?.({ content: "sunny" });
    expect(await pending).toMatchObject({ content: [{ type: "text", text: "sunny" }], isError: false });
    expect(bridge.waiting).toBe(0);
    await client.close();
  });

  it("refuses a wrong token, an unknown run and a tool it does not offer", async () => {
    const bridge = await open(async () => ({ content: "x" }));
    await expect(connect(bridge, "0".repeat(64))).rejects.toThrow();
    // A page elsewhere that rebinds its name onto the listener sends its own Host.
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(bridge.url, {
        method: "POST",
        headers: { host: "evil.example", authorization: `Bearer ${bridge.token}`, "content-type": "application/json" },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end("{}");
    });
    expect(rebound).toBe(403);
    const client = await connect(bridge);
    await expect(client.callTool({ name: "rm_rf", arguments: {} })).rejects.toThrow(/unknown tool/);
    await client.close();
    bridge.close();
    const gone = await fetch(bridge.url, {
      method: "POST",
      headers: { authorization: `Bearer ${bridge.token}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(gone.status).toBe(401);
  });

  it("a handler that fails is a tool error the agent reads, not a broken connection", async () => {
    const client = await connect(await open(async () => Promise.reject(new Error("client vanished"))));
    const result = await client.callTool({ name: "get_weather", arguments: {} });
    expect(result).toMatchObject({ isError: true, content: [{ text: expect.stringContaining("client vanished") }] });
    await client.close();
  });
});
