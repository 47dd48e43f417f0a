/** Where the hardening suite keeps its things: the clinvk snapshot, figures, scratch homes. */
import { join } from "node:path";
import { LAUNCHER } from "../../../scripts/binary.mjs";
import { FAKE_CLI_DIR, ROOT } from "../../helpers.js";

export { FAKE_CLI_DIR, ROOT };
/** Git-ignored (.cache/). */
export const CACHE = join(ROOT, ".cache", "hardening");
/** A copy of the bundled clinvk made by the global setup, so that a rebuild of dist/ meanwhile cannot pull it away. */
export const CLINVK_DIST = join(CACHE, "dist");
export const CLINVK = join(CLINVK_DIST, LAUNCHER);
/** One JSON file per section, merged into FIGURES_FILE by the global teardown. */
export const FIGURES_DIR = join(CACHE, "figures");
export const FIGURES_FILE = join(CACHE, "figures.json");
/** Vitest's JSON report of the last run (see vitest.hardening.config.ts). */
export const RESULTS_FILE = join(CACHE, "vitest-results.json");
export const FAKE = {
  claude: join(FAKE_CLI_DIR, "claude"),
  codex: join(FAKE_CLI_DIR, "codex"),
  gemini: join(FAKE_CLI_DIR, "gemini"),
} as const;
export const BACKENDS = ["claude", "codex", "gemini"] as const;
export type BackendName = (typeof BACKENDS)[number];
