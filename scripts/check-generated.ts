// Fails when protocol/gen differs from what `buf generate` makes of proto/
// now: generated code is committed and must never go stale.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { capture } from "./steps.js";

const committed = "protocol/gen";
const scratch = mkdtempSync(join(tmpdir(), "openroom-gen-"));
try {
  const gen = await capture("node_modules/.bin/buf", ["generate", "--output", scratch]);
  if (gen.code !== 0) throw new Error(`buf generate failed:\n${gen.stderr}`);
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
  const fresh = new Map(files(join(scratch, committed)).map((f) => [relative(join(scratch, committed), f), readFileSync(f, "utf8")]));
  const current = new Map(files(committed).map((f) => [relative(committed, f), readFileSync(f, "utf8")]));
  const stale = [...new Set([...fresh.keys(), ...current.keys()])].filter((f) => fresh.get(f) !== current.get(f)).sort();
  if (stale.length > 0) {
    console.error(`Generated code is stale (run \`npm run generate\` and commit):\n${stale.map((f) => `  ${committed}/${f}`).join("\n")}`);
    process.exitCode = 1;
  } else {
    console.log(`generated code is fresh (${fresh.size} files)`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
