// The self-test's verdicts from a runner's exit code and JSON report.
import { describe, expect, it } from "vitest";
import type { RunRecord, TestRecord } from "../runner/results.js";
import { blamedIds, judgeMutant, judgeReference, medianAndMax, renderTable, type RunResult } from "./judge.js";

function test(name: string, status: TestRecord["status"], extra: Partial<TestRecord> = {}): TestRecord {
  const ids = /\[([^\]]*)\]$/.exec(name)?.[1]?.split(", ") ?? [];
  return { name, suite: "rooms.conformance.test.ts > rooms > binary", requirementIds: ids, status, durationMs: 1, ...extra };
}

function run(exitCode: number | null, tests: TestRecord[], extra: Partial<RunResult> = {}, harnessErrors: string[] = []): RunResult {
  const report: RunRecord = { target: "ws://127.0.0.1:1", encoding: "binary", startedAt: "", durationMs: 1000, tests, harnessErrors };
  return { exitCode, report, wallMs: 1000, logFile: "x.log", timedOut: false, ...extra };
}

describe("judgeMutant", () => {
  it("is caught when the run exits 1 and a failure cites the requirement; the first failure time is the earliest failed test", () => {
    const v = judgeMutant("JOIN-CHECK-2", run(1, [test("a [JOIN-CHECK-1]", "failed", { finishedAtMs: 900 }), test("b [JOIN-CHECK-2, JOIN-CHECK-3]", "failed", { finishedAtMs: 1200 }), test("c [JOIN-CHECK-2]", "passed")]));
    expect(v.outcome).toBe("caught");
    expect(v.catchers).toEqual(["rooms.conformance.test.ts > rooms > binary > b [JOIN-CHECK-2, JOIN-CHECK-3]"]);
    expect(v.blamed).toEqual(["JOIN-CHECK-1", "JOIN-CHECK-2", "JOIN-CHECK-3"]);
    expect(v.firstFailureMs).toBe(900);
  });

  it("blames a failure on its evidence's IDs when it names some, else on every cited ID", () => {
    const narrowed = test("t [SEQ-2, SEQ-3]", "failed", { evidence: { requirementIds: ["SEQ-3"], trace: [] } });
    expect(blamedIds(narrowed)).toEqual(["SEQ-3"]);
    expect(judgeMutant("SEQ-2", run(1, [narrowed])).outcome).toBe("wrong-blame");
    expect(judgeMutant("SEQ-3", run(1, [narrowed])).outcome).toBe("caught");
    expect(blamedIds(test("t [SEQ-2, SEQ-3]", "failed", { evidence: { requirementIds: [], trace: [] } }))).toEqual(["SEQ-2", "SEQ-3"]);
  });

  it("passes when the run exits 0, even if the requirement is cited", () => {
    expect(judgeMutant("PING-1", run(0, [test("p [PING-1]", "passed")])).outcome).toBe("passed");
  });

  it("is untested when no test ran", () => {
    expect(judgeMutant("PING-1", run(2, [])).outcome).toBe("untested");
  });

  it("ignores failures the baseline expects", () => {
    expect(judgeMutant("PING-1", run(1, [test("p [PING-1]", "failed", { baseline: "known-failure" }), test("q [PING-2]", "failed")])).outcome).toBe("wrong-blame");
  });

  it("is an error on a timeout, a missing report, a harness error without a catch, or another exit code", () => {
    expect(judgeMutant("PING-1", run(null, [], { timedOut: true })).outcome).toBe("error");
    expect(judgeMutant("PING-1", { ...run(2, []), report: undefined }).outcome).toBe("error");
    expect(judgeMutant("PING-1", run(2, [test("q [PING-2]", "failed")], {}, ["cannot connect"])).outcome).toBe("error");
    expect(judgeMutant("PING-1", run(2, [test("p [PING-1]", "failed")])).outcome).toBe("error");
  });
});

describe("judgeReference", () => {
  it("passes only with exit 0 and no counted failure", () => {
    expect(judgeReference(run(0, [test("a [X-1]", "passed"), test("b [X-2]", "skipped")])).ok).toBe(true);
    const failed = judgeReference(run(1, [test("a [X-1]", "failed")]));
    expect(failed.ok).toBe(false);
    expect(failed.failures).toEqual(["rooms.conformance.test.ts > rooms > binary > a [X-1]"]);
    expect(judgeReference(run(2, [], {}, ["boom"])).failures).toEqual(["harness: boom"]);
  });
});

describe("medianAndMax and renderTable", () => {
  it("computes the median of odd and even counts", () => {
    expect(medianAndMax([])).toBeUndefined();
    expect(medianAndMax([5, 1, 3])).toEqual({ median: 3, max: 5 });
    expect(medianAndMax([4, 1, 3, 2])).toEqual({ median: 2.5, max: 4 });
  });

  it("pads every column but the last", () => {
    expect(renderTable(["a", "bb"], [["xyz", "1"]])).toBe("a    bb\n───  ──\nxyz  1");
  });
});
