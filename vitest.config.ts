import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "test/hardening/**", "node_modules/**"],
    testTimeout: 20_000,
    pool: "forks",
    globalSetup: ["test/global-setup.ts"],
  },
});
