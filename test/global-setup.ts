// The CLI tests run the bundled `clinvk`, exactly what users run; build it once per test run.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build.mjs", "--cli"], { stdio: "inherit" });
}
