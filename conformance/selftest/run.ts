// `npm run selftest`: proves the conformance suite's power. Runs the real
// runner (`openroom conformance --url …`, a child process) against the
// reference server, which must pass, and against every broken server of the
// zoo, each of which must fail with a failure blamed on the one requirement
// it breaks. Prints a table: broken server → requirement → caught? → by which
// test → time to first failure.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import { startServer } from "../../reference/server/index.js";
import type { RunRecord } from "../runner/results.js";
import type { Mutant } from "./descriptor.js";
import { judgeMutant, judgeReference, medianAndMax, renderTable, type MutantVerdict, type ReferenceVerdict, type RunResult } from "./judge.js";
import type { RunningTarget, StartOptions } from "./kit.js";
import { ZOO } from "./zoo/index.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const MUTANT_TIMEOUT_MS = 5 * 60_000;
const REFERENCE_TIMEOUT_MS = 15 * 60_000;

interface Options {
  seeds?: number;
  only: string[];
  jobs: number;
  out: string;
  reference: boolean;
  budget?: number;
  list: boolean;
  full: boolean;
}

interface RunSpec {
  label: string;
  grep: string[];
  runs?: number;
  seed?: number;
  encoding: "binary" | "json" | "both";
}

/** One child run of the conformance runner against `url`; the secret goes through the environment. */
function runConformance(url: string, tokenSecret: string, spec: RunSpec, out: string, timeoutMs: number): Promise<RunResult> {
  const reportFile = join(out, `${spec.label}.json`);
  const logFile = join(out, `${spec.label}.log`);
  rmSync(reportFile, { force: true });
  const args = ["bin/openroom.js", "conformance", "--url", url, "--report", `json=${reportFile}`, "--wire-log-dir", join(out, "wire", spec.label), "--encoding", spec.encoding];
  for (const g of spec.grep) args.push("--grep", g);
  if (spec.runs !== undefined) args.push("--runs", String(spec.runs));
  if (spec.seed !== undefined) args.push("--seed", String(spec.seed));
  const log = openSync(logFile, "w");
  const started = Date.now();
  return new Promise((resolvePromise) => {
    // Its own process group, so a timeout can stop the runner and the vitest workers it forked.
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", log, log], detached: true, env: { ...process.env, OPENROOM_TOKEN_SECRET: tokenSecret } });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      closeSync(log);
      let report: RunRecord | undefined;
      try {
        if (existsSync(reportFile)) report = JSON.parse(readFileSync(reportFile, "utf8")) as RunRecord;
      } catch {
        report = undefined;
      }
      resolvePromise({ exitCode: code, report, wallMs: Date.now() - started, logFile, timedOut });
    });
  });
}

/** Starts a server, runs the suite against it, stops the server. A server that cannot start is a run with no report. */
async function judgeTarget(start: (o: StartOptions) => Promise<RunningTarget>, spec: RunSpec, out: string, timeoutMs: number): Promise<RunResult> {
  const tokenSecret = randomBytes(24).toString("base64url");
  let server: RunningTarget;
  try {
    server = await start({ tokenSecret });
  } catch (e) {
    const logFile = join(out, `${spec.label}.log`);
    writeFileSync(logFile, `the server did not start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return { exitCode: null, report: undefined, wallMs: 0, logFile, timedOut: false };
  }
  try {
    return await runConformance(server.url, tokenSecret, spec, out, timeoutMs);
  } finally {
    await server.close();
  }
}

/** Runs tasks with at most `jobs` at a time, in order of submission. */
async function pool<T>(tasks: (() => Promise<T>)[], jobs: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

function settingsOf(m: Mutant): Omit<RunSpec, "label" | "seed"> {
  return { grep: m.settings?.grep ?? [m.requirement], encoding: m.settings?.encoding ?? "binary", ...(m.settings?.runs !== undefined ? { runs: m.settings.runs } : {}) };
}

/** `file > suite > encoding > title [IDs]` → `file: title` (shortened). */
function shortTest(full: string): string {
  const [file, ...rest] = full.split(" > ");
  const title = (rest[rest.length - 1] ?? "").replace(/\s*\[[^\]]*\]\s*$/, "");
  const short = title.length > 72 ? `${title.slice(0, 71)}…` : title;
  return `${(file ?? "").replace(/\.conformance\.test\.ts$/, "")}: ${short}`;
}

interface Judged {
  mutant: Mutant;
  seed: number | undefined;
  verdict: MutantVerdict;
  wallMs: number;
}

/** A broken server's row: caught in every run?, the times to first failure of the catching runs, and the table cells. */
function summarize(m: Mutant, runs: Judged[]): { allCaught: boolean; firstFailures: number[]; cells: string[] } {
  if (runs.length === 0) return { allCaught: false, firstFailures: [], cells: [m.name, m.requirement, "not run (--budget)", "—", "—", "—", ""] };
  const caught = runs.filter((r) => r.verdict.outcome === "caught");
  const missed = runs.filter((r) => r.verdict.outcome !== "caught");
  const firstFailures = caught.flatMap((r) => (r.verdict.firstFailureMs === undefined ? [] : [r.verdict.firstFailureMs]));
  const catchers = [...new Set(caught.flatMap((r) => r.verdict.catchers))];
  const status =
    runs.length === 1
      ? missed.length === 0 ? "yes" : `NO: ${missed[0]!.verdict.outcome}`
      : `${caught.length}/${runs.length}${missed.length > 0 ? ` (${[...new Set(missed.map((r) => r.verdict.outcome))].join(", ")})` : ""}`;
  const ttf = medianAndMax(firstFailures);
  const by = catchers.length > 0 ? `${shortTest(catchers[0]!)}${catchers.length > 1 ? ` (+${catchers.length - 1} more)` : ""}` : (missed[0]?.verdict.detail ?? "");
  const time = runs.length === 1 ? seconds(ttf?.median) : `${seconds(ttf?.median)} (max ${seconds(ttf?.max)})`;
  const failures = String(Math.max(...runs.map((r) => r.verdict.failedTests)));
  return { allCaught: missed.length === 0, firstFailures, cells: [m.name, m.requirement, status, time, seconds(Math.max(...runs.map((r) => r.wallMs))), failures, by] };
}

const seconds = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);

const REFERENCE_START = (o: StartOptions) => startServer({ tokenSecret: o.tokenSecret, testClock: true });

async function main(o: Options): Promise<number> {
  if (o.list) {
    process.stdout.write(`${renderTable(["broken server", "requirement", "mistake"], ZOO.map((m) => [m.name, m.requirement, m.mistake]))}\n`);
    return 0;
  }
  const zoo = o.only.length > 0 ? ZOO.filter((m) => o.only.includes(m.name)) : [...ZOO];
  const unknown = o.only.filter((n) => !ZOO.some((m) => m.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`selftest: no broken server named ${unknown.join(", ")}\n`);
    return 2;
  }
  rmSync(o.out, { recursive: true, force: true });
  mkdirSync(o.out, { recursive: true });
  const seeds = o.seeds === undefined ? [undefined] : Array.from({ length: o.seeds }, (_, i) => i + 1);
  const started = Date.now();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`selftest: ${o.reference ? "the reference server and " : ""}${zoo.length} broken servers${o.seeds ? ` × ${o.seeds} seeds` : ""}, ${o.jobs} at a time; reports in ${o.out}`);

  // The reference runs the whole suite (with --only: every test the chosen mutants' runs select), both
  // encodings, plus each run a broken server makes with more fast-check runs than the default.
  const referenceSpecs: RunSpec[] = [
    { label: "reference", grep: o.only.length > 0 ? [...new Set(zoo.flatMap((m) => settingsOf(m).grep))] : [], encoding: "both" },
    ...zoo.filter((m) => m.settings?.runs !== undefined).map((m): RunSpec => ({ ...settingsOf(m), label: `reference.as-${m.name}` })),
  ];
  const referenceTasks = referenceSpecs.map((spec) => async (): Promise<ReferenceVerdict> => {
    const run = await judgeTarget(REFERENCE_START, spec, o.out, REFERENCE_TIMEOUT_MS);
    const verdict = judgeReference(run);
    say(`${verdict.ok ? "✓" : "✗"} ${spec.label}: ${verdict.ok ? "passes" : "FAILS"} (${verdict.detail}, ${seconds(run.wallMs)})`);
    return verdict;
  });
  // Seed by seed across the zoo, so a run stopped by --budget has measured every broken server about equally.
  const deadline = o.budget === undefined ? Number.POSITIVE_INFINITY : started + o.budget * 1000;
  const mutantTasks = seeds.flatMap((seed) =>
    zoo.map((m) => async () => {
      if (Date.now() > deadline) return undefined;
      const settings = settingsOf(m);
      const spec: RunSpec = { label: seed === undefined ? m.name : `${m.name}.seed${seed}`, ...settings, ...(o.full ? { grep: [] } : {}), ...(seed !== undefined ? { seed } : {}) };
      const run = await judgeTarget(m.start, spec, o.out, MUTANT_TIMEOUT_MS);
      const verdict = judgeMutant(m.requirement, run);
      const mark = verdict.outcome === "caught" ? "✓" : "✗";
      say(`${mark} ${spec.label}: ${verdict.outcome}${verdict.detail ? ` — ${verdict.detail}` : ""} (${seconds(run.wallMs)})`);
      return { mutant: m, seed, verdict, wallMs: run.wallMs };
    }),
  );
  // The reference goes first: its full run is the longest.
  const references = o.reference ? referenceTasks : [];
  const results = await pool<unknown>([...references, ...mutantTasks], o.jobs);
  const referenceVerdicts = results.slice(0, references.length) as ReferenceVerdict[];
  const reference: ReferenceVerdict | undefined = o.reference
    ? { ok: referenceVerdicts.every((v) => v.ok), detail: referenceVerdicts.map((v) => v.detail).join("; "), failures: referenceVerdicts.flatMap((v) => v.failures) }
    : undefined;
  const mutantResults = (results.slice(references.length) as (Judged | undefined)[]).filter((r): r is Judged => r !== undefined);
  const skipped = mutantTasks.length - mutantResults.length;

  // One row per broken server (several seeds fold into a count).
  const rows = zoo.map((m) => summarize(m, mutantResults.filter((r) => r.mutant === m)));
  const bad = rows.filter((r) => !r.allCaught).length;
  const firstFailures = rows.flatMap((r) => r.firstFailures);
  say("");
  say(renderTable(["broken server", "requirement", "caught?", "first failure", "run", "failed tests", "caught by"], rows.map((r) => r.cells)));
  say("");
  if (reference) {
    say(`reference server: ${reference.ok ? "passes" : "FAILS"} — ${reference.detail}`);
    for (const f of reference.failures) say(`  ✗ ${f}`);
  } else {
    say("reference server: not run (--no-reference)");
  }
  const ttf = medianAndMax(firstFailures);
  say(`broken servers caught: ${zoo.length - bad}/${zoo.length}${ttf ? ` · time to first failure: median ${seconds(ttf.median)}, max ${seconds(ttf.max)}` : ""}`);
  if (skipped > 0) say(`--budget: ${skipped} of ${mutantTasks.length} runs were not started`);
  const totalMs = Date.now() - started;
  say(`self-test time: ${seconds(totalMs)}`);
  const summary = {
    totalMs,
    reference: reference ?? null,
    mutants: zoo.map((m) => ({
      name: m.name,
      requirement: m.requirement,
      mistake: m.mistake,
      runs: mutantResults.filter((r) => r.mutant === m).map((r) => ({ seed: r.seed ?? null, wallMs: r.wallMs, ...r.verdict })),
    })),
  };
  writeFileSync(join(o.out, "summary.json"), JSON.stringify(summary, null, 2));
  return bad > 0 || (reference !== undefined && !reference.ok) ? 1 : 0;
}

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

const program = new Command("selftest")
  .description("run the conformance suite against the reference server (must pass) and every broken server of the zoo (must fail, blamed on the right requirement)")
  .option("--seeds <n>", "run each broken server with seeds 1..N and report how many caught it (measurement, not CI)", positiveInt("--seeds"))
  .option("--only <name>", "only this broken server (repeatable); the reference then runs only the tests their runs select", (v: string, p: string[]) => [...p, v], [] as string[])
  .option("--jobs <k>", "runs at a time", positiveInt("--jobs"), 2)
  .option("--out <dir>", "where reports, logs and wire logs go", resolve(root, ".tmp/selftest"))
  .option("--no-reference", "skip the reference server's run")
  .option("--list", "print the zoo (name, requirement, mistake) and exit", false)
  .option("--full", "run the whole suite against each broken server (not only its settings' --grep): shows every failure it causes", false)
  .option("--budget <seconds>", "start no run after this many seconds; the table shows what finished (for long --seeds measurements)", positiveInt("--budget"))
  .parse(process.argv);

process.exitCode = await main(program.opts<Options>());
