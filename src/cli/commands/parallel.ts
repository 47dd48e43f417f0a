/** `clinvk parallel`: run a task file's tasks at once, with live progress and a summary. */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TaskResult } from "../../workflows/events.js";
import { type ParallelSummary, runParallel } from "../../workflows/parallel.js";
import { parseSpec } from "../../workflows/spec-file.js";
import { type ParallelSpec, ParallelSpecSchema } from "../../workflows/specs.js";
import { cancelOnSignals } from "../cancel.js";
import { type Paint, paintFor, paintStatus } from "../color.js";
import { contextFor, loadCliConfig } from "../context.js";
import { ExitCode } from "../exit-codes.js";
import { parseBackend, parseCount } from "../options.js";
import { createProgress, silentProgress } from "../progress.js";
import { readSpecInput } from "../spec-input.js";
import { plural, table, truncate } from "../table.js";
import { consume } from "../workflow-run.js";

export interface ParallelFlags {
  file?: string;
  maxParallel?: string;
  failFast?: boolean;
  json?: boolean;
  quiet?: boolean;
  outputDir?: string;
  dryRun?: boolean;
  config?: string;
  backend?: string;
  model?: string;
  workdir?: string;
  ephemeral?: boolean;
}

export async function runParallelCommand(flags: ParallelFlags): Promise<number> {
  const spec = parseSpec<ParallelSpec>(await readSpecInput(flags.file, "parallel"), ParallelSpecSchema, "tasks");
  const loaded = await loadCliConfig(flags.config);
  const maxParallel =
    parseCount("--max-parallel", flags.maxParallel) || spec.max_parallel || loaded.config.parallel.max_workers;
  // The user's own cap wins over the admission gate's default.
  const { config, engine } = contextFor(loaded, { running: maxParallel, queued: spec.tasks.length });
  const failFast = flags.failFast || spec.fail_fast || config.parallel.fail_fast;
  const quiet = flags.quiet || flags.json;
  const progress = quiet ? silentProgress : createProgress();
  const cancel = cancelOnSignals("cancelling", progress.say);
  try {
    const workflow = runParallel(engine, spec.tasks, {
      maxParallel,
      failFast,
      signal: cancel.signal,
      defaultBackend: parseBackend(flags.backend) ?? config.default_backend,
      dryRun: flags.dryRun,
      ephemeral: flags.ephemeral,
      model: flags.model,
      workdir: flags.workdir,
    });
    if (!quiet) {
      process.stderr.write(
        `Running ${plural(spec.tasks.length, "task")} (max ${maxParallel} parallel${failFast ? ", fail-fast" : ""})...\n`,
      );
    }
    const summary = await consume(workflow, progress);
    const outputDir = flags.outputDir ?? spec.output_dir;
    if (outputDir) writeOutputDir(resolve(outputDir), spec, summary);
    if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      const paint = paintFor(process.stdout, config.output.color);
      printSummary(summary, { quiet: flags.quiet === true, outputs: config.parallel.aggregate_output, paint });
    }
    if (cancel.cancelled()) return ExitCode.cancelled;
    return summary.failed > 0 ? ExitCode.general : ExitCode.ok;
  } finally {
    cancel.release();
  }
}

function printSummary(summary: ParallelSummary, options: { quiet: boolean; outputs: boolean; paint: Paint }): void {
  const { paint } = options;
  const out = (text: string) => process.stdout.write(text);
  if (!options.quiet && options.outputs) {
    for (const result of summary.results) {
      if (!result.output) continue;
      out(
        `── [${result.index + 1}] ${result.task_name ?? result.task_id ?? `task ${result.index + 1}`} (${result.backend}) ──\n`,
      );
      out(`${result.output.trimEnd()}\n\n`);
    }
  }
  if (!options.quiet) {
    const rows = summary.results.map((r) => [
      String(r.index + 1),
      r.backend,
      r.status.toUpperCase(),
      `${r.duration_seconds.toFixed(2)}s`,
      truncate(r.task_name ?? r.task_id ?? "", 35),
    ]);
    out(
      `Results:\n${table(["#", "BACKEND", "STATUS", "DURATION", "TASK"], rows, (cell, column) => (column === 2 ? paintStatus(paint, cell) : cell))}`,
    );
    for (const r of summary.results)
      if (r.error && r.status !== "cancelled") out(`  [${r.index + 1}] Error: ${r.error}\n`);
  }
  const extra = [summary.cancelled && `${summary.cancelled} cancelled`, summary.skipped && `${summary.skipped} skipped`]
    .filter(Boolean)
    .join(", ");
  out(
    `Total: ${summary.total_tasks} tasks, ${summary.completed} completed, ${summary.failed} failed${extra ? `, ${extra}` : ""} (${summary.total_duration_seconds.toFixed(2)}s)\n`,
  );
}

/** summary.json and one NNN_<name>.json per task, private to the user. */
function writeOutputDir(directory: string, spec: ParallelSpec, summary: ParallelSummary): void {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const write = (name: string, value: unknown) => {
    const path = join(directory, name);
    writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  };
  write("summary.json", summary);
  summary.results.forEach((result: TaskResult, index) => {
    const task = spec.tasks[index];
    const name = sanitize(task?.id ?? task?.name ?? `task-${index + 1}`);
    write(`${String(index + 1).padStart(3, "0")}_${name}.json`, { task, result });
  });
}

function sanitize(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9_-]/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 64) || "task"
  );
}
