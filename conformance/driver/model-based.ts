// The model-based property as one function, shared by its suite and by
// bench/model-based.ts (so the bench measures exactly what the suite runs):
// random operation sequences by 3–6 users over a small pool of rooms, each
// run on a fresh World in lockstep with the model. Independent lanes (each
// its own runs and seed) keep the target busy while one lane waits for a reply.
import fc from "fast-check";
import type { ServerInfo } from "../../protocol/index.js";
import { World, type Target } from "../harness/index.js";
import { assertNoViolations } from "./evidence.js";
import { Lockstep } from "./lockstep.js";
import { commandsArb, poolsFor, setupReal, type Real } from "./operations.js";

/** One run's generated input: the number of users and the operation sequence. */
export type ModelBasedRun = [users: number, commands: Iterable<fc.AsyncCommand<object, Real>>];

/** Operations per run at most. Long runs reach deep states (full caps, pending destroys) and spread each run's connection set-up over more checked operations; shrinking keeps counterexamples short. */
export const MAX_COMMANDS = 100;
export const QUICK_MAX_COMMANDS = 15;
/** Property runs in flight at once (bench/model-based.ts measures the effect). */
export const LANES = 4;

export interface ModelBasedOptions {
  target: Target;
  serverInfo: ServerInfo;
  /** Runs over all lanes. */
  numRuns: number;
  maxCommands: number;
  /** Forced to 1 by a replay (seed given): a replay runs the one lane it names. */
  lanes: number;
  seed?: number;
  path?: string;
}

/** What the runs checked, for throughput figures. */
export interface ModelBasedStats {
  runs: number;
  /** Generated operations performed. */
  operations: number;
  /** Checked steps, including the connects and logins of set-up. */
  steps: number;
  /** Time spent opening and logging in each run's first sessions, summed over lanes. */
  setupMs: number;
  barriers: number;
}

export interface ModelBasedResult {
  stats: ModelBasedStats;
  /** The first failing lane: fast-check's details (shrunk counterexample, replay seed and path) and the world of its last failing run. */
  failure?: { details: fc.RunDetails<[ModelBasedRun]>; world: World | undefined };
}

export async function runModelBased(o: ModelBasedOptions): Promise<ModelBasedResult> {
  const stats: ModelBasedStats = { runs: 0, operations: 0, steps: 0, setupMs: 0, barriers: 0 };
  const limits = o.serverInfo.limits!;
  const lanes = o.seed !== undefined ? 1 : o.lanes;
  const lane = async () => {
    // Each lane remembers the world of its own last failing run (its shrunk counterexample).
    let failedWorld: World | undefined;
    const property = fc.asyncProperty(
      fc.integer({ min: 3, max: 6 }).chain((users) => fc.tuple(fc.constant(users), commandsArb(poolsFor(limits, o.serverInfo.features, users), o.maxCommands))),
      async ([users, commands]) => {
        const world = new World(o.target);
        try {
          const ls = new Lockstep(world, o.serverInfo, { deferEvents: true });
          const started = performance.now();
          const real = await setupReal(ls, users);
          stats.setupMs += performance.now() - started;
          await fc.asyncModelRun(() => ({ model: {}, real }), commands);
          await ls.flush();
          // Stray or out-of-order replies and undecodable frames, which no step's comparison sees.
          assertNoViolations(world, () => ls.trace);
          stats.runs++;
          stats.operations += real.operations;
          stats.steps += ls.steps;
          stats.barriers += ls.stats.barriers;
        } catch (e) {
          failedWorld = world;
          throw e;
        } finally {
          await world.closeAll();
        }
      },
    );
    const details = await fc.check(property, {
      numRuns: Math.ceil(o.numRuns / lanes),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.path !== undefined ? { path: o.path, endOnFailure: true } : {}),
    });
    return { details, world: failedWorld };
  };
  const failure = (await Promise.all(Array.from({ length: lanes }, lane))).find((l) => l.details.failed);
  return failure === undefined ? { stats } : { stats, failure };
}
