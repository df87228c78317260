// Throughput of the model-based property end to end: random operation
// sequences against the reference server (its own process, started the way
// users start it, as in a conformance run where the suite and the server do
// not share a process) in lockstep with the model, over real WebSockets.
// Prints operations checked per second (the target is ≥ 2,000) and,
// as the same-run baseline, the rate of bare Ping round trips.
//   node bin/run-ts.js bench/model-based.ts [runs] [binary|json]
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { startDisposable } from "../conformance/driver/disposable.js";
import { World, hs256Secret } from "../conformance/harness/index.js";
import { Lockstep } from "../conformance/driver/lockstep.js";
import { commandsArb, poolsFor, setupReal } from "../conformance/driver/operations.js";

const runs = Number(process.argv[2] ?? 100);
const encoding = (process.argv[3] ?? "binary") as "binary" | "json";
/** Independent property runs in flight at once (each its own world and seed). */
const lanes = Number(process.argv[4] ?? 1);
const tokenSecret = randomBytes(16).toString("hex");
const server = await startDisposable({
  tokenSecret,
  timeoutMultiplier: 1,
  disposable: { command: `"${process.execPath}" bin/openroom.js serve --port 0 --test-clock --log-level silent` },
} as Parameters<typeof startDisposable>[0]);
const target = { url: server.url, encoding, token: hs256Secret(tokenSecret), timeoutMultiplier: 1 };

try {
  const probe = new World(target);
  await probe.session("probe");
  const serverInfo = probe.serverInfo;
  // Baseline: sequential Ping round trips on one session.
  const pingSession = probe.sessions[0]!;
  const pings = 2000;
  let t = performance.now();
  for (let i = 0; i < pings; i++) await pingSession.ping();
  const pingRate = pings / ((performance.now() - t) / 1000);
  await probe.closeAll();

  let operations = 0;
  let steps = 0;
  let setupMs = 0;
  const stats = { deferred: 0, immediate: 0, barriers: 0 };
  let flushMs = 0;
  t = performance.now();
  const lane = () => fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 3, max: 6 }).chain((users) => fc.tuple(fc.constant(users), commandsArb(poolsFor(serverInfo.limits!, serverInfo.features, users), 40))),
      async ([users, commands]) => {
        const world = new World(target);
        try {
          const ls = new Lockstep(world, serverInfo, { deferEvents: true });
          const s0 = performance.now();
          const real = await setupReal(ls, users);
          setupMs += performance.now() - s0;
          await fc.asyncModelRun(() => ({ model: {}, real }), commands);
          const f0 = performance.now();
          await ls.flush();
          flushMs += performance.now() - f0;
          operations += real.operations;
          for (const k of ["deferred", "immediate", "barriers"] as const) stats[k] += ls.stats[k];
          steps += ls.trace.length;
        } finally {
          await world.closeAll();
        }
      },
    ),
    { numRuns: Math.ceil(runs / lanes) },
  );
  await Promise.all(Array.from({ length: lanes }, lane));
  const seconds = (performance.now() - t) / 1000;
  console.log(`encoding ${encoding}, ${runs} runs in ${lanes} lane(s)`);
  console.log(`generated operations checked: ${operations} in ${seconds.toFixed(2)} s = ${(operations / seconds).toFixed(0)} ops/s`);
  console.log(`all checked steps (incl. connects and logins): ${steps} = ${(steps / seconds).toFixed(0)} steps/s`);
  console.log(`steps checked deferred ${stats.deferred}, at once ${stats.immediate}; Ping barriers ${stats.barriers}`);
  console.log(`of which: connecting and logging in ${(setupMs / 1000).toFixed(2)} s, final barriers ${(flushMs / 1000).toFixed(2)} s`);
  console.log(`baseline: bare Ping round trips ${pingRate.toFixed(0)}/s; checked ops per Ping RTT budget: ${((operations / seconds) / pingRate).toFixed(2)}`);
} finally {
  await server.shutdown();
}
