/**
 * The `clinvk` under test: the CLI bundle built by scripts/build.mjs from the current sources, but
 * into a scratch directory of its own, so that nobody's rebuild of dist/ can pull it away mid-run
 * (and the bench never removes dist/ under anyone else).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyBinary, hasBinary, LAUNCHER } from "../../scripts/binary.mjs";

export interface Bundle {
  /** Path of the launcher, dist/cli.cjs; run it as `node <cli> ...`. */
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
    return { cli: join(scratch, "dist", LAUNCHER), origin: "built from src/ by scripts/build.mjs --cli", cleanup };
  } catch (error) {
    // The sources may be mid-edit; a built dist/ is the next best thing.
    const dist = join(root, "dist");
    if (!hasBinary(dist)) {
      cleanup();
      throw new Error(`could not build the CLI bundle, and there is none in dist/: ${(error as Error).message}`);
    }
    const cli = copyBinary(dist, join(scratch, "dist"));
    const built = new Date(statSync(cli).mtimeMs).toISOString();
    return { cli, origin: `copied from dist/ (built ${built}); building failed`, cleanup };
  }
}
