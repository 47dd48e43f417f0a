// GET /api/v1/sessions/{id}/turns and GET /api/v1/sessions?q=: a session's kept turns, and the search
// over titles, tags, workdirs and prompts, through the server with the fake CLIs.
import { describe, expect, it } from "vitest";
import { testServer } from "./test-server.js";

const post = (url: string, payload: object) => ({ method: "POST" as const, url, payload });

describe("GET /api/v1/sessions/{id}/turns", () => {
  it("lists each turn's prompt, answer, status, usage and duration, oldest first", async () => {
    const { app } = await testServer();
    const first = (
      await app.inject(post("/api/v1/prompt", { backend: "codex", prompt: "tell me about otters" }))
    ).json();
    const id = first.session_id as string;
    const resumed = await app.inject(post(`/api/v1/sessions/${id}/resume`, { prompt: "and beavers?" }));
    expect(resumed.statusCode).toBe(200);
    const response = await app.inject(`/api/v1/sessions/${id.slice(0, 10)}/turns`);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ session_id: id, turn_count: 2, turns_dropped: 0 });
    expect(body.turns.map((t: { prompt: string }) => t.prompt)).toEqual(["tell me about otters", "and beavers?"]);
    expect(body.turns[0]).toMatchObject({ status: "success", answer: first.output });
    expect(body.turns[0].duration_ms).toBeGreaterThanOrEqual(0);
    expect(body.turns[0].usage).toMatchObject({ input_tokens: expect.any(Number) });
    expect(body.turns[1].answer).toBe(resumed.json().output);
  });

  it("with session.keep_turns off the turns have no prompt or answer", async () => {
    const { app } = await testServer((config) => {
      config.session.keep_turns = false;
    });
    const id = (await app.inject(post("/api/v1/prompt", { backend: "claude", prompt: "my secret" }))).json()
      .session_id as string;
    const { turns } = (await app.inject(`/api/v1/sessions/${id}/turns`)).json();
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({ status: "success" });
    expect(turns[0]).not.toHaveProperty("prompt");
    expect(turns[0]).not.toHaveProperty("answer");
  });

  it("answers 404 for an unknown session and 400 for a malformed id", async () => {
    const { app } = await testServer();
    const missing = await app.inject(`/api/v1/sessions/${"0".repeat(32)}/turns`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("session_not_found");
    expect((await app.inject("/api/v1/sessions/not-hex/turns")).statusCode).toBe(400);
  });

  it("is in the OpenAPI document with its schema, and so is the search", async () => {
    const { app } = await testServer();
    const doc = (await app.inject("/openapi.json")).json();
    const turns = doc.paths["/api/v1/sessions/{id}/turns"]?.get;
    expect(turns?.responses?.["200"]).toBeDefined();
    expect(JSON.stringify(turns.responses["200"])).toContain("turns_dropped");
    const list = doc.paths["/api/v1/sessions"].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toContain("q");
  });
});

describe("GET /api/v1/sessions?q=", () => {
  it("finds sessions by a later turn's prompt, title or tag, case-insensitively, with the other filters", async () => {
    const { app, store } = await testServer();
    const otter = (await app.inject(post("/api/v1/prompt", { backend: "codex", prompt: "hello" }))).json()
      .session_id as string;
    await app.inject(post(`/api/v1/sessions/${otter}/resume`, { prompt: "What about the OTTER?" }));
    const other = (await app.inject(post("/api/v1/prompt", { backend: "gemini", prompt: "hello" }))).json()
      .session_id as string;
    await store.update(other, (s) => {
      s.title = "Otter habitat";
    });
    await app.inject(post("/api/v1/prompt", { backend: "claude", prompt: "unrelated" }));
    const search = async (query: string) => {
      const response = await app.inject(`/api/v1/sessions?${query}`);
      expect(response.statusCode).toBe(200);
      return response.json();
    };
    const found = await search("q=otter");
    expect(found.total).toBe(2);
    expect(found.sessions.map((s: { id: string }) => s.id).sort()).toEqual([otter, other].sort());
    expect((await search("q=otter&backend=codex")).sessions.map((s: { id: string }) => s.id)).toEqual([otter]);
    expect((await search("q=%25")).total).toBe(0);
    expect((await search("q=")).total).toBe(3);
  });

  it("refuses a search longer than 200 characters, saying so", async () => {
    const { app } = await testServer();
    const response = await app.inject(`/api/v1/sessions?q=${"x".repeat(201)}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/q|200/);
  });
});
