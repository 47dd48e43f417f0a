// The hardening suite (issue 11): faults of the CLIs, process hygiene, load, hostile input and data safety.
//   npm run test:hardening     (then scripts/reliability-report.ts renders docs/reliability.md from its figures)
// Files run one at a time: they start servers and hundreds of processes, and the machine has few cores.
// CLINVK_SOAK_SECONDS sets the soak's length (default 180).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/hardening/**/*.test.ts"],
    globalSetup: ["test/hardening/global-setup.ts"],
    environment: "node",
    pool: "forks",
    fileParallelism: false,
    maxWorkers: 1,
    sequence: { concurrent: false },
    testTimeout: 300_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    slowTestThreshold: 30_000,
    reporters: ["default", "json"],
    outputFile: { json: ".cache/hardening/vitest-results.json" },
  },
});
