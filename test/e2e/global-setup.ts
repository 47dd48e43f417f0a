// Vitest global setup for the e2e suite: makes sure the pinned CLIs are installed (quick no-op when they are).
// Set CLINVK_E2E_SKIP_INSTALL=1 to skip the check (e.g. when the CLIs are provided some other way).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./cli-env.js";

export default function setup(): void {
  if (process.env.CLINVK_E2E_SKIP_INSTALL === "1") return;
  execFileSync(process.execPath, [join(REPO_ROOT, "scripts", "install-e2e-clis.mjs")], {
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 15 * 60_000,
  });
}
