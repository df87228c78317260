// The model-based property: random sequences of every operation by 3–6
// users over a small pool of rooms run in lockstep against the server and
// the model (the executable spec). After every step the reply, every
// session's complete event stream (nothing missing, nothing unexpected) and
// every close must be one the spec allows. fast-check shrinks a failure to a
// minimal sequence; the report prints it step by step with a replay command.
import fc from "fast-check";
import { ConformanceFailure } from "../driver/evidence.js";
import { LANES, MAX_COMMANDS, QUICK_MAX_COMMANDS, runModelBased } from "../driver/model-based.js";
import { conformanceSuite, propertyRuns } from "../driver/suite.js";
import { harnessTarget } from "../driver/target.js";

conformanceSuite("model-based", (test) => {
  test(
    "random operation sequences match the spec step by step [EVENT-ONLY-1, EVENT-ORDER-1, EVENT-ROOM-1, SEQ-2, SEQ-3]",
    async ({ spec, encoding, serverInfo }) => {
      const { failure } = await runModelBased({
        target: harnessTarget(spec, encoding),
        serverInfo,
        numRuns: propertyRuns(spec, 20),
        maxCommands: spec.quick ? QUICK_MAX_COMMANDS : MAX_COMMANDS,
        lanes: LANES,
        ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
        ...(spec.path !== undefined ? { path: spec.path } : {}),
      });
      if (failure === undefined) return;
      const { details, world } = failure;
      const cause = details.errorInstance;
      const replayArgs = ` --seed ${details.seed} --path "${details.counterexamplePath ?? ""}"`;
      const shrunk = details.counterexample ? `minimal counterexample (${details.numShrinks} shrinks): ${fc.stringify(details.counterexample)}` : "";
      const wireLog = world ? { wireLog: world.wireLog } : {};
      if (cause instanceof ConformanceFailure) {
        throw new ConformanceFailure(`${cause.message}\n${shrunk}`, { ...cause.evidence, replayArgs, ...wireLog });
      }
      throw new ConformanceFailure(`${cause instanceof Error ? cause.message : String(cause)}\n${shrunk}`, { trace: [], replayArgs, ...wireLog });
    },
    { timeoutMs: 600_000 },
  );
});
