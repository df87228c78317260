// `openroom conformance`: judge a server by URL (or the embedded reference
// server), requirement by requirement.
import { Command, InvalidArgumentError, Option } from "commander";
import { EXIT, runConformance, UsageError, type ReportKind, type RunOptions } from "./run.js";

function positiveNumber(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
    return n;
  };
}

function integer(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
    return n;
  };
}

function report(v: string, previous: RunOptions["reports"]): RunOptions["reports"] {
  const m = /^(json|junit|html)=(.+)$/.exec(v);
  if (!m) throw new InvalidArgumentError("use KIND=FILE with KIND one of json, junit, html");
  return [...previous, { kind: m[1] as ReportKind, file: m[2]! }];
}

export function conformanceCommand(): Command {
  return new Command("conformance")
    .description("run the conformance suite against a server (no --url: against the embedded reference server)")
    .option("--url <ws-url>", "the server to judge, e.g. ws://127.0.0.1:7700")
    .option("--constrained-url <ws-url>", "a second instance of it with small server-wide limits (max_rooms_per_server ≤ 50, max_members_per_room ≤ 40) and optional features off, for the tests that fill those limits; without it they skip")
    .option("--disposable-command <cmd>", "shell command that starts a fresh instance, prints its ws:// URL and shuts down gracefully on SIGTERM (runs with OPENROOM_TOKEN_SECRET set), for the shutdown tests; without it they skip")
    .addOption(new Option("--token-secret <secret>", "HS256 secret for minting the spec's JWTs").env("OPENROOM_TOKEN_SECRET"))
    .option("--token-command <cmd>", "shell command printing a token for {user} (servers with other token schemes)")
    .option("--grep <text>", "run only tests whose name contains TEXT (a test name or a requirement ID); repeatable", (v: string, p: string[]) => [...p, v], [] as string[])
    .option("--runs <n>", "fast-check runs per property", integer("--runs"), 100)
    .option("--seed <n>", "replay: the seed printed with a property failure", integer("--seed"))
    .option("--path <path>", "replay: the path printed with a property failure")
    .option("--timeout-multiplier <x>", "scale every timeout", positiveNumber("--timeout-multiplier"), 1)
    .addOption(new Option("--encoding <e>", "subprotocols to exercise").choices(["binary", "json", "both"]).default("both"))
    .option("--expected-failures <file>", "baseline of known failures (test names or requirement IDs); a listed test that passes fails the run")
    .option("--report <kind=file>", "write a report: json=FILE, junit=FILE, html=FILE; repeatable", report, [] as RunOptions["reports"])
    .option("--quick", "smoke run (under 20 s): the model-based, concurrency, transport, robustness and switch suites with a tenth of the property runs", false)
    .option("--wire-log-dir <dir>", "where failures' wire logs go", "reports/wire")
    .option("--verbose", "print every test as it finishes", false)
    .addHelpText(
      "after",
      `
Exit codes: 0 conformant · 1 the server failed a requirement (or a baseline entry is stale) · 2 usage or harness error
(a harness error, such as an unreachable URL, is never reported as a server failure).

Examples:
  npx openroom conformance                                   # the embedded reference server
  npx openroom conformance --url ws://127.0.0.1:7700 --token-secret S --report junit=out.xml
  npx openroom conformance --url ws://… --token-secret S --grep SWITCH-ORDER-1 --seed 42 --path "3:1"`,
    )
    .action(async (opts: Omit<RunOptions, "reports"> & { report: RunOptions["reports"] }) => {
      const { report: reports, ...rest } = opts;
      try {
        process.exitCode = await runConformance({ ...rest, reports }, (l) => process.stdout.write(`${l}\n`));
      } catch (e) {
        if (e instanceof UsageError) {
          process.stderr.write(`openroom conformance: ${e.message}\n`);
          process.exitCode = EXIT.usage;
          return;
        }
        throw e;
      }
    });
}
