// Harness throughput against the embedded reference server (rate limits off,
// pacing off), so the suite's budget is known: a model-based step is one
// request plus the Ping barrier on every session.
// Run: node --import tsx conformance/harness/bench.ts [steps]
import { startServer } from "../../reference/server/index.js";
import { World, hs256Secret } from "./index.js";

const steps = Number(process.argv[2] ?? 3000);
const server = await startServer({ tokenSecret: "bench", logLevel: "silent", limits: { requestRate: { maxCount: 0, windowMs: 1000 } } });
const rate = (n: number, since: number) => Math.round(n / ((performance.now() - since) / 1000));
try {
  for (const encoding of ["binary", "json"] as const) {
    const w = new World({ url: server.url, encoding, token: hs256Secret("bench"), timeoutMultiplier: 1 }, { pace: false });
    const [a, b, c] = await Promise.all([w.session("a"), w.session("b"), w.session("c")]);
    const sessions = [a, b, c];
    const r = w.roomId("r");
    await a.call("createRoom", { roomInfo: { roomId: r } });
    for (const s of [b, c]) await s.call("joinRoom", { roomId: r });

    let t = performance.now();
    for (let i = 0; i < steps; i++) {
      await a.send({ case: "setRoomAttributes", value: { roomId: r, attributes: { k: String(i) } } });
      await w.quiesce();
      for (const s of sessions) s.takeEvents();
    }
    console.log(`${encoding}: ${rate(steps, t)} steps/s (request + quiesce over 3 sessions + events taken)`);

    t = performance.now();
    for (let i = 0; i < steps; i++) await a.ping();
    console.log(`${encoding}: ${rate(steps, t)} sequential Ping round trips/s`);

    t = performance.now();
    const n = steps * 5;
    await Promise.all(Array.from({ length: n }, () => b.send({ case: "queryRoomOnlineMemberCount", value: { roomId: r } })));
    console.log(`${encoding}: ${rate(n, t)} pipelined requests/s (${n} in flight)`);
    console.log(`${encoding}: wire log kept ${w.wireLog.entries().length} of ${w.wireLog.total} entries`);
    await w.closeAll();
  }
} finally {
  await server.close();
}
