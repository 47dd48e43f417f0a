/** The bundled CLI (dist/clinvk.cjs, run by launcher.ts): parse argv, run the command, map failures to exit codes. */

import { ExitCode } from "./exit-codes.js";

async function main(argv: string[]): Promise<void> {
  // SUPERVISE_COMMAND of process/supervisor.ts, spelled out so that no other start loads that module.
  if (argv[2] === "__supervise-runs") {
    const { supervise } = await import("../process/supervisor.js");
    supervise(argv[3] ?? "", Number(argv[4]));
    return;
  }
  const [{ CommanderError }, { buildProgram }] = await Promise.all([import("commander"), import("./program.js")]);
  // `clinvk ... | head` closes our stdout early; that is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // The hint is for prompts; a subcommand's unknown option is just that (its help follows the error).
      const subcommand = program.commands.some((c) => argv.slice(2).includes(c.name()));
      if (error.code === "commander.unknownOption" && !subcommand) {
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

void main(process.argv);
