// Live processes through clinvoker's faces, with the real CLIs behind the provider stub: the library (warm
// second turns, the permission callback, interrupt then go on, nothing left after close) and the CLI (a
// permission request asked on its terminal, answered no and yes).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BackendName } from "../../src/core/events.js";
import { BackendRegistry } from "../../src/engine/registry.js";
import { Clinvoker, type RunEvent } from "../../src/index.js";
import { CLI_NAMES, RUNTIME_NODE } from "./cli-env.js";
import { realCliSuite, runDir } from "./clinvk-bin.js";
import { waitForNoSandboxProcesses } from "./processes.js";

const suite = realCliSuite();
const LIVE = CLI_NAMES.filter((name) => new BackendRegistry().get(name).live);

function client(home: string, config: Record<string, unknown> = {}) {
  return new Clinvoker({
    binaries: suite.sb.commands,
    env: suite.sb.env,
    home,
    config: { live: { enabled: true }, ...config },
  });
}

async function events(stream: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

const startOf = (list: RunEvent[]) => list.find((e) => e.type === "start") as Extract<RunEvent, { type: "start" }>;
const resultOf = (list: RunEvent[]) => list.at(-1) as Extract<RunEvent, { type: "result" }>;

describe("the library with live processes", () => {
  it.each(LIVE)("%s: a session's second turn goes to the warm process and carries the first", async (backend) => {
    const dir = runDir(suite.sb);
    const clinvk = client(join(dir, "home"));
    try {
      suite.stub.script("Noted: pelican.", "The word was pelican.");
      const session = clinvk.session({ backend: backend as BackendName, workdir: dir });
      const first = await events(session.stream("remember the word pelican"));
      expect(startOf(first).live).toBe("cold");
      expect(resultOf(first)).toMatchObject({ status: "success", text: "Noted: pelican." });
      const second = await events(session.stream("which word?"));
      expect(startOf(second).live).toBe("warm");
      expect(resultOf(second).text).toBe("The word was pelican.");
      const sent = suite.stub.mainRequests().at(-1);
      expect(sent?.userText).toBe("which word?");
      expect(JSON.stringify(sent?.body)).toContain("remember the word pelican");
    } finally {
      await clinvk.close();
    }
    expect(await waitForNoSandboxProcesses(suite.sb, 5000)).toEqual([]);
  });

  it.each(LIVE)("%s: startup() pre-warms, so a new session's first turn is warm too", async (backend) => {
    const dir = runDir(suite.sb);
    // Pre-warmed processes run in the default directory (the current one) with the default options.
    const clinvk = new Clinvoker({
      binaries: suite.sb.commands,
      env: suite.sb.env,
      home: join(dir, "home"),
      config: { live: { enabled: true, prewarm: { [backend]: 1 } } },
    });
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      await clinvk.startup();
      suite.stub.script("Warm from the start.");
      const first = await events(clinvk.stream({ backend: backend as BackendName, prompt: "hello" }));
      expect(startOf(first).live).toBe("warm");
      expect(resultOf(first).text).toBe("Warm from the start.");
    } finally {
      process.chdir(cwd);
      await clinvk.close();
    }
  });

  it("claude: the permission callback decides, and a deny is honoured", async () => {
    const dir = runDir(suite.sb);
    const clinvk = client(join(dir, "home"));
    const target = join(dir, "denied.txt");
    try {
      suite.stub.script({ toolCall: { name: "Write", input: { file_path: target, content: "no\n" } } }, "I could not.");
      const asked: string[] = [];
      const result = await clinvk.run({
        backend: "claude",
        workdir: dir,
        prompt: "write denied.txt",
        onPermissionRequest: async (request, context) => {
          asked.push(`${context.backend} ${request.tool}`);
          return { behavior: "deny", message: "Not in this test." };
        },
      });
      expect(asked).toEqual(["claude Write"]);
      expect(result).toMatchObject({ status: "success", text: "I could not." });
      expect(existsSync(target)).toBe(false);
      expect(suite.stub.mainRequests("anthropic").at(-1)?.toolResults.at(-1)?.output).toBe("Not in this test.");
    } finally {
      await clinvk.close();
    }
  });

  it("claude: query().interrupt() stops the turn, and the session's next prompt continues it", async () => {
    const dir = runDir(suite.sb);
    const clinvk = client(join(dir, "home"));
    try {
      suite.stub.script(
        { text: "A long story that streams slowly, a few characters at a time.", chunkSize: 4, chunkDelayMs: 150 },
        "Going on.",
      );
      const session = clinvk.session({ backend: "claude", workdir: dir });
      const controller = new AbortController();
      let interrupted: RunEvent[] = [];
      const reading = (async () => {
        interrupted = await events(
          (async function* () {
            for await (const event of session.stream("tell me a long story", { interrupt: controller.signal })) {
              if (event.type === "text") controller.abort();
              yield event;
            }
          })(),
        );
      })();
      await reading;
      expect(resultOf(interrupted).error?.code).toBe("interrupted");
      const next = await events(session.stream("go on"));
      expect(startOf(next).live).toBe("warm");
      expect(resultOf(next).text).toBe("Going on.");
      expect(JSON.stringify(suite.stub.mainRequests("anthropic").at(-1)?.body)).toContain("tell me a long story");
    } finally {
      await clinvk.close();
    }
  });
});

/** Runs clinvk on a pseudo-terminal (util-linux `script`), answering its permission question with `answer`. */
function onTerminal(args: string[], cwd: string, answer: string): Promise<{ code: number | null; output: string }> {
  const line = [RUNTIME_NODE, suite.bin.cli, ...args].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qfec", line, "/dev/null"], {
    cwd,
    env: { ...suite.sb.env, CLINVK_HOME: join(cwd, "home"), TERM: "dumb" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let answered = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`clinvk on a terminal did not end:\n${output}`));
    }, 60_000);
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (!answered && output.includes("allow? [y/N]")) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("the CLI with a live process", () => {
  it.each([
    ["n", false],
    ["y", true],
  ] as const)("claude: a write is asked on the terminal; answer %s", async (answer, written) => {
    const dir = runDir(suite.sb);
    mkdirSync(join(dir, "home"), { recursive: true });
    const target = join(dir, "asked.txt");
    suite.stub.script(
      { toolCall: { name: "Write", input: { file_path: target, content: "yes\n" } } },
      written ? "Written." : "Not written.",
    );
    const run = await onTerminal(["--live", "-b", "claude", "-o", "text", "write asked.txt"], dir, answer);
    expect(run.output).toContain("claude asks to run Write");
    expect(run.code, run.output).toBe(0);
    expect(existsSync(target)).toBe(written);
    if (written) expect(readFileSync(target, "utf8")).toBe("yes\n");
    expect(run.output).toContain(written ? "Written." : "Not written.");
  });
});
