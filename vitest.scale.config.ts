// The scale lane (npm run test:scale): tests against the machine's PostgreSQL (CLINVK_TEST_PG_URL,
// default postgres://postgres@127.0.0.1:5432/test) and Redis (CLINVK_TEST_REDIS_URL, default
// redis://127.0.0.1:6379). Kept out of `npm test`, which must pass on a machine without them.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

const runTmp = mkdtempSync(join(tmpdir(), "clinvk-test-run-"));
process.env.CLINVK_TEST_RUN_TMP = runTmp;

export default defineConfig({
  test: {
    include: ["test/scale/**/*.scale.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: false,
    // The bundled clinvk, and the pinned real CLIs (a no-op when the e2e lane installed them).
    globalSetup: ["test/global-setup.ts", "test/e2e/global-setup.ts"],
    env: { TMPDIR: runTmp },
  },
});
