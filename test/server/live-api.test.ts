// The server's face of live CLI processes: live prompts (warm and cold), interrupt by run id, the
// pending approvals API, /health's live counts, and no process left once the server has closed.
import type { AddressInfo } from "node:net";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/config/schema.js";
import { LivePool } from "../../src/engine/live-pool.js";
import { prewarmLive } from "../../src/server/service/prewarm.js";
import { fakeLiveRegistry } from "../engine/fake-live-protocol.js";
import { ndjson, testServer } from "./test-server.js";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** The fake's conversation is `conv-<its pid>`. */
const pidOf = (conversation: string) => Number(conversation.slice(5));

async function liveServer(change: (config: Config) => void = () => {}) {
  const pool = new LivePool({ maxIdlePerBackend: 2, idleMs: 60_000 });
  const server = await testServer(change, { registry: fakeLiveRegistry(), livePool: pool });
  closers.push(() => server.app.close());
  return { ...server, pool };
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("timed out waiting");
}

const prompt = (app: FastifyInstance, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  app.inject({ method: "POST", url: "/api/v1/prompt", payload: { backend: "claude", ...payload }, headers });

interface Event {
  type: string;
  live?: string;
  message?: string;
  state?: string;
}
const eventsOf = (response: LightMyRequestResponse) => ndjson(response.body) as Event[];
const historyOf = (events: Event[]) =>
  JSON.parse(events.find((e) => e.type === "notice" && e.message?.startsWith("history:"))?.message?.slice(9) ?? "");

/** The one pending approval the key sees, once there is one. */
const pendingApproval = (app: FastifyInstance, headers: Record<string, string> = {}) =>
  until(async () => {
    const { approvals } = (await app.inject({ url: "/api/v1/approvals", headers })).json();
    return approvals.length > 0 ? approvals[0] : undefined;
  });

describe("live runs on the server", () => {
  it("a live prompt starts cold, the session's next prompt finds its process warm; /health counts it", async () => {
    const { app, pool } = await liveServer();
    const first = await prompt(app, { prompt: "one", live: true, output_format: "stream-json" });
    expect(first.statusCode).toBe(200);
    const firstEvents = eventsOf(first);
    expect(firstEvents.find((e) => e.type === "start")?.live).toBe("cold");
    const result = firstEvents.at(-1) as unknown as { session_id: string; backend_session_id: string };
    expect(pool.stats().claude).toEqual({ idle: 1, busy: 0 });
    const health = (await app.inject("/health")).json();
    expect(health.backends.find((b: { name: string }) => b.name === "claude").live).toEqual({ idle: 1, busy: 0 });
    expect(health.backends.find((b: { name: string }) => b.name === "codex").live).toEqual({ idle: 0, busy: 0 });

    const second = await prompt(app, {
      prompt: "two",
      live: true,
      session_id: result.session_id,
      output_format: "stream-json",
    });
    const secondEvents = eventsOf(second);
    expect(secondEvents.find((e) => e.type === "start")?.live).toBe("warm");
    expect(historyOf(secondEvents)).toEqual(["one", "two"]);

    // The resume route takes live too.
    const third = await app.inject({
      method: "POST",
      url: `/api/v1/sessions/${result.session_id}/resume`,
      payload: { prompt: "three", live: true, output_format: "stream-json" },
    });
    expect(historyOf(eventsOf(third))).toEqual(["one", "two", "three"]);
    expect(eventsOf(third).find((e) => e.type === "start")?.live).toBe("warm");
  });

  it("interrupt by run id stops the turn, keeps the process, and the next prompt continues the conversation", async () => {
    const { app } = await liveServer();
    const hanging = prompt(app, { prompt: "hang", live: true });
    const run = await until(async () => {
      const { runs } = (await app.inject("/api/v1/runs?state=running")).json();
      return runs[0];
    });
    // Wait for the turn to be under way (its first text) before interrupting it.
    await until(async () => (await app.inject(`/api/v1/runs/${run.id}`)).json().event_count >= 2);
    const interrupted = await app.inject({ method: "POST", url: `/api/v1/runs/${run.id}/interrupt` });
    expect(interrupted.statusCode).toBe(200);
    expect(interrupted.json()).toMatchObject({ interrupted: true, run: { id: run.id } });

    const answer = (await hanging).json();
    expect(answer).toMatchObject({ status: "error", error_code: "interrupted", output: "thinking..." });
    expect((await app.inject(`/api/v1/runs/${run.id}`)).json().state).toBe("interrupted");
    expect((await app.inject("/api/v1/runs?state=interrupted")).json().runs).toHaveLength(1);

    const next = await prompt(app, {
      prompt: "after",
      live: true,
      session_id: answer.session_id,
      output_format: "stream-json",
    });
    const events = eventsOf(next);
    expect(events.find((e) => e.type === "start")?.live).toBe("warm");
    expect(historyOf(events)).toEqual(["hang", "after"]);

    // An ended run: 409; an unknown one: 404; an id of the wrong shape: 400.
    const ended = await app.inject({ method: "POST", url: `/api/v1/runs/${run.id}/interrupt` });
    expect(ended.statusCode).toBe(409);
    expect(ended.json().error.code).toBe("run_finished");
    const unknown = await app.inject({ method: "POST", url: `/api/v1/runs/${"0".repeat(32)}/interrupt` });
    expect(unknown.statusCode).toBe(404);
    expect((await app.inject({ method: "POST", url: "/api/v1/runs/nope/interrupt" })).statusCode).toBe(400);
  });

  it("a run interrupted while it waits in the queue stops its turn as soon as it starts", async () => {
    const { app } = await liveServer((config) => {
      config.concurrency.max_running = 1;
    });
    const first = prompt(app, { prompt: "hang", live: true });
    const running = await until(async () => (await app.inject("/api/v1/runs?state=running")).json().runs[0]);
    const second = prompt(app, { prompt: "hang", live: true });
    const queued = await until(async () => (await app.inject("/api/v1/runs?state=queued")).json().runs[0]);
    const early = await app.inject({ method: "POST", url: `/api/v1/runs/${queued.id}/interrupt` });
    expect(early.json()).toMatchObject({ interrupted: true, run: { state: "queued" } });
    await until(async () => (await app.inject(`/api/v1/runs/${running.id}`)).json().event_count >= 2);
    await app.inject({ method: "POST", url: `/api/v1/runs/${running.id}/interrupt` });
    expect((await first).json().error_code).toBe("interrupted");
    expect((await second).json().error_code).toBe("interrupted");
    expect((await app.inject(`/api/v1/runs/${queued.id}`)).json().state).toBe("interrupted");
  });

  it("allowing a call is granting its tool: refused (403) unless the server lets network clients grant it", async () => {
    const { app } = await liveServer();
    const asking = prompt(app, { prompt: "ask", ask_permissions: true });
    const approval = await pendingApproval(app);
    const refused = await app.inject({
      method: "POST",
      url: `/api/v1/approvals/${approval.id}`,
      payload: { behavior: "allow" },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain("does not let network clients allow Bash");
    // Still pending: a deny goes through.
    const denied = await app.inject({
      method: "POST",
      url: `/api/v1/approvals/${approval.id}`,
      payload: { behavior: "deny" },
    });
    expect(denied.statusCode).toBe(200);
    expect((await asking).json().output).toBe("not run");
  });

  it("ask_permissions parks the tool call in the approvals API: allow (with an edited input) and deny", async () => {
    const { app } = await liveServer((config) => {
      config.server.grantable_tools = ["Bash"];
    });
    const asking = prompt(app, { prompt: "ask", ask_permissions: true });
    const approval = await pendingApproval(app);
    expect(approval).toMatchObject({ backend: "claude", tool: "Bash", input: { command: "ls" } });
    expect(approval.id).toMatch(/^[a-f0-9]{32}$/);
    expect(approval.run_id).toMatch(/^[a-f0-9]{32}$/);
    expect(approval.session_id).toMatch(/^[a-f0-9]{32}$/);
    expect(typeof approval.workdir).toBe("string");
    expect(Date.parse(approval.expires_at) - Date.parse(approval.created_at)).toBe(120_000);
    expect((await app.inject(`/api/v1/runs/${approval.run_id}`)).json().state).toBe("running");
    expect((await app.inject(`/api/v1/approvals/${approval.id}`)).json()).toEqual(approval);
    expect((await app.inject("/health")).json().runs.approvals_pending).toBe(1);

    // A bad body is a 400, and leaves the request pending.
    const bad = await app.inject({
      method: "POST",
      url: `/api/v1/approvals/${approval.id}`,
      payload: { behavior: "maybe" },
    });
    expect(bad.statusCode).toBe(400);
    expect((await app.inject({ url: "/api/v1/approvals/not-an-id" })).statusCode).toBe(400);

    const decided = await app.inject({
      method: "POST",
      url: `/api/v1/approvals/${approval.id}`,
      payload: { behavior: "allow", input: { command: "pwd" } },
    });
    expect(decided.statusCode).toBe(200);
    expect(decided.json()).toMatchObject({
      id: approval.id,
      decision: { behavior: "allow", input: { command: "pwd" } },
      approval: { tool: "Bash" },
    });
    const allowed = (await asking).json();
    expect(allowed).toMatchObject({ status: "success", output: 'ran {"command":"pwd"}' });
    // Decided: gone from the list; deciding again is a 404.
    expect((await app.inject("/api/v1/approvals")).json().approvals).toEqual([]);
    const again = await app.inject({
      method: "POST",
      url: `/api/v1/approvals/${approval.id}`,
      payload: { behavior: "deny" },
    });
    expect(again.statusCode).toBe(404);
    expect((await app.inject(`/api/v1/approvals/${approval.id}`)).statusCode).toBe(404);

    // The resume route asks too.
    const denying = app.inject({
      method: "POST",
      url: `/api/v1/sessions/${allowed.session_id}/resume`,
      payload: { prompt: "ask", ask_permissions: true, output_format: "stream-json" },
    });
    const second = await pendingApproval(app);
    expect(second.session_id).toBe(allowed.session_id);
    await app.inject({
      method: "POST",
      url: `/api/v1/approvals/${second.id}`,
      payload: { behavior: "deny", message: "not today" },
    });
    const events = eventsOf(await denying);
    expect((events.at(-1) as unknown as { text: string }).text).toBe("not run");
    expect(events.find((e) => e.type === "permission" && e.state === "denied")).toMatchObject({ message: "not today" });
  });

  it("a request no one decides gets server.approval_timeout_decision after server.approval_wait_secs", async () => {
    const { app, live } = await liveServer((config) => {
      config.server.approval_wait_secs = 1;
    });
    const denied = (await prompt(app, { prompt: "ask", ask_permissions: true })).json();
    expect(denied.output).toBe("not run");

    live.set({ ...live.current, server: { ...live.current.server, approval_timeout_decision: "allow" } });
    const allowed = (await prompt(app, { prompt: "ask", ask_permissions: true })).json();
    expect(allowed.output).toBe('ran {"command":"ls"}');
    expect((await app.inject("/api/v1/approvals")).json().approvals).toEqual([]);
  });

  it("only the key that started the run sees and decides its approvals", async () => {
    const { app } = await liveServer((config) => {
      config.server.api_keys = ["key-of-alice-0123456789", "key-of-bob-0123456789"];
    });
    const alice = { "x-api-key": "key-of-alice-0123456789" };
    const bob = { authorization: "Bearer key-of-bob-0123456789" };
    const asking = prompt(app, { prompt: "ask", ask_permissions: true }, alice);
    const approval = await pendingApproval(app, alice);
    expect((await app.inject({ url: "/api/v1/approvals", headers: bob })).json().approvals).toEqual([]);
    expect((await app.inject({ url: `/api/v1/approvals/${approval.id}`, headers: bob })).statusCode).toBe(404);
    const stolen = await app.inject({
      method: "POST",
      url: `/api/v1/approvals/${approval.id}`,
      payload: { behavior: "allow" },
      headers: bob,
    });
    expect(stolen.statusCode).toBe(404);
    expect((await app.inject({ url: "/api/v1/approvals" })).statusCode).toBe(401);
    const decided = await app.inject({
      method: "POST",
      url: `/api/v1/approvals/${approval.id}`,
      payload: { behavior: "deny" },
      headers: alice,
    });
    expect(decided.statusCode).toBe(200);
    expect((await asking).json().output).toBe("not run");
  });

  it("a run that ends takes its pending approvals with it", async () => {
    const { app } = await liveServer();
    const asking = prompt(app, { prompt: "ask", ask_permissions: true });
    const approval = await pendingApproval(app);
    await app.inject({ method: "POST", url: `/api/v1/runs/${approval.run_id}/cancel` });
    expect((await asking).json().error_code).toBe("cancelled");
    expect((await app.inject("/api/v1/approvals")).json().approvals).toEqual([]);
  });

  it("live.prewarm starts idle processes through the serving engine: a new session's first prompt is warm", async () => {
    const { app, pool } = await liveServer();
    await prewarmLive(app, { claude: 1, codex: 1 }); // codex has no live mode here: logged, not fatal
    expect(pool.stats()).toEqual({ claude: { idle: 1, busy: 0 } });
    const first = eventsOf(await prompt(app, { prompt: "first", live: true, output_format: "stream-json" }));
    expect(first.find((e) => e.type === "start")?.live).toBe("warm");
    expect(historyOf(first)).toEqual(["first"]);
  });

  it("closing the server denies the approvals that wait, so that their requests finish", async () => {
    const { app } = await liveServer();
    await app.listen({ port: 0, host: "127.0.0.1" });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const asking = fetch(`${base}/api/v1/prompt`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ backend: "claude", prompt: "ask", ask_permissions: true }),
    });
    await pendingApproval(app);
    const closed = app.close();
    const answer = (await (await asking).json()) as { output: string };
    expect(answer.output).toBe("not run");
    // The test client keeps its connection alive after the answer: Node's close waits for it otherwise.
    app.server.closeIdleConnections();
    await closed;
  });

  it("closing the server ends every live process: the pool is empty and the fake is gone", async () => {
    const { app, pool } = await liveServer();
    const answer = (await prompt(app, { prompt: "one", live: true })).json();
    const pid = pidOf(answer.backend_session_id);
    expect(isAlive(pid)).toBe(true);
    expect(pool.stats().claude).toEqual({ idle: 1, busy: 0 });
    await app.close();
    expect(pool.stats()).toEqual({});
    await until(() => !isAlive(pid));
  });
});
