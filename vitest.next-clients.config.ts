// The next-clients lane (scripts/test-next-clients.mjs): the newest openai and ai clients, on Node 24,
// against clinvk serve with the real CLIs behind the provider stub, as the e2e lane runs them.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/next-clients/**/*.e2e.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    environment: "node",
    pool: "forks",
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
