// Report files: JSON (the whole run record), JUnit XML (for CI dashboards;
// one testcase per test, classname = suite) and a self-contained HTML page
// with the failures' traces, frames and wire logs.
import type { RunRecord, TestRecord } from "./results.js";
import type { RequirementRef, SectionRow } from "./sections.js";

export function jsonReport(run: RunRecord, sections: SectionRow[]): string {
  return JSON.stringify({ ...run, sections }, null, 2);
}

const xml = (s: string) =>
  s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

function failureText(t: TestRecord, quote: (id: string) => string): string {
  const e = t.evidence;
  const parts = [t.message ?? ""];
  if (e) {
    parts.push(...e.requirementIds.map((id) => `${id}: ${quote(id)}`));
    if (e.trace.length) parts.push("trace:", ...e.trace.map((s) => `  ${s}`));
    if (e.expected) parts.push(`expected: ${e.expected}`);
    if (e.observed) parts.push(`observed: ${e.observed}`);
    if (e.replay) parts.push(`replay: ${e.replay}`);
    if (e.wireLogFile) parts.push(`wire log: ${e.wireLogFile}`);
  }
  return parts.filter((p) => p !== "").join("\n");
}

export function junitReport(run: RunRecord, requirements: RequirementRef[]): string {
  const byId = new Map(requirements.map((r) => [r.id, r.text]));
  const quote = (id: string) => byId.get(id) ?? "(unknown requirement)";
  const suites = new Map<string, TestRecord[]>();
  for (const t of run.tests) suites.set(t.suite, [...(suites.get(t.suite) ?? []), t]);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const failures = run.tests.filter((t) => t.status === "failed" && t.baseline !== "known-failure").length;
  out.push(`<testsuites name="openroom conformance" tests="${run.tests.length}" failures="${failures}" errors="${run.harnessErrors.length}" time="${(run.durationMs / 1000).toFixed(3)}">`);
  for (const [suite, tests] of suites) {
    const f = tests.filter((t) => t.status === "failed" && t.baseline !== "known-failure").length;
    const s = tests.filter((t) => t.status === "skipped" || t.baseline === "known-failure").length;
    out.push(`  <testsuite name="${xml(suite)}" tests="${tests.length}" failures="${f}" skipped="${s}">`);
    for (const t of tests) {
      out.push(`    <testcase classname="${xml(suite)}" name="${xml(t.name)}" time="${(t.durationMs / 1000).toFixed(3)}">`);
      if (t.status === "skipped") out.push(`      <skipped message="${xml(t.skipReason ?? "skipped")}"/>`);
      else if (t.baseline === "known-failure") out.push(`      <skipped message="known failure (expected-failures baseline)"/>`);
      else if (t.status === "failed") out.push(`      <failure message="${xml(t.message ?? "failed")}">${xml(failureText(t, quote))}</failure>`);
      else if (t.baseline === "stale") out.push(`      <failure message="stale expected-failures entry: this test passes"/>`);
      out.push("    </testcase>");
    }
    out.push("  </testsuite>");
  }
  if (run.harnessErrors.length) {
    out.push(`  <testsuite name="harness" tests="${run.harnessErrors.length}" errors="${run.harnessErrors.length}">`);
    run.harnessErrors.forEach((e, i) => out.push(`    <testcase classname="harness" name="harness error ${i + 1}"><error message="${xml(e.split("\n")[0] ?? "")}">${xml(e)}</error></testcase>`));
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}

const html = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function htmlReport(run: RunRecord, sections: SectionRow[], requirements: RequirementRef[], wireLogs: Map<string, string>): string {
  const byId = new Map(requirements.map((r) => [r.id, r.text]));
  const failed = run.tests.filter((t) => t.status === "failed" || t.baseline === "stale");
  const skipped = run.tests.filter((t) => t.status === "skipped");
  const row = (cells: (string | number)[], tag = "td") => `<tr>${cells.map((c) => `<${tag}>${html(String(c))}</${tag}>`).join("")}</tr>`;
  const failure = (t: TestRecord) => {
    const e = t.evidence;
    const log = e?.wireLogFile ? wireLogs.get(e.wireLogFile) : undefined;
    return `<section class="failure"><h3>${html(t.name)}</h3>
<p class="suite">${html(t.suite)}${t.baseline ? ` — <b>${html(t.baseline)}</b>` : ""}</p>
${(e?.requirementIds ?? t.requirementIds).map((id) => `<blockquote><b>${html(id)}</b> ${html(byId.get(id) ?? "")}</blockquote>`).join("\n")}
<pre>${html(t.message ?? "")}</pre>
${e?.trace.length ? `<h4>Minimal trace</h4><ol>${e.trace.map((s) => `<li><code>${html(s)}</code></li>`).join("")}</ol>` : ""}
${e?.expected ? `<h4>Expected</h4><pre>${html(e.expected)}</pre>` : ""}
${e?.observed ? `<h4>Observed</h4><pre>${html(e.observed)}</pre>` : ""}
${e?.replay ? `<h4>Replay</h4><pre>${html(e.replay)}</pre>` : ""}
${log ? `<details><summary>Wire log (${html(e!.wireLogFile!)})</summary><pre>${html(log)}</pre></details>` : ""}
</section>`;
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OpenRoom conformance — ${html(run.target)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:right}td:first-child,th:first-child{text-align:left}
pre{background:#f5f5f5;padding:.6rem;overflow:auto;max-height:30rem}blockquote{border-left:4px solid #c33;margin:.5rem 0;padding:.2rem .8rem;background:#fff4f4}
.failure{border-top:2px solid #c33;margin-top:2rem}.suite{color:#555}
</style></head><body>
<h1>OpenRoom conformance report</h1>
<p>Target <code>${html(run.target)}</code>, encoding ${html(run.encoding)}, started ${html(run.startedAt)}, ${(run.durationMs / 1000).toFixed(1)} s.
${run.tests.filter((t) => t.status === "passed").length} passed, ${failed.length} failed, ${skipped.length} skipped.</p>
<h2>Requirements by section</h2>
<table>${row(["section", "passed", "failed", "known", "skipped", "untested"], "th")}${sections.map((s) => row([s.section, s.passed, s.failed, s.knownFailures, s.skipped, s.untested])).join("")}</table>
${run.harnessErrors.length ? `<h2>Harness errors</h2>${run.harnessErrors.map((e) => `<pre>${html(e)}</pre>`).join("")}` : ""}
<h2>Failures</h2>${failed.length ? failed.map(failure).join("\n") : "<p>None.</p>"}
<h2>Skipped</h2>${skipped.length ? `<ul>${skipped.map((t) => `<li>${html(t.name)} — ${html(t.skipReason ?? "")}</li>`).join("")}</ul>` : "<p>None.</p>"}
</body></html>
`;
}
