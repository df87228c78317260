import { describe, expect, it } from "vitest";
import { htmlReport, junitReport, jsonReport } from "./reports.js";
import type { RunRecord, TestRecord } from "./results.js";
import { renderSectionTable, requirementVerdicts, sectionTable, type RequirementRef } from "./sections.js";

const reqs: RequirementRef[] = [
  { id: "SWITCH-ORDER-1", level: "MUST", section: "switch", text: "The caller receives CONNECTING first." },
  { id: "SWITCH-ORDER-2", level: "MUST", section: "switch", text: "Then CONNECTED." },
  { id: "CREATE-1", level: "MUST", section: "create", text: "Creates the room." },
  { id: "CREATE-2", level: "MAY", section: "create", text: "Untested." },
];

const test = (over: Partial<TestRecord>): TestRecord => ({ name: "t", suite: "s", requirementIds: [], status: "passed", durationMs: 5, ...over });

const run: RunRecord = {
  target: "ws://127.0.0.1:1",
  encoding: "binary",
  startedAt: "2026-11-22T00:00:00.000Z",
  durationMs: 1234,
  harnessErrors: [],
  tests: [
    test({
      name: "order <&> [SWITCH-ORDER-1, SWITCH-ORDER-2]",
      requirementIds: ["SWITCH-ORDER-1", "SWITCH-ORDER-2"],
      status: "failed",
      message: "events differ",
      evidence: { requirementIds: ["SWITCH-ORDER-2"], trace: ["alice: switchRoom(r1 → r2) → ok"], expected: "A", observed: "B", replay: "npx openroom conformance --seed 1" },
    }),
    test({ name: "create [CREATE-1]", requirementIds: ["CREATE-1"] }),
    test({ name: "history [CREATE-1]", requirementIds: ["CREATE-1"], status: "skipped", skipReason: "FEATURE_MESSAGE_HISTORY not advertised" }),
  ],
};

describe("requirement verdicts", () => {
  it("blames a failure on the IDs its evidence names, and passes the others", () => {
    const v = requirementVerdicts(reqs, run.tests);
    expect(v.get("SWITCH-ORDER-2")).toBe("failed");
    expect(v.get("SWITCH-ORDER-1")).toBe("passed");
    expect(v.get("CREATE-1")).toBe("passed");
    expect(v.get("CREATE-2")).toBe("untested");
  });

  it("counts a baseline-known failure separately", () => {
    const tests = run.tests.map((t) => (t.status === "failed" ? { ...t, baseline: "known-failure" as const } : t));
    expect(requirementVerdicts(reqs, tests).get("SWITCH-ORDER-2")).toBe("known-failure");
  });

  it("renders a table with totals", () => {
    const table = renderSectionTable(sectionTable(reqs, run));
    expect(table).toMatch(/switch\s+1\s+1\s+0\s+0\s+0/);
    expect(table).toMatch(/create\s+1\s+0\s+0\s+0\s+1/);
    expect(table).toMatch(/total\s+2\s+1\s+0\s+0\s+1/);
  });
});

describe("reports", () => {
  it("JUnit escapes names and carries the requirement sentence, trace and replay command", () => {
    const x = junitReport(run, reqs);
    expect(x).toContain('name="order &lt;&amp;&gt; [SWITCH-ORDER-1, SWITCH-ORDER-2]"');
    expect(x).toContain("SWITCH-ORDER-2: Then CONNECTED.");
    expect(x).toContain("alice: switchRoom(r1 → r2) → ok");
    expect(x).toContain("replay: npx openroom conformance --seed 1");
    expect(x).toContain('<skipped message="FEATURE_MESSAGE_HISTORY not advertised"/>');
    expect(x).toMatch(/<testsuites [^>]*tests="3" failures="1"/);
    // Balanced elements: every opened testcase is closed.
    expect(x.match(/<testcase /g)!.length).toBe(x.match(/<\/testcase>/g)!.length);
  });

  it("JSON carries the whole run and the section rows", () => {
    const j = JSON.parse(jsonReport(run, sectionTable(reqs, run)));
    expect(j.tests).toHaveLength(3);
    expect(j.sections.map((s: { section: string }) => s.section)).toEqual(["switch", "create"]);
  });

  it("HTML shows failures with the quoted requirement and the wire log", () => {
    const withLog = { ...run, tests: run.tests.map((t) => (t.evidence ? { ...t, evidence: { ...t.evidence, wireLogFile: "w.log" } } : t)) };
    const h = htmlReport(withLog, sectionTable(reqs, run), reqs, new Map([["w.log", "+0.1ms alice → {\"ping\":{}}"]]));
    expect(h).toContain("<b>SWITCH-ORDER-2</b> Then CONNECTED.");
    expect(h).toContain("order &lt;&amp;&gt;");
    expect(h).toContain("alice → {&quot;ping&quot;:{}}");
    expect(h).toContain("FEATURE_MESSAGE_HISTORY not advertised");
  });
});
