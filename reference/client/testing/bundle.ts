// Bundles client code for the browser with esbuild (in memory) and reports
// which modules went in, so tests can prove the browser path never reaches
// `ws` or a Node built-in.
import { build, type BuildOptions, type Metafile } from "esbuild";
import { fileURLToPath } from "node:url";

export const clientDir = fileURLToPath(new URL("..", import.meta.url));

export interface BrowserBundle {
  /** The bundled JavaScript (ESM). */
  code: string;
  /** Every input module, as paths relative to the working directory. */
  inputs: string[];
  /** Imports left external in the output (a self-contained browser bundle has none). */
  externalImports: string[];
}

/** Bundles `entry` (a file path, or source text resolved from the client folder) for platform "browser". */
export async function bundleForBrowser(entry: { file: string } | { source: string }, define: Record<string, string> = {}): Promise<BrowserBundle> {
  const options: BuildOptions = {
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    target: "es2022",
    metafile: true,
    logLevel: "silent",
    define,
    ...("file" in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.source, resolveDir: clientDir, loader: "ts", sourcefile: "entry.ts" } }),
  };
  const result = await build(options);
  const metafile = result.metafile as Metafile;
  const output = result.outputFiles?.[0];
  if (!output) throw new Error("esbuild produced no output");
  return {
    code: output.text,
    inputs: Object.keys(metafile.inputs),
    externalImports: Object.values(metafile.outputs).flatMap((o) => o.imports.map((i) => i.path)),
  };
}

/** Inputs that only work in Node: the `ws` package or a Node built-in. */
export function nodeOnlyInputs(bundle: BrowserBundle): string[] {
  return [...bundle.inputs, ...bundle.externalImports].filter((p) => /(^|[/\\])node_modules[/\\]ws[/\\]|^ws$|^node:/.test(p));
}
