// Requirement IDs cited by a test title ("… [SWITCH-ORDER-1, SWITCH-ORDER-2]"),
// with the same grammar the traceability check uses.
import { parseCitations } from "../../spec/tools/requirements.js";

export function citedIds(title: string): string[] {
  return [...new Set(parseCitations(title).map((c) => c.id))];
}
