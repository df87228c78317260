// One conformance run: resolve the target (a URL, or the embedded reference
// server), run the suites through vitest with the collecting reporter, apply
// the expected-failures baseline, print the verdict and write reports.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startVitest } from "vitest/node";
import { applyBaseline, parseBaseline } from "./baseline.js";
import { createCollector } from "./collector.js";
import { loadRequirements } from "./requirements.js";
import { htmlReport, jsonReport, junitReport } from "./reports.js";
import type { RunRecord, TestRecord } from "./results.js";
import { renderSectionTable, sectionTable } from "./sections.js";
import { EMBEDDED_CONSTRAINED_DESCRIPTION, embeddedDisposableCommand, startEmbedded } from "./embedded.js";
import { TARGET_ENV, type EncodingChoice, type TargetSpec } from "./target.js";

export const EXIT = { conformant: 0, failures: 1, usage: 2 } as const;

/** Suite files in flight at once. */
const CONFORMANCE_WORKERS = 4;

/**
 * The smoke run (--quick): the broad randomized suites — every operation in
 * lockstep with the model, the races — the transport and bad-input suites
 * and switchRoom, with a tenth of the property runs. The other per-section
 * suites run in full runs only.
 */
export const QUICK_SUITES = ["model-based", "concurrency", "robustness", "transport", "switch"];

export type ReportKind = "json" | "junit" | "html";

export interface RunOptions {
  url?: string;
  constrainedUrl?: string;
  disposableCommand?: string;
  tokenSecret?: string;
  tokenCommand?: string;
  grep: string[];
  runs: number;
  seed?: number;
  path?: string;
  timeoutMultiplier: number;
  encoding: EncodingChoice | "both";
  expectedFailures?: string;
  reports: { kind: ReportKind; file: string }[];
  quick: boolean;
  wireLogDir: string;
  verbose: boolean;
}

/** A problem with how the run was asked for, not with the server: exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The replay command's prefix: the options that pick the same target and tests. */
function replayBase(o: RunOptions): string {
  const q = (s: string) => (/^[\w./:@=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);
  const parts = ["npx openroom conformance"];
  if (o.url) parts.push(`--url ${q(o.url)}`);
  if (o.constrainedUrl) parts.push(`--constrained-url ${q(o.constrainedUrl)}`);
  if (o.disposableCommand) parts.push(`--disposable-command ${q(o.disposableCommand)}`);
  if (o.tokenSecret && o.url) parts.push("--token-secret \"$OPENROOM_TOKEN_SECRET\"");
  if (o.tokenCommand) parts.push(`--token-command ${q(o.tokenCommand)}`);
  if (o.encoding !== "both") parts.push(`--encoding ${o.encoding}`);
  if (o.timeoutMultiplier !== 1) parts.push(`--timeout-multiplier ${o.timeoutMultiplier}`);
  return parts.join(" ");
}

export async function runConformance(o: RunOptions, write: (line: string) => void): Promise<number> {
  if (o.url !== undefined && o.tokenSecret === undefined && o.tokenCommand === undefined) {
    throw new UsageError("--url needs --token-secret S (the server's HS256 secret) or --token-command 'cmd {user}'");
  }
  if (o.path !== undefined && o.seed === undefined) throw new UsageError("--path needs the --seed it was printed with");
  if (o.expectedFailures !== undefined && !existsSync(o.expectedFailures)) throw new UsageError(`--expected-failures: no such file ${o.expectedFailures}`);
  const baseline = o.expectedFailures ? parseBaseline(readFileSync(o.expectedFailures, "utf8")) : [];
  const requirements = loadRequirements(root);

  if (o.constrainedUrl !== undefined && o.url === undefined) throw new UsageError("--constrained-url goes with --url (without --url both servers are embedded)");
  const embedded: { url: string; close(): Promise<void> }[] = [];
  let tokenSecret = o.tokenSecret;
  let constrainedUrl = o.constrainedUrl;
  if (o.url === undefined) {
    tokenSecret = randomBytes(24).toString("base64url");
    const servers = await startEmbedded(tokenSecret);
    embedded.push(servers.main, servers.constrained);
    constrainedUrl = servers.constrained.url;
    write(`embedded reference server at ${servers.main.url} (test clock on); constrained one at ${constrainedUrl} (${EMBEDDED_CONSTRAINED_DESCRIPTION})`);
  }
  const url = o.url ?? embedded[0]!.url;
  const target: TargetSpec = {
    url,
    encodings: o.encoding === "both" ? ["binary", "json"] : [o.encoding],
    runs: o.runs,
    timeoutMultiplier: o.timeoutMultiplier,
    quick: o.quick,
    wireLogDir: resolve(o.wireLogDir),
    replayBase: replayBase(o),
    embedded: embedded.length > 0,
    ...(constrainedUrl !== undefined ? { constrained: { url: constrainedUrl } } : {}),
    ...(o.disposableCommand !== undefined || embedded.length > 0 ? { disposable: { command: o.disposableCommand ?? embeddedDisposableCommand() } } : {}),
    ...(tokenSecret !== undefined ? { tokenSecret } : {}),
    ...(o.tokenCommand !== undefined ? { tokenCommand: o.tokenCommand } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.path !== undefined ? { path: o.path } : {}),
  };
  write(`judging ${url} · encodings ${target.encodings.join(", ")} · ${o.quick ? "quick" : `${o.runs} runs per property`}${o.seed !== undefined ? ` · seed ${o.seed}` : ""}`);

  const started = Date.now();
  const { reporter, collected } = createCollector(write, o.verbose, started);
  process.env[TARGET_ENV] = JSON.stringify(target);
  try {
    const vitest = await startVitest("test", o.quick ? QUICK_SUITES.map((f) => `conformance/suites/${f}.conformance.test.ts`) : [], {
      root,
      config: resolve(root, "vitest.config.ts"),
      project: "conformance",
      // Suites mostly wait on round trips to the target, not on the CPU: more
      // files in flight than cores keeps the target busy.
      maxWorkers: CONFORMANCE_WORKERS,
      run: true,
      watch: false,
      reporters: [reporter],
      ...(o.grep.length ? { testNamePattern: new RegExp(o.grep.map(escapeRegExp).join("|")) } : {}),
    });
    await vitest.close();
  } finally {
    delete process.env[TARGET_ENV];
    await Promise.all(embedded.map((e) => e.close()));
  }

  const verdict = applyBaseline(baseline, collected.tests);
  const run: RunRecord = {
    target: url,
    encoding: target.encodings.join("+"),
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    tests: verdict.tests,
    harnessErrors: collected.harnessErrors,
  };
  const sections = sectionTable(requirements, run);
  const failures = run.tests.filter((t) => t.status === "failed" && t.baseline !== "known-failure");
  const byId = new Map(requirements.map((r) => [r.id, r.text]));

  write("");
  write(renderSectionTable(sections));
  for (const t of failures) write(renderFailure(t, byId));
  const skipped = run.tests.filter((t) => t.status === "skipped");
  if (skipped.length) {
    write(`\nskipped (${skipped.length}):`);
    for (const t of skipped) write(`  - ${t.suite} > ${t.name}: ${t.skipReason}`);
  }
  for (const t of verdict.known) write(`known failure (baseline): ${t.suite} > ${t.name}`);
  for (const t of verdict.stale) write(`STALE baseline entry: ${t.suite} > ${t.name} passes; remove it from ${o.expectedFailures}`);
  for (const e of verdict.unmatched) write(`baseline ${o.expectedFailures}:${e.line}: pattern "${e.pattern}" matches no test`);
  for (const e of run.harnessErrors) write(`HARNESS ERROR: ${e}`);

  const wireLogs = new Map<string, string>();
  for (const t of failures) {
    const f = t.evidence?.wireLogFile;
    if (f && existsSync(f)) wireLogs.set(f, readFileSync(f, "utf8"));
  }
  for (const r of o.reports) {
    mkdirSync(dirname(resolve(r.file)), { recursive: true });
    const body = r.kind === "json" ? jsonReport(run, sections) : r.kind === "junit" ? junitReport(run, requirements) : htmlReport(run, sections, requirements, wireLogs);
    writeFileSync(r.file, body);
    write(`wrote ${r.kind} report ${r.file}`);
  }

  const passed = run.tests.filter((t) => t.status === "passed").length;
  write(`\n${passed} passed, ${failures.length} failed, ${skipped.length} skipped${verdict.known.length ? `, ${verdict.known.length} known failures` : ""} in ${(run.durationMs / 1000).toFixed(1)} s`);
  if (run.harnessErrors.length || verdict.unmatched.length) return EXIT.usage;
  if (run.tests.length === 0) {
    write("no test ran (check --grep)");
    return EXIT.usage;
  }
  return failures.length || verdict.stale.length ? EXIT.failures : EXIT.conformant;
}

function renderFailure(t: TestRecord, quote: Map<string, string>): string {
  const e = t.evidence;
  const lines = ["", `✗ ${t.suite} > ${t.name}`];
  for (const id of e?.requirementIds.length ? e.requirementIds : t.requirementIds) lines.push(`  ${id}: ${quote.get(id) ?? "(not in spec/)"}`);
  lines.push(...(t.message ?? "").split("\n").map((l) => `  ${l}`));
  if (e?.trace.length) lines.push("  minimal trace:", ...e.trace.map((s, i) => `    ${i + 1}. ${s}`));
  if (e?.expected) lines.push("  expected:", ...e.expected.split("\n").map((l) => `    ${l}`));
  if (e?.observed) lines.push("  observed:", ...e.observed.split("\n").map((l) => `    ${l}`));
  if (e?.replay) lines.push(`  replay: ${e.replay}`);
  if (e?.wireLogFile) lines.push(`  wire log: ${e.wireLogFile}`);
  return lines.join("\n");
}
