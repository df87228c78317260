// Requirement and citation parsing for the OpenRoom spec, and the
// traceability verdict. Pure functions over strings: the file system is the
// caller's business (see load.ts), so the conformance runner can reuse them.

/** A requirement's level; `withdrawn` marks a retired ID that stays reserved. */
export type Level = "MUST" | "SHOULD" | "MAY" | "withdrawn";

export const LEVELS: readonly Level[] = ["MUST", "SHOULD", "MAY", "withdrawn"];

/** One normative statement of the spec. */
export interface Requirement {
  id: string;
  level: Level;
  /** The spec file it is defined in, without `.md` (e.g. `switch`). */
  section: string;
  /** The statement, with Markdown as written. */
  text: string;
  /** The spec file, e.g. `switch.md`. */
  file: string;
  /** 1-based line of the requirement's list item. */
  line: number;
}

/** An ID cited by a conformance test. */
export interface Citation {
  id: string;
  file: string;
  line: number;
}

export type ProblemKind =
  | "malformed-requirement"
  | "duplicate-id"
  | "id-in-two-files"
  | "dangling-reference"
  | "unknown-citation"
  | "withdrawn-citation"
  | "uncited-must";

/** Something that makes the check fail. */
export interface Problem {
  kind: ProblemKind;
  message: string;
  file: string;
  line: number;
}

/** The ID grammar: upper-case words and digits joined by `-`, ending in `-<number>`. */
export const ID_PATTERN = "[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-[0-9]+";
const ID_RE = new RegExp(`^${ID_PATTERN}$`);

// A well-formed requirement line. The level is matched loosely here and judged
// separately, so that a bad level is reported as such rather than ignored.
const REQUIREMENT_RE = /^- \*\*([^*]+)\*\* \(([^)]*)\): (\S.*)$/;
// A list item that starts like a requirement: `- **` followed by something
// ID-shaped (upper case, with at least one hyphen). Plain bold list items such
// as `- **Server**: …` or `- **MUST**` do not look like IDs and are skipped.
const LOOKS_LIKE_REQUIREMENT_RE = /^- \*\*([A-Z][A-Z0-9]*(?:-[A-Za-z0-9]*)+)(?:\*\*|\s|$)/;
const FENCE_RE = /^\s*(```|~~~)/;

export interface ParsedSpec {
  requirements: Requirement[];
  problems: Problem[];
}

/**
 * Extracts every requirement from the spec's Markdown, keyed by section (file
 * name without `.md`). Reports malformed requirement lines, IDs defined twice
 * in one file, and IDs defined in two files. Fenced code blocks are skipped.
 * A requirement's text may continue on following indented lines.
 */
export function parseRequirements(markdownBySection: Readonly<Record<string, string>> | ReadonlyMap<string, string>): ParsedSpec {
  const entries = markdownBySection instanceof Map ? [...markdownBySection.entries()] : Object.entries(markdownBySection);
  const requirements: Requirement[] = [];
  const problems: Problem[] = [];
  const firstById = new Map<string, Requirement>();

  for (const [section, markdown] of entries) {
    const file = `${section}.md`;
    const lines = markdown.split(/\r?\n/);
    let inFence = false;
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i] ?? "";
      if (FENCE_RE.test(raw)) {
        inFence = !inFence;
        continue;
      }
      if (inFence || !LOOKS_LIKE_REQUIREMENT_RE.test(raw)) continue;
      const line = i + 1;
      const m = REQUIREMENT_RE.exec(raw);
      const reason = m ? judge(m[1] ?? "", m[2] ?? "") : "expected `- **ID** (LEVEL): text`";
      if (!m || reason) {
        problems.push({ kind: "malformed-requirement", message: `malformed requirement line (${reason}): ${raw.trim()}`, file, line });
        continue;
      }
      let text = (m[3] ?? "").trim();
      // Continuation lines: indented, non-blank, until a blank or unindented line.
      while (i + 1 < lines.length && /^\s{2,}\S/.test(lines[i + 1] ?? "") && !FENCE_RE.test(lines[i + 1] ?? "")) {
        i++;
        text += " " + (lines[i] ?? "").trim();
      }
      const req: Requirement = { id: m[1] ?? "", level: m[2] as Level, section, text, file, line };
      const first = firstById.get(req.id);
      if (first) {
        problems.push(
          first.file === file
            ? { kind: "duplicate-id", message: `${req.id} is defined twice in ${file} (lines ${first.line} and ${line})`, file, line }
            : { kind: "id-in-two-files", message: `${req.id} is defined in ${first.file}:${first.line} and in ${file}:${line}`, file, line },
        );
        continue;
      }
      firstById.set(req.id, req);
      requirements.push(req);
    }
  }
  return { requirements, problems };
}

/** Why an ID and level pair is not acceptable, or undefined when it is. */
function judge(id: string, level: string): string | undefined {
  if (!ID_RE.test(id)) return `bad ID "${id}": must match ${ID_PATTERN}`;
  if (!(LEVELS as readonly string[]).includes(level)) return `bad level "${level}": must be MUST, SHOULD, MAY or withdrawn`;
  return undefined;
}

/**
 * Extracts the requirement IDs a test file cites: every `[ID, ID2, …]` bracket
 * group whose items are all IDs. Brackets holding anything else (array
 * literals, index expressions) are not citations.
 */
export function parseCitations(source: string, file = "<source>"): Citation[] {
  const group = new RegExp(`\\[\\s*(${ID_PATTERN}(?:\\s*,\\s*${ID_PATTERN})*)\\s*,?\\s*\\]`, "g");
  const citations: Citation[] = [];
  const lineOf = lineIndex(source);
  for (const m of source.matchAll(group)) {
    const line = lineOf(m.index ?? 0);
    for (const id of (m[1] ?? "").split(",")) {
      citations.push({ id: id.trim(), file, line });
    }
  }
  return citations;
}

/**
 * IDs mentioned in the spec's prose that are not defined anywhere. Only tokens
 * whose first word is the first word of some defined ID count, so ordinary
 * words such as `UTF-8` are never mistaken for references.
 */
export function findDanglingReferences(markdownBySection: Readonly<Record<string, string>> | ReadonlyMap<string, string>, requirements: readonly Requirement[]): Problem[] {
  const entries = markdownBySection instanceof Map ? [...markdownBySection.entries()] : Object.entries(markdownBySection);
  const defined = new Set(requirements.map((r) => r.id));
  const prefixes = new Set(requirements.map((r) => r.id.split("-")[0]));
  const token = new RegExp(`(?<![A-Za-z0-9_-])${ID_PATTERN}(?![A-Za-z0-9_-])`, "g");
  const problems: Problem[] = [];
  for (const [section, markdown] of entries) {
    const file = `${section}.md`;
    const lineOf = lineIndex(markdown);
    for (const m of markdown.matchAll(token)) {
      const id = m[0];
      if (defined.has(id) || !prefixes.has(id.split("-")[0])) continue;
      problems.push({ kind: "dangling-reference", message: `${file} mentions ${id}, which no spec file defines`, file, line: lineOf(m.index ?? 0) });
    }
  }
  return problems;
}

/** Coverage of one spec section. */
export interface CoverageRow {
  section: string;
  counts: Record<Level, number>;
  /** Requirements (not withdrawn) cited by at least one test. */
  cited: number;
  citedMust: number;
  uncitedMust: string[];
}

export interface TraceReport {
  rows: CoverageRow[];
  total: CoverageRow;
  /** Every problem that fails the check (parse problems included). */
  problems: Problem[];
  /** MUST requirements no test cites (a problem only in strict mode). */
  uncitedMust: Requirement[];
  citationCount: number;
  citedFiles: number;
  strict: boolean;
  ok: boolean;
}

export interface TraceOptions {
  /** Fail on every MUST no test cites. */
  strict: boolean;
  /** Problems found earlier (parsing, dangling references) to include in the verdict. */
  problems?: readonly Problem[];
}

/** Joins requirements and citations into the coverage table and the verdict. */
export function checkTraceability(requirements: readonly Requirement[], citations: readonly Citation[], options: TraceOptions): TraceReport {
  const byId = new Map(requirements.map((r) => [r.id, r] as const));
  const problems: Problem[] = [...(options.problems ?? [])];
  const citedIds = new Set<string>();
  for (const c of citations) {
    const req = byId.get(c.id);
    if (!req) {
      problems.push({ kind: "unknown-citation", message: `${c.file}:${c.line} cites ${c.id}, which the spec does not define`, file: c.file, line: c.line });
    } else if (req.level === "withdrawn") {
      problems.push({ kind: "withdrawn-citation", message: `${c.file}:${c.line} cites ${c.id}, which is withdrawn`, file: c.file, line: c.line });
    } else {
      citedIds.add(c.id);
    }
  }

  const sections = [...new Set(requirements.map((r) => r.section))].sort();
  const rows = sections.map((section) => coverage(section, requirements.filter((r) => r.section === section), citedIds));
  const total = coverage("total", requirements, citedIds);
  const uncitedMust = requirements.filter((r) => r.level === "MUST" && !citedIds.has(r.id));
  if (options.strict) {
    for (const r of uncitedMust) {
      problems.push({ kind: "uncited-must", message: `${r.id} (${r.file}:${r.line}) is a MUST that no conformance test cites`, file: r.file, line: r.line });
    }
  }
  return {
    rows,
    total,
    problems,
    uncitedMust,
    citationCount: citations.length,
    citedFiles: new Set(citations.map((c) => c.file)).size,
    strict: options.strict,
    ok: problems.length === 0,
  };
}

function coverage(section: string, reqs: readonly Requirement[], citedIds: ReadonlySet<string>): CoverageRow {
  const counts: Record<Level, number> = { MUST: 0, SHOULD: 0, MAY: 0, withdrawn: 0 };
  let cited = 0;
  let citedMust = 0;
  const uncitedMust: string[] = [];
  for (const r of reqs) {
    counts[r.level]++;
    const isCited = citedIds.has(r.id);
    if (isCited) cited++;
    if (r.level === "MUST") {
      if (isCited) citedMust++;
      else uncitedMust.push(r.id);
    }
  }
  return { section, counts, cited, citedMust, uncitedMust };
}

/** The human-readable report: coverage table, uncited MUSTs, problems, verdict. */
export function formatReport(report: TraceReport): string {
  const out: string[] = [];
  const header = ["section", "MUST", "SHOULD", "MAY", "withdrawn", "total", "cited", "MUST cited"];
  const toCells = (r: CoverageRow): string[] => {
    const active = r.counts.MUST + r.counts.SHOULD + r.counts.MAY;
    return [r.section, String(r.counts.MUST), String(r.counts.SHOULD), String(r.counts.MAY), String(r.counts.withdrawn), String(active + r.counts.withdrawn), `${r.cited}/${active}`, `${r.citedMust}/${r.counts.MUST}`];
  };
  const body = report.rows.map(toCells);
  const totalCells = toCells(report.total);
  const widths = header.map((h, i) => Math.max(h.length, ...[...body, totalCells].map((c) => (c[i] ?? "").length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  out.push(`OpenRoom spec traceability: ${report.total.counts.MUST + report.total.counts.SHOULD + report.total.counts.MAY} requirements (${report.total.counts.withdrawn} withdrawn) in ${report.rows.length} sections; ${report.citationCount} citations in ${report.citedFiles} test files`);
  out.push("");
  out.push(fmt(header));
  out.push(widths.map((w) => "-".repeat(w)).join("  "));
  for (const cells of body) out.push(fmt(cells));
  out.push(widths.map((w) => "-".repeat(w)).join("  "));
  out.push(fmt(totalCells));

  if (report.uncitedMust.length > 0) {
    out.push("");
    out.push(`MUST requirements no conformance test cites (${report.uncitedMust.length}):`);
    for (const row of report.rows) {
      if (row.uncitedMust.length > 0) out.push(`  ${row.section}: ${row.uncitedMust.join(", ")}`);
    }
  }
  if (report.problems.length > 0) {
    out.push("");
    out.push(`Problems (${report.problems.length}):`);
    for (const p of report.problems) out.push(`  [${p.kind}] ${p.message}`);
  }
  out.push("");
  const mode = report.strict ? "strict: every MUST must be cited" : "report only: uncited MUSTs do not fail (use --strict or OPENROOM_SPEC_STRICT=1)";
  out.push(`mode: ${mode}`);
  out.push(report.ok ? "spec check: OK" : `spec check: FAILED (${report.problems.length} problems)`);
  return out.join("\n");
}

/** Maps a character offset of `text` to its 1-based line number. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
