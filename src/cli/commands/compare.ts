import { type CompareSummary, runCompare, selectBackends } from "../../workflows/compare.js";
import type { TaskResult } from "../../workflows/events.js";
import { cancelOnSignals } from "../cancel.js";
import { type Paint, paintFor, paintStatus } from "../color.js";
import { cliContext } from "../context.js";
import { ExitCode } from "../exit-codes.js";
import { usageError } from "../fail.js";
import { parseList } from "../options.js";
import { createProgress, silentProgress } from "../progress.js";
import { combinePrompt, readPipedStdin, stdinIsPiped } from "../stdin.js";
import { plural, table } from "../table.js";
import { consume } from "../workflow-run.js";

export interface CompareFlags {
  backends?: string;
  allBackends?: boolean;
  sequential?: boolean;
  json?: boolean;
  model?: string;
  workdir?: string;
  dryRun?: boolean;
  config?: string;
}

export async function runCompareCommand(words: string[], flags: CompareFlags): Promise<number> {
  const { config, engine } = await cliContext(flags.config);
  const argument = words.join(" ").trim() || undefined;
  const prompt = combinePrompt(
    argument,
    stdinIsPiped() ? await readPipedStdin({ optional: argument !== undefined }) : undefined,
  );
  if (!prompt.trim()) throw usageError("the prompt is empty", 'clinvk compare --all-backends "explain this function"');

  if (!flags.allBackends && !flags.backends) {
    throw usageError("which backends?", "give --backends claude,codex or --all-backends");
  }
  // A named backend that is not installed is skipped, and the exit code says so: not every backend answered.
  const skipped: string[] = [];
  const backends = selectBackends(engine.registry, {
    all: flags.allBackends,
    names: parseList(flags.backends),
    dryRun: flags.dryRun,
    onSkip: (name) => {
      skipped.push(name);
      process.stderr.write(`clinvk: warning: backend "${name}" is not available, skipping\n`);
    },
  });

  const progress = flags.json ? silentProgress : createProgress();
  const cancel = cancelOnSignals("cancelling", progress.say);
  try {
    const workflow = runCompare(engine, {
      prompt,
      backends,
      model: flags.model,
      workdir: flags.workdir,
      sequential: flags.sequential,
      dryRun: flags.dryRun,
      signal: cancel.signal,
    });
    if (!flags.json) process.stderr.write(`Comparing ${plural(backends.length, "backend")}: ${backends.join(", ")}\n`);
    const summary = await consume(workflow, progress);
    if (flags.json) {
      const doc = skipped.length ? { ...summary, skipped } : summary;
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else printComparison(summary, skipped, paintFor(process.stdout, config.output.color));
    if (cancel.cancelled()) return ExitCode.cancelled;
    const allAnswered = skipped.length === 0 && summary.results.every((r) => r.status === "completed");
    return allAnswered ? ExitCode.ok : ExitCode.general;
  } finally {
    cancel.release();
  }
}

function printComparison(summary: CompareSummary, skipped: readonly string[], paint: Paint): void {
  const out = (text: string) => process.stdout.write(text);
  const width = process.stdout.isTTY ? process.stdout.columns || 80 : 0;
  const columnWidth = Math.floor((width - 3 * (summary.results.length - 1)) / summary.results.length);
  const answer = (r: TaskResult) => r.output ?? (r.error ? `Error: ${r.error}` : "");
  if (columnWidth >= 30) {
    out(
      sideBySide(
        summary.results.map((r) => [`[${r.backend}]`, ...wrap(answer(r), columnWidth)]),
        columnWidth,
      ),
    );
  } else {
    for (const r of summary.results) out(`── [${r.backend}] ──\n${answer(r).trimEnd()}\n\n`);
  }
  const rows = summary.results.map((r) => [
    r.backend,
    r.status.toUpperCase(),
    `${r.duration_seconds.toFixed(2)}s`,
    r.usage ? String(r.usage.input_tokens + r.usage.output_tokens) : "-",
    r.model ?? "(default)",
  ]);
  for (const name of skipped) rows.push([name, "SKIPPED", "-", "-", "(not installed)"]);
  out(
    `\nCOMPARISON SUMMARY\n${table(["BACKEND", "STATUS", "DURATION", "TOKENS", "MODEL"], rows, (cell, column) =>
      column === 1 ? paintStatus(paint, cell) : cell,
    )}`,
  );
  out(`Total time: ${summary.total_duration_seconds.toFixed(2)}s\n`);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.trimEnd().split("\n")) {
    let line = "";
    for (let word of paragraph.split(/\s+/).filter(Boolean)) {
      while (word.length > width) {
        if (line) lines.push(line);
        line = "";
        lines.push(word.slice(0, width));
        word = word.slice(width);
      }
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = "";
      }
      line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
}

function sideBySide(columns: string[][], width: number): string {
  const height = Math.max(...columns.map((column) => column.length));
  let text = "";
  for (let row = 0; row < height; row++) {
    text += `${columns
      .map((column) => (column[row] ?? "").padEnd(width))
      .join(" │ ")
      .trimEnd()}\n`;
  }
  return text;
}
