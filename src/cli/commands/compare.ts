import { type CompareSummary, runCompare, selectBackends } from "../../workflows/compare.js";
import type { TaskResult } from "../../workflows/events.js";
import { cancelOnSignals } from "../cancel.js";
import { cliContext } from "../context.js";
import { ExitCode } from "../exit-codes.js";
import { usageError } from "../fail.js";
import { parseList } from "../options.js";
import { createProgress, silentProgress } from "../progress.js";
import { combinePrompt, readPipedStdin, stdinIsPiped } from "../stdin.js";
import { table } from "../table.js";
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
  const { engine } = cliContext(flags.config);
  const argument = words.join(" ").trim() || undefined;
  const prompt = combinePrompt(
    argument,
    stdinIsPiped() ? await readPipedStdin({ optional: argument !== undefined }) : undefined,
  );
  if (!prompt.trim()) throw usageError("the prompt is empty", 'clinvk compare --all-backends "explain this function"');

  if (!flags.allBackends && !flags.backends) {
    throw usageError("which backends?", "give --backends claude,codex or --all-backends");
  }
  const backends = selectBackends(engine.registry, {
    all: flags.allBackends,
    names: parseList(flags.backends),
    dryRun: flags.dryRun,
    onSkip: (name) => process.stderr.write(`clinvk: warning: backend "${name}" is not available, skipping\n`),
  });

  const cancel = cancelOnSignals();
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
    if (!flags.json) process.stderr.write(`Comparing ${backends.length} backends: ${backends.join(", ")}\n`);
    const summary = await consume(workflow, flags.json ? silentProgress : createProgress());
    if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else printComparison(summary);
    if (cancel.cancelled()) return ExitCode.cancelled;
    return summary.results.some((r) => r.status !== "completed") ? ExitCode.general : ExitCode.ok;
  } finally {
    cancel.release();
  }
}

function printComparison(summary: CompareSummary): void {
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
  out(`\nCOMPARISON SUMMARY\n${table(["BACKEND", "STATUS", "DURATION", "TOKENS", "MODEL"], rows)}`);
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
