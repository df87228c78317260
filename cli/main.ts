// `openroom` command-line entry: dispatches to subcommands.
import { Command, CommanderError } from "commander";
import pkg from "../package.json" with { type: "json" };
import { conformanceCommand } from "../conformance/runner/cli.js";
import { serveCommand } from "../reference/server/cli.js";

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("openroom")
    .description("OpenRoom: an open protocol for chat rooms — reference server and conformance suite")
    .version(pkg.version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const serve = serveCommand().copyInheritedSettings(program);
  program.addCommand(serve);
  program.addCommand(conformanceCommand().copyInheritedSettings(program));
  program.addHelpText(
    "after",
    `
  npx openroom serve --insecure-dev-auth                 a reference server for trying things out
  npx openroom conformance                               the conformance suite against the embedded reference server
  npx openroom conformance --url ws://HOST:PORT --token-secret S

Documentation: README.md, spec/ and proto/openroom/v1/.`,
  );
  try {
    await program.parseAsync(argv, { from: "user" });
    if (argv.length === 0) program.outputHelp();
    // Subcommands report their verdict through process.exitCode.
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
}
