// Throughput of the model-based property end to end: random operation
// sequences against the embedded reference server in lockstep with the
// model, over real WebSockets. Prints operations checked per second (the
// issue's target is ≥ 2,000) and, as the same-run baseline, the rate of bare
// Ping round trips on one connection.
//   node bin/run-ts.js bench/model-based.ts [runs] [binary|json]
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { startServer } from "../reference/server/index.js";
import { World, hs256Secret } from "../conformance/harness/index.js";
import { Lockstep } from "../conformance/driver/lockstep.js";
import { commandsArb, poolsFor, setupReal } from "../conformance/driver/operations.js";

const runs = Number(process.argv[2] ?? 100);
const encoding = (process.argv[3] ?? "binary") as "binary" | "json";
const tokenSecret = randomBytes(16).toString("hex");
const server = await startServer({ tokenSecret, testClock: true, logLevel: "silent" });
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
  let flushMs = 0;
  t = performance.now();
  await fc.assert(
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
          steps += ls.trace.length;
        } finally {
          await world.closeAll();
        }
      },
    ),
    { numRuns: runs },
  );
  const seconds = (performance.now() - t) / 1000;
  console.log(`encoding ${encoding}, ${runs} runs`);
  console.log(`generated operations checked: ${operations} in ${seconds.toFixed(2)} s = ${(operations / seconds).toFixed(0)} ops/s`);
  console.log(`all checked steps (incl. connects and logins): ${steps} = ${(steps / seconds).toFixed(0)} steps/s`);
  console.log(`of which: connecting and logging in ${(setupMs / 1000).toFixed(2)} s, final barriers ${(flushMs / 1000).toFixed(2)} s`);
  console.log(`baseline: bare Ping round trips ${pingRate.toFixed(0)}/s; checked ops per Ping RTT budget: ${((operations / seconds) / pingRate).toFixed(2)}`);
} finally {
  await server.close();
}
