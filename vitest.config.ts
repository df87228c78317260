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
        },
      },
    ],
  },
});
