// A turn's run across HTTP responses: parked on its client-tool calls, continued by their results, stopped
// when the client does not come back. The engine here is a script of events that calls the tool handler the
// way the per-run MCP server would.
import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/core/events.js";
import type { RunRequest, RunResult } from "../../src/core/request.js";
import type { ClientToolResult } from "../../src/core/tools.js";
import type { Engine } from "../../src/engine/engine.js";
import type { Turn } from "../../src/server/compat/conversation.js";
import { type LivePlan, LiveTurn, type TurnEnd, type TurnEvent } from "../../src/server/compat/live-turn.js";
import { ToolRuns } from "../../src/server/compat/tool-runs.js";

const text = (value: string) => ({ type: "text", text: value }) as RunEvent;
const success = (value: string) => ({ status: "success", text: value }) as RunResult;

/** An engine whose run says "Checking.", calls get_weather (Oslo, then Rome when asked), and answers with the results. */
function scriptedEngine(calls: string[] = ["Oslo"]): Engine & { killed: boolean } {
  const engine = {
    killed: false,
    async *stream(run: RunRequest, control: { signal?: AbortSignal }): AsyncGenerator<RunEvent, RunResult> {
      yield { type: "start" } as RunEvent;
      yield text("Checking.");
      const results = await Promise.race([
        Promise.all(
          calls.map((city) =>
            run.clientTools?.handler({ name: "get_weather", arguments: { city } }, control.signal as AbortSignal),
          ),
        ),
        new Promise<undefined>((resolve) => {
          if (control.signal?.aborted) resolve(undefined);
          control.signal?.addEventListener("abort", () => resolve(undefined));
        }),
      ]);
      if (!results || control.signal?.aborted) {
        engine.killed = true;
        return { status: "error", text: "", error: { code: "cancelled", message: "cancelled" } } as RunResult;
      }
      yield text(`It is ${(results as ClientToolResult[]).map((r) => r.content).join(" and ")}.`);
      return success("final");
    },
  };
  return engine as unknown as Engine & { killed: boolean };
}

function plan(): LivePlan & { completed?: { answer: string; later?: Turn[] }; abandoned: boolean } {
  let n = 0;
  const p = {
    run: {
      backend: "claude",
      prompt: "weather?",
      clientTools: { tools: [], handler: async () => ({ content: "" }) },
    } as unknown as RunRequest,
    promptTokens: 3,
    abandoned: false,
    completed: undefined as { answer: string; later?: Turn[] } | undefined,
    complete: async (answer: string, later?: Turn[]) => {
      p.completed = { answer, later };
    },
    abandon: async () => {
      p.abandoned = true;
    },
    callId: () => `call_${++n}`,
  };
  return p;
}

async function drain(steps: AsyncGenerator<TurnEvent, TurnEnd>): Promise<{ events: TurnEvent[]; end: TurnEnd }> {
  const events: TurnEvent[] = [];
  let step = await steps.next();
  while (!step.done) {
    events.push(step.value);
    step = await steps.next();
  }
  return { events, end: step.value };
}

describe("a live turn", () => {
  it("ends its first response with the calls, and its second with the run's end", async () => {
    const turn = new LiveTurn(scriptedEngine(["Oslo", "Rome"]), plan());
    const first = await drain(turn.drive(new AbortController().signal));
    expect(first.events).toEqual([{ type: "started" }, { type: "text", delta: "Checking." }]);
    expect(first.end.kind).toBe("calls");
    const calls = first.end.kind === "calls" ? first.end.calls : [];
    // Both calls of the message come together, each with its own id.
    expect(calls.map((call) => [call.id, call.name, JSON.parse(call.arguments).city])).toEqual([
      ["call_1", "get_weather", "Oslo"],
      ["call_2", "get_weather", "Rome"],
    ]);
    for (const call of calls) call.answer({ content: `${JSON.parse(call.arguments).city}: sunny` });
    const second = await drain(turn.drive(new AbortController().signal));
    expect(second.events).toEqual([{ type: "text", delta: "It is Oslo: sunny and Rome: sunny." }]);
    expect(second.end).toEqual({ kind: "result", result: success("final") });
    expect(turn.done).toBe(true);
  });

  it("a response that goes away stops the run", async () => {
    const engine = scriptedEngine();
    const turn = new LiveTurn(engine, plan());
    const controller = new AbortController();
    const steps = turn.drive(controller.signal);
    await steps.next();
    controller.abort();
    const { end } = await drain(steps);
    expect(end.kind).toBe("result");
    expect(engine.killed).toBe(true);
  });
});

describe("tool runs", () => {
  async function parked(waitMs: number) {
    const runs = new ToolRuns(() => waitMs);
    const engine = scriptedEngine();
    const p = plan();
    const turn = new LiveTurn(engine, p);
    const { end } = await drain(turn.drive(new AbortController().signal));
    const calls = end.kind === "calls" ? end.calls : [];
    runs.park(turn, calls, "openai:key1");
    return { runs, engine, p, turn, calls };
  }

  it("gives a waiting run to the owner that brings all its results, once", async () => {
    const { runs, calls } = await parked(60_000);
    const ids = calls.map((call) => call.id);
    expect(runs.waitingAmong(["call_x", ...ids])).toEqual(ids);
    expect(runs.claim(ids, "openai:other")).toBeUndefined();
    const claimed = runs.claim(ids, "openai:key1");
    expect(claimed?.missing).toEqual([]);
    expect(runs.claim(ids, "openai:key1")).toBeUndefined();
    expect(runs.waitingAmong(ids)).toEqual([]);
  });

  it("names the calls that results leave unanswered, and keeps the run waiting", async () => {
    const runs = new ToolRuns(() => 60_000);
    const turn = new LiveTurn(scriptedEngine(["Oslo", "Rome"]), plan());
    const { end } = await drain(turn.drive(new AbortController().signal));
    const calls = end.kind === "calls" ? end.calls : [];
    runs.park(turn, calls, "o");
    expect(runs.claim(["call_1"], "o")?.missing).toEqual(["call_2"]);
    expect(runs.waitingAmong(["call_1", "call_2"])).toEqual(["call_1", "call_2"]);
    runs.stopAll();
  });

  it("stops a run whose client does not come back, gives its session back and remembers its calls", async () => {
    const { runs, engine, p, calls } = await parked(50);
    await expect.poll(() => p.abandoned).toBe(true);
    expect(engine.killed).toBe(true);
    expect(runs.waitingAmong(calls.map((call) => call.id))).toEqual([]);
    expect(runs.hasExpired(calls[0]?.id as string)).toBe(true);
    expect(runs.hasExpired("call_never")).toBe(false);
  });
});
