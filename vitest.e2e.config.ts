// End-to-end tests: the real claude/codex/gemini CLIs (pinned, installed into .cache/e2e-clis by the global
// setup) run offline against the local provider stub in test/e2e/stub. Run with
//   npx vitest run --config vitest.e2e.config.ts
// The CLIs are heavy (2-core machines), so test files run one at a time, and timeouts are generous.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    environment: "node",
    pool: "forks",
    fileParallelism: false,
    maxWorkers: 1,
    sequence: { concurrent: false },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    slowTestThreshold: 10_000,
  },
});
