/**
 * The figures a benchmark reports: clinvoker's own, the physical floor measured in the same run, how
 * they compare, and the target. Printed as a Markdown table and written as JSON.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { arch, cpus, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { round, type Stats, stats } from "./stats.js";

export interface Target {
  /** As printed, e.g. "< 1.5×". */
  text: string;
  met: boolean;
}

export interface Figure {
  section: string;
  name: string;
  unit: string;
  ours: Stats;
  samples: number[];
  floor?: { label: string; stats: Stats; samples: number[] };
  /** Median over median (ours / floor). */
  ratio?: number;
  /** Median minus median (ours − floor), in the figure's unit. */
  added?: number;
  target?: Target;
  note?: string;
}

export interface FigureInput {
  section: string;
  name: string;
  unit: string;
  samples: number[];
  floor?: { label: string; samples: number[] };
  /** Judges the figure once ratio and added are known. */
  target?: (figure: Figure) => Target;
  note?: string;
}

export function figure(input: FigureInput): Figure {
  const ours = stats(input.samples);
  const result: Figure = { section: input.section, name: input.name, unit: input.unit, ours, samples: input.samples };
  if (input.floor) {
    const floor = stats(input.floor.samples);
    result.floor = { label: input.floor.label, stats: floor, samples: input.floor.samples };
    result.ratio = ours.median / floor.median;
    result.added = ours.median - floor.median;
  }
  if (input.note) result.note = input.note;
  if (input.target) result.target = input.target(result);
  return result;
}

/** Targets of the usual shapes. */
export const targets = {
  ratioBelow: (limit: number) => (f: Figure) => ({ text: `ratio < ${limit}`, met: (f.ratio ?? Infinity) < limit }),
  ratioAtLeast: (limit: number) => (f: Figure) => ({
    text: `≥ ${Math.round(limit * 100)}% of floor`,
    met: (f.ratio ?? 0) >= limit,
  }),
  addedBelow: (limit: number, unit: string) => (f: Figure) => ({
    text: `< ${limit} ${unit} added`,
    met: (f.added ?? Infinity) < limit,
  }),
  /** At most `limit` added, where the limit is itself measured (e.g. Node's own start, same rounds). */
  addedAtMost: (limit: number, text: string) => (f: Figure) => ({
    text,
    met: (f.added ?? Infinity) <= limit,
  }),
  medianBelow: (limit: number, unit: string) => (f: Figure) => ({
    text: `< ${limit} ${unit}`,
    met: f.ours.median < limit,
  }),
  worstBelow: (limit: number, unit: string) => (f: Figure) => ({
    text: `< ${limit} ${unit} (every round)`,
    met: f.ours.max < limit,
  }),
  everyRound: (text: string, ok: (value: number) => boolean) => (f: Figure) => ({
    text,
    met: f.samples.length > 0 && f.samples.every(ok),
  }),
};

/** A section's note (e.g. why a part was skipped), printed under the table. */
export interface Note {
  section: string;
  text: string;
}

/** For reading: whole numbers from 100 up, one decimal from 10, two below (three below 1 ms). */
function number(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "–";
  if (Number.isInteger(value)) return value.toLocaleString("en");
  const size = Math.abs(value);
  if (unit.endsWith("/s") || size >= 100) return Math.round(value).toLocaleString("en");
  return value.toFixed(size >= 10 ? 1 : size >= 1 || unit !== "ms" ? 2 : 3);
}

function cell(s: Stats, unit: string): string {
  if (s.n === 0) return "–";
  const spread = s.n > 1 ? ` (${number(s.min, unit)}–${number(s.max, unit)})` : "";
  return `${number(s.median, unit)} ${unit}${spread}`;
}

/** The figures as a Markdown table: median (min–max) for clinvoker and for the floor. */
export function table(figures: readonly Figure[]): string {
  const rows = [
    [
      "section",
      "figure",
      "clinvoker: median (min–max)",
      "floor",
      "floor: median (min–max)",
      "ratio",
      "added",
      "target",
      "",
    ],
  ];
  for (const f of figures) {
    rows.push([
      f.section,
      f.name,
      cell(f.ours, f.unit),
      f.floor?.label ?? "",
      f.floor ? cell(f.floor.stats, f.unit) : "",
      f.ratio === undefined ? "" : `${f.ratio.toFixed(2)}×`,
      f.added === undefined ? "" : `${f.added >= 0 ? "+" : ""}${number(f.added, f.unit)} ${f.unit}`,
      f.target?.text ?? "",
      f.target ? (f.target.met ? "met" : "**MISSED**") : "",
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => `| ${row.map((text, i) => text.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(rows[0]!), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.slice(1).map(line)].join("\n");
}

/** Figure notes and section notes, as a Markdown list. */
export function footnotes(figures: readonly Figure[], notes: readonly Note[]): string {
  const lines = [
    ...figures.filter((f) => f.note).map((f) => `- ${f.section} · ${f.name}: ${f.note}`),
    ...notes.map((n) => `- ${n.section}: ${n.text}`),
  ];
  return lines.join("\n");
}

export function machine(): Record<string, unknown> {
  const cores = cpus();
  return {
    cpu: cores[0]?.model ?? "unknown",
    cpus: cores.length,
    memory_gb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
  };
}

function gitCommit(root: string): string | undefined {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: root, encoding: "utf8" }).trim();
    return dirty ? `${commit} (src/ has uncommitted changes)` : commit;
  } catch {
    return undefined;
  }
}

const roundAll = (values: readonly number[]) => values.map(round);
const roundStats = (s: Stats) => ({ min: round(s.min), median: round(s.median), max: round(s.max), n: s.n });

export function writeResults(
  path: string,
  root: string,
  run: { sections: string[]; seconds: number; version: string },
  figures: readonly Figure[],
  notes: readonly Note[],
): void {
  const document = {
    generated_at: new Date().toISOString(),
    machine: machine(),
    clinvoker: { version: run.version, commit: gitCommit(root) },
    sections: run.sections,
    duration_s: Math.round(run.seconds),
    figures: figures.map((f) => ({
      section: f.section,
      name: f.name,
      unit: f.unit,
      ours: roundStats(f.ours),
      ...(f.floor ? { floor: { label: f.floor.label, ...roundStats(f.floor.stats) } } : {}),
      ...(f.ratio === undefined ? {} : { ratio: round(f.ratio) }),
      ...(f.added === undefined ? {} : { added: round(f.added) }),
      ...(f.target ? { target: f.target.text, met: f.target.met } : {}),
      ...(f.note ? { note: f.note } : {}),
      samples: roundAll(f.samples),
      ...(f.floor ? { floor_samples: roundAll(f.floor.samples) } : {}),
    })),
    notes: notes.map((n) => ({ section: n.section, text: n.text })),
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  // In the repository's own style, so that `npm run lint` stays clean; best effort.
  try {
    const biome = join(root, "node_modules", "@biomejs", "biome", "bin", "biome");
    execFileSync(process.execPath, [biome, "format", "--write", path], { cwd: root, stdio: "ignore" });
  } catch {
    // unformatted, but still valid JSON
  }
}
