/** `clinvk [prompt]`: one prompt on one backend. */
import { ExitCode, exitCodeFor } from "../../engine/exit-codes.js";
import type { RunRequest, RunResult } from "../../engine/request.js";
import { engineFor, loadCliConfig } from "../context.js";
import { printError } from "../fail.js";
import {
  parseApprovalMode,
  parseCount,
  parseList,
  parseOutputFormat,
  parseSandboxMode,
  parseSeconds,
} from "../options.js";
import { createRenderer } from "../render.js";
import { combinePrompt, readPipedStdin, stdinIsPiped } from "../stdin.js";

export interface PromptFlags {
  backend?: string;
  model?: string;
  workdir?: string;
  outputFormat?: string;
  dryRun?: boolean;
  ephemeral?: boolean;
  timeout?: string;
  idleTimeout?: string;
  approvalMode?: string;
  sandboxMode?: string;
  maxTurns?: string;
  systemPrompt?: string;
  allowedTools?: string;
  addDir?: string[];
  raw?: boolean;
  config?: string;
}

export async function runPromptCommand(words: string[], flags: PromptFlags): Promise<number> {
  const loaded = loadCliConfig(flags.config);
  const { config } = loaded;
  const format = parseOutputFormat(flags.outputFormat) ?? parseOutputFormat(config.output.format) ?? "json";
  const argument = words.join(" ").trim() || undefined;
  const piped = stdinIsPiped() ? await readPipedStdin({ optional: argument !== undefined }) : undefined;
  const request: RunRequest = {
    backend: flags.backend?.trim().toLowerCase() || config.default_backend,
    prompt: combinePrompt(argument, piped),
    model: flags.model,
    workdir: flags.workdir,
    approvalMode: parseApprovalMode(flags.approvalMode),
    sandboxMode: parseSandboxMode(flags.sandboxMode),
    outputFormat: format,
    maxTurns: parseCount("--max-turns", flags.maxTurns),
    systemPrompt: flags.systemPrompt,
    allowedTools: parseList(flags.allowedTools),
    allowedDirs: flags.addDir,
    ephemeral: flags.ephemeral,
    dryRun: flags.dryRun,
    timeoutMs: parseSeconds("--timeout", flags.timeout),
    idleTimeoutMs: parseSeconds("--idle-timeout", flags.idleTimeout),
    includeRaw: flags.raw,
  };
  const engine = engineFor(loaded);

  if (request.dryRun && format !== "stream-json") {
    const prepared = engine.prepare(request);
    for (const warning of prepared.warnings) process.stderr.write(`clinvk: warning: ${warning}\n`);
    const line =
      prepared.cwd === process.cwd()
        ? prepared.commandLine
        : `cd ${JSON.stringify(prepared.cwd)} && ${prepared.commandLine}`;
    // The pasteable line unless JSON was asked for explicitly.
    if (flags.outputFormat !== undefined && format === "json") {
      const doc = {
        dry_run: true,
        backend: prepared.backend.name,
        workdir: prepared.cwd,
        command: [prepared.command, ...prepared.args],
        command_line: line,
      };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      process.stdout.write(`${line}\n`);
    }
    return ExitCode.ok;
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130); // The exit hook still kills the CLI's process group.
    process.stderr.write("\nclinvk: stopping the run (press Ctrl+C again to quit at once)\n");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const renderer = createRenderer(format, {
      showTokens: config.output.show_tokens,
      showTiming: config.output.show_timing,
    });
    const events = engine.stream(request, { signal: controller.signal });
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
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
