// Judging one conformance run from its exit code and JSON report (the
// runner's RunRecord), and rendering the self-test's table. Pure functions.
import type { RunRecord, TestRecord } from "../runner/results.js";

/** Exit codes of `openroom conformance` (runner/run.ts). */
const EXIT_FAILURES = 1;

export interface RunResult {
  exitCode: number | null;
  /** The parsed JSON report, if the run wrote one. */
  report: RunRecord | undefined;
  /** Wall time of the child run, ms. */
  wallMs: number;
  /** The child's output file, for the reader of a surprising verdict. */
  logFile: string;
  timedOut: boolean;
}

export type Outcome =
  /** Exit 1 and a failure blamed on the requirement. */
  | "caught"
  /** Exit 0: the suite passed the broken server. */
  | "passed"
  /** Exit 1, but no failure names the requirement. */
  | "wrong-blame"
  /** No test ran (nothing matches the grep: no test cites the requirement). */
  | "untested"
  /** Harness or usage error, timeout, or no report. */
  | "error";

export interface MutantVerdict {
  outcome: Outcome;
  /** Failed tests blaming the requirement (suite > name). */
  catchers: string[];
  /** Every requirement the failures were blamed on. */
  blamed: string[];
  /** `finishedAtMs` of the first failed test, ms since the run started. */
  firstFailureMs: number | undefined;
  /** How many tests failed (the mutant's collateral, in a run of the whole suite). */
  failedTests: number;
  detail: string;
}

/** What a failure is blamed on: its evidence's IDs when it names some, else every ID the test cites. */
export function blamedIds(t: TestRecord): string[] {
  return t.evidence && t.evidence.requirementIds.length > 0 ? t.evidence.requirementIds : t.requirementIds;
}

function counted(t: TestRecord): boolean {
  return t.status === "failed" && t.baseline !== "known-failure";
}

function firstFailure(tests: TestRecord[]): number | undefined {
  const times = tests.filter(counted).map((t) => t.finishedAtMs ?? Number.POSITIVE_INFINITY);
  const first = Math.min(...times);
  return Number.isFinite(first) ? first : undefined;
}

export function judgeMutant(requirement: string, run: RunResult): MutantVerdict {
  const report = run.report;
  const none = { catchers: [], blamed: [], firstFailureMs: undefined, failedTests: 0 };
  if (run.timedOut) return { outcome: "error", ...none, detail: `timed out (log: ${run.logFile})` };
  if (report === undefined) return { outcome: "error", ...none, detail: `no report, exit ${run.exitCode} (log: ${run.logFile})` };
  if (report.tests.length === 0) return { outcome: "untested", ...none, detail: "no test ran: no test title cites the requirement (or matches the grep)" };
  const failed = report.tests.filter(counted);
  const blamed = [...new Set(failed.flatMap(blamedIds))].sort();
  const catchers = [...new Set(failed.filter((t) => blamedIds(t).includes(requirement)).map((t) => `${t.suite} > ${t.name}`))];
  const found = { catchers, blamed, firstFailureMs: firstFailure(report.tests), failedTests: failed.length };
  if (report.harnessErrors.length > 0 && catchers.length === 0) {
    return { outcome: "error", ...found, detail: `harness error: ${report.harnessErrors[0]?.split("\n")[0] ?? ""}` };
  }
  if (run.exitCode === 0) return { outcome: "passed", ...found, detail: `${report.tests.length} tests ran and passed` };
  if (run.exitCode === EXIT_FAILURES && catchers.length > 0) return { outcome: "caught", ...found, detail: "" };
  if (run.exitCode === EXIT_FAILURES) return { outcome: "wrong-blame", ...found, detail: `failures blamed on ${blamed.join(", ")}` };
  return { outcome: "error", ...found, detail: `exit ${run.exitCode} (log: ${run.logFile})` };
}

export interface ReferenceVerdict {
  ok: boolean;
  detail: string;
  failures: string[];
}

export function judgeReference(run: RunResult): ReferenceVerdict {
  const report = run.report;
  if (run.timedOut) return { ok: false, detail: `timed out (log: ${run.logFile})`, failures: [] };
  if (report === undefined) return { ok: false, detail: `no report, exit ${run.exitCode} (log: ${run.logFile})`, failures: [] };
  const failures = report.tests.filter(counted).map((t) => `${t.suite} > ${t.name}`);
  const passed = report.tests.filter((t) => t.status === "passed").length;
  const skipped = report.tests.filter((t) => t.status === "skipped").length;
  const summary = `${passed} passed, ${failures.length} failed, ${skipped} skipped, ${report.harnessErrors.length} harness errors in ${(report.durationMs / 1000).toFixed(1)} s`;
  return { ok: run.exitCode === 0 && failures.length === 0, detail: summary, failures: [...failures, ...report.harnessErrors.map((e) => `harness: ${e.split("\n")[0]}`)] };
}

/** Median and maximum of some numbers (undefined when there are none). */
export function medianAndMax(values: number[]): { median: number; max: number } | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, max: sorted[sorted.length - 1]! };
}

/** A fixed-width text table; the last column is left unpadded. */
export function renderTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(head), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
