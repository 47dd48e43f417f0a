/**
 * The `clinvk` command tree. Kept light: each command's module is imported only when it runs,
 * so that `clinvk --version` and `clinvk --help` start at once. The completion scripts and the CLI
 * reference are generated from this same tree.
 */
import { Command } from "commander";
import { VERSION } from "../version.js";
import { addExamples } from "./examples.js";
import { addGlobalOptions, type GlobalFlag, passRootFlags } from "./global-flags.js";
import { addRunOptions } from "./run-options.js";

/** `-o` on the commands that print JSON with `--json`. */
const JSON_FORMAT = "json or text (-o json is --json)";

export function buildProgram(): Command {
  const program = new Command("clinvk")
    .description(
      "Run a prompt on Claude Code, Codex or Gemini CLI with the same flags, and get text, JSON or a stream of unified events.",
    )
    .version(VERSION, "-V, --version", "print the version and exit")
    // Root flags go before a subcommand, so that e.g. `sessions clean --dry-run` is clean's own;
    // passRootFlags hands them on to the subcommand that takes them.
    .enablePositionalOptions()
    // Set before the subcommands are added, which inherit them: every usage error exits 3, not 1.
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError("(run `clinvk --help` for usage)")
    .argument("[prompt...]", "the prompt; piped stdin is appended to it (or is the prompt)")
    .option("-c, --continue", "continue the newest session of this directory")
    .option("--new", "start a new session even when session.auto_resume would continue one");
  addGlobalOptions(program, { backend: true, workdir: true, ephemeral: true, config: true }).addHelpText(
    "after",
    `
Examples:
  clinvk "explain this repository"
  clinvk -b codex -o text "write a unit test for src/math.ts"
  git diff | clinvk -b gemini "review this change"
  clinvk --dry-run -b claude -m fast "hello"

Global flags: --config, -b, -m, -w, -o, --dry-run and --ephemeral work before a subcommand or
after it, on every command where they mean something (a dry run never starts a CLI); elsewhere
they are refused. \`clinvk help <command>\` shows a command's own flags.

Sessions: every run is saved (unless --ephemeral); with session.auto_resume (on by default) a
prompt continues the newest session of the same directory and backend. See \`clinvk resume\`
and \`clinvk sessions\`.

Exit codes: 0 ok, 1 error, 2 backend unknown or not available, 3 invalid usage or configuration,
4 session error, 5 provider API error, 6 timeout, 7 cancelled; otherwise the CLI's own code.`,
  );
  addRunOptions(program);
  program.hook("preAction", passRootFlags);
  program.action(async (words: string[], flags) => {
    if (words.length === 0 && process.stdin.isTTY) {
      program.outputHelp();
      return;
    }
    const { refuseMistypedCommand } = await import("./mistyped-command.js");
    refuseMistypedCommand(words, program);
    const { runPromptCommand } = await import("./commands/prompt.js");
    process.exitCode = await runPromptCommand(words, flags);
  });

  const resume = program
    .command("resume")
    .description(
      "send a prompt to an earlier session: by id (or prefix), --last, or a picker (-i); without a prompt, piped stdin is the prompt, or it is asked for on a terminal",
    )
    .argument("[id]", "session id or its first characters (with --last or -i: the first word of the prompt)")
    .argument("[prompt...]", "the prompt; piped stdin is appended to it (or is the prompt)")
    .option("--last", "the newest resumable session (of -b, --here if given)")
    .option("--here", "only sessions of the current directory")
    .option("-b, --backend <name>", "only sessions of this backend")
    .option("-i, --interactive", "pick the session from a list (needs a terminal)");
  addGlobalOptions(resume, { ephemeral: "leave this turn out of the session (and out of the CLI's)", config: true });
  addRunOptions(resume).action(async (id: string | undefined, words: string[], flags) => {
    const { runResumeCommand } = await import("./commands/resume.js");
    process.exitCode = await runResumeCommand(id === undefined ? words : [id, ...words], flags);
  });

  const sessions = program.command("sessions").description("list, show, tag, fork, delete and clean sessions");
  const sessionsAction =
    <A extends unknown[]>(run: (module: typeof import("./commands/sessions.js"), ...args: A) => Promise<number>) =>
    async (...args: A) => {
      const module = await import("./commands/sessions.js");
      process.exitCode = await run(module, ...args);
    };
  sessions
    .command("list")
    .alias("ls")
    .description("list sessions, newest first")
    .option("-b, --backend <name>", "only this backend")
    .option("--status <status>", "only this status: active, completed, error, paused")
    .option("--tag <tag>", "only sessions with this tag")
    .option("--workdir <dir>", "only sessions of this directory")
    .option("--search <text>", "only sessions whose title, tags, workdir or prompts contain this (any case)")
    .option("-n, --limit <n>", "at most this many")
    .option("--offset <n>", "skip this many")
    .option("--json", "as JSON")
    .action(sessionsAction((m, flags) => m.runSessionsList(flags)));
  sessions
    .command("show")
    .description("everything about one session")
    .argument("<id>", "session id or its first characters")
    .option("--json", "as JSON")
    .action(sessionsAction((m, id: string, flags) => m.runSessionsShow(id, flags)));
  sessions
    .command("delete")
    .alias("rm")
    .description("delete one session")
    .argument("<id>", "session id or its first characters")
    .action(sessionsAction((m, id: string, flags) => m.runSessionsDelete(id, flags)));
  sessions
    .command("clean")
    .description("delete sessions not used for a while (default: session.retention_days)")
    .option("--older-than <age>", "e.g. 7d, 12h, 30 (days)")
    .option("--dry-run", "only list what would be deleted")
    .option("--json", "as JSON")
    .action(sessionsAction((m, flags) => m.runSessionsClean(flags)));
  sessions
    .command("tag")
    .description("add tags to a session (or remove them with --remove)")
    .argument("<id>", "session id or its first characters")
    .argument("<tags...>", "tags, space- or comma-separated")
    .option("--remove", "remove these tags instead")
    .option("--json", "print the session as JSON")
    .action(sessionsAction((m, id: string, tags: string[], flags) => m.runSessionsTag(id, tags, flags)));
  const fork = sessions
    .command("fork")
    .description("start a new session from where another one is (claude); with a prompt, run its first turn")
    .argument("<id>", "session id or its first characters")
    .argument("[prompt...]", "the fork's first prompt; piped stdin is appended to it (or is the prompt)")
    .option("--json", "without a prompt: print the new session as JSON");
  addRunOptions(fork).action(
    sessionsAction((m, id: string, words: string[], flags) => m.runSessionsFork(id, words, flags)),
  );
  sessions
    .command("repair")
    .description("rebuild the session index from the session files, dropping entries that cannot be trusted")
    .option("--json", "print the outcome as JSON")
    .action(sessionsAction((m, flags) => m.runSessionsRepair(flags)));

  program
    .command("parallel")
    .description("run the tasks of a task file at once, with live progress and a summary")
    .option("-f, --file <file>", "task file (JSON or YAML); default: stdin")
    .option("--max-parallel <n>", "tasks at once (default: the file's max_parallel, else parallel.max_workers)")
    .option("--fail-fast", "at the first failure, cancel the rest and stop the running ones")
    .option("--output-dir <dir>", "write summary.json and one file per task here")
    .option("--dry-run", "print the commands, run nothing")
    .option("--json", "print the summary as JSON (no progress)")
    .option("-q, --quiet", "no progress, only the totals")
    .addHelpText(
      "after",
      `
Task file (the Go clinvoker's format; JSON or YAML):
  tasks:
    - { id: lint, backend: codex, prompt: "list lint problems in src/" }
    - { id: fix, backend: claude, prompt: "fix these: {{tasks.lint.output}}", depends_on: [lint] }
  max_parallel: 3
  fail_fast: false
Per task: backend, prompt, model, workdir, approval_mode, sandbox_mode, max_turns, system_prompt,
extra, id, name, tags, meta, depends_on, dry_run, ephemeral (default true).`,
    )
    .action(async (flags) => {
      const { runParallelCommand } = await import("./commands/parallel.js");
      process.exitCode = await runParallelCommand(flags);
    });

  program
    .command("chain")
    .description("run steps one after another, each fed the answers before it")
    .option("-f, --file <file>", "chain file (JSON or YAML); default: stdin")
    .option("--input <file>", "the same as --file (deprecated)")
    .option("--continue-on-failure", "go on after a failed step")
    .option("--dry-run", "print the commands, run nothing")
    .option("--json", "print the summary as JSON (no progress)")
    .option("-q, --quiet", "no progress, only the totals")
    .addHelpText(
      "after",
      `
Chain file (JSON or YAML):
  steps:
    - { name: draft, backend: claude, prompt: "write a haiku about tests" }
    - { name: review, backend: gemini, prompt: "critique: {{previous}}" }
    - { backend: codex, prompt: "improve {{steps.draft.output}} using {{steps.review.output}}" }
  pass_working_dir: false`,
    )
    .action(async (flags) => {
      const { runChainCommand } = await import("./commands/chain.js");
      process.exitCode = await runChainCommand(flags);
    });

  program
    .command("compare")
    .description("run one prompt on several backends and put the answers side by side")
    .argument("[prompt...]", "the prompt; piped stdin is appended to it (or is the prompt)")
    .option("--backends <list>", "comma-separated backends, e.g. claude,codex")
    .option("--all-backends", "every installed backend")
    .option("--sequential", "one after another instead of at once")
    .option("-m, --model <model>", "model or alias for every backend (fast, balanced, best)")
    .option("-w, --workdir <dir>", "directory the CLIs work in")
    .option("--dry-run", "print the commands, run nothing")
    .option("--json", "print the results as JSON (no progress)")
    .action(async (words: string[], flags) => {
      const { runCompareCommand } = await import("./commands/compare.js");
      process.exitCode = await runCompareCommand(words, flags);
    });

  program
    .command("serve")
    .description("serve the native, OpenAI- and Anthropic-compatible HTTP APIs")
    .option("--host <host>", "address to listen on (default: server.host, 127.0.0.1)")
    .option("-p, --port <port>", "port to listen on (default: server.port, 8080)")
    .option("--insecure-no-auth", "allow a non-loopback address without API keys")
    .option(
      "--role <role>",
      "all (default: server.role), api (hand every run to the workers) or worker (run queued runs, serve /health only); api and worker need redis.url and a PostgreSQL store",
    )
    .option("--log-level <level>", "fatal, error, warn, info, debug or trace", "info")
    .action(async (flags) => {
      const { runServeCommand } = await import("./commands/serve.js");
      process.exitCode = await runServeCommand(flags);
    });

  program
    .command("mcp")
    .description("serve run, parallel, chain, compare and the sessions as MCP tools on stdin/stdout")
    .action(async () => {
      const { runMcpCommand } = await import("./commands/mcp.js");
      process.exitCode = await runMcpCommand({ config: program.opts().config });
    });

  program
    .command("completion")
    .description("print a shell completion script")
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText(
      "after",
      `
Examples:
  source <(clinvk completion bash)        # add to ~/.bashrc
  clinvk completion zsh > "\${fpath[1]}/_clinvk"
  clinvk completion fish | source         # or save to ~/.config/fish/completions/clinvk.fish`,
    )
    .action(async (shell: string) => {
      const { completionScript, SHELLS } = await import("./completion.js");
      if (!(SHELLS as readonly string[]).includes(shell)) {
        const { usageError } = await import("./fail.js");
        throw usageError(`unknown shell "${shell}"`, `use one of: ${SHELLS.join(", ")}`);
      }
      process.stdout.write(completionScript(program, shell as (typeof SHELLS)[number]));
    });

  program
    .command("__complete", { hidden: true })
    .argument("<what>")
    .action(async (what: string) => {
      if (what !== "sessions") return;
      const { loadCliConfig, openStore } = await import("./context.js");
      const { displayName } = await import("../sessions/session.js");
      const page = await openStore((await loadCliConfig(undefined)).config).list({ limit: 50 });
      for (const s of page.sessions) process.stdout.write(`${s.id.slice(0, 8)}\t${s.backend}: ${displayName(s, 40)}\n`);
    });

  program
    .command("help")
    .description("show the help of clinvk or of a command")
    .argument("[command...]", "a command, e.g. parallel or sessions list")
    .action(async (path: string[]) => {
      let target = program;
      for (const name of path) {
        const child = target.commands.find((c) => c.name() === name || c.aliases().includes(name));
        if (!child || name.startsWith("__")) {
          const { usageError } = await import("./fail.js");
          const { closest } = await import("../config/closest.js");
          const match = closest(
            name,
            target.commands.map((c) => c.name()),
            2,
          );
          throw usageError(
            `no command "${path.join(" ")}"`,
            match ? `did you mean \`clinvk help ${match}\`?` : "`clinvk help` lists the commands",
          );
        }
        target = child;
      }
      target.outputHelp();
    });

  program
    .command("version")
    .description("print the version of clinvoker and of Node.js")
    .action(() => {
      process.stdout.write(
        `clinvk ${VERSION}\n  node: ${process.version}\n  platform: ${process.platform}-${process.arch}\n`,
      );
    });

  program
    .command("doctor")
    .description("check which backend CLIs are installed, where, and which version")
    .option("--json", "print the findings as JSON")
    .action(async (flags: { json?: boolean; config?: string }) => {
      const { runDoctorCommand } = await import("./commands/doctor.js");
      process.exitCode = await runDoctorCommand(flags);
    });

  const config = program.command("config").description("show and change the configuration ($CLINVK_HOME/config.yaml)");
  const configCommand =
    <A extends unknown[]>(run: (module: typeof import("./commands/config.js"), ...args: A) => number) =>
    async (...args: A) => {
      const module = await import("./commands/config.js");
      process.exitCode = run(module, ...args);
    };
  config
    .command("show")
    .description("print the effective configuration (secrets masked)")
    .option("--json", "as JSON instead of YAML")
    .option("--sources", "say where each value comes from: default, file and line, or environment variable")
    .action(
      configCommand((m, flags: { json?: boolean; sources?: boolean; config?: string }) => m.runConfigShow(flags)),
    );
  config
    .command("get")
    .description("print one key's effective value")
    .argument("<key>", "a dotted key, e.g. server.port")
    .action(configCommand((m, key: string, flags: { config?: string }) => m.runConfigGet(key, flags)));
  config
    .command("set")
    .description("set a key in the config file in use, keeping its comments")
    .argument("<key>", "a dotted key, e.g. backends.claude.model")
    .argument("<value>", "the value; lists are comma-separated")
    .action(
      configCommand((m, key: string, value: string, flags: { config?: string }) => m.runConfigSet(key, value, flags)),
    );
  config
    .command("validate")
    .description("check the config file and the CLINVK_* variables; exit 3 naming each mistake")
    .action(configCommand((m, flags: { config?: string }) => m.runConfigValidate(flags)));
  config
    .command("path")
    .description("print the path of the config file in use")
    .action(configCommand((m, flags: { config?: string }) => m.runConfigPath(flags)));
  config
    .command("init")
    .description("write a commented starter config file")
    .option("--force", "replace an existing file")
    .action(configCommand((m, flags: { force?: boolean; config?: string }) => m.runConfigInit(flags)));

  for (const [path, flags] of Object.entries(GLOBAL_FLAGS_OF)) {
    addGlobalOptions(commandAt(program, path), flags);
  }
  addExamples(program);
  return program;
}

/**
 * Where each of the Go clinvoker's global flags means something, beyond the root and `resume` (which
 * take them above); a command's own flag of the same name is declared with the command. Elsewhere
 * passRootFlags refuses them.
 */
const GLOBAL_FLAGS_OF: Record<string, Partial<Record<GlobalFlag, true | string>>> = {
  "sessions list": { config: true, outputFormat: JSON_FORMAT },
  "sessions show": { config: true, outputFormat: JSON_FORMAT },
  "sessions delete": { config: true },
  "sessions clean": { config: true, outputFormat: JSON_FORMAT },
  "sessions tag": { config: true, outputFormat: JSON_FORMAT },
  "sessions fork": { config: true },
  parallel: {
    config: true,
    outputFormat: JSON_FORMAT,
    backend: "backend of the tasks that name none (default: default_backend)",
    model: "model of the tasks that name none",
    workdir: "directory of the tasks that name none",
    ephemeral: "no task leaves a session, even one with ephemeral: false",
  },
  chain: {
    config: true,
    outputFormat: JSON_FORMAT,
    backend: "backend of the steps that name none (default: default_backend)",
    model: "model of the steps that name none",
    workdir: "directory of the steps that name none",
    ephemeral: "accepted: chains leave no session anyway",
  },
  compare: { config: true, outputFormat: JSON_FORMAT, ephemeral: "accepted: comparisons leave no session anyway" },
  serve: { config: true },
  doctor: { config: true, outputFormat: JSON_FORMAT },
  "config show": { config: true, outputFormat: "json or text (-o json is --json; text is YAML)" },
  "config get": { config: true },
  "config set": { config: true },
  "config path": { config: true },
  "config validate": { config: true },
  "config init": { config: true },
};

function commandAt(program: Command, path: string): Command {
  let command = program;
  for (const name of path.split(" ")) {
    const child = command.commands.find((c) => c.name() === name);
    if (!child) throw new Error(`no command ${path}`);
    command = child;
  }
  return command;
}
