// The CLI tests run the bundled `clinvk`, exactly what users run; build it once per test run.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

export default function setup(): () => void {
  execFileSync(process.execPath, ["scripts/build.mjs", "--cli"], { stdio: "inherit" });
  // vitest.config.ts made the run's temporary directory, which every test and its children use.
  return () => {
    const dir = process.env.CLINVK_TEST_RUN_TMP;
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
