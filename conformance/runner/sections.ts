// Per-section verdicts: a requirement passes when every test citing it
// passed, fails when one failed (known failures excepted), and is skipped
// when all its tests were skipped.
import type { RunRecord, TestRecord } from "./results.js";

/** A requirement as extracted from spec/ (see spec/tools). */
export interface RequirementRef {
  id: string;
  level: string;
  section: string;
  text: string;
}

export type RequirementVerdict = "passed" | "failed" | "known-failure" | "skipped" | "untested";

export interface SectionRow {
  section: string;
  passed: number;
  failed: number;
  knownFailures: number;
  skipped: number;
  untested: number;
}

/** The verdict of each requirement, from the tests that cite it. */
export function requirementVerdicts(requirements: RequirementRef[], tests: TestRecord[]): Map<string, RequirementVerdict> {
  const citing = new Map<string, TestRecord[]>();
  for (const t of tests) for (const id of t.requirementIds) citing.set(id, [...(citing.get(id) ?? []), t]);
  const out = new Map<string, RequirementVerdict>();
  for (const r of requirements) {
    const ts = citing.get(r.id) ?? [];
    // A failure is blamed on the IDs its evidence names (all cited IDs when it names none).
    const blamed = ts.filter((t) => t.status === "failed" && (t.evidence?.requirementIds.length ? t.evidence.requirementIds.includes(r.id) : true));
    if (blamed.some((t) => t.baseline !== "known-failure")) out.set(r.id, "failed");
    else if (blamed.length > 0) out.set(r.id, "known-failure");
    else if (ts.length === 0) out.set(r.id, "untested");
    else if (ts.every((t) => t.status === "skipped")) out.set(r.id, "skipped");
    else out.set(r.id, "passed");
  }
  return out;
}

/** One row per spec section, in the order sections first appear. */
export function sectionTable(requirements: RequirementRef[], run: RunRecord): SectionRow[] {
  const verdicts = requirementVerdicts(requirements, run.tests);
  const rows = new Map<string, SectionRow>();
  for (const r of requirements) {
    const row = rows.get(r.section) ?? { section: r.section, passed: 0, failed: 0, knownFailures: 0, skipped: 0, untested: 0 };
    rows.set(r.section, row);
    const v = verdicts.get(r.id);
    if (v === "passed") row.passed++;
    else if (v === "failed") row.failed++;
    else if (v === "known-failure") row.knownFailures++;
    else if (v === "skipped") row.skipped++;
    else row.untested++;
  }
  return [...rows.values()];
}

/** Renders rows as a fixed-width text table. */
export function renderSectionTable(rows: SectionRow[]): string {
  const head = ["section", "passed", "failed", "known", "skipped", "untested"];
  const body = rows.map((r) => [r.section, r.passed, r.failed, r.knownFailures, r.skipped, r.untested].map(String));
  const total = ["total", ...[1, 2, 3, 4, 5].map((i) => String(body.reduce((n, row) => n + Number(row[i]), 0)))];
  const all = [head, ...body, total];
  const widths = head.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  return [line(head), rule, ...body.map(line), rule, line(total)].join("\n");
}
