import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ndjson, sse, testServer } from "./test-server.js";

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => ({
  method: "POST" as const,
  url,
  payload: payload as object,
  headers,
});

describe("POST /api/v1/prompt", () => {
  it("runs a prompt and answers in the Go clinvoker's fields, creating a session", async () => {
    const { app, store } = await testServer();
    const response = await app.inject(post("/api/v1/prompt", { backend: "codex", prompt: "hello" }));
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ backend: "codex", status: "success", exit_code: 0, output: "echo: hello" });
    expect(body.session_id).toMatch(/^[a-f0-9]{32}$/);
    expect(body.token_usage).toMatchObject({ input_tokens: 10, output_tokens: 3 });
    expect(typeof body.duration_ms).toBe("number");
    expect((await store.get(body.session_id)).backend_session_id).toBeTruthy();
    expect(response.headers["x-request-id"]).toBeTruthy();
  });

  it("ephemeral runs leave no session; session_id continues one", async () => {
    const { app, store } = await testServer();
    const eph = await app.inject(post("/api/v1/prompt", { prompt: "x", ephemeral: true }));
    expect(eph.json()).toHaveProperty("session_id", null); // always present, as in the Go API
    const dry = await app.inject(post("/api/v1/prompt", { prompt: "x", dry_run: true }));
    expect(dry.json()).toMatchObject({ dry_run: true, session_id: null });
    const first = (await app.inject(post("/api/v1/prompt", { backend: "gemini", prompt: "one" }))).json();
    const second = (await app.inject(post("/api/v1/prompt", { prompt: "two", session_id: first.session_id }))).json();
    expect(second).toMatchObject({ session_id: first.session_id, backend: "gemini" });
    expect((await store.get(first.session_id)).turn_count).toBe(2);
  });

  it("streams unified events as NDJSON for output_format stream-json", async () => {
    const { app } = await testServer();
    const response = await app.inject(post("/api/v1/prompt", { prompt: "hi", output_format: "stream-json" }));
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("application/x-ndjson");
    expect(response.headers["x-request-id"]).toBeTruthy();
    const events = ndjson(response.body);
    expect(events[0]).toMatchObject({ type: "start", v: 1 });
    expect(events.at(-1)).toMatchObject({ type: "result", text: "echo: hi" });
  });

  it("streams Server-Sent Events when the client accepts text/event-stream", async () => {
    const { app } = await testServer();
    const response = await app.inject(post("/api/v1/prompt", { prompt: "hi" }, { accept: "text/event-stream" }));
    expect(response.headers["content-type"]).toContain("text/event-stream");
    const frames = sse(response.body);
    expect(frames.at(-1)).toMatchObject({ event: "result", data: { type: "result", text: "echo: hi" } });
  });

  it("an execution failure is a 200 result with its classified error", async () => {
    const { app } = await testServer();
    const body = (await app.inject(post("/api/v1/prompt", { prompt: "FAIL please" }))).json();
    expect(body).toMatchObject({ status: "error", exit_code: 1, error_code: "api_error" });
  });

  it.each([
    [{ prompt: "x", bogus: true }, 400, 'unknown field "bogus"'],
    [{}, 400, "prompt"],
    [{ prompt: "" }, 400, "prompt"],
    [{ prompt: 5 }, 400, "prompt"],
    [{ prompt: "x", backend: "chatgpt" }, 400, "backend"],
    [{ prompt: "x", max_turns: -1 }, 400, "max_turns"],
    [{ prompt: "x", workdir: "relative/dir" }, 400, "absolute"],
    [{ prompt: "x", workdir: "/etc" }, 400, "not allowed (under /etc)"],
    [{ prompt: "x", workdir: "/nonexistent/dir" }, 400, "does not exist"],
    [{ prompt: "x", workdir: "/" }, 400, "holds everybody's files"],
    [{ prompt: "x", workdir: "/usr" }, 400, "holds everybody's files"],
    [{ prompt: "x", workdir: "/var" }, 400, "holds everybody's files"],
    [{ prompt: "x", workdir: "/etc/.." }, 400, "holds everybody's files"],
    [{ prompt: "x", approval_mode: "none" }, 400, "not allowed from the network"],
    [{ prompt: "x", sandbox_mode: "full" }, 400, "not allowed from the network"],
    [{ prompt: "x", extra: ["--dangerously-skip-permissions"] }, 400, "not allowed"],
    [{ prompt: "x", model: "--evil" }, 400, "invalid model"],
    [{ prompt: "x", session_id: "../../etc/passwd" }, 404, "invalid session id"],
    [{ prompt: "x", session_id: "0".repeat(32) }, 404, "no session"],
  ])("%j → %i with one error shape", async (payload, status, message) => {
    const { app } = await testServer();
    const response = await app.inject(post("/api/v1/prompt", payload));
    expect(response.statusCode).toBe(status);
    const body = response.json();
    expect(Object.keys(body)).toEqual(["error"]);
    expect(typeof body.error.code).toBe("string");
    expect(body.error.message).toContain(message);
  });

  it("malformed JSON, a wrong content type and an oversized body are 4xx, never 500", async () => {
    const { app } = await testServer((c) => {
      c.server.max_request_body_bytes = 1000;
    });
    const bad = await app.inject({
      method: "POST",
      url: "/api/v1/prompt",
      payload: '{"prompt":',
      headers: { "content-type": "application/json" },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain("malformed JSON");
    const text = await app.inject({
      method: "POST",
      url: "/api/v1/prompt",
      payload: "hi",
      headers: { "content-type": "text/plain" },
    });
    expect(text.statusCode).toBe(415);
    const big = await app.inject(post("/api/v1/prompt", { prompt: "x".repeat(5000) }));
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe("payload_too_large");
  });

  it("a missing CLI is 503 backend_unavailable", async () => {
    const { app } = await testServer((c) => {
      c.backends.gemini.binary = "/nonexistent/gemini";
    });
    const response = await app.inject(post("/api/v1/prompt", { backend: "gemini", prompt: "x" }));
    expect(response.statusCode).toBe(503);
    expect(response.json().error.code).toBe("backend_unavailable");
  });

  it("workdirs outside the allowed prefixes are refused", async () => {
    const { app } = await testServer((c) => {
      c.server.allowed_workdir_prefixes = ["/nonexistent-root"];
    });
    const response = await app.inject(
      post("/api/v1/prompt", { prompt: "x", workdir: mkdtempSync(join(tmpdir(), "clinvk-outside-")) }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().error.hint).toContain("/nonexistent-root");
  });

  it.each([
    ["claude", ["--permission-mode=bypassPermissions"]],
    ["claude", ["--permission-mode", "bypassPermissions"]],
    ["gemini", ["--yolo"]],
    ["gemini", ["--approval-mode=yolo"]],
    ["codex", ["--sandbox", "danger-full-access"]],
    ["codex", ["--full-auto"]],
  ])("%s extra flags %j cannot switch approvals or the sandbox off from the network", async (backend, extra) => {
    const { app } = await testServer();
    const response = await app.inject(post("/api/v1/prompt", { backend, prompt: "x", extra, dry_run: true }));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/not allowed from the network/);
    const parallel = await app.inject(
      post("/api/v1/parallel", { tasks: [{ backend, prompt: "x", extra }], dry_run: true }),
    );
    expect(parallel.statusCode).toBe(400);
  });

  it("server.allow_dangerous_modes lets those extra flags through", async () => {
    const { app } = await testServer((c) => {
      c.server.allow_dangerous_modes = true;
    });
    const response = await app.inject(
      post("/api/v1/prompt", { backend: "gemini", prompt: "x", extra: ["--yolo"], dry_run: true }),
    );
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ["claude", ["--add-dir=/etc"]],
    ["codex", ["--add-dir", "/var"]],
    ["gemini", ["--include-directories=/var"]],
  ])("%s extra flags %j cannot add a directory outside the allowed prefixes", async (backend, extra) => {
    const { app } = await testServer((c) => {
      c.server.allowed_workdir_prefixes = ["/tmp"];
    });
    const response = await app.inject(post("/api/v1/prompt", { backend, prompt: "x", extra, dry_run: true }));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/is not allowed/);
  });
});

describe("tool grants from the network", () => {
  it.each([
    ["claude", { allowed_tools: ["Bash"] }],
    ["claude", { extra: ["--allowedTools", "Bash"] }],
    ["claude", { extra: ["--allowed-tools=Read Bash(rm:*)"] }],
    ["claude", { extra: ["--tools", "Bash,Edit"] }],
    ["claude", { extra: ["--agent", "reviewer"] }],
    ["gemini", { allowed_tools: ["run_shell_command"] }],
    ["gemini", { extra: ["--allowed-tools=run_shell_command"] }],
  ])("%s %j is refused by default, on prompts and workflows", async (backend, fields) => {
    const { app } = await testServer();
    const response = await app.inject(post("/api/v1/prompt", { backend, prompt: "x", ...fields, dry_run: true }));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/may not grant|not allowed from the network/);
    const chain = await app.inject(
      post("/api/v1/chain", { steps: [{ backend, prompt: "x", ...fields }], dry_run: true }),
    );
    expect(chain.statusCode).toBe(400);
  });

  it("server.grantable_tools lists the tools a request may grant; the rest stay refused", async () => {
    const { app } = await testServer((c) => {
      c.server.grantable_tools = ["Read", "Bash(git log:*)"];
    });
    const granted = await app.inject(
      post("/api/v1/prompt", { prompt: "x", extra: ["--allowedTools", "Read,Bash(git log:*)"], dry_run: true }),
    );
    expect(granted.statusCode).toBe(200);
    expect(granted.json().output).toContain("'Read,Bash(git log:*)'");
    const refused = await app.inject(
      post("/api/v1/prompt", { prompt: "x", allowed_tools: ["Read", "Bash"], dry_run: true }),
    );
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toBe("allowed_tools may not grant Bash from the network");
    expect(refused.json().error.hint).toContain("Read, Bash(git log:*)");
  });

  it('"*" lets any tool be granted; trusted config (backends.claude.allowed_tools) is not the network\'s', async () => {
    const { app } = await testServer((c) => {
      c.backends.claude.allowed_tools = ["Bash"];
    });
    const configured = await app.inject(post("/api/v1/prompt", { prompt: "x", dry_run: true }));
    expect(configured.statusCode).toBe(200);
    expect(configured.json().output).toContain("Bash");
    const { app: open } = await testServer((c) => {
      c.server.grantable_tools = ["*"];
    });
    const any = await open.inject(post("/api/v1/prompt", { prompt: "x", allowed_tools: ["Bash"], dry_run: true }));
    expect(any.statusCode).toBe(200);
  });
});

describe("one turn of a session at a time", () => {
  it("a second resume while the first runs is a 409; the next one after it goes through", async () => {
    const { app, store } = await testServer(() => {}, { delayMs: 600 });
    const session = await store.create({ backend: "claude", working_dir: process.cwd(), backend_session_id: "cli-1" });
    const resume = () => app.inject(post(`/api/v1/sessions/${session.id}/resume`, { prompt: "go on" }));
    const [a, b] = await Promise.all([resume(), resume()]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const refused = a.statusCode === 409 ? a : b;
    expect(refused.json().error.message).toContain("is running a turn already");
    expect((await resume()).statusCode).toBe(200);
    expect((await store.get(session.id)).running).toBeUndefined();
  });
});

describe("the workdir policy on every path that runs a CLI", () => {
  async function sessionOutside() {
    const outside = mkdtempSync(join(tmpdir(), "clinvk-outside-"));
    const allowed = mkdtempSync(join(tmpdir(), "clinvk-allowed-"));
    const server = await testServer((c) => {
      c.server.allowed_workdir_prefixes = [allowed];
    });
    const session = await server.store.create({ backend: "claude", working_dir: outside, backend_session_id: "cli-1" });
    return { ...server, id: session.id, outside };
  }

  it("resuming a session made in a directory outside the policy is refused, by id or by session_id", async () => {
    const { app, id, outside } = await sessionOutside();
    const resume = await app.inject(post(`/api/v1/sessions/${id}/resume`, { prompt: "go on" }));
    expect(resume.statusCode).toBe(400);
    expect(resume.json().error.message).toBe(`workdir ${outside} is not allowed`);
    const viaPrompt = await app.inject(post("/api/v1/prompt", { prompt: "go on", session_id: id }));
    expect(viaPrompt.statusCode).toBe(400);
    expect(viaPrompt.json().error.message).toContain("is not allowed");
  });

  it("the server's own directory is judged too when a request names none", async () => {
    const { app } = await testServer((c) => {
      c.server.allowed_workdir_prefixes = ["/nonexistent-root"];
    });
    const response = await app.inject(post("/api/v1/prompt", { prompt: "x", dry_run: true }));
    expect(response.statusCode).toBe(400);
    const compare = await app.inject(post("/api/v1/compare", { prompt: "x", backends: ["claude"], dry_run: true }));
    expect(compare.statusCode).toBe(400);
  });
});

describe("workflows over HTTP", () => {
  it("parallel returns the summary; with Accept: application/x-ndjson it streams progress", async () => {
    const { app } = await testServer();
    const payload = {
      tasks: [
        { id: "a", prompt: "one" },
        { id: "b", prompt: "two {{tasks.a.output}}", depends_on: ["a"] },
      ],
    };
    const summary = (await app.inject(post("/api/v1/parallel", payload))).json();
    expect(summary).toMatchObject({ total_tasks: 2, completed: 2 });
    expect(summary.results[1].output).toBe("echo: two echo: one");
    const streamed = ndjson(
      (await app.inject(post("/api/v1/parallel", payload, { accept: "application/x-ndjson" }))).body,
    );
    expect(streamed.map((e) => e.type)).toContain("task_started");
    expect(streamed.at(-1)).toMatchObject({ type: "summary", summary: { completed: 2 } });
  });

  it("a bad workflow is a 400 before anything runs", async () => {
    const { app } = await testServer();
    const cycle = await app.inject(
      post("/api/v1/parallel", {
        tasks: [
          { id: "a", prompt: "x", depends_on: ["b"] },
          { id: "b", prompt: "y", depends_on: ["a"] },
        ],
      }),
    );
    expect(cycle.statusCode).toBe(400);
    expect(cycle.json().error.message).toContain("cycle");
    const empty = await app.inject(post("/api/v1/parallel", { tasks: [] }));
    expect(empty.statusCode).toBe(400);
  });

  it("chain and compare", async () => {
    const { app } = await testServer();
    const chain = (
      await app.inject(
        post("/api/v1/chain", { steps: [{ prompt: "a" }, { backend: "codex", prompt: "b {{previous}}" }] }),
      )
    ).json();
    expect(chain.results.map((r: { output: string }) => r.output)).toEqual(["echo: a", "echo: b echo: a"]);
    const compare = (
      await app.inject(post("/api/v1/compare", { backends: ["claude", "gemini"], prompt: "hi" }))
    ).json();
    expect(compare.results.map((r: { backend: string }) => r.backend)).toEqual(["claude", "gemini"]);
  });
});

describe("sessions over HTTP", () => {
  it("list with filters and paging, get by prefix, resume, delete", async () => {
    const { app } = await testServer();
    const a = (await app.inject(post("/api/v1/prompt", { backend: "claude", prompt: "one" }))).json();
    await app.inject(post("/api/v1/prompt", { backend: "codex", prompt: "two" }));
    const list = (await app.inject({ method: "GET", url: "/api/v1/sessions?backend=claude" })).json();
    expect(list).toMatchObject({ total: 1, limit: 100, offset: 0 });
    expect(
      (await app.inject({ method: "GET", url: "/api/v1/sessions?limit=1&offset=1" })).json().sessions,
    ).toHaveLength(1);
    expect((await app.inject({ method: "GET", url: `/api/v1/sessions/${a.session_id.slice(0, 8)}` })).json().id).toBe(
      a.session_id,
    );
    const resumed = (await app.inject(post(`/api/v1/sessions/${a.session_id}/resume`, { prompt: "more" }))).json();
    expect(resumed).toMatchObject({ session_id: a.session_id, output: "echo: more" });
    expect((await app.inject({ method: "DELETE", url: `/api/v1/sessions/${a.session_id}` })).json()).toEqual({
      deleted: true,
      id: a.session_id,
    });
    expect((await app.inject({ method: "GET", url: `/api/v1/sessions/${a.session_id}` })).statusCode).toBe(404);
  });

  it("rejects invalid ids and queries", async () => {
    const { app } = await testServer();
    expect((await app.inject({ method: "GET", url: "/api/v1/sessions/..%2F..%2Fetc" })).statusCode).toBe(400);
    expect((await app.inject({ method: "GET", url: "/api/v1/sessions?status=weird" })).statusCode).toBe(400);
    expect((await app.inject({ method: "GET", url: "/api/v1/sessions?limit=abc" })).statusCode).toBe(400);
    expect((await app.inject({ method: "DELETE", url: `/api/v1/sessions/${"a".repeat(32)}` })).statusCode).toBe(404);
  });
});

describe("backends, health, docs, metrics", () => {
  it("GET /api/v1/backends and /health", async () => {
    const { app } = await testServer((c) => {
      c.backends.gemini.binary = "/nonexistent/gemini";
    });
    const backends = (await app.inject({ method: "GET", url: "/api/v1/backends" })).json().backends;
    expect(backends.map((b: { name: string; available: boolean }) => [b.name, b.available])).toEqual([
      ["claude", true],
      ["codex", true],
      ["gemini", false],
    ]);
    const health = await app.inject({ method: "GET", url: "/health" });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: "degraded", session_store: { available: true } });
  });

  it("serves /openapi.json generated from the request schemas, and /docs", async () => {
    const { app } = await testServer();
    const spec = (await app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(["/api/v1/prompt", "/api/v1/sessions/{id}", "/health"]),
    );
    expect(
      spec.paths["/api/v1/prompt"].post.requestBody.content["application/json"].schema.properties.prompt,
    ).toBeTruthy();
    const docs = await app.inject({ method: "GET", url: "/docs" });
    expect(docs.headers["content-type"]).toContain("text/html");
    expect(docs.body).toContain("POST /api/v1/prompt");
  });

  it("/metrics is off by default and counts requests and runs when on", async () => {
    const off = await testServer();
    expect((await off.app.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(404);
    const { app } = await testServer((c) => {
      c.server.metrics_enabled = true;
    });
    await app.inject(post("/api/v1/prompt", { backend: "codex", prompt: "x" }));
    const text = (await app.inject({ method: "GET", url: "/metrics" })).body;
    expect(text).toMatch(/clinvk_runs_total\{backend="codex",outcome="success"\} 1/);
    expect(text).toMatch(/clinvk_http_requests_total\{method="POST",route="\/api\/v1\/prompt",status="200"\} 1/);
    expect(text).toMatch(/clinvk_tokens_total\{backend="codex",kind="input"\} 10/);
    expect(text).toContain("clinvk_runs_queued");
  });

  it("unknown routes are a JSON 404", async () => {
    const { app } = await testServer();
    const response = await app.inject({ method: "GET", url: "/nope" });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe("not_found");
  });
});
