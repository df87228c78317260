// The expected-failures baseline (lessons from Connect and MCP conformance):
// a reviewed text file of tests or requirement IDs known to fail. A listed
// test that passes is stale and fails the run; a pattern that matches no test
// is an error, so the file cannot rot silently.
import type { TestRecord } from "./results.js";

export interface BaselineEntry {
  /** The pattern as written: a requirement ID, or a test-name glob (`*` wildcard). */
  pattern: string;
  /** 1-based line in the file, for error messages. */
  line: number;
}

export class BaselineError extends Error {
  override readonly name = "BaselineError";
}

const REQUIREMENT_ID = /^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-[0-9]+$/;

/** Parses a baseline file: one pattern per line; `#` starts a comment; blank lines ignored. */
export function parseBaseline(text: string): BaselineEntry[] {
  const entries: BaselineEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const pattern = raw.replace(/#.*$/, "").trim();
    if (pattern !== "") entries.push({ pattern, line: i + 1 });
  });
  return entries;
}

function matcher(pattern: string): (t: TestRecord) => boolean {
  if (REQUIREMENT_ID.test(pattern)) return (t) => t.requirementIds.includes(pattern);
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return (t) => re.test(t.name) || re.test(`${t.suite} > ${t.name}`);
}

export interface BaselineVerdict {
  /** Tests with `baseline` set where the baseline applies. */
  tests: TestRecord[];
  /** Entries that matched no test at all (an error). */
  unmatched: BaselineEntry[];
  /** Tests listed as expected to fail that passed (fail the run). */
  stale: TestRecord[];
  /** Failures the baseline expected (reported, not counted). */
  known: TestRecord[];
}

/** Applies the baseline to the run's results. Skipped tests neither match staleness nor count as known. */
export function applyBaseline(entries: BaselineEntry[], tests: TestRecord[]): BaselineVerdict {
  const matchers = entries.map((e) => ({ entry: e, matches: matcher(e.pattern), hits: 0 }));
  const out = tests.map((t) => {
    const hit = matchers.filter((m) => m.matches(t));
    hit.forEach((m) => m.hits++);
    if (hit.length === 0 || t.status === "skipped") return t;
    return { ...t, baseline: t.status === "failed" ? ("known-failure" as const) : ("stale" as const) };
  });
  return {
    tests: out,
    unmatched: matchers.filter((m) => m.hits === 0).map((m) => m.entry),
    stale: out.filter((t) => t.baseline === "stale"),
    known: out.filter((t) => t.baseline === "known-failure"),
  };
}
