import { defineConfig } from "vitest/config";

// Two projects: `unit` (fast, beside the code) and `conformance` (the suite
// against a live server). `npm test` runs them as separate steps.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["protocol/**/*.test.ts", "reference/**/*.test.ts", "conformance/**/*.test.ts", "cli/**/*.test.ts", "spec/tools/**/*.test.ts", "examples/**/*.test.ts"],
          exclude: ["conformance/suites/**", "**/node_modules/**"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "conformance",
          include: ["conformance/suites/**/*.conformance.test.ts"],
          globalSetup: ["conformance/runner/global-setup.ts"],
          // Property runs are long; each test sets its own budget from the target's timeout multiplier.
          testTimeout: 120_000,
          hookTimeout: 30_000,
          // Suite files share one module graph per worker: no file keeps
          // state of its own in shared modules (the ServerInfo cache is per
          // worker by design; locks are between processes), and a --grep run
          // no longer pays for evaluating every module again for each of the
          // 16 files (a one-requirement run: 5.5 s → 2.7 s).
          isolate: false,
        },
      },
    ],
  },
});
