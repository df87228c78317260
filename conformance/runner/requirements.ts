// The spec's requirements, read from spec/*.md at run time so every report
// can quote the sentence a failure breaks.
import { join } from "node:path";
import { loadRequirements as loadSpec } from "../../spec/tools/load.js";
import type { RequirementRef } from "./sections.js";

export function loadRequirements(root: string): RequirementRef[] {
  const { requirements, problems } = loadSpec(join(root, "spec"));
  if (problems.length > 0) throw new Error(`spec/ does not parse:\n${problems.map((p) => `  ${p.file}:${p.line}: ${p.message}`).join("\n")}`);
  return requirements.filter((r) => r.level !== "withdrawn").map(({ id, level, section, text }) => ({ id, level, section, text }));
}
