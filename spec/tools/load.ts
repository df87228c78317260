// Reads the spec and the conformance suites from disk for the pure functions
// in requirements.ts. The conformance runner uses loadRequirements to quote
// requirement sentences in its reports.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { parseCitations, parseRequirements, type Citation, type ParsedSpec } from "./requirements.js";

/** The spec's Markdown files (top level of `specDir`), keyed by section name (file name without `.md`). */
export function loadSpecMarkdown(specDir: string): Map<string, string> {
  const bySection = new Map<string, string>();
  for (const name of readdirSync(specDir).filter((n) => n.endsWith(".md")).sort()) {
    bySection.set(name.slice(0, -".md".length), readFileSync(join(specDir, name), "utf8"));
  }
  return bySection;
}

/** Every requirement of the spec in `specDir`, with the parse problems. */
export function loadRequirements(specDir: string): ParsedSpec {
  return parseRequirements(loadSpecMarkdown(specDir));
}

/** The `.ts` files under `dir`, recursively, sorted; none when `dir` does not exist. */
export function listTsFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((p) => p.endsWith(".ts") && !p.split(sep).includes("node_modules"))
    .map((p) => join(dir, p))
    .sort();
}

/** Every citation in the conformance suites under `suitesDir`; file names are relative to `root`. */
export function loadCitations(suitesDir: string, root: string): { citations: Citation[]; files: number } {
  const files = listTsFiles(suitesDir);
  const citations = files.flatMap((f) => parseCitations(readFileSync(f, "utf8"), relative(root, f).split(sep).join("/")));
  return { citations, files: files.length };
}
