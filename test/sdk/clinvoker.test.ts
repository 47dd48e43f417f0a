import { execFileSync } from "node:child_process";
import { getEventListeners } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Clinvoker, type ClinvokerOptions, type RunEvent } from "../../src/index.js";
import { FAKE_CLI_DIR } from "../helpers.js";

const binaries = {
  claude: join(FAKE_CLI_DIR, "claude"),
  codex: join(FAKE_CLI_DIR, "codex"),
  gemini: join(FAKE_CLI_DIR, "gemini"),
};

function client(options: ClinvokerOptions & { delayMs?: number; record?: string } = {}) {
  const { delayMs = 0, record, ...rest } = options;
  return new Clinvoker({
    binaries,
    home: mkdtempSync(join(tmpdir(), "clinvk-sdk-")),
    env: {
      ...process.env,
      FAKE_CLI_MODE: "echo",
      FAKE_CLI_DELAY_MS: String(delayMs),
      ...(record ? { FAKE_CLI_RECORD: record } : {}),
    },
    ...rest,
  });
}

const marker = () => `sdk-${process.pid}-${Math.random().toString(36).slice(2)}`;
const alive = (mark: string) =>
  execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes(mark));
async function gone(mark: string) {
  const deadline = Date.now() + 5000;
  while (alive(mark).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return alive(mark).length === 0;
}

describe("Clinvoker: run and stream", () => {
  it("runs on the configured default backend and streams typed events ending in the result", async () => {
    const clinvk = client({ config: { default_backend: "codex" } });
    const result = await clinvk.run({ prompt: "hello" });
    expect(result).toMatchObject({ backend: "codex", status: "success", text: "echo: hello" });
    const events: RunEvent[] = [];
    for await (const event of clinvk.stream({ backend: "gemini", prompt: "hi" })) events.push(event);
    expect(events[0]?.type).toBe("start");
    expect(events.at(-1)).toMatchObject({ type: "result", text: "echo: hi" });
  });

  it("merges a config object as the config file does: a section key by key, a map whole", () => {
    const clinvk = client({
      config: { concurrency: { per_backend: { claude: 2 } }, backends: { codex: { env: { A: "1" } } } },
    });
    expect(clinvk.config.concurrency.per_backend).toEqual({ claude: 2, codex: 0, gemini: 0 });
    expect(clinvk.config.backends.codex.env).toEqual({ A: "1" });
    expect(clinvk.config.backends.claude.binary).toBe(binaries.claude);
  });

  it("refuses bad options and bad queries with a ClinvkError", async () => {
    expect(() => client({ config: { server: { port: 99999 } } })).toThrow(/server.port: 99999 is not allowed/);
    expect(() => client({ config: { sever: {} } as never })).toThrow(/unknown key sever/);
    await expect(client().run({ prompt: "" })).rejects.toMatchObject({ code: "invalid_request" });
    const missing = new Clinvoker({ binaries: { claude: "/nonexistent/claude" }, store: false });
    await expect(missing.run({ backend: "claude", prompt: "x" })).rejects.toMatchObject({
      code: "backend_unavailable",
    });
  });

  it("a backend failure is a result, not a rejection; a timeout is a timeout result", async () => {
    const clinvk = client({ delayMs: 5000 });
    expect(await clinvk.run({ prompt: "FAIL" })).toMatchObject({ status: "error", error: { code: "api_error" } });
    const slow = await clinvk.run({ prompt: "slow", timeoutMs: 300 });
    expect(slow.error?.code).toBe("timeout");
  });

  it("lists the backends", async () => {
    const statuses = await client().backends();
    expect(statuses.map((s) => [s.name, s.available, s.version])).toEqual([
      ["claude", true, "9.9.9"],
      ["codex", true, "9.9.9"],
      ["gemini", true, "9.9.9"],
    ]);
  });
});

describe("Clinvoker: sessions", () => {
  it("a session resumes the same CLI session turn after turn", async () => {
    const record = join(mkdtempSync(join(tmpdir(), "clinvk-sdk-")), "argv.jsonl");
    const clinvk = client({ record });
    const chat = clinvk.session({ backend: "claude" });
    const first = await chat.send("one");
    const second = await chat.send("two");
    expect(second.session_id).toBe(first.session_id);
    expect(chat.id).toBe(first.session_id);
    const calls = readFileSync(record, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line).args as string[]);
    expect(calls[0]?.some((a) => a.startsWith("--resume"))).toBe(false);
    expect(calls[1]).toContain(`--resume=${first.backend_session_id}`);
    expect(calls[1]?.at(-1)).toBe("two");
    const stored = await clinvk.store?.get(first.session_id as string);
    expect(stored?.turn_count).toBe(2);

    const again = await clinvk.resume(first.session_id!.slice(0, 8));
    expect(again.id).toBe(first.session_id);
    const latest = await clinvk.continue({ backend: "claude" });
    expect(latest.id).toBe(first.session_id);
    await expect(client({ store: false }).resume("abc")).rejects.toMatchObject({ code: "session_error" });
  });
});

describe("Clinvoker: a resumed session is built as every face builds it", () => {
  it("keeps the session's model and directory, and refuses a session its CLI never started", async () => {
    const record = join(mkdtempSync(join(tmpdir(), "clinvk-sdk-")), "argv.jsonl");
    const clinvk = client({ record });
    const workdir = mkdtempSync(join(tmpdir(), "clinvk-sdk-work-"));
    const started = await clinvk.store?.create({
      backend: "claude",
      working_dir: workdir,
      model: "opus",
      backend_session_id: "cli-7",
    });
    const chat = await clinvk.resume(started?.id as string);
    await chat.send("go on", { workdir: tmpdir() }); // a turn cannot move the session elsewhere
    const call = JSON.parse(readFileSync(record, "utf8").trim());
    expect(call.args).toContain("--model=opus");
    expect(call.args).toContain("--resume=cli-7");
    expect(call.cwd).toBe(workdir);

    const empty = await clinvk.store?.create({ backend: "claude", working_dir: workdir });
    const never = await clinvk.resume(empty?.id as string);
    await expect(never.send("hello")).rejects.toMatchObject({ code: "session_error" });
  });
});

describe("Clinvoker: abort, break and concurrency", () => {
  it("an abort while streaming kills the CLI's group and ends with a cancelled error", async () => {
    const mark = marker();
    const clinvk = client({ delayMs: 60_000 });
    const controller = new AbortController();
    const seen: string[] = [];
    const consume = (async () => {
      for await (const event of clinvk.stream({ prompt: mark }, { signal: controller.signal })) {
        seen.push(event.type);
        if (event.type === "init") controller.abort();
      }
    })();
    await expect(consume).rejects.toMatchObject({ code: "cancelled" });
    expect(seen).toContain("init");
    expect(await gone(mark)).toBe(true);
  });

  it("an abort while queued never spawns; an already aborted signal rejects at once", async () => {
    const clinvk = client({ delayMs: 1500, maxConcurrent: 1 });
    const mark = marker();
    const first = clinvk.run({ prompt: "holding the slot" });
    const controller = new AbortController();
    const queued = clinvk.run({ prompt: mark }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(mark)).toEqual([]);
    controller.abort();
    await expect(queued).rejects.toMatchObject({ code: "cancelled" });
    expect((await first).status).toBe("success");
    await expect(client().run({ prompt: "x" }, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: "cancelled",
    });
  });

  it("breaking out of a for-await kills the CLI", async () => {
    const mark = marker();
    for await (const event of client({ delayMs: 60_000 }).stream({ prompt: mark })) {
      if (event.type === "init") break;
    }
    expect(await gone(mark)).toBe(true);
  });

  it("100 concurrent queries on one client: all answered, no listener left behind", async () => {
    const clinvk = client({ delayMs: 50, maxConcurrent: 16, config: { concurrency: { max_queued: 200 } } });
    const signal = new AbortController().signal;
    const exitListeners = process.listenerCount("exit");
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        clinvk.run({ backend: (["claude", "codex", "gemini"] as const)[i % 3], prompt: `q${i}` }, { signal }),
      ),
    );
    expect(results.map((r) => r.text)).toEqual(Array.from({ length: 100 }, (_, i) => `echo: q${i}`));
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
    expect(process.listenerCount("exit")).toBeLessThanOrEqual(Math.max(exitListeners, 1));
  }, 60_000);
});

describe("Clinvoker: workflows", () => {
  it("parallel, chain and compare, with live events", async () => {
    const clinvk = client();
    const events: string[] = [];
    const parallel = await clinvk.parallel([{ prompt: "a" }, { prompt: "b", backend: "codex" }], {
      onEvent: (e) => events.push(e.type),
    });
    expect(parallel.completed).toBe(2);
    expect(events).toContain("task_finished");
    const chain = await clinvk.chain({ steps: [{ prompt: "x" }, { prompt: "y {{previous}}" }] });
    expect(chain.results.at(-1)?.output).toBe("echo: y echo: x");
    const compare = await clinvk.compare({ prompt: "z", backends: ["claude", "gemini"] });
    expect(compare.results.map((r) => r.output)).toEqual(["echo: z", "echo: z"]);
  });
});

describe("Clinvoker.query: a prompt in flight", () => {
  it("resolves its result without anyone reading the events, and streams them to who does", async () => {
    const clinvk = client();
    expect(await clinvk.query({ prompt: "alone" }).result).toMatchObject({ text: "echo: alone" });
    const running = clinvk.query({ prompt: "read" });
    const types: string[] = [];
    for await (const event of running) types.push(event.type);
    expect(types[0]).toBe("start");
    expect(types.at(-1)).toBe("result");
    expect((await running.result).text).toBe("echo: read");
  });

  it("interrupt() ends the turn as interrupted (a result), cancel() rejects with cancelled", async () => {
    const clinvk = client({ delayMs: 5000 });
    const interrupted = clinvk.query({ prompt: "slow" });
    setTimeout(() => interrupted.interrupt(), 300);
    const result = await interrupted.result;
    expect(result.error?.code).toBe("interrupted");

    const cancelled = clinvk.query({ prompt: "slow" });
    setTimeout(() => cancelled.cancel(), 300);
    await expect(cancelled.result).rejects.toMatchObject({ code: "cancelled" });
  });
});
