/**
 * Figures for docs/reliability.md: each test file records its sections here as it goes; the global teardown
 * merges them into .cache/hardening/figures.json, which scripts/reliability-report.ts renders.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FIGURES_DIR } from "./paths.js";

export type Figures = Record<string, unknown>;

/** Merges `data` into section `name` (one file per section) and returns the merged section. */
export function record(name: string, data: Figures): Figures {
  mkdirSync(FIGURES_DIR, { recursive: true });
  const file = join(FIGURES_DIR, `${name}.json`);
  let current: Figures = {};
  try {
    current = JSON.parse(readFileSync(file, "utf8")) as Figures;
  } catch {
    // first figures of this section
  }
  const merged = { ...current, ...data, recorded_at: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}
