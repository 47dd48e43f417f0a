// Records gemini's live protocol (`gemini --acp`, the Agent Client Protocol) with the pinned CLI, offline against
// the provider stub, into test/fixtures/cli-output/gemini-live/<case>.{cmd,transcript,stderr,rc,requests.json}:
// `.transcript` holds every line in order, `> ` written to the CLI's stdin and `< ` read from its stdout.
//
//   CLINVK_E2E_CLI_DIR=/path/to/e2e-clis npx tsx test/e2e/record-gemini-live.ts [--only <case>] [--out <dir>]
//
// The cases run in order in one sandbox (the resume cases load the conversation of `turns`). What changes from run
// to run is replaced by placeholders: the scratch dir ($SCRATCH), the stub's port ($PORT), UUIDs (session ids
// 00000000-0000-4000-a000-00000000000N over the whole run, so resumes stay traceable) and epoch milliseconds in
// tool-call ids. Input tokens are fixed through the stub.
// biome-ignore-all lint/suspicious/noExplicitAny: protocol JSON is read loosely here.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { AcpDriver, initializeParams, textPrompt } from "./acp-driver.js";
import { CLI_VERSIONS, type CliSandbox, E2E_CLI_DIR, prepareCliSandbox, REPO_ROOT } from "./cli-env.js";
import { type ProviderStub, startProviderStub } from "./stub/index.js";

const OUT_DIR = join(REPO_ROOT, "test", "fixtures", "cli-output", "gemini-live");

interface Ctx {
  sb: CliSandbox;
  stub: ProviderStub;
  sessions: Map<string, string>;
  /** Facts a case checked, written next to its transcript (and printed). */
  checks: string[];
}

interface Case {
  name: string;
  args: string[];
  retries?: number;
  run(d: AcpDriver, ctx: Ctx): Promise<void>;
}

async function handshake(d: AcpDriver, ctx: Ctx): Promise<string> {
  await d.request("initialize", initializeParams);
  const created = await d.request("session/new", { cwd: ctx.sb.workDir, mcpServers: [] });
  return created.result.sessionId;
}

const allow = (params: any) => ({
  outcome: { outcome: "selected", optionId: params.options.find((o: any) => o.kind === "allow_once").optionId },
});
const reject = (params: any) => ({
  outcome: { outcome: "selected", optionId: params.options.find((o: any) => o.kind === "reject_once").optionId },
});

function check(ctx: Ctx, ok: boolean, fact: string) {
  ctx.checks.push(`${ok ? "ok" : "NOT"}: ${fact}`);
}

/**
 * Renames a session's files as if it had begun an hour earlier: gemini 0.61.0's session/load empties a session whose
 * file is named after the current minute (see load-same-minute), which every fresh recording hits.
 */
function ageSessionFiles(ctx: Ctx, sessionId: string) {
  const chats = join(ctx.sb.home, ".gemini", "tmp", basename(ctx.sb.workDir), "chats");
  for (const file of readdirSync(chats)) {
    if (!file.endsWith(`-${sessionId.slice(0, 8)}.jsonl`)) continue;
    renameSync(join(chats, file), join(chats, file.replace(/T\d\d-\d\d-/, "T00-00-")));
  }
}

const contentsText = (body: any): string => JSON.stringify(body?.contents ?? []);

const CASES: Case[] = [
  {
    name: "turns",
    args: ["--acp"],
    async run(d, ctx) {
      const sessionId = await handshake(d, ctx);
      ctx.sessions.set("turns", sessionId);
      ctx.stub.script("Hello there, first.", "Second answer.");
      await d.request("session/prompt", textPrompt(sessionId, "hello"));
      await d.request("session/prompt", textPrompt(sessionId, "and again"));
      const second = ctx.stub.mainRequests("gemini")[1];
      check(ctx, contentsText(second?.body).includes("Hello there, first."), "the second request carries turn 1");
    },
  },
  {
    name: "interrupt",
    args: ["--acp"],
    async run(d, ctx) {
      const sessionId = await handshake(d, ctx);
      ctx.sessions.set("interrupt", sessionId);
      ctx.stub.script(
        "Before the interrupt.",
        { text: "one two three four five six seven eight", chunkSize: 4, chunkDelayMs: 600 },
        "After the interrupt.",
      );
      await d.request("session/prompt", textPrompt(sessionId, "first"));
      const turn = d.request("session/prompt", textPrompt(sessionId, "count slowly"));
      await d.next((m) => m.params?.update?.sessionUpdate === "agent_message_chunk");
      d.notify("session/cancel", { sessionId });
      const ended = await turn;
      check(ctx, ended.result?.stopReason === "cancelled", "the interrupted prompt answers stopReason cancelled");
      await d.request("session/prompt", textPrompt(sessionId, "continue"));
      const next = contentsText(ctx.stub.mainRequests("gemini")[2]?.body);
      check(ctx, next.includes("Before the interrupt."), "the next request carries the turn before the interrupt");
      check(ctx, next.includes("count slowly"), "the next request carries the interrupted prompt");
      check(ctx, next.includes("one "), "the next request carries the partial answer");
    },
  },
  {
    name: "permission",
    args: ["--acp"],
    async run(d, ctx) {
      const sessionId = await handshake(d, ctx);
      const answers = [allow, reject];
      d.onPermission = (params) => (answers.shift() ?? reject)(params);
      ctx.stub.script(
        { toolCall: { name: "run_shell_command", input: { command: "echo allowed > allowed.txt" } } },
        "Ran it.",
        { toolCall: { name: "write_file", input: { file_path: "denied.txt", content: "denied\n" } } },
        "Not written.",
      );
      await d.request("session/prompt", textPrompt(sessionId, "run echo"));
      await d.request("session/prompt", textPrompt(sessionId, "write denied.txt"));
      check(ctx, existsSync(join(ctx.sb.workDir, "allowed.txt")), "the allowed command ran");
      check(ctx, !existsSync(join(ctx.sb.workDir, "denied.txt")), "the denied write did not run");
      const results = ctx.stub.mainRequests("gemini").map((r) => JSON.stringify(r.toolResults ?? []));
      ctx.checks.push(`tool results the model saw: ${results.join(" | ")}`);
    },
  },
  {
    name: "interrupt-permission",
    args: ["--acp"],
    async run(d, ctx) {
      const sessionId = await handshake(d, ctx);
      ctx.stub.script(
        { toolCall: { name: "run_shell_command", input: { command: "echo never > never.txt" } } },
        "After the interrupt.",
      );
      const turn = d.request("session/prompt", textPrompt(sessionId, "run echo"));
      const asked = await d.next((m) => m.method === "session/request_permission");
      d.notify("session/cancel", { sessionId });
      // ACP: after session/cancel the client answers its pending permission requests `cancelled`.
      d.write({ jsonrpc: "2.0", id: asked.id, result: { outcome: { outcome: "cancelled" } } });
      const ended = await turn;
      check(ctx, ended.result?.stopReason === "cancelled", "the prompt answers stopReason cancelled");
      check(ctx, !existsSync(join(ctx.sb.workDir, "never.txt")), "the tool did not run");
      await d.request("session/prompt", textPrompt(sessionId, "continue"));
    },
  },
  {
    name: "yolo-tool",
    args: ["--acp", "--approval-mode=yolo"],
    async run(d, ctx) {
      const sessionId = await handshake(d, ctx);
      ctx.stub.script(
        { text: "Running it.", toolCall: { name: "run_shell_command", input: { command: "echo yolo > yolo.txt" } } },
        "Done.",
      );
      await d.request("session/prompt", textPrompt(sessionId, "run echo"));
      check(ctx, existsSync(join(ctx.sb.workDir, "yolo.txt")), "yolo ran the command without asking");
    },
  },
  {
    name: "read-tool",
    args: ["--acp"],
    async run(d, ctx) {
      writeFileSync(join(ctx.sb.workDir, "note.txt"), "hello from note.txt\n");
      const sessionId = await handshake(d, ctx);
      ctx.stub.script({ toolCall: { name: "read_file", input: { file_path: "note.txt" } } }, "The note says hello.");
      await d.request("session/prompt", textPrompt(sessionId, "read note.txt"));
    },
  },
  {
    name: "resume",
    args: ["--acp"],
    async run(d, ctx) {
      const sessionId = ctx.sessions.get("turns") ?? "";
      ageSessionFiles(ctx, sessionId);
      await d.request("initialize", initializeParams);
      await d.request("session/load", { sessionId, cwd: ctx.sb.workDir, mcpServers: [] });
      ctx.stub.script("Resumed answer.");
      await d.request("session/prompt", textPrompt(sessionId, "after resume"));
      const body = contentsText(ctx.stub.mainRequests("gemini")[0]?.body);
      check(ctx, body.includes("Hello there, first.") && body.includes("Second answer."), "resume carries both turns");
    },
  },
  {
    name: "load-in-running",
    args: ["--acp"],
    async run(d, ctx) {
      const fresh = await handshake(d, ctx);
      ctx.stub.script("Fresh answer.", "Loaded answer.");
      await d.request("session/prompt", textPrompt(fresh, "fresh"));
      const sessionId = ctx.sessions.get("interrupt") ?? "";
      ageSessionFiles(ctx, sessionId);
      await d.request("session/load", { sessionId, cwd: ctx.sb.workDir, mcpServers: [] });
      await d.request("session/prompt", textPrompt(sessionId, "loaded"));
      const body = contentsText(ctx.stub.mainRequests("gemini")[1]?.body);
      check(
        ctx,
        body.includes("After the interrupt.") && !body.includes("Fresh answer."),
        "the loaded session is the old one",
      );
    },
  },
  {
    // gemini 0.61.0 bug: session/load first starts a new record for the loaded id in a file named after the
    // current minute; loading in the minute the session began writes into its own file and empties it.
    name: "load-same-minute",
    args: ["--acp"],
    async run(d, ctx) {
      const first = new AcpDriver(ctx.sb, ["--acp"]);
      const sessionId = await handshake(first, ctx);
      ctx.stub.script("Soon lost.");
      await first.request("session/prompt", textPrompt(sessionId, "hello"));
      await first.close();
      await d.request("initialize", initializeParams);
      const loaded = await d.request("session/load", { sessionId, cwd: ctx.sb.workDir, mcpServers: [] });
      check(ctx, loaded.error !== undefined, "the load fails");
    },
  },
  {
    name: "load-unknown",
    args: ["--acp"],
    async run(d, ctx) {
      await d.request("initialize", initializeParams);
      await d.request("session/load", {
        sessionId: "99999999-9999-4999-8999-999999999999",
        cwd: ctx.sb.workDir,
        mcpServers: [],
      });
    },
  },
  {
    name: "http500",
    args: ["--acp"],
    async run(d, ctx) {
      const sessionId = await handshake(d, ctx);
      ctx.stub.script({ error: 500, times: "always" });
      await d.request("session/prompt", textPrompt(sessionId, "hello"));
      ctx.stub.reset();
      ctx.stub.script("Fine again.");
      await d.request("session/prompt", textPrompt(sessionId, "again"));
    },
  },
  {
    name: "http429",
    args: ["--acp"],
    async run(d, ctx) {
      const sessionId = await handshake(d, ctx);
      ctx.stub.script({ error: { status: 429, retryAfter: 1 }, times: "always" });
      await d.request("session/prompt", textPrompt(sessionId, "hello"), 90_000);
    },
  },
  {
    name: "http401",
    args: ["--acp"],
    async run(d, ctx) {
      const sessionId = await handshake(d, ctx);
      ctx.stub.script({ error: 401, times: "always" }, { error: 401, side: true, times: "always" });
      await d.request("session/prompt", textPrompt(sessionId, "hello"));
    },
  },
  {
    name: "drop",
    args: ["--acp"],
    async run(d, ctx) {
      const sessionId = await handshake(d, ctx);
      ctx.stub.script({ text: "partial answer that breaks", drop: true, times: "always" });
      await d.request("session/prompt", textPrompt(sessionId, "hello"));
    },
  },
];

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const EPOCH_MS = /(?<=_)1[7-9]\d{11}(?=_)/g;

class Normalizer {
  private readonly uuids = new Map<string, string>();
  private readonly epochs = new Map<string, string>();
  constructor(
    private readonly literals: Array<[string, string]>,
    private readonly sessions: Map<string, string>,
  ) {}
  apply(text: string): string {
    let out = text;
    for (const [from, to] of this.literals) out = out.split(from).join(to);
    out = out.replace(UUID, (id) => {
      const lower = id.toLowerCase();
      if (lower.startsWith("99999999-")) return id;
      const session = this.sessions.get(lower);
      if (session) return session;
      let mapped = this.uuids.get(lower);
      if (!mapped) {
        mapped = `00000000-0000-4000-8000-${String(this.uuids.size + 1).padStart(12, "0")}`;
        this.uuids.set(lower, mapped);
      }
      return mapped;
    });
    return out.replace(EPOCH_MS, (ms) => {
      let mapped = this.epochs.get(ms);
      if (!mapped) {
        mapped = String(1_700_000_000_000 + this.epochs.size);
        this.epochs.set(ms, mapped);
      }
      return mapped;
    });
  }
}

async function main() {
  const { values } = parseArgs({ options: { only: { type: "string", multiple: true }, out: { type: "string" } } });
  const out = values.out ?? OUT_DIR;
  mkdirSync(out, { recursive: true });
  const stub = await startProviderStub({ usage: { inputTokens: 12_000 } });
  const sb = prepareCliSandbox("gemini", stub.url, { dirNames: { home: "home-gemini", workDir: "work-gemini" } });
  const sessions = new Map<string, string>();
  const sessionNames = new Map<string, string>();
  try {
    for (const c of CASES) {
      if (values.only && !values.only.includes(c.name)) continue;
      stub.reset();
      const ctx: Ctx = { sb, stub, sessions, checks: [] };
      const d = new AcpDriver(sb, c.args);
      let failure: unknown;
      try {
        await c.run(d, ctx);
      } catch (error) {
        failure = error;
      }
      const exit = await d.close();
      for (const id of sessions.values()) {
        if (!sessionNames.has(id)) {
          sessionNames.set(id, `00000000-0000-4000-a000-${String(sessionNames.size + 1).padStart(12, "0")}`);
        }
      }
      // Session ids the CLI created in this case, numbered over the run.
      for (const { line } of d.transcript) {
        const id = /"sessionId":"([0-9a-f-]{36})"/.exec(line)?.[1];
        if (id && !id.startsWith("99999999-") && !sessionNames.has(id)) {
          sessionNames.set(id, `00000000-0000-4000-a000-${String(sessionNames.size + 1).padStart(12, "0")}`);
        }
      }
      const norm = new Normalizer(
        [
          [sb.root, "$SCRATCH"],
          [E2E_CLI_DIR, "$CLI_ROOT"],
          [`:${stub.port}`, ":$PORT"],
        ],
        sessionNames,
      );
      const base = join(out, c.name);
      writeFileSync(`${base}.cmd`, `gemini ${c.args.join(" ")}\n# gemini ${CLI_VERSIONS.gemini.version}\n`);
      writeFileSync(`${base}.transcript`, d.transcript.map((t) => `${t.dir} ${norm.apply(t.line)}\n`).join(""));
      const stderr = d.stderr.replace(/^\[STARTUP\] .*\n/gm, "").replace(/^Could not find promptId.*\n/gm, "");
      writeFileSync(`${base}.stderr`, norm.apply(stderr));
      writeFileSync(`${base}.rc`, `${exit.code ?? exit.signal}\n`);
      const requests = stub.requests
        .filter((r) => !r.side)
        .map((r) => ({
          model: r.model,
          userText: r.userText,
          status: r.status,
          outcome: r.outcome,
          turns: r.body?.contents?.length,
        }));
      writeFileSync(
        `${base}.requests.json`,
        `${norm.apply(JSON.stringify({ requests, checks: ctx.checks }, null, 2))}\n`,
      );
      console.log(`${c.name}: exit ${exit.code ?? exit.signal}${failure ? ` FAILED ${String(failure)}` : ""}`);
      for (const fact of ctx.checks) console.log(`  ${fact}`);
    }
  } finally {
    await stub.close();
    sb.cleanup();
  }
  // The repository's formatting for the .requests.json files, so that a re-record diffs only what changed.
  const biome = join(REPO_ROOT, "node_modules", "@biomejs", "biome", "bin", "biome");
  execFileSync(process.execPath, [biome, "format", "--write", out], { stdio: "ignore" });
}

await main();
