/** Runs one request on the terminal: renders its events, handles Ctrl+C, returns the exit code. */
import type { Config } from "../config/schema.js";
import type { OutputFormat, RunRequest, RunResult } from "../core/request.js";
import type { Engine } from "../engine/engine.js";
import { interruptOnSignals } from "./cancel.js";
import { ExitCode, exitCodeFor } from "./exit-codes.js";
import { printError } from "./fail.js";
import { terminalPermissions } from "./permission-prompt.js";
import { createRenderer } from "./render.js";

export async function executeRun(
  engine: Engine,
  request: RunRequest,
  format: OutputFormat,
  config: Config,
  explicitJson: boolean,
): Promise<number> {
  // unified_flags.dry_run makes every run a dry run too, printed the same way.
  const dryRun = request.dryRun ?? config.unified_flags.dry_run;
  if (dryRun && format !== "stream-json") return printDryRun(engine, { ...request, dryRun }, explicitJson);

  const cancel = interruptOnSignals();
  const ask = request.onPermissionRequest ? undefined : terminalPermissions();
  try {
    const renderer = createRenderer(format, {
      showTokens: config.output.show_tokens,
      showTiming: config.output.show_timing,
      color: config.output.color,
    });
    const events = engine.stream(ask ? { ...request, onPermissionRequest: ask } : request, {
      signal: cancel.signal,
      interrupt: cancel.interrupt,
    });
    let result: RunResult;
    while (true) {
      const step = await events.next();
      if (step.done) {
        result = step.value;
        break;
      }
      renderer.event(step.value);
    }
    renderer.end(result);
    if (!result.error) return ExitCode.ok;
    if (format !== "text") printError(result.error);
    return exitCodeFor(result.error.code, result.exit_code);
  } finally {
    cancel.release();
  }
}

/**
 * "Would execute: " and the pasteable command line (the Go clinvoker's prefix, which its users grep
 * for), or (with an explicit `-o json`) the argv as JSON.
 */
function printDryRun(engine: Engine, request: RunRequest, explicitJson: boolean): number {
  const prepared = engine.prepare(request);
  for (const warning of prepared.warnings) process.stderr.write(`clinvk: warning: ${warning}\n`);
  const line =
    prepared.cwd === process.cwd()
      ? prepared.commandLine
      : `cd ${JSON.stringify(prepared.cwd)} && ${prepared.commandLine}`;
  if (explicitJson) {
    const doc = {
      dry_run: true,
      backend: prepared.backend.name,
      workdir: prepared.cwd,
      command: [prepared.command, ...prepared.args],
      command_line: line,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    process.stdout.write(`Would execute: ${line}\n`);
  }
  return ExitCode.ok;
}
