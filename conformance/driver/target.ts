// From the runner's TargetSpec to the harness's Target for one encoding.
import { hs256Secret, tokenCommand, HarnessError, type Target, type TokenSource } from "../harness/index.js";
import { DEFAULT_TIMEOUTS, scaled } from "../harness/index.js";
import type { EncodingChoice, TargetSpec } from "../runner/target.js";

export function tokenSourceOf(spec: TargetSpec): TokenSource {
  if (spec.tokenCommand !== undefined) {
    return tokenCommand(spec.tokenCommand, { timeoutMs: scaled(DEFAULT_TIMEOUTS.tokenCommand, spec.timeoutMultiplier) });
  }
  if (spec.tokenSecret !== undefined) return hs256Secret(spec.tokenSecret);
  throw new HarnessError("no token source: pass --token-secret or --token-command");
}

export function harnessTarget(spec: TargetSpec, encoding: EncodingChoice): Target {
  return { url: spec.url, encoding, token: tokenSourceOf(spec), timeoutMultiplier: spec.timeoutMultiplier };
}
