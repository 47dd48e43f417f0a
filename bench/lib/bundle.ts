/**
 * The `clinvk` under test: the CLI bundle built by scripts/build.mjs from the current sources, but
 * into a scratch directory of its own, so that nobody's rebuild of dist/ can pull it away mid-run
 * (and the bench never removes dist/ under anyone else).
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Bundle {
  /** Path of cli.js; run it as `node <cli> ...`. */
  cli: string;
  /** How it was made: "built from src/" or "copied from dist/". */
  origin: string;
  cleanup(): void;
}

export function prepareBundle(root: string, scratchParent = tmpdir()): Bundle {
  const scratch = mkdtempSync(join(scratchParent, "clinvk-bench-build-"));
  const cleanup = () => rmSync(scratch, { recursive: true, force: true });
  try {
    // scripts/build.mjs works relative to its cwd: give it one whose src/ and node_modules/ are ours.
    for (const name of ["src", "node_modules", "package.json", "tsconfig.json"]) {
      symlinkSync(join(root, name), join(scratch, name));
    }
    execFileSync(process.execPath, [join(root, "scripts", "build.mjs"), "--cli"], { cwd: scratch, stdio: "pipe" });
    return { cli: join(scratch, "dist", "cli.js"), origin: "built from src/ by scripts/build.mjs --cli", cleanup };
  } catch (error) {
    // The sources may be mid-edit; a built dist/ is the next best thing.
    const dist = join(root, "dist");
    if (!existsSync(join(dist, "cli.js"))) {
      cleanup();
      throw new Error(`could not build the CLI bundle, and there is no dist/cli.js: ${(error as Error).message}`);
    }
    const copy = join(scratch, "dist");
    mkdirSync(copy, { recursive: true });
    cpSync(join(dist, "cli.js"), join(copy, "cli.js"));
    if (existsSync(join(dist, "chunks"))) cpSync(join(dist, "chunks"), join(copy, "chunks"), { recursive: true });
    const built = new Date(statSync(join(dist, "cli.js")).mtimeMs).toISOString();
    return { cli: join(copy, "cli.js"), origin: `copied from dist/ (built ${built}); building failed`, cleanup };
  }
}
