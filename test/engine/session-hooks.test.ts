// The session hooks record each run as a turn of its session: prompt and answer (bounded, or not at all
// with session.keep_turns off), status and error code, usage (unless store_token_usage is off), model, duration;
// and claim the session for one turn at a time, a claim that other machines can judge (turn-claim.ts).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { RunRequest, RunResult } from "../../src/core/request.js";
import type { PreparedRun } from "../../src/engine/prepare.js";
import { type SessionPolicy, sessionHooks } from "../../src/engine/session-hooks.js";
import { CLAIM_RENEW_MS, CLAIM_STALE_MS, thisMachine } from "../../src/engine/turn-claim.js";
import { FileSessionStore } from "../../src/sessions/file-store.js";
import { MAX_TURN_ANSWER_CHARS, MAX_TURN_PROMPT_CHARS } from "../../src/sessions/turns.js";

const prepared = {
  backend: { name: "codex" },
  cwd: "/work/project",
  env: {},
  model: "gpt-default",
  dryRun: false,
} as unknown as PreparedRun;

function result(sessionId: string, over: Partial<RunResult> = {}): RunResult {
  return {
    status: "success",
    text: "the answer",
    session_id: sessionId,
    backend_session_id: "thread-1",
    model: "gpt-5",
    usage: { input_tokens: 10, output_tokens: 4, cached_tokens: 2, reasoning_tokens: 1, cost_usd: 0.01 },
    duration_ms: 1234,
    exit_code: 0,
    ...over,
  } as RunResult;
}

async function oneTurn(policy: Partial<SessionPolicy>, request: Partial<RunRequest>, over: Partial<RunResult> = {}) {
  const store = new FileSessionStore(mkdtempSync(join(tmpdir(), "clinvk-hooks-")));
  const hooks = sessionHooks(store, { storeTokenUsage: true, defaultTags: [], ...policy });
  const full = { backend: "codex", prompt: "what is up?", ...request } as RunRequest;
  const started = await hooks.beforeRun?.(full, prepared);
  const id = started?.sessionId as string;
  await hooks.afterRun?.(full, result(id, over), prepared);
  return { store, id, session: await store.get(id), hooks, request: full };
}

describe("session hooks keep a session's turns", () => {
  it("records the prompt, the answer, the usage, the model and the duration", async () => {
    const { session } = await oneTurn({}, {});
    expect(session.turn_count).toBe(1);
    expect(session.turns).toEqual([
      {
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        status: "success",
        model: "gpt-5",
        duration_ms: 1234,
        usage: { input_tokens: 10, output_tokens: 4, cached_tokens: 2, reasoning_tokens: 1, cost_usd: 0.01 },
        prompt: "what is up?",
        answer: "the answer",
      },
    ]);
  });

  it("a failed turn keeps its error code; the model falls back to the prepared one", async () => {
    const { session } = await oneTurn(
      {},
      {},
      {
        status: "error",
        text: "",
        model: undefined,
        error: { code: "timeout", message: "took too long" },
      },
    );
    expect(session.turns?.[0]).toMatchObject({ status: "error", error_code: "timeout", model: "gpt-default" });
    expect(session.status).toBe("error");
  });

  it("cuts long prompts and answers and says so", async () => {
    const { session } = await oneTurn(
      {},
      { prompt: "p".repeat(MAX_TURN_PROMPT_CHARS + 50) },
      { text: `${"a".repeat(MAX_TURN_ANSWER_CHARS - 1)}😀 and more` },
    );
    const turn = session.turns?.[0];
    expect(turn?.prompt).toHaveLength(MAX_TURN_PROMPT_CHARS);
    expect(turn?.prompt_truncated).toBe(true);
    // Never half an emoji: the cut falls before the pair.
    expect(turn?.answer).toBe("a".repeat(MAX_TURN_ANSWER_CHARS - 1));
    expect(turn?.answer_truncated).toBe(true);
  });

  it("session.keep_turns off keeps the turn's facts but no prompt or answer", async () => {
    const { session } = await oneTurn({ keepTurns: false }, { prompt: "a secret plan" });
    const turn = session.turns?.[0];
    expect(turn).toMatchObject({ status: "success", duration_ms: 1234, model: "gpt-5" });
    expect(turn).not.toHaveProperty("prompt");
    expect(turn).not.toHaveProperty("answer");
    expect(JSON.stringify(session.turns)).not.toContain("the answer");
  });

  it("store_token_usage off keeps no usage in the turn either", async () => {
    const { session } = await oneTurn({ storeTokenUsage: false }, {});
    expect(session.turns?.[0]).not.toHaveProperty("usage");
    expect(session.token_usage.input_tokens).toBe(0);
  });

  it("a resumed session's turns follow on, oldest first", async () => {
    const { store, id, hooks } = await oneTurn({}, { prompt: "first" });
    const again = { backend: "codex", prompt: "second", sessionId: id } as RunRequest;
    await hooks.beforeRun?.(again, prepared);
    await hooks.afterRun?.(again, result(id, { text: "second answer" }), prepared);
    const session = await store.get(id);
    expect(session.turn_count).toBe(2);
    expect(session.turns?.map((t) => [t.prompt, t.answer])).toEqual([
      ["first", "the answer"],
      ["second", "second answer"],
    ]);
  });
});

describe("session hooks claim a session for one turn, across machines", () => {
  const elsewhere = (renewedAgoMs: number) => ({
    pid: 999_999_999, // no process here: on another machine it is some process this one cannot see
    start: "12345",
    machine: "another-boot-id/pid:[1]",
    renewed_at: new Date(Date.now() - renewedAgoMs).toISOString(),
  });

  async function sessionClaimed(running: ReturnType<typeof elsewhere> | undefined) {
    const { store, id, hooks } = await oneTurn({}, { prompt: "first" });
    await store.update(id, (s) => {
      if (running) s.running = running;
    });
    return { store, id, hooks, again: { backend: "codex", prompt: "second", sessionId: id } as RunRequest };
  }

  it("a turn claimed lately on another machine holds, though its pid is nobody's here", async () => {
    const { store, id, hooks, again } = await sessionClaimed(elsewhere(1000));
    await expect(hooks.beforeRun?.(again, prepared)).rejects.toThrow(/is running a turn already/);
    expect((await store.get(id)).running?.machine).toBe("another-boot-id/pid:[1]");
  });

  it("a claim another machine stopped renewing is taken over", async () => {
    const { store, id, hooks, again } = await sessionClaimed(elsewhere(CLAIM_STALE_MS + 1000));
    await hooks.beforeRun?.(again, prepared);
    expect((await store.get(id)).running).toMatchObject({ pid: process.pid, machine: thisMachine() });
    await hooks.afterRun?.(again, result(id), prepared);
    expect((await store.get(id)).running).toBeUndefined();
  });

  it("a running turn renews its claim, and stops renewing after it", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const { store, id, hooks, again } = await sessionClaimed(undefined);
      await hooks.beforeRun?.(again, prepared);
      const claimed = (await store.get(id)).running?.renewed_at as string;
      await new Promise((resolve) => setTimeout(resolve, 5)); // a later timestamp
      vi.advanceTimersByTime(CLAIM_RENEW_MS);
      await vi.waitFor(async () => expect((await store.get(id)).running?.renewed_at).not.toBe(claimed));
      await hooks.afterRun?.(again, result(id), prepared);
      vi.advanceTimersByTime(CLAIM_RENEW_MS * 2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await store.get(id)).running).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it("a transcript that cannot be restored gives the claim back: the next turn is not refused", async () => {
    const { store, id, hooks, again } = await sessionClaimed(undefined);
    const failing = Object.assign(store, {
      loadTranscript: async () => {
        throw new Error("checksum mismatch");
      },
    });
    const resuming = { ...again, resume: { backendSessionId: "thread-1" } } as RunRequest;
    const failingHooks = sessionHooks(failing, { storeTokenUsage: true, defaultTags: [] });
    await expect(failingHooks.beforeRun?.(resuming, prepared)).rejects.toThrow("checksum mismatch");
    expect((await store.get(id)).running).toBeUndefined();
    await hooks.beforeRun?.(again, prepared);
    expect((await store.get(id)).running?.pid).toBe(process.pid);
  });
});
