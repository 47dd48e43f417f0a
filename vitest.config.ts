import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// Every temporary file of the run (the tests', clinvk's, the fake CLIs') goes under one directory, which the
// global setup's teardown removes: the workers get it as TMPDIR, and their children inherit it.
const runTmp = mkdtempSync(join(tmpdir(), "clinvk-test-run-"));
process.env.CLINVK_TEST_RUN_TMP = runTmp;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "test/hardening/**", "test/scale/**", "test/next-clients/**", "node_modules/**"],
    testTimeout: 20_000,
    pool: "forks",
    globalSetup: ["test/global-setup.ts"],
    env: { TMPDIR: runTmp },
  },
});
