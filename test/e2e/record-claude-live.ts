// biome-ignore-all lint/suspicious/noExplicitAny: protocol JSON is arbitrary; the recipes read it loosely.
// Records claude's long-lived protocol (stream-json in and out, with the control protocol) against the provider
// stub: test/fixtures/cli-output/claude-live/<case>.{cmd,transcript,stderr,rc}, which the codec's unit tests
// (test/backends/claude-live.test.ts) replay. A transcript holds both directions in order: `> ` a line written to
// stdin, `< ` a line read from stdout. Each case drives one real process line by line, in a fixed
// order (the resume cases continue the conversation of the first); the lines written are raw protocol, not the
// codec's, so that the fixtures say what claude does, not what clinvoker believes. Placeholders as in record.ts.
//
//   npx tsx test/e2e/record-claude-live.ts [--only <case>] [--out <dir>]
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CLI_VERSIONS, type CliSandbox, E2E_CLI_DIR, prepareCliSandbox, REPO_ROOT } from "./cli-env.js";
import { type LiveChild, startLiveChild } from "./live-child.js";
import { Normalizer, shellQuote } from "./normalize.js";
import { type ProviderStub, startProviderStub, type TurnInput } from "./stub/index.js";

const OUT_DIR = join(REPO_ROOT, "test", "fixtures", "cli-output", "claude-live");
/** The flags of every case: the live mode's own (src/backends/claude-live.ts launches with the same). */
const LIVE_FLAGS = [
  "-p",
  "--input-format=stream-json",
  "--output-format=stream-json",
  "--verbose",
  "--include-partial-messages",
];
const ASK = "--permission-prompt-tool=stdio";
/** A 1x1 PNG. */
const DOT_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

interface Context {
  sb: CliSandbox;
  stub: ProviderStub;
  /** Session ids of earlier cases, by case name. */
  sessions: Map<string, string>;
  /** Facts a case checked, printed and failing the run when false. */
  check(what: string, ok: boolean): void;
}

interface Case {
  name: string;
  args(ctx: Context): string[];
  script?(ctx: Context): TurnInput[];
  /** Drives the process; the process is closed (stdin ended) after it unless it already exited. */
  drive(p: LiveChild, ctx: Context): Promise<void>;
}

/** Numbers the recording's own request ids, from 1 in each case. */
let requestSeq = 0;
const control = (subtype: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: "control_request",
    request_id: `rec-${subtype}-${++requestSeq}`,
    request: { subtype, ...extra },
  });
const user = (text: string) =>
  JSON.stringify({ type: "user", message: { role: "user", content: [{ type: "text", text }] } });
const answer = (id: string, response: Record<string, unknown>) =>
  JSON.stringify({ type: "control_response", response: { subtype: "success", request_id: id, response } });
const isResult = (m: any) => m.type === "result";
const isAsk = (m: any) => m.type === "control_request" && m.request?.subtype === "can_use_tool";
const isTextDelta = (m: any) => m.type === "stream_event" && m.event?.delta?.type === "text_delta";

async function handshake(p: LiveChild): Promise<void> {
  const line = control("initialize");
  p.write(line);
  const id = JSON.parse(line).request_id;
  await p.waitFor((m) => m.type === "control_response" && m.response?.request_id === id);
}

/** Writes a prompt and waits for its turn's result. */
async function turn(p: LiveChild, text: string): Promise<any> {
  const from = p.stdout.length;
  p.write(user(text));
  return p.waitFor(isResult, { from });
}

const slow: TurnInput = {
  text: "A long answer that the stub streams slowly, a few characters at a time, so it can be cut short.",
  chunkSize: 4,
  chunkDelayMs: 150,
};
const write = (ctx: Context, file: string, content: string): TurnInput => ({
  toolCall: { name: "Write", input: { file_path: join(ctx.sb.workDir, file), content } },
});

const CASES: Case[] = [
  {
    name: "two-turns",
    args: () => LIVE_FLAGS,
    script: () => ["First answer.", "Second answer."],
    async drive(p, ctx) {
      await handshake(p);
      const first = await turn(p, "hello, turn one");
      ctx.sessions.set("two-turns", first.session_id);
      const second = await turn(p, "hello, turn two");
      ctx.check("one session for both turns", first.session_id === second.session_id);
      const main = ctx.stub.mainRequests("anthropic");
      ctx.check("the second request carries the first turn", main[1]?.body?.messages?.length === 4);
    },
  },
  {
    name: "interrupt",
    args: () => LIVE_FLAGS,
    script: () => [slow, "Picked up after the interrupt."],
    async drive(p, ctx) {
      await handshake(p);
      const from = p.stdout.length;
      p.write(user("tell me a long story"));
      await p.waitFor(isTextDelta, { from });
      p.write(control("interrupt"));
      const cut = await p.waitFor(isResult, { from });
      ctx.check(
        "the interrupted turn ends with an error_during_execution result",
        cut.subtype === "error_during_execution",
      );
      const next = await turn(p, "go on");
      ctx.check("the next turn completes", next.subtype === "success" && next.is_error === false);
      ctx.check("same session after the interrupt", next.session_id === cut.session_id);
    },
  },
  {
    name: "interrupt-at-once-and-idle",
    args: () => LIVE_FLAGS,
    script: () => ["Answer to the second prompt."],
    async drive(p, ctx) {
      await handshake(p);
      // Written with the prompt, before claude has started the turn: the turn ends before any request.
      let from = p.stdout.length;
      p.write(user("stopped before it starts"));
      p.write(control("interrupt"));
      const cut = await p.waitFor(isResult, { from });
      ctx.check("the turn ends interrupted", cut.subtype === "error_during_execution");
      ctx.check("no provider request for it", ctx.stub.mainRequests("anthropic").length === 0);
      const next = await turn(p, "second prompt");
      ctx.check("the next turn runs", next.is_error === false);
      // Between turns: answered, and the next turn is not affected.
      from = p.stdout.length;
      const line = control("interrupt");
      p.write(line);
      const id = JSON.parse(line).request_id;
      await p.waitFor((m) => m.type === "control_response" && m.response?.request_id === id, { from });
      const after = await turn(p, "third prompt");
      ctx.check("a turn after an idle interrupt runs", after.is_error === false);
    },
  },
  {
    name: "permissions",
    args: () => [...LIVE_FLAGS, ASK],
    script: (ctx) => [
      write(ctx, "allowed.txt", "allowed\n"),
      "Wrote allowed.txt.",
      write(ctx, "denied.txt", "denied\n"),
      "Could not write denied.txt.",
      write(ctx, "edited.txt", "as the agent wrote it\n"),
      "Wrote edited.txt.",
    ],
    async drive(p, ctx) {
      await handshake(p);
      let from = p.stdout.length;
      p.write(user("write allowed.txt"));
      let ask = await p.waitFor(isAsk, { from });
      p.write(answer(ask.request_id, { behavior: "allow", updatedInput: ask.request.input }));
      await p.waitFor(isResult, { from });
      from = p.stdout.length;
      p.write(user("write denied.txt"));
      ask = await p.waitFor(isAsk, { from });
      p.write(answer(ask.request_id, { behavior: "deny", message: "Not now." }));
      await p.waitFor(isResult, { from });
      from = p.stdout.length;
      p.write(user("write edited.txt"));
      ask = await p.waitFor(isAsk, { from });
      p.write(
        answer(ask.request_id, { behavior: "allow", updatedInput: { ...ask.request.input, content: "edited\n" } }),
      );
      await p.waitFor(isResult, { from });
      ctx.check("the allowed write ran", existsSync(join(ctx.sb.workDir, "allowed.txt")));
      ctx.check("the denied write did not run", !existsSync(join(ctx.sb.workDir, "denied.txt")));
      const edited = join(ctx.sb.workDir, "edited.txt");
      ctx.check("the edited input ran", existsSync(edited) && readFileSync(edited, "utf8") === "edited\n");
    },
  },
  {
    name: "ask-user-question",
    args: () => [...LIVE_FLAGS, ASK],
    script: () => [
      {
        toolCall: {
          name: "AskUserQuestion",
          input: {
            questions: [
              {
                question: "Which color?",
                header: "Color",
                options: [
                  { label: "red", description: "warm" },
                  { label: "blue", description: "cool" },
                ],
                multiSelect: false,
              },
            ],
          },
        },
      },
      "Blue it is.",
    ],
    async drive(p, ctx) {
      await handshake(p);
      const from = p.stdout.length;
      p.write(user("ask me a question"));
      const ask = await p.waitFor(isAsk, { from });
      ctx.check("the question comes as a can_use_tool request", ask.request.tool_name === "AskUserQuestion");
      // The answer is the allowed input with `answers` added: question -> chosen label.
      const updatedInput = { ...ask.request.input, answers: { "Which color?": "blue" } };
      p.write(answer(ask.request_id, { behavior: "allow", updatedInput }));
      await p.waitFor(isResult, { from });
      const results = ctx.stub.mainRequests("anthropic")[1]?.toolResults ?? [];
      ctx.check("the agent reads the answer", results.at(-1)?.output.includes('"Which color?"="blue"') === true);
    },
  },
  {
    name: "interrupt-while-asking",
    args: () => [...LIVE_FLAGS, ASK],
    script: (ctx) => [write(ctx, "never.txt", "never\n"), "Done after the interrupt."],
    async drive(p, ctx) {
      await handshake(p);
      const from = p.stdout.length;
      p.write(user("write never.txt"));
      await p.waitFor(isAsk, { from });
      p.write(control("interrupt"));
      await p.waitFor(isResult, { from });
      await turn(p, "never mind");
      ctx.check("the unanswered write did not run", !existsSync(join(ctx.sb.workDir, "never.txt")));
    },
  },
  {
    name: "refused-without-asking",
    args: () => LIVE_FLAGS,
    script: (ctx) => [write(ctx, "refused.txt", "refused\n"), "Could not write refused.txt."],
    async drive(p, ctx) {
      await handshake(p);
      const result = await turn(p, "write refused.txt");
      ctx.check("refused in the result's permission_denials", result.permission_denials?.length === 1);
      ctx.check("the refused write did not run", !existsSync(join(ctx.sb.workDir, "refused.txt")));
    },
  },
  {
    name: "resume",
    args: (ctx) => [`--resume=${session(ctx, "two-turns")}`, ...LIVE_FLAGS],
    script: () => ["Resumed answer."],
    async drive(p, ctx) {
      await handshake(p);
      const result = await turn(p, "hello again, resumed");
      ctx.check("the resumed process keeps the session id", result.session_id === session(ctx, "two-turns"));
      const main = ctx.stub.mainRequests("anthropic");
      ctx.check("the request carries the earlier turns", main[0]?.body?.messages?.length === 6);
    },
  },
  {
    name: "resume-fork",
    args: (ctx) => [`--resume=${session(ctx, "two-turns")}`, "--fork-session", ...LIVE_FLAGS],
    script: () => ["Forked answer."],
    async drive(p, ctx) {
      await handshake(p);
      const result = await turn(p, "hello, forked");
      ctx.check("a fork has a new session id", result.session_id !== session(ctx, "two-turns"));
      const main = ctx.stub.mainRequests("anthropic");
      // Three turns: the two of two-turns and the one that resume added.
      ctx.check("the fork's request carries the earlier turns", main[0]?.body?.messages?.length === 8);
    },
  },
  {
    name: "image",
    args: () => LIVE_FLAGS,
    script: () => ["A single dot."],
    async drive(p, ctx) {
      await handshake(p);
      const from = p.stdout.length;
      const content = [
        { type: "image", source: { type: "base64", media_type: "image/png", data: DOT_PNG } },
        { type: "text", text: "what is in this image?" },
      ];
      p.write(JSON.stringify({ type: "user", message: { role: "user", content } }));
      await p.waitFor(isResult, { from });
      const sent = JSON.stringify(ctx.stub.mainRequests("anthropic")[0]?.body?.messages ?? []);
      ctx.check("the image block reaches the provider", sent.includes(DOT_PNG));
    },
  },
  {
    name: "provider-error",
    args: () => LIVE_FLAGS,
    script: () => [{ error: { status: 500, message: "the stub failed" } }, "Fine now."],
    async drive(p, ctx) {
      await handshake(p);
      const failed = await turn(p, "this one fails");
      ctx.check("a provider error ends the turn with is_error", failed.is_error === true);
      const next = await turn(p, "and this one works");
      ctx.check("the process stays usable", next.is_error === false);
    },
  },
  {
    name: "stdin-closed-mid-turn",
    args: () => LIVE_FLAGS,
    script: () => [slow],
    async drive(p) {
      await handshake(p);
      const from = p.stdout.length;
      p.write(user("tell me a long story"));
      await p.waitFor(isTextDelta, { from });
      p.child.stdin?.end();
      await p.exited;
    },
  },
  {
    name: "killed-mid-turn",
    args: () => LIVE_FLAGS,
    script: () => [slow],
    async drive(p) {
      await handshake(p);
      const from = p.stdout.length;
      p.write(user("tell me a long story"));
      await p.waitFor(isTextDelta, { from });
      p.kill("SIGTERM");
      await p.exited;
    },
  },
];

function session(ctx: Context, name: string): string {
  const id = ctx.sessions.get(name);
  if (!id) throw new Error(`no session id from case "${name}" (record it first)`);
  return id;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: "string", multiple: true }, out: { type: "string" } } });
  const outDir = values.out ? resolve(values.out) : OUT_DIR;
  const only = values.only ?? [];
  execFileSync(process.execPath, [join(REPO_ROOT, "scripts", "install-e2e-clis.mjs")], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  // Fixed input token counts: otherwise they follow the size of each request, which varies with dates.
  const stub = await startProviderStub({ usage: (rec) => ({ inputTokens: rec.side ? 800 : 12_000 }) });
  const sb = prepareCliSandbox("claude", stub.url, {
    retries: 0,
    dirNames: { home: "home-claude", workDir: "work-claude" },
  });
  const normalizer = new Normalizer();
  normalizer.literal(join(E2E_CLI_DIR, "node_modules"), "$CLI_ROOT");
  normalizer.literal(REPO_ROOT, "$REPO");
  normalizer.literal(`127.0.0.1:${stub.port}`, "127.0.0.1:$PORT");
  normalizer.literal(`localhost:${stub.port}`, "localhost:$PORT");
  normalizer.literal(sb.root, "$SCRATCH");
  normalizer.literal(sb.root.replace(/[^A-Za-z0-9]/g, "-"), "$SCRATCH_DASHED");
  mkdirSync(outDir, { recursive: true });
  let failures = 0;
  const sessions = new Map<string, string>();
  process.stderr.write(`claude ${CLI_VERSIONS.claude.version} (live)\n`);
  try {
    // A selection still runs the cases before it (the resumes need the first): only the selected are written.
    const last = only.length ? CASES.findLastIndex((c) => only.includes(c.name)) : CASES.length - 1;
    if (last < 0) throw new Error(`--only ${only.join(", ")}: no such case`);
    for (const c of CASES.slice(0, last + 1)) {
      stub.reset();
      requestSeq = 0;
      const checks: string[] = [];
      const ctx: Context = {
        sb,
        stub,
        sessions,
        check: (what, ok) => {
          checks.push(`${ok ? "ok" : "FAILED"}: ${what}`);
          if (!ok) failures += 1;
        },
      };
      const script = c.script?.(ctx) ?? [];
      if (script.length) stub.script(script);
      const args = c.args(ctx);
      const started = Date.now();
      const p = startLiveChild(sb, sb.commands.claude, args);
      let rc: { code: number | null; signal: string | null };
      try {
        await c.drive(p, ctx);
        rc = await p.close();
      } catch (error) {
        p.kill("SIGKILL");
        await p.exited;
        throw new Error(`${c.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (only.length && !only.includes(c.name)) continue;
      const forCase = normalizer.fresh();
      const all = p.transcript.join("\n");
      forCase.sessionsIn(all);
      const norm = (text: string) => forCase.apply(text).replace(/"pid":\d+/g, '"pid":0');
      const cmd = [
        `cwd: ${sb.workDir}   HOME: ${sb.home}   stdin: stream-json`,
        ...(script.length ? [`stub: ${JSON.stringify(script)}`] : []),
        ["claude", ...args.map(shellQuote)].join(" "),
        "",
      ].join("\n");
      const base = join(outDir, c.name);
      writeFileSync(`${base}.transcript`, `${norm(all)}\n`);
      writeFileSync(`${base}.cmd`, norm(cmd));
      writeFileSync(`${base}.stderr`, norm(p.stderr()));
      writeFileSync(`${base}.rc`, `${rc.code ?? (rc.signal ? `signal ${rc.signal}` : -1)}\n`);
      process.stderr.write(`  ${c.name}: exit ${rc.code ?? rc.signal}, ${Date.now() - started} ms\n`);
      for (const line of checks) process.stderr.write(`    ${line}\n`);
    }
  } finally {
    sb.cleanup();
    await stub.close();
  }
  process.stderr.write(failures ? `\n${failures} check(s) failed\n` : "\nall checks passed\n");
  return failures ? 1 : 0;
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`record-claude-live: ${error instanceof Error ? error.message : String(error)}\n`);
  return 2;
});
