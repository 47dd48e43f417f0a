import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileSessionStore } from "../../src/sessions/file-store.js";
import { CLI } from "../cli/run-cli.js";
import { FAKE_CLI_DIR } from "../helpers.js";

/** `clinvk serve` on a home whose backends are the fake CLI, hanging forever once started. */
function serveOn(home: string): Promise<{ serve: ChildProcess; base: string }> {
  const fake = (name: string) => join(FAKE_CLI_DIR, name);
  writeFileSync(
    join(home, "config.yaml"),
    `backends:\n  claude: { binary: ${fake("claude")} }\n  codex: { binary: ${fake("codex")} }\nserver:\n  child_env: ["FAKE_CLI_*"]\n`,
  );
  const serve = spawn(process.execPath, [CLI, "serve", "--port", "0"], {
    env: { ...process.env, CLINVK_HOME: home, FAKE_CLI_MODE: "hang" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let stderr = "";
    serve.stderr?.on("data", (chunk) => {
      stderr += chunk;
      const match = /serving on (http:\/\/\S+)/.exec(stderr);
      if (match) resolve({ serve, base: match[1] as string });
    });
    serve.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

const processesWith = (marker: string) =>
  execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.includes(marker) && !line.includes("ps -eo"));

async function startHangingRuns(base: string, marker: string, backends: string[]): Promise<void> {
  for (const backend of backends) {
    // Streamed, so that the run (and its session) exists before the answer, which never comes.
    const response = await fetch(`${base}/api/v1/prompt`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ backend, prompt: `${marker} ${backend}` }),
    });
    const reader = response.body?.getReader();
    await reader?.read(); // the first event: the CLI runs
  }
  await expect.poll(() => processesWith(marker).length, { timeout: 5000 }).toBe(backends.length);
}

describe("a server killed with SIGKILL", () => {
  it("leaves no CLI running (its supervisor kills them), and its next start settles their sessions", async () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-crash-"));
    const marker = `orphan-${process.pid}-${Date.now()}`;
    const first = await serveOn(home);
    await startHangingRuns(first.base, marker, ["claude", "codex"]);
    first.serve.kill("SIGKILL");
    await expect.poll(() => processesWith(marker), { timeout: 5000 }).toEqual([]);

    const second = await serveOn(home);
    try {
      const sessions = (await new FileSessionStore(home).list({})).sessions;
      expect(sessions).toHaveLength(2);
      for (const session of sessions) expect(session.status).toBe("error");
      const full = await new FileSessionStore(home).get(sessions[0]?.id as string);
      expect(full.error_message).toBe("interrupted: the clinvk serve that ran it stopped");
    } finally {
      second.serve.kill("SIGTERM");
      await new Promise((resolve) => second.serve.once("exit", resolve));
    }
  });

  it("with its supervisor killed too, the next start kills the CLIs it left", async () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-crash-"));
    const marker = `orphan-${process.pid}-${Date.now()}`;
    const first = await serveOn(home);
    await startHangingRuns(first.base, marker, ["claude"]);
    const supervisor = processesWith("__supervise-runs").find((line) => line.includes(home));
    expect(supervisor).toBeDefined();
    const supervisorPid = supervisor?.trim().split(" ")[0] as string;
    process.kill(Number(supervisorPid), "SIGKILL");
    await expect.poll(() => processesWith("__supervise-runs").filter((line) => line.includes(home))).toEqual([]);
    first.serve.kill("SIGKILL");
    await new Promise((resolve) => first.serve.once("exit", resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processesWith(marker)).toHaveLength(1); // nobody left to kill it
    const second = await serveOn(home);
    try {
      await expect.poll(() => processesWith(marker), { timeout: 5000 }).toEqual([]);
    } finally {
      second.serve.kill("SIGTERM");
    }
  });
});
