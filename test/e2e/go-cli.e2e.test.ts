// biome-ignore-all lint/suspicious/noExplicitAny: clinvk's JSON output is read loosely.
// The Go clinvoker's CLI-level expectations that apply to clinvk (its test/cli suite), against the REAL claude,
// codex and gemini CLIs behind the provider stub: global flags before or after a subcommand, dry runs that reach
// no provider, help that is help, and typos that are not prompts.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLI_NAMES, type CliSandbox, prepareCliSandbox } from "./cli-env.js";
import { describeRun, runClinvk, runDir, snapshotClinvk } from "./clinvk-bin.js";
import { type ProviderStub, startProviderStub } from "./stub/index.js";

let stub: ProviderStub;
let sb: CliSandbox;
let bin: { cli: string; cleanup(): void };

beforeAll(async () => {
  bin = snapshotClinvk();
  stub = await startProviderStub();
  sb = prepareCliSandbox("all", stub.url);
});
afterAll(async () => {
  sb?.cleanup();
  await stub?.close();
  bin?.cleanup();
});
beforeEach(() => stub.reset());

const clinvk = (dir: string, args: string[]) => runClinvk(bin.cli, sb, dir, args);
const json = (stdout: string) => JSON.parse(stdout);

function taskFiles(dir: string): { tasks: string; chain: string } {
  const tasks = join(dir, "tasks.json");
  writeFileSync(tasks, JSON.stringify({ tasks: CLI_NAMES.map((backend) => ({ backend, prompt: `task ${backend}` })) }));
  const chain = join(dir, "chain.json");
  writeFileSync(
    chain,
    JSON.stringify({
      steps: [
        { name: "one", backend: "claude", prompt: "first" },
        { name: "two", backend: "gemini", prompt: "then {{previous}}" },
      ],
    }),
  );
  return { tasks, chain };
}

describe("a dry run reaches no provider, with --dry-run before or after the subcommand", () => {
  const cases: [string, (dir: string) => string[][]][] = [
    [
      "parallel",
      (dir) => [
        ["--dry-run", "parallel", "-f", taskFiles(dir).tasks],
        ["parallel", "-f", taskFiles(dir).tasks, "--dry-run"],
      ],
    ],
    [
      "chain",
      (dir) => [
        ["--dry-run", "chain", "-f", taskFiles(dir).chain],
        ["chain", "-f", taskFiles(dir).chain, "--dry-run"],
      ],
    ],
    [
      "compare",
      () => [
        ["--dry-run", "compare", "--backends", "claude,codex,gemini", "x"],
        ["compare", "--backends", "claude,codex,gemini", "--dry-run", "x"],
      ],
    ],
    [
      "a prompt",
      () => [
        ["--dry-run", "-b", "codex", "x"],
        ["-b", "gemini", "x", "--dry-run"],
      ],
    ],
  ];
  it.each(cases)("%s", async (_, argsOf) => {
    const dir = runDir(sb);
    for (const args of argsOf(dir)) {
      const r = await clinvk(dir, args);
      expect(r.code, describeRun(r)).toBe(0);
      expect(stub.requests, `${args.join(" ")} reached the provider`).toEqual([]);
    }
  });

  it("resume --last, after a real first turn", async () => {
    const dir = runDir(sb);
    const first = await clinvk(dir, ["-b", "claude", "-o", "json", "remember 42"]);
    expect(first.code, describeRun(first)).toBe(0);
    stub.reset();
    for (const args of [
      ["--dry-run", "resume", "--last", "and then?"],
      ["resume", "--last", "--dry-run", "and then?"],
    ]) {
      const r = await clinvk(dir, args);
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.stdout).toContain(json(first.stdout).backend_session_id);
      expect(stub.requests).toEqual([]);
    }
  });
});

describe("global flags before the subcommand are that subcommand's", () => {
  it("-m fast before compare: every CLI asks its provider for its fast model", async () => {
    const dir = runDir(sb);
    const r = await clinvk(dir, ["-m", "fast", "compare", "--backends", "claude,codex,gemini", "-o", "json", "hi"]);
    expect(r.code, describeRun(r)).toBe(0);
    expect(json(r.stdout).results.map((x: any) => x.status)).toEqual(["completed", "completed", "completed"]);
    const models = (provider: "anthropic" | "openai" | "gemini") => stub.mainRequests(provider).map((q) => q.model);
    expect(
      models("anthropic").every((m) => /haiku/.test(m ?? "")),
      String(models("anthropic")),
    ).toBe(true);
    expect(models("openai")).toEqual(["gpt-5-mini"]);
    expect(
      models("gemini").every((m) => m === "gemini-2.5-flash"),
      String(models("gemini")),
    ).toBe(true);
  });

  it("-b codex before `sessions list` lists only codex sessions", async () => {
    const dir = runDir(sb);
    for (const backend of ["claude", "codex"]) {
      const r = await clinvk(dir, ["-b", backend, "--new", "hello"]);
      expect(r.code, describeRun(r)).toBe(0);
    }
    const listed = await clinvk(dir, ["-b", "codex", "sessions", "list", "--workdir", dir, "-o", "json"]);
    expect(listed.code, describeRun(listed)).toBe(0);
    expect(json(listed.stdout).map((s: any) => s.backend)).toEqual(["codex"]);
  });
});

describe("the Go clinvoker's exit codes and dry-run output", () => {
  it("`clinvk -b nonexistent` exits 2 with one clear line", async () => {
    const r = await clinvk(runDir(sb), ["-b", "nonexistent", "hi"]);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toContain('unknown backend "nonexistent"');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(stub.requests).toEqual([]);
  });

  it.each(CLI_NAMES)("--dry-run -b %s prints Would execute: and the CLI's real path", async (cli) => {
    const r = await clinvk(runDir(sb), ["--dry-run", "-b", cli, "hello"]);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout.startsWith(`Would execute: ${sb.commands[cli]} `), r.stdout).toBe(true);
    expect(stub.requests).toEqual([]);
  });
});

describe("help is help, typos are not prompts", () => {
  it("`clinvk help parallel` prints parallel's help and reaches no provider", async () => {
    const r = await clinvk(runDir(sb), ["help", "parallel"]);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toContain("Usage: clinvk parallel");
    expect(stub.requests).toEqual([]);
  });

  it("`clinvk sesions list` exits 3 with a did-you-mean and reaches no provider", async () => {
    const r = await clinvk(runDir(sb), ["sesions", "list"]);
    expect(r.code, describeRun(r)).toBe(3);
    expect(r.stderr).toContain("did you mean `clinvk sessions list`?");
    expect(stub.requests).toEqual([]);
  });

  it("a flag with no meaning for a command is refused (exit 3) before anything runs", async () => {
    const r = await clinvk(runDir(sb), ["--dry-run", "sessions", "list"]);
    expect(r.code, describeRun(r)).toBe(3);
    expect(r.stderr).toContain("--dry-run has no meaning for `clinvk sessions list`");
  });
});

describe("a tool call the CLI refuses under the default approval mode is said, not silent", () => {
  const WRITE = {
    claude: (dir: string) => ({ name: "Write", input: { file_path: join(dir, "out.txt"), content: "x\n" } }),
    gemini: () => ({ name: "write_file", input: { file_path: "out.txt", content: "x\n" } }),
  };
  it.each(["claude", "gemini"] as const)(
    "%s: a notice with the hint on stderr, permission_denials in -o json",
    async (cli) => {
      const dir = runDir(sb);
      stub.script({ text: "Writing.", toolCall: WRITE[cli](dir) }, "Done writing.");
      const r = await clinvk(dir, ["-b", cli, "-o", "json", "write out.txt"]);
      expect(r.code, describeRun(r)).toBe(0);
      expect(existsSync(join(dir, "out.txt"))).toBe(false);
      expect(r.stderr).toMatch(
        new RegExp(`clinvk: warning: ${cli} refused a tool call that needed approval: (Write|write_file) `),
      );
      expect(r.stderr).toContain("approval mode auto");
      const doc = json(r.stdout);
      expect(doc.permission_denials).toEqual([expect.objectContaining({ tool: WRITE[cli](dir).name })]);

      stub.script({ text: "Writing.", toolCall: WRITE[cli](dir) }, "Done writing.");
      const allowed = await clinvk(dir, ["-b", cli, "--new", "--approval-mode", "auto", "-o", "json", "write out.txt"]);
      expect(allowed.code, describeRun(allowed)).toBe(0);
      expect(existsSync(join(dir, "out.txt"))).toBe(true);
      expect(allowed.stderr).not.toContain("refused");
      expect(json(allowed.stdout).permission_denials).toBeUndefined();
    },
  );
});

describe("sessions fork is a fork (claude), seen at the provider stub", () => {
  const sent = (request: { body?: unknown }) => JSON.stringify(request.body ?? {});

  it("the fork and the original go on apart; `sessions fork <id> prompt` runs the fork's first turn", async () => {
    const dir = runDir(sb);
    stub.script("The colour is purple.");
    const first = await clinvk(dir, ["-b", "claude", "-o", "json", "remember purple"]);
    expect(first.code, describeRun(first)).toBe(0);
    const original = json(first.stdout);

    stub.script("Fork answer.");
    const forked = await clinvk(dir, ["sessions", "fork", original.session_id.slice(0, 8), "-o", "json", "fork turn"]);
    expect(forked.code, describeRun(forked)).toBe(0);
    const fork = json(forked.stdout);
    expect(fork.session_id).not.toBe(original.session_id);
    expect(fork.backend_session_id).not.toBe(original.backend_session_id);
    // The fork's first turn carried the original's conversation.
    expect(sent(stub.mainRequests("anthropic").at(-1) ?? {})).toContain("The colour is purple.");

    stub.script("Original answer.");
    const back = await clinvk(dir, ["resume", original.session_id.slice(0, 8), "-o", "json", "original turn"]);
    expect(back.code, describeRun(back)).toBe(0);
    const request = stub.mainRequests("anthropic").at(-1) ?? {};
    expect(sent(request)).toContain("The colour is purple.");
    expect(sent(request)).not.toContain("fork turn");
    expect(sent(request)).not.toContain("Fork answer.");

    stub.script("Fork again.");
    const again = await clinvk(dir, ["resume", fork.session_id.slice(0, 8), "-o", "json", "second fork turn"]);
    expect(again.code, describeRun(again)).toBe(0);
    const forkRequest = stub.mainRequests("anthropic").at(-1) ?? {};
    expect(sent(forkRequest)).toContain("Fork answer.");
    expect(sent(forkRequest)).not.toContain("original turn");
  });

  it("a codex session is refused with a clear message and reaches no provider", async () => {
    const dir = runDir(sb);
    const first = await clinvk(dir, ["-b", "codex", "-o", "json", "hello"]);
    expect(first.code, describeRun(first)).toBe(0);
    stub.reset();
    const r = await clinvk(dir, ["sessions", "fork", json(first.stdout).session_id.slice(0, 8), "x"]);
    expect(r.code, describeRun(r)).toBe(3);
    expect(r.stderr).toContain("codex cannot fork a conversation");
    expect(stub.requests).toEqual([]);
  });
});
