// A failed conformance check and the evidence the runner reports with it.
import type { WireLog, World } from "../harness/index.js";
import type { FailureEvidence } from "../runner/results.js";

export type Evidence = Omit<FailureEvidence, "requirementIds" | "replay" | "wireLogFile"> &
  Partial<Pick<FailureEvidence, "requirementIds">> & {
    /** Arguments the replay command needs beyond selecting the test (e.g. ` --seed 1 --path "0:1"`). */
    replayArgs?: string;
    /** The wire log of the failing run, when it is not the test's own world (property runs). */
    wireLog?: WireLog;
  };

/** The server did not do what the spec says. Never thrown for harness problems (those are HarnessError). */
export class ConformanceFailure extends Error {
  override readonly name = "ConformanceFailure";
  constructor(
    message: string,
    readonly evidence: Evidence,
  ) {
    super(message);
  }
}

/** Fails with every protocol violation the harness saw on the world's sessions (stray or out-of-order replies, undecodable frames…), if any. */
export function assertNoViolations(world: World, trace: () => string[]): void {
  const violations = world.violations;
  if (violations.length > 0) throw new ConformanceFailure(`protocol violations: ${violations.map((v) => `${v.kind}: ${v.message}`).join("; ")}`, { trace: trace() });
}
