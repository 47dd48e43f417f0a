import { describe, expect, it } from "vitest";
import { testServer } from "./test-server.js";

const post = (url: string, payload?: object) => ({ method: "POST" as const, url, ...(payload ? { payload } : {}) });

async function withSession(backend: "claude" | "codex") {
  const server = await testServer();
  const answer = (await server.app.inject(post("/api/v1/prompt", { backend, prompt: "hello" }))).json();
  return { ...server, id: answer.session_id as string };
}

describe("POST /api/v1/sessions/{id}/tags", () => {
  it("adds and removes tags, without duplicates, by id or prefix", async () => {
    const { app, store, id } = await withSession("codex");
    const added = await app.inject(post(`/api/v1/sessions/${id.slice(0, 8)}/tags`, { add: ["review", "review", "x"] }));
    expect(added.statusCode).toBe(200);
    expect(added.json().tags).toEqual(["review", "x"]);
    const removed = await app.inject(post(`/api/v1/sessions/${id}/tags`, { remove: ["x"], add: ["later"] }));
    expect(removed.json().tags).toEqual(["review", "later"]);
    expect((await store.get(id)).tags).toEqual(["review", "later"]);
  });

  it.each([
    [{}, "give tags"],
    [{ add: ["has,comma"] }, "add/0"],
    [{ add: [" leading"] }, "add/0"],
    [{ add: ["x".repeat(65)] }, "add/0"],
    [{ add: Array.from({ length: 33 }, (_, i) => `t${i}`) }, "add"],
    [{ tags: ["x"] }, 'unknown field "tags"'],
  ])("refuses %j", async (body, message) => {
    const { app, id } = await withSession("codex");
    const response = await app.inject(post(`/api/v1/sessions/${id}/tags`, body));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain(message);
  });

  it("answers 404 for an unknown session and 400 for a malformed id", async () => {
    const { app } = await testServer();
    expect((await app.inject(post(`/api/v1/sessions/${"0".repeat(32)}/tags`, { add: ["a"] }))).statusCode).toBe(404);
    expect((await app.inject(post("/api/v1/sessions/not-hex/tags", { add: ["a"] }))).statusCode).toBe(400);
  });
});

describe("POST /api/v1/sessions/{id}/fork", () => {
  it("forks a claude session into a new one that names its parent", async () => {
    const { app, store, id } = await withSession("claude");
    const response = await app.inject(post(`/api/v1/sessions/${id}/fork`));
    expect(response.statusCode).toBe(200);
    const fork = response.json();
    expect(fork.id).not.toBe(id);
    expect(fork).toMatchObject({ parent_id: id, backend: "claude" });
    expect((await store.get(fork.id)).parent_id).toBe(id);
  });

  it("refuses a backend that cannot fork, saying why", async () => {
    const { app, id } = await withSession("codex");
    const response = await app.inject(post(`/api/v1/sessions/${id}/fork`));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain("codex cannot fork");
  });
});

describe("POST /api/v1/compare with ephemeral: false", () => {
  it("keeps each backend's answer as a session; by default it keeps none", async () => {
    const { app, store } = await testServer();
    const body = { prompt: "which?", backends: ["claude", "codex", "gemini"] };
    await app.inject(post("/api/v1/compare", body));
    expect((await store.list()).total).toBe(0);
    const kept = (await app.inject(post("/api/v1/compare", { ...body, ephemeral: false }))).json();
    const ids = kept.results.map((r: { session_id?: string }) => r.session_id);
    expect(ids.every((id: unknown) => typeof id === "string")).toBe(true);
    const sessions = (await store.list()).sessions;
    expect(sessions.map((s) => s.backend).sort()).toEqual(["claude", "codex", "gemini"]);
  });
});
