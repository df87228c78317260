import { describe, expect, it } from "vitest";
import { applyBaseline, parseBaseline } from "./baseline.js";
import type { TestRecord } from "./results.js";

const t = (name: string, status: TestRecord["status"], ids: string[] = []): TestRecord => ({
  name,
  suite: "rooms.conformance.test.ts > switch",
  requirementIds: ids,
  status,
  durationMs: 1,
});

describe("baseline", () => {
  it("parses patterns, comments and blank lines with line numbers", () => {
    expect(parseBaseline("# known\nSWITCH-ORDER-1\n\n  cap * # trailing\n")).toEqual([
      { pattern: "SWITCH-ORDER-1", line: 2 },
      { pattern: "cap *", line: 4 },
    ]);
  });

  it("marks an expected failure as known, by requirement ID or by name glob", () => {
    const v = applyBaseline(parseBaseline("SWITCH-ORDER-1\ncap refuses*"), [
      t("order [SWITCH-ORDER-1]", "failed", ["SWITCH-ORDER-1"]),
      t("cap refuses the 6th room", "failed"),
      t("other", "failed"),
    ]);
    expect(v.known.map((x) => x.name)).toEqual(["order [SWITCH-ORDER-1]", "cap refuses the 6th room"]);
    expect(v.stale).toEqual([]);
    expect(v.unmatched).toEqual([]);
    expect(v.tests[2]!.baseline).toBeUndefined();
  });

  it("reports a listed test that passes as stale", () => {
    const v = applyBaseline(parseBaseline("SWITCH-ORDER-1"), [t("order [SWITCH-ORDER-1]", "passed", ["SWITCH-ORDER-1"])]);
    expect(v.stale.map((x) => x.name)).toEqual(["order [SWITCH-ORDER-1]"]);
  });

  it("reports a pattern that matches no test", () => {
    const v = applyBaseline(parseBaseline("NOPE-1\nno such test*"), [t("x", "failed", ["SWITCH-ORDER-1"])]);
    expect(v.unmatched.map((e) => e.pattern)).toEqual(["NOPE-1", "no such test*"]);
  });

  it("does not treat a requirement ID as a prefix or a glob", () => {
    const v = applyBaseline(parseBaseline("SWITCH-ORDER-1"), [t("x [SWITCH-ORDER-12]", "failed", ["SWITCH-ORDER-12"])]);
    expect(v.known).toEqual([]);
    expect(v.unmatched).toHaveLength(1);
  });

  it("leaves skipped tests alone but counts them as matched", () => {
    const v = applyBaseline(parseBaseline("SWITCH-ORDER-1"), [t("x", "skipped", ["SWITCH-ORDER-1"])]);
    expect(v.stale).toEqual([]);
    expect(v.known).toEqual([]);
    expect(v.unmatched).toEqual([]);
  });
});
