// The runner's record of one conformance run: what every report (console,
// JSON, JUnit, HTML) is rendered from.

export type TestStatus = "passed" | "failed" | "skipped";

/** Evidence attached to a failed conformance test by the suites (via vitest task meta). */
export interface FailureEvidence {
  /** The requirement IDs the failure is blamed on (a subset of the test's cited IDs, or all of them). */
  requirementIds: string[];
  /** One line per step of the minimal trace, e.g. `alice: enterRoom(r1) → ok`. */
  trace: string[];
  /** What the spec (the model) predicted, rendered. */
  expected?: string;
  /** What the server did, rendered. */
  observed?: string;
  /** The exact command that replays this failure. */
  replay?: string;
  /** Path of the wire log written for this failure. */
  wireLogFile?: string;
}

export interface TestRecord {
  /** Test title, including its cited requirement IDs in brackets. */
  name: string;
  /** Suite path (file and describe blocks). */
  suite: string;
  /** Requirement IDs cited by the title. */
  requirementIds: string[];
  status: TestStatus;
  durationMs: number;
  /** When the test finished, in ms since the run started (time to first failure). */
  finishedAtMs?: number;
  /** Why it was skipped (never silent). */
  skipReason?: string;
  /** The failure message (first error). */
  message?: string;
  evidence?: FailureEvidence;
  /** Set by the baseline: this failure was expected (not counted) or the entry is stale. */
  baseline?: "known-failure" | "stale";
}

export interface RunRecord {
  target: string;
  encoding: string;
  startedAt: string;
  durationMs: number;
  tests: TestRecord[];
  /** Errors outside any test (collection errors, harness failures). */
  harnessErrors: string[];
}
