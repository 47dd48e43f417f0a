// biome-ignore-all lint/suspicious/noExplicitAny: clinvk's JSON output and provider wire JSON are read loosely.
// Sessions, workflows, the server's native API and the SDK examples, each against the REAL claude, codex and
// gemini CLIs behind the provider stub.
import type { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_NAMES, type CliName, REPO_ROOT } from "./cli-env.js";
import { describeRun, realCliSuite, runClinvk, runDir, startServe } from "./clinvk-bin.js";
import { runInSandbox } from "./run-cli.js";
import type { Provider } from "./stub/index.js";

const PROVIDER: Record<CliName, Provider> = { claude: "anthropic", codex: "openai", gemini: "gemini" };
const e2e = realCliSuite();

const clinvk = (dir: string, args: string[]) => runClinvk(e2e.bin.cli, e2e.sb, dir, args);

const json = (stdout: string) => JSON.parse(stdout);
/** Everything the provider received in a request, as text (earlier turns included). */
const sent = (request: { body?: unknown }) => JSON.stringify(request.body ?? {});

describe.each(CLI_NAMES)("sessions with %s", (cli) => {
  it("resume --last sends the earlier turns to the CLI", async () => {
    const dir = runDir(e2e.sb);
    e2e.stub.script({ text: "The first answer is purple." });
    const first = await clinvk(dir, ["-b", cli, "-o", "json", "first question"]);
    expect(first.code, describeRun(first)).toBe(0);
    const session = json(first.stdout).session_id;
    const resumed = await clinvk(dir, ["resume", "--last", "-b", cli, "-o", "json", "and then?"]);
    expect(resumed.code, describeRun(resumed)).toBe(0);
    expect(json(resumed.stdout).session_id).toBe(session);
    const requests = e2e.stub.mainRequests(PROVIDER[cli]);
    const last = requests.at(-1);
    expect(last?.userText).toContain("and then?");
    expect(sent(last ?? {})).toContain("The first answer is purple.");
    const listed = json((await clinvk(dir, ["sessions", "show", session.slice(0, 8), "--json"])).stdout);
    expect(listed).toMatchObject({ backend: cli, turn_count: 2, status: "completed" });
  });
});

describe("sessions across processes", () => {
  it("a session is visible to a second process while the first still runs", async () => {
    const dir = runDir(e2e.sb);
    e2e.stub.script({ text: "slow answer", delayMs: 4000 });
    const running = clinvk(dir, ["-b", "claude", "-o", "json", "take your time"]);
    let seen: any;
    const deadline = Date.now() + 15_000;
    while (!seen && Date.now() < deadline) {
      const list = json((await clinvk(dir, ["sessions", "list", "--json", "--workdir", dir])).stdout);
      seen = list[0];
      if (!seen) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(seen).toMatchObject({ backend: "claude", status: "active" });
    const done = await running;
    expect(done.code, describeRun(done)).toBe(0);
    expect(json(done.stdout).session_id).toBe(seen.id);
  });
});

describe("workflows on the real CLIs", () => {
  it("parallel runs a task file across the three backends", async () => {
    const dir = runDir(e2e.sb);
    const tasks = JSON.stringify({
      tasks: CLI_NAMES.map((backend) => ({ id: backend, backend, prompt: `task for ${backend}` })),
    });
    const run = await runInSandbox(e2e.sb, process.execPath, [e2e.bin.cli, "parallel", "--json"], {
      cwd: dir,
      stdin: tasks,
      timeoutMs: 120_000,
    });
    expect(run.code, describeRun(run)).toBe(0);
    const summary = json(run.stdout);
    expect(summary).toMatchObject({ total_tasks: 3, completed: 3, failed: 0 });
    for (const result of summary.results) expect(result.output).toContain(`task for ${result.backend}`);
  });

  it("a chain's second step reaches its CLI with the first step's answer", async () => {
    const dir = runDir(e2e.sb);
    e2e.stub.script({ provider: "anthropic", text: "DRAFT-7731" });
    const chain = JSON.stringify({
      steps: [
        { backend: "claude", prompt: "draft" },
        { backend: "codex", prompt: "improve: {{previous}}" },
      ],
    });
    const run = await runInSandbox(e2e.sb, process.execPath, [e2e.bin.cli, "chain", "--json"], {
      cwd: dir,
      stdin: chain,
      timeoutMs: 120_000,
    });
    expect(run.code, describeRun(run)).toBe(0);
    expect(e2e.stub.mainRequests("openai").at(-1)?.userText).toContain("improve: DRAFT-7731");
  });

  it("compare puts the three real CLIs side by side", async () => {
    const run = await clinvk(runDir(e2e.sb), ["compare", "--all-backends", "--json", "same question"]);
    expect(run.code, describeRun(run)).toBe(0);
    const summary = json(run.stdout);
    expect(summary.backends).toEqual(["claude", "codex", "gemini"]);
    expect(summary.results.map((r: any) => r.status)).toEqual(["completed", "completed", "completed"]);
  });
});

describe("clinvk serve with the real CLIs", () => {
  let base = "";
  let server: ReturnType<typeof spawn> | undefined;
  beforeAll(async () => {
    ({ server, base } = await startServe(e2e.bin.cli, e2e.sb));
  });
  afterAll(() => {
    server?.kill("SIGTERM");
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it.each(CLI_NAMES)("POST /api/v1/prompt on %s: JSON, NDJSON and SSE", async (cli) => {
    const plain = await (
      await post("/api/v1/prompt", { backend: cli, prompt: "over http", workdir: e2e.sb.workDir })
    ).json();
    expect(plain).toMatchObject({ backend: cli, status: "success", output: expect.stringContaining("over http") });
    const ndjson = await (
      await post("/api/v1/prompt", {
        backend: cli,
        prompt: "streamed",
        ephemeral: true,
        output_format: "stream-json",
        workdir: e2e.sb.workDir,
      })
    ).text();
    const events = ndjson
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.at(-1)).toMatchObject({ type: "result", status: "success" });
    const sse = await (
      await post(
        "/api/v1/prompt",
        { backend: cli, prompt: "sse", ephemeral: true, workdir: e2e.sb.workDir },
        { accept: "text/event-stream" },
      )
    ).text();
    expect(sse).toContain("event: result");
  });

  it("a session started through the API goes on in the CLI, and the other way round", async () => {
    e2e.stub.script({ provider: "anthropic", text: "API-SIDE-ANSWER" });
    const viaApi: any = await (
      await post("/api/v1/prompt", { backend: "claude", prompt: "start over http", workdir: e2e.sb.workDir })
    ).json();
    const inCli = await clinvk(e2e.sb.workDir, [
      "resume",
      viaApi.session_id.slice(0, 8),
      "-o",
      "json",
      "continue in the terminal",
    ]);
    expect(inCli.code, describeRun(inCli)).toBe(0);
    expect(json(inCli.stdout).session_id).toBe(viaApi.session_id);
    expect(sent(e2e.stub.mainRequests("anthropic").at(-1) ?? {})).toContain("API-SIDE-ANSWER");

    e2e.stub.script({ provider: "openai", text: "CLI-SIDE-ANSWER" });
    const fromCli = json((await clinvk(runDir(e2e.sb), ["-b", "codex", "-o", "json", "start in the terminal"])).stdout);
    const viaApi2 = await (
      await post(`/api/v1/sessions/${fromCli.session_id}/resume`, { prompt: "continue over http" })
    ).json();
    expect(viaApi2).toMatchObject({ session_id: fromCli.session_id, status: "success" });
    expect(sent(e2e.stub.mainRequests("openai").at(-1) ?? {})).toContain("CLI-SIDE-ANSWER");
  });
});

describe("the compatible APIs with the official clients, real CLIs behind", () => {
  let base = "";
  let server: ReturnType<typeof spawn> | undefined;
  beforeAll(async () => {
    ({ server, base } = await startServe(e2e.bin.cli, e2e.sb));
  });
  afterAll(() => {
    server?.kill("SIGTERM");
  });

  it("openai: a three-turn chat resumes one CLI session (the stub sees resumes, not growing prompts)", async () => {
    const { default: OpenAI } = await import("openai");
    const client = new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local", maxRetries: 0 });
    const messages: { role: "user" | "assistant"; content: string }[] = [];
    const sessions = new Set<string>();
    e2e.stub.script({ text: "ANSWER-1" }, { text: "ANSWER-2" }, { text: "ANSWER-3" });
    for (const question of ["first turn", "second turn", "third turn"]) {
      messages.push({ role: "user", content: question });
      const { data, response } = await client.chat.completions
        .create({ model: "codex/gpt-5", messages })
        .withResponse();
      sessions.add(response.headers.get("x-clinvk-session") ?? "");
      messages.push({ role: "assistant", content: data.choices[0]?.message.content ?? "" });
    }
    expect(sessions.size).toBe(1);
    const requests = e2e.stub.mainRequests("openai").slice(-3);
    expect(requests.map((r) => r.userText)).toEqual(["first turn", "second turn", "third turn"]);
    // Each request's new user text is only the new question (a flattened history would repeat the
    // earlier turns in it), and the earlier answers travel as the CLI's own conversation.
    expect(sent(requests[2] ?? {})).toContain("ANSWER-2");
  });

  it("openai: streaming with usage, and the model list", async () => {
    const { default: OpenAI } = await import("openai");
    const client = new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local", maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "gemini/gemini-2.5-pro",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toContain("stream please");
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number) });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain("claude/sonnet");
  });

  it("openai: Responses, continued with previous_response_id, resume the CLI session", async () => {
    const { default: OpenAI } = await import("openai");
    const client = new OpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local", maxRetries: 0 });
    e2e.stub.script({ text: "RESPONSE-ONE" }, { text: "RESPONSE-TWO" });
    const first = await client.responses.create({ model: "codex/gpt-5", input: "first response question" });
    expect(first.output_text).toContain("RESPONSE-ONE");
    const second = await client.responses.create({
      model: "codex/gpt-5",
      input: "second response question",
      previous_response_id: first.id,
    });
    expect(second.output_text).toContain("RESPONSE-TWO");
    const requests = e2e.stub.mainRequests("openai").slice(-2);
    expect(requests.map((r) => r.userText)).toEqual(["first response question", "second response question"]);
    expect(sent(requests[1] ?? {})).toContain("RESPONSE-ONE");
  });

  it("LangChain's ChatOpenAI: invoke and stream on gemini", async () => {
    const { ChatOpenAI } = await import("@langchain/openai");
    const chat = new ChatOpenAI({
      model: "gemini/gemini-2.5-pro",
      apiKey: "local",
      maxRetries: 0,
      configuration: { baseURL: `${base}/openai/v1` },
    });
    const reply = await chat.invoke("hello langchain");
    expect(String(reply.content)).toContain("hello langchain");
    let streamed = "";
    for await (const chunk of await chat.stream("stream langchain")) streamed += String(chunk.content);
    expect(streamed).toContain("stream langchain");
    expect(e2e.stub.mainRequests("gemini").map((r) => r.userText)).toEqual(["hello langchain", "stream langchain"]);
  });

  it("the Vercel AI SDK: generateText on chat completions, streamText on Responses, on claude", async () => {
    const { createOpenAI } = await import("@ai-sdk/openai");
    const { generateText, streamText } = await import("ai");
    const provider = createOpenAI({ baseURL: `${base}/openai/v1`, apiKey: "local" });
    const generated = await generateText({
      model: provider.chat("claude/sonnet"),
      prompt: "hello vercel",
      maxRetries: 0,
    });
    expect(generated.text).toContain("hello vercel");
    const streamed = streamText({ model: provider("claude/sonnet"), prompt: "stream vercel", maxRetries: 0 });
    let text = "";
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toContain("stream vercel");
    expect(e2e.stub.mainRequests("anthropic").map((r) => r.userText)).toEqual(["hello vercel", "stream vercel"]);
  });

  it("anthropic: messages, streaming and count_tokens on claude", async () => {
    const { default: Anthropic } = await import("@anthropic-ai/sdk");
    const client = new Anthropic({ baseURL: `${base}/anthropic`, apiKey: "local", maxRetries: 0 });
    const message = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: "hello anthropic" }],
    });
    expect(JSON.stringify(message.content)).toContain("hello anthropic");
    const streamed = await client.messages
      .stream({ model: "claude/sonnet", max_tokens: 100, messages: [{ role: "user", content: "stream anthropic" }] })
      .finalMessage();
    expect(streamed.stop_reason).toBe("end_turn");
    const count = await client.messages.countTokens({
      model: "claude/sonnet",
      messages: [{ role: "user", content: "count me" }],
    });
    expect(count.input_tokens).toBeGreaterThan(0);
  });
});

describe("the SDK examples run against the real CLIs", () => {
  const tsx = join(REPO_ROOT, "node_modules", ".bin", "tsx");
  const example = (name: string, args: string[]) =>
    runInSandbox(e2e.sb, tsx, [join(REPO_ROOT, "examples", name), ...args], {
      cwd: REPO_ROOT,
      timeoutMs: 120_000,
      env: { CLINVK_HOME: join(e2e.sb.root, "sdk-home"), TSX_TSCONFIG_PATH: join(REPO_ROOT, "tsconfig.json") },
    });

  it.each(CLI_NAMES)("one-shot on %s", async (cli) => {
    const run = await example("one-shot.ts", [cli, "hello from the example"]);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain("hello from the example");
  });

  it("streaming, a multi-turn session, a parallel review and an abort", async () => {
    const stream = await example("stream-to-terminal.ts", ["gemini", "stream this"]);
    expect(stream.stdout).toContain("stream this");
    const chat = await example("multi-turn-session.ts", ["codex"]);
    expect(chat.code, describeRun(chat)).toBe(0);
    expect(chat.stdout).toContain("What number did I ask you to remember?");
    const review = await example("parallel-review.ts", []);
    expect(review.code, describeRun(review)).toBe(0);
    expect(review.stdout).toContain("3/3 done");
    e2e.stub.script({ provider: "anthropic", hang: true });
    const aborted = await example("abort-on-timeout.ts", ["2"]);
    expect(aborted.code, describeRun(aborted)).toBe(7);
    expect(aborted.stderr).toContain("gave up after 2 s");
  });
});
