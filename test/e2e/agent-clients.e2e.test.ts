// biome-ignore-all lint/suspicious/noExplicitAny: clinvk's and the CLIs' JSON output are read loosely.
// The agent CLIs as CLIENTS of `clinvk serve`: Claude Code pointed at the Anthropic surface runs its own tools
// while another backend thinks, and Codex pointed at the Responses surface holds one conversation across turns.
// Both talk to clinvk serve, whose backends talk to the provider stub.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliSandbox, prepareCliSandbox } from "./cli-env.js";
import { describeRun, NOTE, RUN_TIMEOUT_MS, realCliSuite, runDir, startServe } from "./clinvk-bin.js";
import { runCli } from "./run-cli.js";
import { mcpToolCall } from "./stub/mcp-tool-calls.js";

const e2e = realCliSuite();
let server: ChildProcess;
let base = "";
const clients: CliSandbox[] = [];
beforeAll(async () => {
  ({ server, base } = await startServe(e2e.bin.cli, e2e.sb));
});
afterAll(() => {
  server?.kill("SIGTERM");
  for (const client of clients) client.cleanup();
});

describe("Claude Code as a client", () => {
  it("reads a file with its own Read tool while a codex backend thinks; the file reaches the provider", async () => {
    const client = prepareCliSandbox("claude", `${base}/anthropic`);
    clients.push(client);
    const dir = runDir(client);
    const note = join(dir, "note.txt");
    e2e.stub.script(
      { provider: "openai", toolCall: mcpToolCall("codex", "clinvk", "Read", { file_path: note }) },
      { provider: "openai", text: "FINAL: the note says hello." },
    );
    const run = await runCli(
      client,
      "claude",
      ["-p", "What does note.txt say?", "--model", "codex/gpt-5", "--output-format", "json"],
      {
        cwd: dir,
        timeoutMs: RUN_TIMEOUT_MS,
      },
    );
    expect(run.code, describeRun(run)).toBe(0);
    expect(JSON.parse(run.stdout).result).toContain("FINAL: the note says hello.");
    // Claude Code's tools were the ones offered to codex, and Read's output (the file) went back to it.
    const requests = e2e.stub.mainRequests("openai");
    expect(JSON.stringify(requests[0]?.body)).toContain("Read");
    expect(JSON.stringify(requests.at(-1)?.toolResults)).toContain(NOTE.trim());
  });
});

describe("Codex as a client", () => {
  it("two turns of one thread on its default model are one clinvoker session", async () => {
    const client = prepareCliSandbox("codex", `${base}/openai`);
    clients.push(client);
    const dir = runDir(client);
    e2e.stub.script({ provider: "openai", text: "CODEX-CLIENT-ONE" }, { provider: "openai", text: "CODEX-CLIENT-TWO" });
    const first = await runCli(client, "codex", ["exec", "--json", "--skip-git-repo-check", "first client turn"], {
      cwd: dir,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(first.code, describeRun(first)).toBe(0);
    expect(first.stdout).toContain("CODEX-CLIENT-ONE");
    const second = await runCli(
      client,
      "codex",
      ["exec", "resume", "--last", "--json", "--skip-git-repo-check", "second client turn"],
      { cwd: dir, timeoutMs: RUN_TIMEOUT_MS },
    );
    expect(second.code, describeRun(second)).toBe(0);
    expect(second.stdout).toContain("CODEX-CLIENT-TWO");
    // The backend's second request went on in the first one's CLI session: it holds the first answer.
    const requests = e2e.stub.mainRequests("openai");
    expect(requests).toHaveLength(2);
    expect(requests[0]?.userText).toContain("first client turn");
    // Only the new message was sent (no replayed transcript), and the CLI's own history held the first answer.
    expect(requests[1]?.userText).toContain("second client turn");
    expect(requests[1]?.userText).not.toContain("This conversation began before this session");
    expect(JSON.stringify(requests[1]?.body)).toContain("CODEX-CLIENT-ONE");
    const sessions: any = await (await fetch(`${base}/api/v1/sessions?limit=50`)).json();
    const codexSessions = (sessions.sessions ?? sessions).filter((s: any) => s.tags?.includes("openai"));
    expect(codexSessions).toHaveLength(1);
  });
});
