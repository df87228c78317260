// What the suites run against and how, passed from the runner (or the
// conformance project's global setup) to the vitest workers as one JSON
// environment variable, so any process running the suites sees the same target.
export type EncodingChoice = "binary" | "json";

export interface TargetSpec {
  /** The server under test, e.g. ws://127.0.0.1:7700. */
  url: string;
  /** Encodings to exercise; named tests run once per encoding. */
  encodings: EncodingChoice[];
  /** HS256 secret for minting the spec's JWTs. */
  tokenSecret?: string;
  /** Shell command printing a token for `{user}`, for servers with other schemes. */
  tokenCommand?: string;
  /** fast-check runs per property (before --quick scaling). */
  runs: number;
  /** Replay: fast-check seed and path of a failure. */
  seed?: number;
  path?: string;
  /** Scales every timeout (slow servers, slow CI). */
  timeoutMultiplier: number;
  /** Smoke run: fewer runs and shorter sequences. */
  quick: boolean;
  /** Directory for wire logs of failures. */
  wireLogDir: string;
  /** The command line that reproduces this run's target options, for replay commands. */
  replayBase: string;
  /** True when the runner started the embedded reference server itself. */
  embedded: boolean;
  /**
   * A second server of the same implementation with small server-wide limits
   * (max_rooms_per_server, max_members_per_room) and optional features off,
   * for the few tests that fill a server-wide limit or need a feature absent.
   * They take it one at a time. Without it those tests skip, saying so.
   */
  constrained?: { url: string };
  /**
   * A shell command starting a fresh instance of the implementation, which
   * prints its ws:// URL on stdout and shuts down gracefully on SIGTERM (run
   * with OPENROOM_TOKEN_SECRET set): for the shutdown tests.
   */
  disposable?: { command: string };
}

export const TARGET_ENV = "OPENROOM_CONFORMANCE_TARGET";

export function writeTargetEnv(spec: TargetSpec): Record<string, string> {
  return { [TARGET_ENV]: JSON.stringify(spec) };
}

/** The target the suites run against; throws a clear error when the suites are run without one. */
export function readTarget(env: NodeJS.ProcessEnv = process.env): TargetSpec {
  const raw = env[TARGET_ENV];
  if (raw === undefined || raw === "") {
    throw new Error(`${TARGET_ENV} is not set: run the suites with \`npx openroom conformance\` (or \`npx vitest run --project conformance\`, whose global setup starts the reference server)`);
  }
  return JSON.parse(raw) as TargetSpec;
}
