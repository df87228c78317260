// The model-based property: random sequences of every operation by 3–6
// users over a small pool of rooms run in lockstep against the server and
// the model (the executable spec). After every step the reply, every
// session's complete event stream (nothing missing, nothing unexpected) and
// every close must be one the spec allows. fast-check shrinks a failure to a
// minimal sequence; the report prints it step by step with a replay command.
import fc from "fast-check";
import { World } from "../harness/index.js";
import { ConformanceFailure } from "../driver/evidence.js";
import { Lockstep } from "../driver/lockstep.js";
import { commandsArb, poolsFor, setupReal, type Real } from "../driver/operations.js";
import { conformanceSuite, propertyRuns } from "../driver/suite.js";
import { harnessTarget } from "../driver/target.js";

/** Property runs in flight at once (bench/model-based.ts measures the effect). */
const LANES = 4;

conformanceSuite("model-based", (test) => {
  test(
    "random operation sequences match the spec step by step [EVENT-ONLY-1, EVENT-ORDER-1, EVENT-ROOM-1, SEQ-2, SEQ-3]",
    async ({ spec, encoding, serverInfo }) => {
      const limits = serverInfo.limits!;
      const numRuns = propertyRuns(spec, 20);
      const maxCommands = spec.quick ? 15 : 40;
      // Independent lanes (each its own worlds and seed) keep the server busy
      // while one lane waits for a reply; a replay runs the one lane it names.
      const lanes = spec.seed !== undefined ? 1 : LANES;
      // Each lane remembers the world of its own last failing run (its shrunk counterexample).
      const lane = async () => {
        let failedWorld: World | undefined;
        const property = fc.asyncProperty(
          fc.integer({ min: 3, max: 6 }).chain((users) => fc.tuple(fc.constant(users), commandsArb(poolsFor(limits, serverInfo.features, users), maxCommands))),
          async ([users, commands]) => {
            const world = new World(harnessTarget(spec, encoding));
            try {
              const ls = new Lockstep(world, serverInfo, { deferEvents: true });
              const real: Real = await setupReal(ls, users);
              await fc.asyncModelRun(() => ({ model: {}, real }), commands);
              await ls.flush();
            } catch (e) {
              failedWorld = world;
              throw e;
            } finally {
              await world.closeAll();
            }
          },
        );
        const details = await fc.check(property, {
          numRuns: Math.ceil(numRuns / lanes),
          ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
          ...(spec.path !== undefined ? { path: spec.path, endOnFailure: true } : {}),
        });
        return { details, failedWorld };
      };
      const failed = (await Promise.all(Array.from({ length: lanes }, lane))).find((l) => l.details.failed);
      if (failed === undefined) return;
      const { details, failedWorld } = failed;
      const cause = details.errorInstance;
      const replayArgs = ` --seed ${details.seed} --path "${details.counterexamplePath ?? ""}"`;
      const shrunk = details.counterexample ? `minimal counterexample (${details.numShrinks} shrinks): ${fc.stringify(details.counterexample)}` : "";
      if (cause instanceof ConformanceFailure) {
        throw new ConformanceFailure(`${cause.message}\n${shrunk}`, { ...cause.evidence, replayArgs, ...(failedWorld ? { wireLog: failedWorld.wireLog } : {}) });
      }
      throw new ConformanceFailure(`${cause instanceof Error ? cause.message : String(cause)}\n${shrunk}`, {
        trace: [],
        replayArgs,
        ...(failedWorld ? { wireLog: failedWorld.wireLog } : {}),
      });
    },
    { timeoutMs: 600_000 },
  );
});
