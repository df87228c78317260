// A vitest reporter that turns test results into TestRecords (with the
// evidence suites attach as task meta) and prints progress as modules finish.
import type { Reporter, TestCase, TestModule } from "vitest/node";
import type { SerializedError } from "vitest";
import type { FailureEvidence, TestRecord } from "./results.js";
import { citedIds } from "./ids.js";

declare module "vitest" {
  interface TaskMeta {
    /** Set by a failing conformance check: what to blame and the evidence. */
    evidence?: FailureEvidence;
  }
}

export interface Collected {
  tests: TestRecord[];
  harnessErrors: string[];
}

/** Names a harness problem (cannot reach the target, token command failed…): never blamed on the server. */
export const HARNESS_ERROR_NAMES = new Set(["HarnessError"]);

function suitePath(t: TestCase): string {
  const names: string[] = [];
  for (let p: TestCase["parent"] | undefined = t.parent; p && p.type === "suite"; p = p.parent as TestCase["parent"]) names.unshift(p.name);
  return [t.module.relativeModuleId.replace(/^.*conformance\/suites\//, ""), ...names].join(" > ");
}

export function createCollector(write: (line: string) => void, verbose: boolean, startedAt = Date.now()): { reporter: Reporter; collected: Collected } {
  const collected: Collected = { tests: [], harnessErrors: [] };
  const reporter: Reporter = {
    onTestCaseResult(testCase: TestCase) {
      const r = testCase.result();
      if (r.state === "pending") return;
      const errors = r.state === "failed" ? r.errors : [];
      const harness = errors.find((e) => HARNESS_ERROR_NAMES.has(e.name ?? ""));
      const record: TestRecord = {
        name: testCase.name,
        suite: suitePath(testCase),
        requirementIds: citedIds(testCase.name),
        status: r.state,
        durationMs: testCase.diagnostic()?.duration ?? 0,
        finishedAtMs: Date.now() - startedAt,
      };
      if (r.state === "skipped") {
        // A test the filter (--grep) left out was not run at all: not part of the verdict.
        // Every skip a suite decides carries its reason (ctx.skip(reason)).
        if (r.note === undefined) return;
        record.skipReason = r.note;
      }
      if (r.state === "failed") {
        record.message = errors.map((e) => e.message).join("\n");
        const evidence = testCase.meta().evidence;
        if (evidence) record.evidence = evidence;
      }
      if (harness) {
        collected.harnessErrors.push(`${record.suite} > ${record.name}: ${harness.message}`);
        return;
      }
      collected.tests.push(record);
      if (verbose || r.state === "failed") {
        const mark = r.state === "passed" ? "✓" : r.state === "failed" ? "✗" : "-";
        write(`  ${mark} ${record.suite} > ${record.name}${record.skipReason ? ` (skipped: ${record.skipReason})` : ""}`);
      }
    },
    onTestModuleEnd(module: TestModule) {
      const tests = [...module.children.allTests()].filter((t) => {
        const r = t.result();
        return r.state !== "skipped" || r.note !== undefined;
      });
      if (tests.length === 0 && module.errors().length === 0) return;
      const count = (s: string) => tests.filter((t) => t.result().state === s).length;
      const name = module.relativeModuleId.replace(/^.*conformance\/suites\//, "");
      const seconds = ((module.diagnostic().duration ?? 0) / 1000).toFixed(1);
      write(`${count("failed") ? "✗" : "✓"} ${name.padEnd(44)} ${String(count("passed")).padStart(4)} passed ${String(count("failed")).padStart(3)} failed ${String(count("skipped")).padStart(3)} skipped  ${seconds.padStart(5)} s`);
      for (const e of module.errors()) collected.harnessErrors.push(`${name}: ${e.message}`);
    },
    onTestRunEnd(_modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>) {
      for (const e of unhandled) collected.harnessErrors.push(`unhandled error: ${e.message}`);
    },
  };
  return { reporter, collected };
}
