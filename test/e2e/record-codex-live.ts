// Records the real `codex app-server` (the pinned CLI, offline against the provider stub) for the live codec's
// unit tests: test/fixtures/cli-output/codex-live/<case>.{cmd,stdin,stdout,stderr,rc}. Each case is one process;
// `.stdin` holds the lines written to it and `.stdout` the lines it printed, in order. The client here numbers its
// requests from 1 in the order the codec does (initialize, thread/start or thread/resume, then turn/start and
// turn/interrupt), so that a replay of `.stdout` through the codec meets the same ids.
//
//   npx tsx test/e2e/record-codex-live.ts [--out /tmp/codex-live]
//
// Placeholders as in record.ts (normalize.ts); thread ids are numbered as sessions over the whole recording.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type CliSandbox, E2E_CLI_DIR, prepareCliSandbox, REPO_ROOT } from "./cli-env.js";
import { type LiveChild, startLiveChild } from "./live-child.js";
import { Normalizer } from "./normalize.js";
import { startProviderStub, type TurnInput } from "./stub/index.js";

const OUT_DIR = join(REPO_ROOT, "test", "fixtures", "cli-output", "codex-live");
const MAIN_INPUT_TOKENS = 12_000;
/** Where app-server shows thread ids: `threadId` and the `thread` object's `id`. */
const THREAD_ID =
  /(?:"threadId"\s*:\s*"|"thread"\s*:\s*\{"id"\s*:\s*")([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/g;
/** Colours of stderr's log lines, seconds since the epoch, process ids: they vary and say nothing. */
const VARYING = [
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC.
  [/\x1b\[[0-9;]*m/g, ""],
  [/("(?:createdAt|updatedAt|recencyAt|startedAt|completedAt)"\s*:\s*)\d{10}/g, "$10"],
  [/("processId"\s*:\s*")\d+"/g, '$10"'],
  [/sessions\/\d{4}\/\d{2}\/\d{2}\//g, "sessions/2000/01/01/"],
] as const;

/** The clientInfo the codec sends (src/backends/codex-live.ts), minus clinvoker's version. */
const CLIENT_INFO = { name: "clinvk", title: "clinvoker", version: "0.0.0-recording" };

const execCall = (cmd: string): TurnInput => ({
  toolCall: {
    name: "exec",
    input: `const r = await tools.exec_command({cmd: ${JSON.stringify(cmd)}});\ntext(r.output);`,
  },
});

/** One app-server process (live-child.ts) with a JSON-RPC client that numbers its requests as the codec does. */
class AppServer {
  private nextId = 1;
  private readonly child: LiveChild;

  constructor(
    sb: CliSandbox,
    readonly args: string[],
  ) {
    this.child = startLiveChild(sb, sb.commands.codex, args);
  }

  get stdin(): readonly string[] {
    return this.child.stdin;
  }

  get stdout(): readonly string[] {
    return this.child.stdout;
  }

  stderr(): string {
    return this.child.stderr();
  }

  write(message: unknown): void {
    this.child.write(JSON.stringify(message));
  }

  request(method: string, params: unknown): number {
    const id = this.nextId++;
    this.write({ id, method, params });
    return id;
  }

  /** The first line from stdout line `from` on that `test` accepts. */
  // biome-ignore lint/suspicious/noExplicitAny: the recorder reads the wire loosely.
  wait(test: (m: any) => boolean, from = 0): Promise<any> {
    return this.child.waitFor(test, { from });
  }

  response(id: number) {
    return this.wait((m) => m.id === id && !("method" in m));
  }

  /** initialize, initialized, then thread/start or thread/resume; the thread id. */
  async open(sb: CliSandbox, resume?: string, modes: Record<string, string> = {}): Promise<string> {
    await this.response(this.request("initialize", { clientInfo: CLIENT_INFO, capabilities: null }));
    this.write({ method: "initialized" });
    const id = resume
      ? this.request("thread/resume", { threadId: resume, cwd: sb.workDir, excludeTurns: true, ...modes })
      : this.request("thread/start", { cwd: sb.workDir, ...modes });
    const reply = await this.response(id);
    return reply.result?.thread?.id;
  }

  /** turn/start, `during` (given the turn id and where the turn's lines start); the turn/completed notification. */
  async turn(threadId: string, text: string, during?: (turnId: string, from: number) => Promise<void>) {
    const from = this.stdout.length;
    const reply = await this.response(
      this.request("turn/start", { threadId, input: [{ type: "text", text, text_elements: [] }] }),
    );
    if (during) await during(reply.result.turn.id, from);
    return this.wait((m) => m.method === "turn/completed", from);
  }

  async close(): Promise<number | null> {
    return (await this.child.close()).code;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const outDir = values.out ? resolve(values.out) : OUT_DIR;
  mkdirSync(outDir, { recursive: true });
  const stub = await startProviderStub({ usage: () => ({ inputTokens: MAIN_INPUT_TOKENS }) });
  const sb = prepareCliSandbox("codex", stub.url, {
    retries: 0,
    apiTimeoutMs: 5000,
    dirNames: { home: "home-codex", workDir: "work-codex", codexHome: "codex-home-codex" },
  });
  const normalizer = new Normalizer();
  normalizer.literal(join(E2E_CLI_DIR, "node_modules"), "$CLI_ROOT");
  normalizer.literal(REPO_ROOT, "$REPO");
  normalizer.literal(`127.0.0.1:${stub.port}`, "127.0.0.1:$PORT");
  normalizer.literal(sb.root, "$SCRATCH");
  const notes: string[] = [];

  const save = async (name: string, server: AppServer, script: TurnInput[], note: string) => {
    const rc = await server.close();
    const forCase = normalizer.fresh();
    const all = [...server.stdin, ...server.stdout].join("\n");
    forCase.sessionsIn(all, THREAD_ID);
    const clean = (text: string) => forCase.apply(VARYING.reduce((t, [re, to]) => t.replace(re, to), text));
    const cmd = [
      `cwd: ${sb.workDir}   HOME: ${sb.home}   CODEX_HOME: ${sb.codexHome}`,
      `stub: ${JSON.stringify(script)}`,
      ["codex", ...server.args].join(" "),
      "",
    ].join("\n");
    const base = join(outDir, name);
    writeFileSync(`${base}.cmd`, clean(cmd));
    writeFileSync(`${base}.stdin`, clean(`${server.stdin.join("\n")}\n`));
    writeFileSync(`${base}.stdout`, clean(`${server.stdout.join("\n")}\n`));
    writeFileSync(`${base}.stderr`, clean(server.stderr()));
    writeFileSync(`${base}.rc`, `${rc}\n`);
    notes.push(`${name}: exit ${rc}, ${server.stdout.length} lines out, ${stub.requests.length} request(s); ${note}`);
    stub.reset();
  };

  try {
    // 1. Two turns, then an interrupt mid-turn and a new prompt, in one process.
    const chunked = { text: "Hello there, this reply arrives in chunks.", chunkSize: 8 };
    const slow = { text: "This slow answer is interrupted after its first piece.", chunkSize: 6, chunkDelayMs: 300 };
    let script: TurnInput[] = [chunked, "Second answer.", slow];
    stub.script(...script);
    let server = new AppServer(sb, ["app-server"]);
    const threadId = await server.open(sb);
    await server.turn(threadId, "hello");
    await server.turn(threadId, "again");
    await server.turn(threadId, "slow one", async (turnId, from) => {
      await server.wait((m) => m.method === "item/agentMessage/delta", from);
      await server.response(server.request("turn/interrupt", { threadId, turnId }));
    });
    await server.turn(threadId, "after the interrupt");
    const sawFirst = stub.requests[1]?.body?.input?.some((i: { role?: string; content?: unknown }) =>
      JSON.stringify(i.content ?? "").includes("Hello there"),
    );
    await save("conversation", server, script, `second request carries the first answer: ${sawFirst}`);

    // 2. Approvals: one command allowed, one declined (untrusted asks before every command that is not read-only).
    // `untrusted` is refused as a config value (`-c approval_policy`), taken as thread/start's approvalPolicy.
    script = [execCall("touch allowed.txt"), "Allowed one.", execCall("touch denied.txt"), "Denied one."];
    stub.script(...script);
    server = new AppServer(sb, ["app-server"]);
    const approvals = await server.open(sb, undefined, { approvalPolicy: "untrusted", sandbox: "workspace-write" });
    for (const decision of ["accept", "decline"]) {
      await server.turn(approvals, `touch a file (${decision})`, async (_turnId, from) => {
        const ask = await server.wait((m) => m.method === "item/commandExecution/requestApproval", from);
        server.write({ id: ask.id, result: { decision } });
      });
    }
    const files = `allowed.txt ${existsSync(join(sb.workDir, "allowed.txt"))}, denied.txt ${existsSync(join(sb.workDir, "denied.txt"))}`;
    await save("approvals", server, script, files);

    // 3. Resume the first conversation in a fresh process.
    script = ["Resumed answer."];
    stub.script(...script);
    server = new AppServer(sb, ["app-server"]);
    const resumed = await server.open(sb, threadId);
    await server.turn(resumed, "resumed");
    const history = JSON.stringify(stub.requests[0]?.body?.input ?? []).includes("Second answer.");
    await save("resume", server, script, `same thread: ${resumed === threadId}, history sent: ${history}`);

    // 4. A provider error fails the turn; the process stays and the next turn works.
    script = [{ error: { status: 500, message: "stub internal error" }, times: 1 }, "Recovered."];
    stub.script(...script);
    server = new AppServer(sb, ["app-server"]);
    const failing = await server.open(sb);
    const failed = await server.turn(failing, "this fails");
    await server.turn(failing, "this works");
    await save("turn-error", server, script, `first turn ${failed.params.turn.status}`);

    // 6. A file change (apply_patch) under a read-only sandbox: asked as a file change, accepted.
    const patch = "*** Begin Patch\n*** Add File: patched.txt\n+patched by the stub\n*** End Patch\n";
    script = [{ toolCall: { name: "exec", input: `await tools.apply_patch(${JSON.stringify(patch)});` } }, "Patched."];
    stub.script(...script);
    server = new AppServer(sb, ["app-server"]);
    const patching = await server.open(sb, undefined, { approvalPolicy: "untrusted", sandbox: "read-only" });
    await server.turn(patching, "patch a file", async (_turnId, from) => {
      const ask = await server.wait((m) => typeof m.method === "string" && m.method.endsWith("/requestApproval"), from);
      server.write({ id: ask.id, result: { decision: "accept" } });
    });
    await save("file-change", server, script, `patched.txt ${existsSync(join(sb.workDir, "patched.txt"))}`);

    // 5. Resuming a thread that does not exist.
    server = new AppServer(sb, ["app-server"]);
    await server.open(sb, "01a23544-0000-7000-8000-000000000000");
    await save("resume-missing", server, [], "thread/resume answered with an error");
  } finally {
    await stub.close();
    sb.cleanup();
  }
  for (const note of notes) process.stderr.write(`  codex-live/${note}\n`);
}

await main();
