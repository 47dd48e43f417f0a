/** What every section gets: the bundle under test, a scratch directory, and where figures go. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Figure, Note } from "./report.js";

export interface BenchContext {
  /** The repository root. */
  root: string;
  /** The bundled `clinvk` (run as `node <cli>`). */
  cli: string;
  /** Scratch directory of this run, removed at the end. */
  scratch: string;
  /** Fewer repetitions (for trying the bench out, not for the docs). */
  quick: boolean;
  figures: Figure[];
  notes: Note[];
  /** Progress, on stderr. */
  log(text: string): void;
}

export type Section = (context: BenchContext) => Promise<void>;

/** A new directory under the run's scratch directory. */
export function scratchDir(context: BenchContext, name: string): string {
  const dir = join(context.scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The repetition count: `full` normally, `quick` with --quick. */
export const reps = (context: BenchContext, full: number, quick: number) => (context.quick ? quick : full);
