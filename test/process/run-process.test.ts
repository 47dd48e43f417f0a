import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { liveGroupCount } from "../../src/process/process-group.js";
import { type ProcessExit, type ProcessOutput, runProcess } from "../../src/process/run-process.js";
import { FAKE_CLI } from "../helpers.js";

async function collect(gen: AsyncGenerator<ProcessOutput, ProcessExit>) {
  const items: ProcessOutput[] = [];
  while (true) {
    const step = await gen.next();
    if (step.done) return { items, exit: step.value };
    items.push(step.value);
  }
}

const fake = (mode: string, env: Record<string, string> = {}) => ({
  command: FAKE_CLI,
  args: [],
  cwd: process.cwd(),
  env: { ...process.env, FAKE_CLI_MODE: mode, ...env },
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe("runProcess", () => {
  it("yields stdout lines and the exit code", async () => {
    const { items, exit } = await collect(runProcess(fake("slow-lines")));
    expect(items.map((item) => (item.kind === "line" ? JSON.parse(item.line).n : -1))).toEqual([0, 1, 2, 3, 4]);
    expect(exit).toMatchObject({ exitCode: 0, signal: null, reason: "exited" });
  });

  it("reports a crash by signal with stderr kept", async () => {
    const { exit } = await collect(runProcess(fake("crash")));
    expect(exit.signal).toBe("SIGSEGV");
    expect(exit.stderr).toContain("something broke");
  });

  it("passes stdin and closes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clinvk-test-"));
    const record = join(dir, "record.jsonl");
    await collect(runProcess({ ...fake("silent", { FAKE_CLI_RECORD: record }), stdin: "the prompt" }));
    expect(JSON.parse(readFileSync(record, "utf8")).stdin).toBe("the prompt");
  });

  it("stops a hanging process at the wall-clock timeout", async () => {
    const started = Date.now();
    const { items, exit } = await collect(runProcess(fake("hang"), { timeoutMs: 500, killGraceMs: 500 }));
    expect(items).toHaveLength(1);
    expect(exit.reason).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("stops a silent process at the idle timeout", async () => {
    const { exit } = await collect(runProcess(fake("hang"), { idleTimeoutMs: 400, killGraceMs: 500 }));
    expect(exit.reason).toBe("idle_timeout");
  });

  it("escalates to SIGKILL when SIGTERM is ignored", async () => {
    const { exit } = await collect(runProcess(fake("ignore-term"), { timeoutMs: 400, killGraceMs: 300 }));
    expect(exit.reason).toBe("timeout");
    expect(exit.signal).toBe("SIGKILL");
  });

  it("kills the whole process group: no grandchild survives a timeout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clinvk-test-"));
    const pidfile = join(dir, "grandchild.pid");
    const { exit } = await collect(
      runProcess(fake("grandchild", { FAKE_CLI_PIDFILE: pidfile }), { timeoutMs: 800, killGraceMs: 300 }),
    );
    expect(exit.reason).toBe("timeout");
    const grandchild = Number(readFileSync(pidfile, "utf8"));
    expect(grandchild).toBeGreaterThan(0);
    expect(await waitUntil(() => !isAlive(grandchild))).toBe(true);
  });

  it("also kills a grandchild that left the process group (it carries the run's marker)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clinvk-test-"));
    const pidfile = join(dir, "grandchild.pid");
    const { exit } = await collect(
      runProcess(fake("detached-grandchild", { FAKE_CLI_PIDFILE: pidfile }), { timeoutMs: 800, killGraceMs: 300 }),
    );
    expect(exit.reason).toBe("timeout");
    const grandchild = Number(readFileSync(pidfile, "utf8"));
    expect(await waitUntil(() => !isAlive(grandchild))).toBe(true);
  });

  it("bounds a 50 MB line: one overflow item, then the next lines", async () => {
    const { items, exit } = await collect(runProcess(fake("flood"), { maxLineBytes: 1024 * 1024 }));
    expect(items[0]).toEqual({ kind: "overflow", bytes: 50 * 1024 * 1024 });
    const lines = items.filter((item) => item.kind === "line").map((item) => (item as { line: string }).line);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("after the flood");
    expect(exit.exitCode).toBe(0);
  });

  it("aborts on the signal and kills the group", async () => {
    const controller = new AbortController();
    const gen = runProcess(fake("hang"), { killGraceMs: 300 }, controller.signal);
    const first = await gen.next();
    expect(first.done).toBe(false);
    controller.abort();
    const { exit } = await collect(gen);
    expect(exit.reason).toBe("aborted");
  });

  it("kills the process when the consumer stops early", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clinvk-test-"));
    const pidfile = join(dir, "grandchild.pid");
    const gen = runProcess(fake("grandchild", { FAKE_CLI_PIDFILE: pidfile }), { killGraceMs: 300 });
    await gen.next();
    await gen.return(undefined as never);
    const grandchild = Number(readFileSync(pidfile, "utf8"));
    expect(await waitUntil(() => !isAlive(grandchild))).toBe(true);
  });

  it("reports a program that cannot start", async () => {
    const { exit } = await collect(runProcess({ ...fake("silent"), command: "/nonexistent/clinvk-no-such-cli" }));
    expect(exit.reason).toBe("spawn_failed");
    expect(exit.spawnError?.code).toBe("ENOENT");
  });

  it("forgets a run that left nothing behind as soon as it exits (no second /proc sweep)", async () => {
    // A kill grace of a minute: only the exit itself can have untracked it.
    await collect(runProcess(fake("silent"), { killGraceMs: 60_000 }));
    expect(liveGroupCount()).toBe(0);
  });

  it("keeps tracking a run whose grandchild outlives it, and kills the grandchild", async () => {
    const { exit } = await collect(
      runProcess(fake("family", { FAKE_CLI_DELAY_MS: "100", FAKE_CLI_GRANDCHILD_DETACHED: "1" }), { killGraceMs: 300 }),
    );
    expect(exit.exitCode).toBe(0);
    expect(liveGroupCount()).toBe(1);
    expect(await waitUntil(() => liveGroupCount() === 0, 2000)).toBe(true);
  });

  it("forgets process groups once they are gone", async () => {
    await collect(runProcess(fake("silent"), { killGraceMs: 100 }));
    expect(await waitUntil(() => liveGroupCount() === 0, 2000)).toBe(true);
  });
});
