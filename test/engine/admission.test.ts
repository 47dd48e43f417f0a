import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/core/events.js";
import { BreakerRegistry } from "../../src/engine/circuit-breaker.js";
import { Engine } from "../../src/engine/engine.js";
import { AdmissionGate } from "../../src/process/admission.js";
import { echoEngine } from "../workflows/fake-engine.js";

async function collect(gen: AsyncGenerator<RunEvent>) {
  const events: RunEvent[] = [];
  for await (const event of gen) events.push(event);
  return events;
}

function engineWith(extra: { gate?: AdmissionGate; breakers?: BreakerRegistry }, delayMs = 300) {
  const { engine } = echoEngine(delayMs);
  // Same fake backends, plus the gate or breakers under test.
  const options = (engine as unknown as { options: object }).options;
  return new Engine({ ...options, ...extra });
}

describe("the engine's admission gate", () => {
  it("queues a run beyond the cap and says where it waits", async () => {
    const engine = engineWith({ gate: new AdmissionGate({ maxRunning: 1, maxQueued: 5, queueTimeoutMs: 0 }) });
    const [first, second] = await Promise.all([
      collect(engine.stream({ backend: "claude", prompt: "one" })),
      collect(engine.stream({ backend: "claude", prompt: "two" })),
    ]);
    const queued = [...(first ?? []), ...(second ?? [])].filter((e) => e.type === "queued");
    expect(queued).toEqual([expect.objectContaining({ position: 1 })]);
    expect(second?.at(-1)).toMatchObject({ type: "result", status: "success" });
    expect(engine.admissionStats()).toMatchObject({ running: 0, queued: 0 });
  });

  it("refuses with queue_full when the queue is full", async () => {
    const engine = engineWith({ gate: new AdmissionGate({ maxRunning: 1, maxQueued: 0, queueTimeoutMs: 0 }) });
    const running = collect(engine.stream({ backend: "claude", prompt: "one" }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(collect(engine.stream({ backend: "claude", prompt: "two" }))).rejects.toMatchObject({
      code: "queue_full",
    });
    await running;
  });
});

describe("the engine's circuit breakers", () => {
  it("open after repeated backend failures and refuse fast", async () => {
    const breakers = new BreakerRegistry({ failureThreshold: 2, openMs: 60_000 });
    const engine = engineWith({ breakers }, 0);
    // A crash-like failure of the fake CLI: an unknown mode exits 99 with no output.
    const env = { FAKE_CLI_MODE: "exit-nonzero" };
    for (let i = 0; i < 2; i++) {
      const events = await collect(engine.stream({ backend: "codex", prompt: "x", env }));
      expect(events.at(-1)).toMatchObject({ type: "result", error: { code: "backend_error" } });
    }
    expect(engine.breakerStates()).toMatchObject({ codex: "open" });
    await expect(collect(engine.stream({ backend: "codex", prompt: "x" }))).rejects.toMatchObject({
      code: "circuit_open",
    });
    // Other backends are not affected; the caller's own mistakes do not count.
    await expect(collect(engine.stream({ backend: "claude", prompt: "fine" }))).resolves.toBeTruthy();
  });
});
