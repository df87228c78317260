// `openroom` command-line entry: dispatches to subcommands.
import { Command, CommanderError } from "commander";
import pkg from "../package.json" with { type: "json" };

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("openroom")
    .description("OpenRoom: an open protocol for chat rooms — reference server and conformance suite")
    .version(pkg.version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addHelpText(
    "after",
    `
Subcommands are added as the parts land:
  serve         run the reference server        (reference/server)
  conformance   judge a server by URL           (conformance/runner)

Documentation: README.md, spec/ and proto/openroom/v1/.`,
  );
  try {
    await program.parseAsync(argv, { from: "user" });
    if (argv.length === 0) program.outputHelp();
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
}
