// The files that make the `clinvk` binary in dist/ (scripts/build.mjs writes them): the launcher, run as
// `node <dir>/cli.cjs`, and the bundle it runs. Self-contained: a copy of these alone runs anywhere.
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export const LAUNCHER = "cli.cjs";
/** The bundle the launcher runs (src/cli/launcher.ts names it too). */
export const BUNDLE = "clinvk.cjs";
export const BINARY_FILES = [LAUNCHER, BUNDLE];

/** Copies the binary from `fromDir` (a dist/) into `toDir`; returns the copy's launcher. */
export function copyBinary(fromDir, toDir) {
  mkdirSync(toDir, { recursive: true });
  for (const name of BINARY_FILES) cpSync(join(fromDir, name), join(toDir, name));
  return join(toDir, LAUNCHER);
}

/** Whether `dir` holds a whole binary. */
export function hasBinary(dir) {
  return BINARY_FILES.every((name) => existsSync(join(dir, name)));
}
