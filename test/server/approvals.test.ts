// The pending approvals registry on its own: owners, caps, timeouts, aborts and shutdown.
import { describe, expect, it } from "vitest";
import type { PermissionContext } from "../../src/core/permissions.js";
import { Approvals } from "../../src/server/native/approvals.js";

const request = { id: "p1", tool: "Bash", input: { command: "ls" } };
const context = (signal = new AbortController().signal): PermissionContext => ({
  backend: "claude",
  workdir: "/work/project",
  runId: "a".repeat(32),
  signal,
});
const registry = (options: Partial<ConstructorParameters<typeof Approvals>[0]> = {}) =>
  new Approvals({ waitMs: () => 60_000, timeoutDecision: () => "deny", ...options });

describe("Approvals", () => {
  it("parks a request for its owner only, and resolves it with the owner's decision", async () => {
    const approvals = registry({ now: () => Date.parse("2026-01-01T00:00:00Z") });
    const decision = approvals.handler("native:alice")(request, context());
    const [pending] = approvals.list("native:alice");
    expect(pending).toEqual({
      id: expect.stringMatching(/^[a-f0-9]{32}$/),
      run_id: "a".repeat(32),
      backend: "claude",
      tool: "Bash",
      input: { command: "ls" },
      workdir: "/work/project",
      created_at: "2026-01-01T00:00:00.000Z",
      expires_at: "2026-01-01T00:01:00.000Z",
    });
    const id = pending?.id as string;
    expect(approvals.list("native:bob")).toEqual([]);
    expect(approvals.get(id, "native:bob")).toBeUndefined();
    expect(approvals.decide(id, "native:bob", { behavior: "allow" })).toBeUndefined();
    expect(approvals.decide(id, "native:alice", { behavior: "allow", input: { command: "pwd" } })).toMatchObject({
      id,
    });
    await expect(decision).resolves.toEqual({ behavior: "allow", input: { command: "pwd" } });
    expect(approvals.size).toBe(0);
    expect(approvals.decide(id, "native:alice", { behavior: "deny" })).toBeUndefined();
  });

  it("applies the timeout decision read when the wait ends", async () => {
    let decision: "allow" | "deny" = "deny";
    const approvals = registry({ waitMs: () => 20, timeoutDecision: () => decision });
    await expect(approvals.handler("o")(request, context())).resolves.toMatchObject({ behavior: "deny" });
    decision = "allow";
    await expect(approvals.handler("o")(request, context())).resolves.toEqual({ behavior: "allow" });
    expect(approvals.size).toBe(0);
  });

  it("drops a request whose run ends, and denies at once for a run already ended", async () => {
    const approvals = registry();
    const run = new AbortController();
    const decision = approvals.handler("o")(request, context(run.signal));
    expect(approvals.size).toBe(1);
    run.abort();
    await expect(decision).resolves.toMatchObject({ behavior: "deny" });
    expect(approvals.size).toBe(0);
    await expect(approvals.handler("o")(request, context(run.signal))).resolves.toMatchObject({ behavior: "deny" });
    expect(approvals.size).toBe(0);
  });

  it("is bounded: past the caps, per owner and in all, a request is denied without being parked", async () => {
    const approvals = registry({ maxPending: 3, maxPerOwner: 2 });
    void approvals.handler("a")(request, context());
    void approvals.handler("a")(request, context());
    await expect(approvals.handler("a")(request, context())).resolves.toMatchObject({
      behavior: "deny",
      message: expect.stringContaining("too many approvals"),
    });
    void approvals.handler("b")(request, context());
    await expect(approvals.handler("c")(request, context())).resolves.toMatchObject({ behavior: "deny" });
    expect(approvals.size).toBe(3);
    approvals.stopAll();
  });

  it("stopAll denies everything pending and parks nothing more", async () => {
    const approvals = registry();
    const waiting = approvals.handler("o")(request, context());
    approvals.stopAll();
    await expect(waiting).resolves.toMatchObject({ behavior: "deny", message: "the server is shutting down" });
    await expect(approvals.handler("o")(request, context())).resolves.toMatchObject({ behavior: "deny" });
    expect(approvals.size).toBe(0);
  });
});
