import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main, runCheck } from "./check.js";
import { loadSpecMarkdown } from "./load.js";
import { checkTraceability, findDanglingReferences, formatReport, parseCitations, parseRequirements, type Requirement } from "./requirements.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("parseRequirements", () => {
  it("extracts ID, level, section, text and line", () => {
    const md = ["# Title", "", "Some prose.", "", "- **SWITCH-ORDER-1** (MUST): The caller receives CONNECTED.", "- **SWITCH-ORDER-2** (SHOULD): Then the snapshot.", "- **X-9** (MAY): Optional."].join("\n");
    const { requirements, problems } = parseRequirements({ switch: md });
    expect(problems).toEqual([]);
    expect(requirements).toEqual([
      { id: "SWITCH-ORDER-1", level: "MUST", section: "switch", text: "The caller receives CONNECTED.", file: "switch.md", line: 5 },
      { id: "SWITCH-ORDER-2", level: "SHOULD", section: "switch", text: "Then the snapshot.", file: "switch.md", line: 6 },
      { id: "X-9", level: "MAY", section: "switch", text: "Optional.", file: "switch.md", line: 7 },
    ]);
  });

  it("accepts withdrawn requirements and keeps their level", () => {
    const { requirements, problems } = parseRequirements({ a: "- **A-1** (withdrawn): Replaced by A-2.\n- **A-2** (MUST): New rule." });
    expect(problems).toEqual([]);
    expect(requirements.map((r) => [r.id, r.level])).toEqual([
      ["A-1", "withdrawn"],
      ["A-2", "MUST"],
    ]);
  });

  it("joins indented continuation lines into the text", () => {
    const { requirements } = parseRequirements({ a: "- **A-1** (MUST): First part\n  second part.\n\n- **A-2** (MUST): Other." });
    expect(requirements[0]?.text).toBe("First part second part.");
    expect(requirements[1]?.text).toBe("Other.");
  });

  it("skips fenced code blocks and bold list items that are not IDs", () => {
    const md = ["```", "- **SWITCH-ORDER-1** (MUST): an example in a code block", "```", "- **Server**: a term", "- **MUST**, **REQUIRED**: keywords", "- **A-1** (MUST): Real."].join("\n");
    const { requirements, problems } = parseRequirements({ a: md });
    expect(problems).toEqual([]);
    expect(requirements.map((r) => r.id)).toEqual(["A-1"]);
  });

  it.each([
    ["a bad level", "- **A-1** (MUSTNT): x", /bad level "MUSTNT"/],
    ["a lower-case level", "- **A-1** (must): x", /bad level "must"/],
    ["an ID without a number", "- **SWITCH-ORDER** (MUST): x", /bad ID "SWITCH-ORDER"/],
    ["an ID with lower case", "- **SWITCH-order-1** (MUST): x", /bad ID "SWITCH-order-1"/],
    ["a missing colon", "- **A-1** (MUST) x", /expected/],
    ["a missing level", "- **A-1**: x", /expected/],
    ["empty text", "- **A-1** (MUST): ", /expected/],
  ])("reports %s as malformed", (_name, line, message) => {
    const { requirements, problems } = parseRequirements({ a: line });
    expect(requirements).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.kind).toBe("malformed-requirement");
    expect(problems[0]?.message).toMatch(message);
    expect(problems[0]?.line).toBe(1);
  });

  it("reports an ID defined twice in one file", () => {
    const { requirements, problems } = parseRequirements({ a: "- **A-1** (MUST): x\n- **A-1** (SHOULD): y" });
    expect(requirements).toHaveLength(1);
    expect(problems.map((p) => p.kind)).toEqual(["duplicate-id"]);
    expect(problems[0]?.message).toContain("lines 1 and 2");
  });

  it("reports an ID defined in two files", () => {
    const { problems } = parseRequirements(new Map([["a", "- **A-1** (MUST): x"], ["b", "text\n- **A-1** (MUST): x"]]));
    expect(problems.map((p) => [p.kind, p.file, p.line])).toEqual([["id-in-two-files", "b.md", 2]]);
  });
});

describe("parseCitations", () => {
  it("extracts every ID of every bracket group with its line", () => {
    const src = ['it("switch order [SWITCH-ORDER-1, SWITCH-ORDER-2]", () => {});', "", 'test("ping [PING-1]", f);'].join("\n");
    expect(parseCitations(src, "s.ts")).toEqual([
      { id: "SWITCH-ORDER-1", file: "s.ts", line: 1 },
      { id: "SWITCH-ORDER-2", file: "s.ts", line: 1 },
      { id: "PING-1", file: "s.ts", line: 3 },
    ]);
  });

  it("ignores brackets that are not citations", () => {
    const src = "const a = [1, 2]; x[0]; [MAX_COUNT]; [foo, BAR-1]; ['A-1']; [A-B]";
    expect(parseCitations(src)).toEqual([]);
  });
});

describe("findDanglingReferences", () => {
  it("reports references to undefined IDs with a known prefix only", () => {
    const md = { a: "- **A-1** (MUST): see A-2 and A-1, in UTF-8." };
    const { requirements } = parseRequirements(md);
    const problems = findDanglingReferences(md, requirements);
    expect(problems.map((p) => p.message)).toEqual(["a.md mentions A-2, which no spec file defines"]);
  });
});

describe("checkTraceability", () => {
  const reqs: Requirement[] = [
    { id: "A-1", level: "MUST", section: "a", text: "", file: "a.md", line: 1 },
    { id: "A-2", level: "MUST", section: "a", text: "", file: "a.md", line: 2 },
    { id: "A-3", level: "SHOULD", section: "a", text: "", file: "a.md", line: 3 },
    { id: "B-1", level: "withdrawn", section: "b", text: "", file: "b.md", line: 1 },
    { id: "B-2", level: "MAY", section: "b", text: "", file: "b.md", line: 2 },
  ];

  it("counts by section and level and lists uncited MUSTs without failing by default", () => {
    const report = checkTraceability(reqs, [{ id: "A-1", file: "t.ts", line: 1 }], { strict: false });
    expect(report.ok).toBe(true);
    expect(report.rows.map((r) => [r.section, r.counts, r.cited, r.citedMust])).toEqual([
      ["a", { MUST: 2, SHOULD: 1, MAY: 0, withdrawn: 0 }, 1, 1],
      ["b", { MUST: 0, SHOULD: 0, MAY: 1, withdrawn: 1 }, 0, 0],
    ]);
    expect(report.uncitedMust.map((r) => r.id)).toEqual(["A-2"]);
    expect(formatReport(report)).toContain("a: A-2");
  });

  it("fails on uncited MUSTs in strict mode, but not on uncited SHOULD or MAY", () => {
    const report = checkTraceability(reqs, [{ id: "A-1", file: "t.ts", line: 1 }], { strict: true });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.kind, p.message.split(" ")[0]])).toEqual([["uncited-must", "A-2"]]);
    const full = checkTraceability(reqs, ["A-1", "A-2"].map((id) => ({ id, file: "t.ts", line: 1 })), { strict: true });
    expect(full.ok).toBe(true);
  });

  it("fails on a citation of an unknown or withdrawn ID", () => {
    const report = checkTraceability(reqs, [{ id: "Z-1", file: "t.ts", line: 4 }, { id: "B-1", file: "t.ts", line: 5 }], { strict: false });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.kind, p.line])).toEqual([
      ["unknown-citation", 4],
      ["withdrawn-citation", 5],
    ]);
  });

  it("fails when given parse problems", () => {
    const report = checkTraceability(reqs, [], { strict: false, problems: [{ kind: "duplicate-id", message: "x", file: "a.md", line: 1 }] });
    expect(report.ok).toBe(false);
  });
});

describe("the CLI on a fixture checkout", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "openroom-spec-"));
    mkdirSync(join(root, "spec"));
    mkdirSync(join(root, "conformance", "suites", "rooms"), { recursive: true });
    writeFileSync(join(root, "spec", "rooms.md"), "# Rooms\n\n- **JOIN-1** (MUST): Join works.\n- **JOIN-2** (MUST): Join replies.\n- **JOIN-3** (SHOULD): Nice.\n");
    writeFileSync(join(root, "conformance", "suites", "rooms", "join.conformance.test.ts"), 'it("joins [JOIN-1]", () => {});\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("passes by default and reports the uncited MUST", () => {
    const result = runCheck({ root, strict: false });
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(/rooms\s+2\s+1\s+0\s+0\s+3\s+1\/3\s+1\/2/);
    expect(result.output).toContain("rooms: JOIN-2");
  });

  it("fails in strict mode, by flag or by environment", () => {
    expect(runCheck({ root, strict: true }).exitCode).toBe(1);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(main(["--root", root, "--strict"], {})).toBe(1);
      expect(main(["--root", root], { OPENROOM_SPEC_STRICT: "1" })).toBe(1);
      expect(main(["--root", root], {})).toBe(0);
    } finally {
      log.mockRestore();
    }
  });

  it("fails on a citation of an unknown ID", () => {
    writeFileSync(join(root, "conformance", "suites", "rooms", "bad.conformance.test.ts"), 'it("x [JOIN-9]", () => {});\n');
    const result = runCheck({ root, strict: false });
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain("conformance/suites/rooms/bad.conformance.test.ts:1 cites JOIN-9");
  });

  it("writes the requirement list as JSON", () => {
    const out = join(root, "out", "requirements.json");
    runCheck({ root, strict: false, jsonOut: out });
    const list = JSON.parse(readFileSync(out, "utf8")) as unknown[];
    expect(list).toEqual([
      { id: "JOIN-1", level: "MUST", section: "rooms", text: "Join works.", file: "spec/rooms.md", line: 3 },
      { id: "JOIN-2", level: "MUST", section: "rooms", text: "Join replies.", file: "spec/rooms.md", line: 4 },
      { id: "JOIN-3", level: "SHOULD", section: "rooms", text: "Nice.", file: "spec/rooms.md", line: 5 },
    ]);
  });

  it("rejects unknown options with exit code 2", () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      expect(main(["--bogus"], {})).toBe(2);
    } finally {
      err.mockRestore();
    }
  });
});

describe("the real spec", () => {
  it("parses with no problem and has at least 150 requirements", () => {
    const markdown = loadSpecMarkdown(join(repoRoot, "spec"));
    const { requirements, problems } = parseRequirements(markdown);
    expect(problems).toEqual([]);
    expect(findDanglingReferences(markdown, requirements)).toEqual([]);
    expect(requirements.length).toBeGreaterThanOrEqual(150);
    // Every prefix area named in the brief is present.
    const prefixes = new Set(requirements.map((r) => r.id.split("-")[0]));
    for (const p of ["FRAME", "LOGIN", "TOKEN", "CREATE", "JOIN", "ENTER", "SWITCH", "LEAVE", "LEAVEALL", "DESTROY", "MEMBERS", "RATTR", "MATTR", "MSG", "HISTORY", "EVENT", "SEQ", "LIMIT", "RATE", "ERROR", "CLOCK", "SEC"]) {
      expect(prefixes, p).toContain(p);
    }
  });
});
