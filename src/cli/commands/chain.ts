/** `clinvk chain`: steps one after another, each fed the answers before it. */

import { type ChainSummary, runChain } from "../../workflows/chain.js";
import { parseSpec } from "../../workflows/spec-file.js";
import { type ChainSpec, ChainSpecSchema } from "../../workflows/specs.js";
import { cancelOnSignals } from "../cancel.js";
import { type Paint, paintFor, paintStatus } from "../color.js";
import { cliContext } from "../context.js";
import { ExitCode } from "../exit-codes.js";
import { parseBackend } from "../options.js";
import { createProgress, silentProgress } from "../progress.js";
import { readSpecInput } from "../spec-input.js";
import { plural, table, truncate } from "../table.js";
import { consume } from "../workflow-run.js";

export interface ChainFlags {
  file?: string;
  input?: string;
  json?: boolean;
  quiet?: boolean;
  continueOnFailure?: boolean;
  dryRun?: boolean;
  config?: string;
  backend?: string;
  model?: string;
  workdir?: string;
}

export async function runChainCommand(flags: ChainFlags): Promise<number> {
  const { config, engine } = await cliContext(flags.config);
  const spec = parseSpec<ChainSpec>(await readSpecInput(flags.file ?? flags.input, "chain"), ChainSpecSchema, "steps");
  const quiet = flags.quiet || flags.json;
  const progress = quiet ? silentProgress : createProgress();
  const cancel = cancelOnSignals("cancelling", progress.say);
  try {
    const workflow = runChain(engine, spec, {
      signal: cancel.signal,
      defaultBackend: parseBackend(flags.backend) ?? config.default_backend,
      dryRun: flags.dryRun,
      model: flags.model,
      workdir: flags.workdir,
      continueOnFailure: flags.continueOnFailure,
    });
    if (!quiet) process.stderr.write(`Executing chain with ${plural(spec.steps.length, "step")}\n`);
    const summary = await consume(workflow, progress);
    if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else printChain(summary, flags.quiet === true, paintFor(process.stdout, config.output.color));
    if (cancel.cancelled()) return ExitCode.cancelled;
    return summary.failed_step ? ExitCode.general : ExitCode.ok;
  } finally {
    cancel.release();
  }
}

function printChain(summary: ChainSummary, quiet: boolean, paint: Paint): void {
  const out = (text: string) => process.stdout.write(text);
  if (!quiet) {
    for (const r of summary.results) {
      if (r.status === "cancelled") continue;
      out(`── [${r.step}/${summary.total_steps}] ${r.name ?? `Step ${r.step}`} (${r.backend}) ──\n`);
      out(`${(r.output ?? (r.error ? `Error: ${r.error}` : "")).trimEnd()}\n\n`);
    }
    const rows = summary.results.map((r) => [
      String(r.step),
      r.backend,
      r.status.toUpperCase(),
      `${r.duration_seconds.toFixed(2)}s`,
      truncate(r.name ?? "", 35),
    ]);
    out(
      `CHAIN EXECUTION SUMMARY\n${table(["STEP", "BACKEND", "STATUS", "DURATION", "NAME"], rows, (cell, column) => (column === 2 ? paintStatus(paint, cell) : cell))}`,
    );
  }
  const failed = summary.failed_step ? `, failed at step ${summary.failed_step}` : "";
  out(
    `Total: ${summary.completed_steps}/${summary.total_steps} steps completed${failed} (${summary.total_duration_seconds.toFixed(2)}s)\n`,
  );
}
