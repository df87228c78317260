// A fast-check property whose every run gets a fresh World and Lockstep
// (fresh IDs, so runs and shrinks never see each other), honouring the
// target's --runs/--quick/--seed/--path, and whose failure is rethrown as a
// ConformanceFailure with the shrunk run's trace, its wire log and the
// arguments that replay it.
import fc from "fast-check";
import { World } from "../harness/index.js";
import { ConformanceFailure, assertNoViolations } from "./evidence.js";
import { Lockstep, type LockstepOptions } from "./lockstep.js";
import { propertyRuns, type ScenarioContext } from "./suite.js";
import { harnessTarget } from "./target.js";

export interface PropertyOptions {
  /** Runs (default: propertyRuns of the target). */
  numRuns?: number;
  lockstep?: LockstepOptions;
}

export async function lockstepProperty<T>(
  t: ScenarioContext,
  arb: fc.Arbitrary<T>,
  run: (ls: Lockstep, x: T) => Promise<void>,
  options: PropertyOptions = {},
): Promise<void> {
  let failed: { world: World; trace: string[] } | undefined;
  const details = await fc.check(
    fc.asyncProperty(arb, async (x) => {
      const world = new World(harnessTarget(t.spec, t.encoding));
      const ls = new Lockstep(world, t.serverInfo, options.lockstep);
      try {
        await run(ls, x);
        await ls.flush();
        assertNoViolations(world, () => ls.trace);
      } catch (e) {
        failed = { world, trace: e instanceof ConformanceFailure ? e.evidence.trace : ls.trace };
        throw e;
      } finally {
        await world.closeAll();
      }
    }),
    {
      numRuns: options.numRuns ?? propertyRuns(t.spec),
      ...(t.spec.seed !== undefined ? { seed: t.spec.seed } : {}),
      ...(t.spec.path !== undefined ? { path: t.spec.path, endOnFailure: true } : {}),
    },
  );
  if (!details.failed) return;
  const inner = details.errorInstance;
  const evidence = inner instanceof ConformanceFailure ? inner.evidence : { trace: failed?.trace ?? [] };
  throw new ConformanceFailure(
    `property failed after ${details.numRuns} run(s) and ${details.numShrinks} shrinks\ncounterexample: ${fc.stringify(details.counterexample)}\n${inner instanceof Error ? inner.message : String(inner)}`,
    {
      ...evidence,
      replayArgs: ` --seed ${details.seed} --path "${details.counterexamplePath ?? ""}"`,
      ...(failed ? { wireLog: failed.world.wireLog } : {}),
    },
  );
}
