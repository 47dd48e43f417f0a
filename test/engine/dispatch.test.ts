// An engine that hands its runs to workers (`serve --role api`): what it hands over, what it refuses, and
// the local tracker and runs directory a single instance reads.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/core/events.js";
import type { RunRequest, RunResult } from "../../src/core/request.js";
import { Engine, type RunDispatch } from "../../src/engine/engine.js";
import { LocalRunDirectory } from "../../src/engine/run-directory.js";
import { mustRunHere, queuedRequest } from "../../src/engine/run-queue.js";
import { MemoryRunTracker, type RunMessage, type RunStart } from "../../src/engine/run-tracker.js";
import { FAKE_CLI_DIR, fixturePath } from "../helpers.js";

const result: RunResult = {
  backend: "claude",
  status: "success",
  text: "from a worker",
  usage: { input_tokens: 1, output_tokens: 1, cached_tokens: 0, reasoning_tokens: 0 },
  duration_ms: 5,
  exit_code: 0,
};

/** A dispatcher that records what it was given and answers as a worker would. */
function recordingDispatch() {
  const handed: { request: RunRequest; start: RunStart }[] = [];
  const dispatch: RunDispatch = {
    mustRunHere,
    async *dispatch(request, start) {
      handed.push({ request, start });
      const event = { v: 1, seq: 0, ts: new Date().toISOString(), type: "result", ...result };
      yield event as RunEvent;
      return result;
    },
  };
  return { dispatch, handed };
}

describe("an engine with a dispatcher", () => {
  it("hands the run over with its workdir resolved here (the CLI need not be installed here), and returns the worker's result", async () => {
    const { dispatch, handed } = recordingDispatch();
    const dir = mkdtempSync(join(tmpdir(), "clinvk-dispatch-"));
    // A PATH without the CLIs: an API instance's machine need not have them.
    const engine = new Engine({ dispatch, cwd: tmpdir(), env: { PATH: dir } });
    const answer = await engine.run({ backend: "claude", prompt: "hi", workdir: relative(tmpdir(), dir) });
    expect(answer.text).toBe("from a worker");
    expect(handed).toHaveLength(1);
    expect(handed[0]?.request.workdir).toBe(dir);
    expect(handed[0]?.start).toMatchObject({ backend: "claude", workdir: dir, prompt: "hi" });
  });

  it("judges the request here first: an invalid one is refused without being queued", async () => {
    const { dispatch, handed } = recordingDispatch();
    const engine = new Engine({ dispatch });
    await expect(engine.run({ backend: "nope", prompt: "hi" })).rejects.toMatchObject({ code: "backend_unknown" });
    await expect(engine.run({ backend: "claude", prompt: "hi", model: "bad model;" })).rejects.toMatchObject({
      code: "invalid_request",
    });
    const disabled = new Engine({ dispatch, backends: { codex: { enabled: false } } });
    await expect(disabled.run({ backend: "codex", prompt: "hi" })).rejects.toMatchObject({
      code: "backend_unavailable",
    });
    expect(handed).toHaveLength(0);
  });

  it("a run that needs this machine (permission requests) runs here where its CLI is installed, else is refused", async () => {
    const { dispatch, handed } = recordingDispatch();
    const ask = { backend: "claude", prompt: "hi", onPermissionRequest: async () => ({ behavior: "deny" as const }) };
    const bare = new Engine({ dispatch, env: { PATH: mkdtempSync(join(tmpdir(), "clinvk-no-cli-")) } });
    await expect(bare.run(ask as RunRequest)).rejects.toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("claude is not installed on this server (role api)"),
      hint: expect.stringContaining("install the CLI on the API instances too"),
    });
    const installed = new Engine({
      dispatch,
      backends: { claude: { binary: join(FAKE_CLI_DIR, "claude") } },
      env: {
        ...process.env,
        FAKE_CLI_MODE: "replay",
        FAKE_CLI_STDOUT: fixturePath("claude", "stream-json", "stdout"),
        FAKE_CLI_EXIT: "0",
      },
    });
    const answer = await installed.run(ask as RunRequest);
    expect(answer.status).toBe("success");
    expect(handed).toHaveLength(0);
  });

  it("a dry run is answered here", async () => {
    const { dispatch, handed } = recordingDispatch();
    const answer = await new Engine({ dispatch }).run({ backend: "claude", prompt: "hi", dryRun: true });
    expect(answer.dry_run).toBe(true);
    expect(handed).toHaveLength(0);
  });
});

describe("queuedRequest", () => {
  it("carries the request as JSON", () => {
    const request: RunRequest = { backend: "codex", prompt: "p", workdir: "/w", tags: ["a"], metadata: { k: "v" } };
    expect(queuedRequest(request)).toEqual(request);
  });

  it("refuses what needs this instance while the run goes on", () => {
    const tools = { backend: "claude", prompt: "p", clientTools: { tools: [] } } as unknown as RunRequest;
    expect(mustRunHere(tools)).toBe("a run with client-defined tools");
    expect(() => queuedRequest(tools)).toThrow(expect.objectContaining({ code: "invalid_request" }));
    const ask = { backend: "claude", prompt: "p", onPermissionRequest: async () => ({ behavior: "deny" as const }) };
    expect(() => queuedRequest(ask as RunRequest)).toThrow(/a run that asks for permissions cannot be handed/);
    // Images go as bytes beside the request, not as this machine's paths.
    expect(queuedRequest({ backend: "claude", prompt: "p", images: ["/tmp/a.png"] })).not.toHaveProperty("images");
  });
});

describe("LocalRunDirectory.follow", () => {
  const ev = (seq: number, type = "text") =>
    ({ v: 1, seq, ts: "2026-01-01T00:00:00.000Z", backend: "claude", type, text: `t${seq}` }) as unknown as RunEvent;

  it("replays after Last-Event-ID, follows live, and ends with the run, each event once", async () => {
    const tracker = new MemoryRunTracker();
    const directory = new LocalRunDirectory(tracker);
    const run = tracker.begin({ backend: "claude", workdir: "/w", prompt: "p" });
    for (const seq of [0, 1, 2]) run.event(ev(seq));
    const messages = (await directory.follow(run.id, 0, new AbortController().signal)) as AsyncIterable<RunMessage>;
    const seen: RunMessage[] = [];
    const reading = (async () => {
      for await (const message of messages) seen.push(message);
    })();
    await new Promise((resolve) => setTimeout(resolve, 10));
    run.event(ev(3));
    run.finish({ ...result, text: "done" });
    await reading;
    expect(seen.map((m) => ("end" in m ? "end" : m.id))).toEqual([1, 2, 3, "end"]);
  });

  it("an unknown run is undefined; an abort ends the following", async () => {
    const tracker = new MemoryRunTracker();
    const directory = new LocalRunDirectory(tracker);
    expect(await directory.follow("f".repeat(32), -1, new AbortController().signal)).toBeUndefined();
    const run = tracker.begin({ backend: "claude", workdir: "/w", prompt: "p" });
    const abort = new AbortController();
    const messages = (await directory.follow(run.id, -1, abort.signal)) as AsyncIterable<RunMessage>;
    const reading = (async () => {
      for await (const _ of messages) return "event";
      return "ended";
    })();
    abort.abort();
    expect(await reading).toBe("ended");
  });
});
