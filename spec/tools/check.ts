// `npm run spec:check`: the traceability check between spec/ and the
// conformance suites. Prints the coverage table; exits 1 on a malformed or
// duplicate requirement, a reference to an undefined ID, a citation of an
// unknown or withdrawn ID, and — in strict mode — on any uncited MUST.
//
//   node bin/run-ts.js spec/tools/check.ts [--strict] [--json FILE] [--root DIR]
//
// Strict mode: `--strict` or OPENROOM_SPEC_STRICT=1 (see spec/README.md).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { loadCitations, loadSpecMarkdown } from "./load.js";
import { checkTraceability, findDanglingReferences, formatReport, parseRequirements, type TraceReport } from "./requirements.js";

export interface CheckOptions {
  /** Repository root: the spec is `ROOT/spec`, the suites `ROOT/conformance/suites`. */
  root: string;
  strict: boolean;
  /** Where to write the requirement list as JSON, if anywhere. */
  jsonOut?: string;
}

export interface CheckResult {
  exitCode: number;
  output: string;
  report: TraceReport;
}

/** Runs the whole check against a checkout; no process-level side effects besides the JSON file. */
export function runCheck(options: CheckOptions): CheckResult {
  const markdown = loadSpecMarkdown(join(options.root, "spec"));
  const parsed = parseRequirements(markdown);
  const dangling = findDanglingReferences(markdown, parsed.requirements);
  const { citations } = loadCitations(join(options.root, "conformance", "suites"), options.root);
  const report = checkTraceability(parsed.requirements, citations, { strict: options.strict, problems: [...parsed.problems, ...dangling] });
  if (options.jsonOut) {
    const list = parsed.requirements.map(({ id, level, section, text, file, line }) => ({ id, level, section, text, file: `spec/${file}`, line }));
    mkdirSync(dirname(resolve(options.jsonOut)), { recursive: true });
    writeFileSync(options.jsonOut, JSON.stringify(list, null, 2) + "\n");
  }
  return { exitCode: report.ok ? 0 : 1, output: formatReport(report), report };
}

const USAGE = `usage: node bin/run-ts.js spec/tools/check.ts [--strict] [--json FILE] [--root DIR]

  --strict     fail when a MUST requirement is cited by no conformance test
               (also enabled by OPENROOM_SPEC_STRICT=1)
  --json FILE  write the requirements (id, level, section, text, file, line) as JSON
  --root DIR   repository root to check (default: this checkout)`;

/** The CLI: parses arguments, prints the report, returns the exit code. */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  let values: { strict?: boolean; json?: string; root?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { strict: { type: "boolean" }, json: { type: "string" }, root: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const root = resolve(values.root ?? join(dirname(fileURLToPath(import.meta.url)), "..", ".."));
  const strict = values.strict === true || env.OPENROOM_SPEC_STRICT === "1";
  const result = runCheck({ root, strict, ...(values.json ? { jsonOut: values.json } : {}) });
  console.log(result.output);
  return result.exitCode;
}

// Run only as the entry point, so tests can import runCheck and main.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
