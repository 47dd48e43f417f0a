// Re-records the raw output of the real CLIs that the parsers' unit tests read:
// test/fixtures/cli-output/<cli>/<case>.{cmd,stdout,stderr,rc}. Every case runs the pinned CLI (installed first by
// scripts/install-e2e-clis.mjs) offline against the provider stub, in one sandbox per CLI, in a fixed order (the
// resume cases continue sessions of earlier cases).
//
//   npm run record                                  all cases
//   npm run record -- --only codex --only claude/json
//   npm run record -- --out /tmp/cli-output         somewhere else (to compare)
//
// What changes from run to run and says nothing about the CLI is replaced by stable placeholders, so that a
// re-record shows only real changes in `git diff`: the scratch dir ($SCRATCH, and $SCRATCH_DASHED as claude
// spells it in project dirs), the CLI install dir ($CLI_ROOT), the repository ($REPO), the stub's port ($PORT),
// session ids (00000000-0000-4000-a000-00000000000N: the Nth session of the CLI's run, the same in every case that
// shows it, so resumes stay traceable), other UUIDs (00000000-0000-4000-8000-00000000000N, numbered per case),
// timestamps, durations, the stub's and the CLIs' random ids (msg_0001, req_0002, ...) and epoch milliseconds in
// ids; gemini's racy "[STARTUP] …" stderr lines are dropped. Input token counts are fixed through the stub
// (otherwise they follow the size of each request, which varies with dates).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  CLI_NAMES,
  CLI_VERSIONS,
  type CliName,
  type CliSandbox,
  E2E_CLI_DIR,
  prepareCliSandbox,
  REPO_ROOT,
} from "./cli-env.js";
import { Normalizer, shellQuote } from "./normalize.js";
import { type RunResult, runCli } from "./run-cli.js";
import { type ProviderStub, startProviderStub, type TurnInput } from "./stub/index.js";

const OUT_DIR = join(REPO_ROOT, "test", "fixtures", "cli-output");
const NOTE = "hello from note.txt\n";
/** Input tokens the stub reports for every main call and for side calls (gemini's router); output is estimated. */
const MAIN_INPUT_TOKENS = 12_000;
const SIDE_INPUT_TOKENS = 800;
/**
 * stderr lines that some runs print and others do not (a race in the CLI), dropped so that re-records stay quiet.
 * gemini: "[STARTUP] Phase 'cleanup_ops' was started but never ended. Skipping metrics." and "[STARTUP] Cannot
 * measure phase 'cleanup_ops': …", each in some runs only.
 */
const RACY_STDERR_LINES = [/^\[STARTUP\] .*\n/gm];

interface Context {
  sb: CliSandbox;
  /** Session ids printed by earlier cases, by case name. */
  sessions: Map<string, string>;
}

interface Case {
  name: string;
  args(ctx: Context): string[];
  /** Stub turns for this case (the stub is reset before each case; unscripted calls get `stub reply: <prompt>`). */
  script?(ctx: Context): TurnInput[];
  /** Retries of the CLI: claude CLAUDE_CODE_MAX_RETRIES, codex stream_max_retries, gemini maxAttempts - 1. */
  retries?: number;
  /** Extra env for this run (shown in the command line). */
  env?: Record<string, string>;
  /** Text piped to stdin (default: stdin is /dev/null). */
  stdin?: string;
  /** Keep stdin an open, silent pipe for this long. */
  stdinOpenMs?: number;
  /** The exit code this case is about; another one is reported (still recorded). */
  rc: number;
  /** Where the session id is in the output, to remember it for later cases. */
  session?: "json" | "first-line";
  timeoutMs?: number;
}

const claudeRead = (ctx: Context): TurnInput[] => [
  { text: "Let me read it.", toolCall: { name: "Read", input: { file_path: join(ctx.sb.workDir, "note.txt") } } },
  "The note says hello.",
];
const claudeWrite = (ctx: Context): TurnInput[] => [
  { toolCall: { name: "Write", input: { file_path: join(ctx.sb.workDir, "out.txt"), content: "written by stub\n" } } },
  "Wrote out.txt.",
];
/** The schema of the structured-output cases, as claude's --json-schema takes it (one JSON argument). */
const CITY_SCHEMA = JSON.stringify({
  type: "object",
  properties: { city: { type: "string" }, people: { type: "integer" } },
  required: ["city", "people"],
  additionalProperties: false,
});
const claudeSchemaArgs = [
  "-p",
  "which city?",
  "--output-format",
  "stream-json",
  "--verbose",
  `--json-schema=${CITY_SCHEMA}`,
];
const reject404 = (message: string): TurnInput[] => [
  { model: "does-not-exist", error: { status: 404, message }, times: "always" },
];
const always = (status: number, side = false): TurnInput[] => [
  { error: status, times: "always" },
  ...(side ? [{ error: status, side: true, times: "always" as const }] : []),
];
const once = (status: number): TurnInput[] => [{ error: status }];
const session = (ctx: Context, name: string): string => {
  const id = ctx.sessions.get(name);
  if (!id) throw new Error(`no session id from case "${name}" (record it first)`);
  return id;
};

const CASES: Record<CliName, Case[]> = {
  claude: [
    { name: "text", args: () => ["-p", "hello", "--output-format", "text"], rc: 0 },
    { name: "json", args: () => ["-p", "hello", "--output-format", "json"], rc: 0, session: "json" },
    { name: "stream-json", args: () => ["-p", "hello", "--output-format", "stream-json", "--verbose"], rc: 0 },
    { name: "stream-json-no-verbose", args: () => ["-p", "hello", "--output-format", "stream-json"], rc: 1 },
    {
      name: "stream-json-partial",
      args: () => ["-p", "hello", "--output-format", "stream-json", "--verbose", "--include-partial-messages"],
      rc: 0,
    },
    {
      name: "resume-json",
      args: (ctx) => ["--resume", session(ctx, "json"), "-p", "again", "--output-format", "json"],
      rc: 0,
    },
    { name: "continue-json", args: () => ["--continue", "-p", "again, continued", "--output-format", "json"], rc: 0 },
    {
      name: "resume-fork-json",
      args: (ctx) => ["--resume", session(ctx, "json"), "--fork-session", "-p", "forked", "--output-format", "json"],
      rc: 0,
    },
    { name: "model-sonnet-json", args: () => ["--model", "sonnet", "-p", "hello", "--output-format", "json"], rc: 0 },
    {
      name: "permission-acceptEdits-json",
      args: () => ["--permission-mode", "acceptEdits", "-p", "hello", "--output-format", "json"],
      rc: 0,
    },
    { name: "max-turns-1-json", args: () => ["--max-turns", "1", "-p", "hello", "--output-format", "json"], rc: 0 },
    {
      name: "max-turns-1-tool-json",
      args: () => ["--max-turns", "1", "-p", "read note.txt", "--output-format", "json"],
      script: claudeRead,
      rc: 1,
    },
    {
      name: "tool-stream-json",
      args: () => ["-p", "read note.txt", "--output-format", "stream-json", "--verbose"],
      script: claudeRead,
      rc: 0,
    },
    {
      name: "write-default-mode-json",
      args: () => ["-p", "write out.txt", "--output-format", "json"],
      script: claudeWrite,
      rc: 0,
    },
    {
      name: "write-acceptEdits-json",
      args: () => ["--permission-mode", "acceptEdits", "-p", "write out.txt", "--output-format", "json"],
      script: claudeWrite,
      rc: 0,
    },
    { name: "stdin-prompt-json", args: () => ["-p", "--output-format", "json"], stdin: "prompt from stdin", rc: 0 },
    { name: "stdin-open-text", args: () => ["-p", "hello", "--output-format", "text"], stdinOpenMs: 6000, rc: 0 },
    {
      name: "invalid-model-json",
      args: () => ["--model", "claude-does-not-exist", "-p", "hello", "--output-format", "json"],
      script: () => reject404("model: claude-does-not-exist"),
      rc: 1,
    },
    {
      name: "invalid-model-text",
      args: () => ["--model", "claude-does-not-exist", "-p", "hello", "--output-format", "text"],
      script: () => reject404("model: claude-does-not-exist"),
      rc: 1,
    },
    {
      name: "http401-json",
      args: () => ["-p", "hello", "--output-format", "json"],
      script: () => always(401),
      retries: 1,
      rc: 1,
    },
    {
      name: "http401-text",
      args: () => ["-p", "hello", "--output-format", "text"],
      script: () => always(401),
      retries: 1,
      rc: 1,
    },
    {
      name: "http500-json",
      args: () => ["-p", "hello", "--output-format", "json"],
      script: () => always(500),
      retries: 2,
      rc: 1,
    },
    {
      name: "http500-stream-json",
      args: () => ["-p", "hello", "--output-format", "stream-json", "--verbose"],
      script: () => always(500),
      retries: 2,
      rc: 1,
    },
    {
      name: "http500-then-ok-json",
      args: () => ["-p", "hello", "--output-format", "json"],
      script: () => once(500),
      retries: 1,
      rc: 0,
    },
    {
      name: "hang-timeout-json",
      args: () => ["-p", "hello", "--output-format", "json"],
      script: () => [{ hang: true, times: "always" }],
      retries: 0,
      env: { API_TIMEOUT_MS: "3000" },
      rc: 1,
    },
    // --json-schema offers the schema as the tool StructuredOutput; its input is the answer (structured_output).
    {
      name: "json-schema-stream-json",
      args: () => claudeSchemaArgs,
      script: () => [{ toolCall: { name: "StructuredOutput", input: { city: "Oslo", people: 3 } } }],
      rc: 0,
    },
    // claude checks the input itself (an error tool result), then asks once more for the tool; a text answer ends it.
    {
      name: "json-schema-missed-stream-json",
      args: () => claudeSchemaArgs,
      script: () => [{ toolCall: { name: "StructuredOutput", input: { town: "Oslo" } } }, "Oslo, I think.", "Oslo."],
      rc: 0,
    },
  ],
  codex: [
    {
      name: "exec-json",
      args: () => ["exec", "--json", "--skip-git-repo-check", "hello"],
      rc: 0,
      session: "first-line",
    },
    { name: "exec-text", args: () => ["exec", "--skip-git-repo-check", "hello"], rc: 0 },
    {
      name: "exec-output-last-message",
      args: (ctx) => ["exec", "--skip-git-repo-check", "-o", join(ctx.sb.root, "last-message.txt"), "hello"],
      rc: 0,
    },
    {
      name: "resume-json",
      args: (ctx) => ["exec", "resume", session(ctx, "exec-json"), "--json", "--skip-git-repo-check", "again"],
      rc: 0,
    },
    {
      name: "resume-flags-before-json",
      args: (ctx) => [
        "exec",
        "--json",
        "--skip-git-repo-check",
        "resume",
        session(ctx, "exec-json"),
        "again, flags before resume",
      ],
      rc: 0,
    },
    {
      name: "resume-last-json",
      args: () => ["exec", "resume", "--last", "--json", "--skip-git-repo-check", "again, --last"],
      rc: 0,
    },
    {
      name: "resume-text",
      args: (ctx) => ["exec", "resume", session(ctx, "exec-json"), "--skip-git-repo-check", "again, text"],
      rc: 0,
    },
    {
      name: "tool-json",
      args: () => ["exec", "--json", "--skip-git-repo-check", "read note.txt"],
      script: () => [
        {
          toolCall: {
            name: "exec",
            input: 'const r = await tools.exec_command({cmd: "cat note.txt"});\ntext(r.output);',
          },
        },
        "The note says hello.",
      ],
      rc: 0,
    },
    {
      name: "stdin-prompt-json",
      args: () => ["exec", "--json", "--skip-git-repo-check"],
      stdin: "prompt from stdin",
      rc: 0,
    },
    {
      name: "stdin-open-json",
      args: () => ["exec", "--json", "--skip-git-repo-check", "hello"],
      stdinOpenMs: 5000,
      rc: 0,
    },
    {
      name: "invalid-model-json",
      args: () => ["exec", "--json", "--skip-git-repo-check", "-m", "does-not-exist", "hello"],
      script: () => reject404("The model `does-not-exist` does not exist or you do not have access to it."),
      rc: 1,
    },
    // codex's default: 5 reconnects after the first attempt.
    {
      name: "http401-json",
      args: () => ["exec", "--json", "--skip-git-repo-check", "hello"],
      script: () => always(401),
      retries: 5,
      rc: 1,
    },
    {
      name: "http401-text",
      args: () => ["exec", "--skip-git-repo-check", "hello"],
      script: () => always(401),
      retries: 5,
      rc: 1,
    },
    {
      name: "http500-json",
      args: () => ["exec", "--json", "--skip-git-repo-check", "hello"],
      script: () => always(500),
      retries: 0,
      rc: 1,
    },
    {
      name: "http500-then-ok-json",
      args: () => ["exec", "--json", "--skip-git-repo-check", "hello"],
      script: () => once(500),
      retries: 1,
      rc: 0,
    },
    { name: "no-git-check-json", args: () => ["exec", "--json", "hello"], rc: 1 },
  ],
  gemini: [
    { name: "json", args: () => ["-p", "hello", "--output-format", "json"], rc: 0, session: "json" },
    { name: "stream-json", args: () => ["-p", "hello", "--output-format", "stream-json"], rc: 0 },
    { name: "text", args: () => ["-p", "hello"], rc: 0 },
    { name: "list-sessions", args: () => ["--list-sessions"], rc: 0 },
    {
      name: "resume-id-json",
      args: (ctx) => ["--resume", session(ctx, "json"), "-p", "again", "--output-format", "json"],
      rc: 0,
    },
    {
      name: "resume-latest-json",
      args: () => ["--resume", "latest", "-p", "again, latest", "--output-format", "json"],
      rc: 0,
    },
    // Index 1 is the least recently updated session: the stream-json case's, since json's was resumed above.
    {
      name: "resume-index-stream-json",
      args: () => ["-r", "1", "-p", "again, index 1", "--output-format", "stream-json"],
      rc: 0,
    },
    {
      name: "session-id-json",
      args: () => ["--session-id", "11111111-2222-4333-8444-555555555555", "-p", "hello", "--output-format", "json"],
      rc: 0,
    },
    { name: "model-flag-json", args: () => ["-m", "gemini-2.5-pro", "-p", "hello", "--output-format", "json"], rc: 0 },
    {
      name: "tool-stream-json",
      args: () => ["-p", "read note.txt", "--output-format", "stream-json"],
      script: () => [{ toolCall: { name: "read_file", input: { file_path: "note.txt" } } }, "The note says hello."],
      rc: 0,
    },
    {
      name: "tool-json",
      args: () => ["-p", "read note.txt", "--output-format", "json"],
      script: () => [{ toolCall: { name: "read_file", input: { file_path: "note.txt" } } }, "The note says hello."],
      rc: 0,
    },
    {
      // The default approval mode leaves write_file out of a non-interactive run: the call is refused.
      name: "write-default-mode-stream-json",
      args: () => ["-p", "write out.txt", "--output-format", "stream-json"],
      script: () => [
        { toolCall: { name: "write_file", input: { file_path: "out.txt", content: "written by stub\n" } } },
        "Wrote out.txt.",
      ],
      rc: 0,
    },
    { name: "stdin-prompt-json", args: () => ["--output-format", "json"], stdin: "prompt from stdin", rc: 0 },
    { name: "stdin-plus-p-text", args: () => ["-p", "arg part"], stdin: "stdin part", rc: 0 },
    {
      name: "invalid-model-json",
      args: () => ["-m", "does-not-exist", "-p", "hello", "--output-format", "json"],
      script: () =>
        reject404(
          "models/does-not-exist is not found for API version v1beta, or is not supported for generateContent.",
        ),
      retries: 0,
      rc: 1,
    },
    // A bad key fails every call, the router's too.
    {
      name: "http401-json",
      args: () => ["-p", "hello", "--output-format", "json"],
      script: () => always(401, true),
      rc: 145,
    },
    { name: "http401-text", args: () => ["-p", "hello"], script: () => always(401, true), rc: 1 },
    {
      name: "http401-stream-json",
      args: () => ["-p", "hello", "--output-format", "stream-json"],
      script: () => always(401, true),
      rc: 145,
    },
    {
      name: "http500-json",
      args: () => ["-m", "gemini-2.5-pro", "-p", "hello", "--output-format", "json"],
      script: () => always(500),
      retries: 0,
      rc: 244,
    },
    {
      name: "http500-then-ok-json",
      args: () => ["-m", "gemini-2.5-pro", "-p", "hello", "--output-format", "json"],
      script: () => once(500),
      retries: 1,
      rc: 0,
    },
  ],
};

// ---------------------------------------------------------------------------------------------------------------

/** Sets the retries of codex (config.toml) or gemini (settings.json) in a sandbox; returns what it set. */
function setConfigRetries(cli: CliName, sb: CliSandbox, retries: number): string | undefined {
  if (cli === "codex") {
    const file = join(sb.codexHome, "config.toml");
    const toml = readFileSync(file, "utf8");
    writeFileSync(file, toml.replace(/^stream_max_retries = \d+$/m, `stream_max_retries = ${retries}`));
    return `stream_max_retries=${retries}`;
  }
  if (cli === "gemini") {
    const file = join(sb.home, ".gemini", "settings.json");
    const settings = JSON.parse(readFileSync(file, "utf8"));
    settings.general.maxAttempts = retries + 1;
    writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
    return `general.maxAttempts=${retries + 1}`;
  }
  return undefined;
}

function sessionIdOf(kind: "json" | "first-line", stdout: string): string | undefined {
  try {
    if (kind === "json") return JSON.parse(stdout).session_id;
    return JSON.parse(stdout.split("\n")[0] ?? "").thread_id;
  } catch {
    return undefined;
  }
}

interface Outcome {
  cli: CliName;
  name: string;
  rc: number;
  expectedRc: number;
  ms: number;
  requests: number;
  problem?: string;
}

/** Runs `cases` in order in a new sandbox; writes the fixtures of those that `write` selects. */
async function recordCli(
  cli: CliName,
  cases: Case[],
  stub: ProviderStub,
  outDir: string,
  write: (name: string) => boolean,
): Promise<Outcome[]> {
  const sb = prepareCliSandbox(cli, stub.url, {
    dirNames: { home: `home-${cli}`, workDir: `work-${cli}`, codexHome: `codex-home-${cli}` },
  });
  const normalizer = new Normalizer();
  normalizer.literal(join(E2E_CLI_DIR, "node_modules"), "$CLI_ROOT");
  normalizer.literal(REPO_ROOT, "$REPO");
  normalizer.literal(`127.0.0.1:${stub.port}`, "127.0.0.1:$PORT");
  normalizer.literal(`localhost:${stub.port}`, "localhost:$PORT");
  normalizer.literal(sb.root, "$SCRATCH");
  normalizer.literal(sb.root.replace(/[^A-Za-z0-9]/g, "-"), "$SCRATCH_DASHED");
  writeFileSync(join(sb.workDir, "note.txt"), NOTE);
  const ctx: Context = { sb, sessions: new Map() };
  const outcomes: Outcome[] = [];
  mkdirSync(join(outDir, cli), { recursive: true });
  try {
    for (const c of cases) {
      stub.reset();
      const script = c.script?.(ctx) ?? [];
      if (script.length) stub.script(script);
      const args = c.args(ctx);
      const env: Record<string, string> = { ...c.env };
      let config: string | undefined;
      if (c.retries !== undefined) {
        if (cli === "claude") env.CLAUDE_CODE_MAX_RETRIES = String(c.retries);
        else config = setConfigRetries(cli, sb, c.retries);
      }
      let r: RunResult;
      try {
        r = await runCli(sb, cli, args, {
          env,
          stdin: c.stdin,
          stdinOpenMs: c.stdinOpenMs,
          timeoutMs: c.timeoutMs ?? 60_000,
        });
      } finally {
        if (config) setConfigRetries(cli, sb, 0);
      }
      const rc = r.code ?? -1;
      if (c.session) {
        const id = sessionIdOf(c.session, r.stdout);
        if (id) ctx.sessions.set(c.name, id);
      }
      const outcome: Outcome = {
        cli,
        name: c.name,
        rc,
        expectedRc: c.rc,
        ms: r.durationMs,
        requests: stub.requests.length,
      };
      if (r.timedOut) outcome.problem = `timed out after ${r.durationMs} ms (not written)`;
      else if (rc !== c.rc) outcome.problem = `exit code ${rc}, expected ${c.rc}`;
      else if (c.session && !ctx.sessions.has(c.name)) outcome.problem = "no session id in the output";
      if (!write(c.name)) continue;
      outcomes.push(outcome);
      if (r.timedOut) continue;

      const stdinNote =
        c.stdinOpenMs !== undefined
          ? `open:${Math.round(c.stdinOpenMs / 1000)}`
          : c.stdin !== undefined
            ? `text:${c.stdin}`
            : "null";
      const envPrefix = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`);
      const cmd = [
        `cwd: ${sb.workDir}   HOME: ${sb.home}   stdin: ${stdinNote}`,
        ...(script.length ? [`stub: ${JSON.stringify(script)}`] : []),
        ...(config ? [`config: ${config}`] : []),
        [...(envPrefix.length ? ["env", ...envPrefix] : []), cli, ...args.map(shellQuote)].join(" "),
        "",
      ].join("\n");
      const base = join(outDir, cli, c.name);
      const forCase = normalizer.fresh();
      forCase.sessionsIn(r.stdout);
      forCase.sessionsIn(r.stderr);
      writeFileSync(`${base}.cmd`, forCase.apply(cmd));
      writeFileSync(`${base}.stdout`, forCase.apply(r.stdout));
      const stderr = RACY_STDERR_LINES.reduce((text, re) => text.replace(re, ""), r.stderr);
      writeFileSync(`${base}.stderr`, forCase.apply(stderr));
      writeFileSync(`${base}.rc`, `${rc}\n`);
      const mark = outcome.problem ? `  !! ${outcome.problem}` : "";
      process.stderr.write(
        `  ${cli}/${c.name}: exit ${rc}, ${r.durationMs} ms, ${outcome.requests} request(s)${mark}\n`,
      );
    }
  } finally {
    sb.cleanup();
  }
  return outcomes;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: "string", multiple: true },
      out: { type: "string" },
    },
  });
  const outDir = values.out ? resolve(values.out) : OUT_DIR;
  const only = values.only ?? [];
  const selected = (cli: CliName, name: string) =>
    only.length === 0 || only.includes(cli) || only.includes(`${cli}/${name}`);
  for (const o of only) {
    const [cli, name] = o.split("/") as [CliName, string | undefined];
    if (!CASES[cli] || (name && !CASES[cli].some((c) => c.name === name))) {
      throw new Error(`--only ${o}: no such CLI or case`);
    }
  }

  execFileSync(process.execPath, [join(REPO_ROOT, "scripts", "install-e2e-clis.mjs")], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  const stub = await startProviderStub({
    usage: (rec) => ({ inputTokens: rec.side ? SIDE_INPUT_TOKENS : MAIN_INPUT_TOKENS }),
  });
  const started = Date.now();
  const outcomes: Outcome[] = [];
  try {
    for (const cli of CLI_NAMES) {
      // Cases depend on earlier ones (sessions), so a selection still runs the cases before it: only the
      // selected ones are written.
      const cases = CASES[cli];
      const last = cases.findLastIndex((c) => selected(cli, c.name));
      if (last < 0) continue;
      process.stderr.write(`${cli} ${CLI_VERSIONS[cli].version}\n`);
      const run = cases.slice(0, last + 1);
      outcomes.push(...(await recordCli(cli, run, stub, outDir, (name) => selected(cli, name))));
    }
  } finally {
    await stub.close();
  }

  const problems = outcomes.filter((o) => o.problem);
  process.stderr.write(
    `\nrecorded ${outcomes.length} case(s) into ${outDir} in ${Math.round((Date.now() - started) / 1000)} s` +
      `${problems.length ? `; ${problems.length} with problems:` : ""}\n`,
  );
  for (const p of problems) process.stderr.write(`  ${p.cli}/${p.name}: ${p.problem}\n`);
  if (outDir === OUT_DIR) process.stderr.write("review with: git diff --stat test/fixtures/cli-output\n");
  return problems.length ? 1 : 0;
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`record: ${error instanceof Error ? error.message : String(error)}\n`);
  return 2;
});
