// `npm test`: every check CI runs, in order, with one summary line at the end
// ("N passed, N failed", totals over all steps; a check step counts as one
// test, a vitest step counts its tests).
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { run, type StepResult } from "./steps.js";

const bin = (name: string) => `node_modules/.bin/${name}`;
const tsx = ["bin/run-ts.js"];

interface Step {
  name: string;
  /** Runs the step; resolves to its counts. */
  exec: () => Promise<Omit<StepResult, "name" | "seconds">>;
}

/** A command whose exit code is the verdict. */
function check(name: string, cmd: string, args: string[]): Step {
  return {
    name,
    exec: async () => ((await run(cmd, args)) === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 }),
  };
}

/** A vitest project, counted test by test from its JSON report. */
function vitest(name: string, project: string): Step {
  return {
    name,
    exec: async () => {
      mkdirSync(".tmp", { recursive: true });
      const out = `.tmp/vitest-${project}.json`;
      rmSync(out, { force: true });
      const code = await run(bin("vitest"), ["run", "--project", project, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`]);
      try {
        const report = JSON.parse(readFileSync(out, "utf8")) as { numPassedTests: number; numFailedTests: number; numTotalTests: number };
        // A run that exits non-zero with no failed test (a crash, an import error) still fails the step.
        const failed = report.numFailedTests + (code !== 0 && report.numFailedTests === 0 ? 1 : 0);
        if (report.numTotalTests === 0) return { passed: 0, failed: 1, note: "no test ran" };
        return { passed: report.numPassedTests, failed };
      } catch {
        return { passed: 0, failed: 1, note: `no report (exit ${code})` };
      }
    },
  };
}

/** The conformance runner (the main job) against the embedded reference server, counted from its JSON report. */
function conformance(name: string, args: string[]): Step {
  return {
    name,
    exec: async () => {
      mkdirSync(".tmp", { recursive: true });
      const out = ".tmp/conformance.json";
      rmSync(out, { force: true });
      const code = await run("node", ["bin/openroom.js", "conformance", "--report", `json=${out}`, ...args]);
      try {
        const report = JSON.parse(readFileSync(out, "utf8")) as { tests: { status: string; baseline?: string }[]; harnessErrors: string[] };
        const passed = report.tests.filter((t) => t.status === "passed").length;
        const failed = report.tests.filter((t) => t.status === "failed" && t.baseline !== "known-failure").length + report.harnessErrors.length;
        const skipped = report.tests.filter((t) => t.status === "skipped").length;
        return { passed, failed: failed + (code !== 0 && failed === 0 ? 1 : 0), ...(skipped ? { note: `${skipped} skipped` } : {}) };
      } catch {
        return { passed: 0, failed: 1, note: `no report (exit ${code})` };
      }
    },
  };
}

/** The suite's self-test: the reference must pass and every broken server of the zoo must be caught and blamed right. */
function selftest(name: string): Step {
  return {
    name,
    exec: async () => {
      const out = ".tmp/selftest-npm-test";
      rmSync(out, { recursive: true, force: true });
      const code = await run("node", [...tsx, "conformance/selftest/run.ts", "--out", out]);
      try {
        const summary = JSON.parse(readFileSync(`${out}/summary.json`, "utf8")) as {
          reference?: { ok: boolean };
          mutants: { runs: { outcome: string }[] }[];
        };
        const caught = summary.mutants.filter((m) => m.runs.every((r) => r.outcome === "caught")).length;
        const refOk = summary.reference?.ok ? 1 : 0;
        const failed = summary.mutants.length - caught + (summary.reference && !summary.reference.ok ? 1 : 0);
        return { passed: caught + refOk, failed: failed + (code !== 0 && failed === 0 ? 1 : 0), note: `${caught}/${summary.mutants.length} broken servers caught` };
      } catch {
        return { passed: 0, failed: 1, note: `no summary (exit ${code})` };
      }
    },
  };
}

const steps: Step[] = [
  check("typecheck", bin("tsc"), ["--noEmit"]),
  check("buf lint", bin("buf"), ["lint"]),
  check("buf format", bin("buf"), ["format", "--diff", "--exit-code"]),
  check("buf breaking", "node", [...tsx, "scripts/buf-breaking.ts"]),
  check("generated code fresh", "node", [...tsx, "scripts/check-generated.ts"]),
  vitest("unit tests", "unit"),
  conformance("conformance (reference server)", []),
  selftest("conformance self-test (bug zoo)"),
  check("spec traceability (strict)", "node", [...tsx, "spec/tools/check.ts", "--strict"]),
];

const results: StepResult[] = [];
for (const step of steps) {
  console.log(`\n── ${step.name} ${"─".repeat(Math.max(0, 60 - step.name.length))}`);
  const started = performance.now();
  const r = await step.exec();
  results.push({ name: step.name, seconds: (performance.now() - started) / 1000, ...r });
}

console.log("\n── summary " + "─".repeat(51));
for (const r of results) {
  const verdict = r.failed === 0 ? "ok  " : "FAIL";
  console.log(`${verdict}  ${r.name.padEnd(28)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(4)} failed  ${r.seconds.toFixed(1).padStart(6)} s${r.note ? `  (${r.note})` : ""}`);
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
