/**
 * The `clinvk` command tree. Kept light: each command's module is imported only when it runs,
 * so that `clinvk --version` and `clinvk --help` start at once.
 */
import { Command, CommanderError, Option } from "commander";
import { ExitCode } from "../engine/exit-codes.js";
import { VERSION } from "../version.js";

function buildProgram(): Command {
  const program = new Command("clinvk")
    .description(
      "Run a prompt on Claude Code, Codex or Gemini CLI with the same flags, and get text, JSON or a stream of unified events.",
    )
    .version(VERSION, "-V, --version", "print the version and exit")
    .argument("[prompt...]", "the prompt; piped stdin is appended to it (or is the prompt)")
    .option("-b, --backend <name>", "backend to run: claude, codex or gemini", undefined)
    .option("-m, --model <model>", "model name or alias (fast, balanced, best)")
    .option("-w, --workdir <dir>", "directory the CLI works in (default: the current one)")
    .addOption(
      new Option("-o, --output-format <format>", "text, json or stream-json (NDJSON of unified events)").default(
        undefined,
        "json",
      ),
    )
    .option("--dry-run", "print the exact command that would run, and run nothing")
    .option("--ephemeral", "leave no session behind")
    .option("--config <file>", "config file to use (default: $CLINVK_HOME/config.yaml)")
    .option("--timeout <seconds>", "stop the run after this many seconds")
    .option("--idle-timeout <seconds>", "stop the run when the CLI prints nothing for this long")
    .option("--approval-mode <mode>", "default, auto (accept edits), none (never ask: allow all), always")
    .option("--sandbox-mode <mode>", "default, read-only, workspace or full")
    .option("--max-turns <n>", "limit the agent's turns (claude)")
    .option("--system-prompt <text>", "replace the system prompt")
    .option("--allowed-tools <list>", "comma-separated tools the agent may use without asking")
    .option("--add-dir <dir...>", "further directories the agent may use")
    .option("--raw", "with -o stream-json: attach each backend line to its event as `raw`")
    .showHelpAfterError("(run `clinvk --help` for usage)")
    .addHelpText(
      "after",
      `
Examples:
  clinvk "explain this repository"
  clinvk -b codex -o text "write a unit test for src/math.ts"
  git diff | clinvk -b gemini "review this change"
  clinvk --dry-run -b claude -m fast "hello"

Exit codes: 0 ok, 1 error, 2 backend not available, 3 invalid usage or configuration,
4 session error, 5 provider API error, 6 timeout, 7 cancelled; otherwise the CLI's own code.`,
    )
    .action(async (words: string[], flags) => {
      if (words.length === 0 && process.stdin.isTTY) {
        program.outputHelp();
        return;
      }
      const { runPromptCommand } = await import("./commands/prompt.js");
      process.exitCode = await runPromptCommand(words, flags);
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
    .action(async (flags: { json?: boolean }) => {
      const { runDoctorCommand } = await import("./commands/doctor.js");
      process.exitCode = await runDoctorCommand({ ...flags, config: program.opts().config });
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
      configCommand((m, flags: { json?: boolean; sources?: boolean }) =>
        m.runConfigShow({ ...flags, config: program.opts().config }),
      ),
    );
  config
    .command("get")
    .description("print one key's effective value")
    .argument("<key>", "a dotted key, e.g. server.port")
    .action(configCommand((m, key: string) => m.runConfigGet(key, { config: program.opts().config })));
  config
    .command("set")
    .description("set a key in the config file in use, keeping its comments")
    .argument("<key>", "a dotted key, e.g. backends.claude.model")
    .argument("<value>", "the value; lists are comma-separated")
    .action(
      configCommand((m, key: string, value: string) => m.runConfigSet(key, value, { config: program.opts().config })),
    );
  config
    .command("path")
    .description("print the path of the config file in use")
    .action(configCommand((m) => m.runConfigPath({ config: program.opts().config })));
  config
    .command("init")
    .description("write a commented starter config file")
    .option("--force", "replace an existing file")
    .action(
      configCommand((m, flags: { force?: boolean }) => m.runConfigInit({ ...flags, config: program.opts().config })),
    );

  return program;
}

async function main(argv: string[]): Promise<void> {
  // `clinvk ... | head` closes our stdout early; that is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ writeErr: (text) => process.stderr.write(text) });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.unknownOption") {
        process.stderr.write('  hint: a prompt that begins with - goes after --, as in: clinvk -- "-v is verbose?"\n');
      }
      // Help and version exit 0; every other commander error is a usage error.
      process.exitCode =
        error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0
          ? ExitCode.ok
          : ExitCode.invalidUsage;
      return;
    }
    const { reportFailure } = await import("./fail.js");
    process.exitCode = reportFailure(error);
  }
}

await main(process.argv);
