// Live processes through `clinvk serve`, with the real CLIs behind the provider stub: codex's text streamed as
// the provider sends it (one SSE text event per chunk), an interrupt through the runs API followed by a prompt
// that continues the conversation, and a tool call parked in the approvals API and denied there.
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realCliSuite, runDir, startServe } from "./clinvk-bin.js";
import { waitForNoSandboxProcesses } from "./processes.js";

const e2e = realCliSuite();
let server: ChildProcess;
let base = "";

beforeAll(async () => {
  const home = join(e2e.sb.root, "serve-home");
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, "config.yaml"), "live:\n  enabled: true\nserver:\n  grantable_tools: [Write]\n");
  ({ server, base } = await startServe(e2e.bin.cli, e2e.sb, { CLINVK_HOME: home }));
});
afterAll(async () => {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  server.kill("SIGTERM");
  await new Promise((resolve) => server.once("exit", resolve));
});

interface Frame {
  event: string;
  data: Record<string, unknown>;
  at: number;
}

/** POSTs a prompt for SSE and reads its frames, calling `onFrame` as each arrives. */
async function sse(body: Record<string, unknown>, onFrame: (frame: Frame) => void = () => {}): Promise<Frame[]> {
  const response = await fetch(`${base}/api/v1/prompt`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  const frames: Frame[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (event && data) {
        const frame = { event, data: JSON.parse(data), at: Date.now() };
        frames.push(frame);
        onFrame(frame);
      }
      end = buffer.indexOf("\n\n");
    }
  }
  return frames;
}

const post = (path: string, body: unknown = {}) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("clinvk serve with live processes", () => {
  it("codex: one SSE text event per chunk the provider sends, each as it is sent", async () => {
    const dir = runDir(e2e.sb);
    const chunks = ["One ", "two ", "three ", "four ", "five."];
    e2e.stub.script({ text: chunks.join(""), chunkSize: 5, chunkDelayMs: 150 });
    const frames = await sse({ backend: "codex", prompt: "count to five", workdir: dir, ephemeral: true });
    const start = frames.find((f) => f.event === "start");
    expect(start?.data.live).toBe("cold");
    const texts = frames.filter((f) => f.event === "text");
    expect(texts.map((f) => f.data.text).join("")).toBe(chunks.join(""));
    const sent = e2e.stub.mainRequests("openai").at(-1)?.contentSentAt ?? [];
    expect(texts.length).toBe(sent.length);
    expect(texts.length).toBeGreaterThan(1);
    // Each delta reached the client before the stub sent the next one.
    for (let i = 0; i + 1 < texts.length; i++) expect(texts[i]?.at).toBeLessThan(sent[i + 1] as number);
    expect(frames.at(-1)?.data).toMatchObject({ status: "success" });
  });

  it("codex: an interrupt through the runs API stops the turn; the next prompt continues the conversation", async () => {
    const dir = runDir(e2e.sb);
    e2e.stub.script(
      { text: "A long story, told slowly, a few letters at a time.", chunkSize: 4, chunkDelayMs: 200 },
      "Going on.",
    );
    let interrupted = false;
    const frames = await sse({ backend: "codex", prompt: "tell me a long story", workdir: dir }, (frame) => {
      if (frame.event !== "text" || interrupted) return;
      interrupted = true;
      void (async () => {
        const runs = (await (await fetch(`${base}/api/v1/runs?state=running`)).json()) as { runs: { id: string }[] };
        const id = runs.runs[0]?.id as string;
        expect((await post(`/api/v1/runs/${id}/interrupt`)).status).toBe(200);
      })();
    });
    const result = frames.at(-1)?.data as { error?: { code: string }; session_id: string };
    expect(result.error?.code).toBe("interrupted");
    const resumed = await post(`/api/v1/sessions/${result.session_id}/resume`, { prompt: "go on", live: true });
    const answer = (await resumed.json()) as { output: string; status: string };
    expect(answer).toMatchObject({ status: "success", output: "Going on." });
    const last = e2e.stub.mainRequests("openai").at(-1);
    expect(last?.userText).toBe("go on");
    expect(JSON.stringify(last?.body)).toContain("tell me a long story");
  });

  it("claude: ask_permissions parks a write in the approvals API; denied there, it is not written", async () => {
    const dir = runDir(e2e.sb);
    const target = join(dir, "parked.txt");
    e2e.stub.script({ toolCall: { name: "Write", input: { file_path: target, content: "no\n" } } }, "It was refused.");
    const answer = post("/api/v1/prompt", {
      backend: "claude",
      prompt: "write parked.txt",
      workdir: dir,
      ask_permissions: true,
    });
    let approval: { id: string; tool: string } | undefined;
    const deadline = Date.now() + 30_000;
    while (!approval && Date.now() < deadline) {
      const list = (await (await fetch(`${base}/api/v1/approvals`)).json()) as {
        approvals: { id: string; tool: string }[];
      };
      approval = list.approvals[0];
      if (!approval) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(approval?.tool).toBe("Write");
    expect((await post(`/api/v1/approvals/${approval?.id}`, { behavior: "deny", message: "Not here." })).status).toBe(
      200,
    );
    const body = (await (await answer).json()) as { output: string; status: string };
    expect(body).toMatchObject({ status: "success", output: "It was refused." });
    expect(existsSync(target)).toBe(false);
    expect(e2e.stub.mainRequests("anthropic").at(-1)?.toolResults.at(-1)?.output).toBe("Not here.");
  });

  it("leaves no CLI process behind when the server stops", async () => {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
    expect(await waitForNoSandboxProcesses(e2e.sb, 5000)).toEqual([]);
  });
});
