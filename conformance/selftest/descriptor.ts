// What every broken server of the zoo declares about itself.
import type { RunningTarget, StartOptions } from "./kit.js";

/** How the self-test runs the suite against a mutant: what reliably catches it within CI's budget. */
export interface MutantSettings {
  /** `--grep` values (a test name or requirement ID each); default: the mutant's requirement ID. */
  grep?: string[];
  /** `--runs` (fast-check runs per property); default: the runner's. */
  runs?: number;
  /** `--encoding`; default "binary" (every mutant but the JSON-only ones breaks both alike). */
  encoding?: "binary" | "json" | "both";
}

export interface Mutant {
  /** Unique, kebab-case: what the server does wrong. */
  name: string;
  /** The ID of the one spec requirement it breaks (must exist in spec/). */
  requirement: string;
  /** The realistic implementation mistake it models. */
  mistake: string;
  /** Why a naive test would not notice it. */
  whyNaiveTestMisses: string;
  /** Starts the broken server on a loopback port. */
  start(options: StartOptions): Promise<RunningTarget>;
  settings?: MutantSettings;
}
