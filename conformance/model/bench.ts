// Measures the model's step throughput on random action sequences (the same
// generator as the properties), so the suites know what the model costs.
// Run: node bin/run-ts.js conformance/model/bench.ts [steps]
import fc from "fast-check";
import { Feature } from "../../protocol/index.js";
import { arbAction, pools, resolve, type Action } from "./arbitrary-actions.js";
import { initialState } from "./state.js";
import { connect, disconnect, step } from "./step.js";
import { rq, testConfig } from "./test-kit.js";

const target = Number(process.argv[2] ?? 200_000);
const sessions = 6;
const p = pools(sessions);
const config = testConfig({ maxRoomsPerServer: 4, maxRoomsPerUser: 2, maxMembersPerRoom: 4, maxPageSize: 2 }, [Feature.MESSAGE_HISTORY]);
// Pre-generate, so generation is not measured.
const batches = fc.sample(fc.array(arbAction(p), { minLength: 200, maxLength: 200 }), { numRuns: Math.ceil(target / 200), seed: 1 });

let steps = 0;
let events = 0;
const started = performance.now();
for (const actions of batches) {
  let state = initialState(config);
  let nowMs = 0;
  const prelude: Action[] = p.sessions.flatMap((s, i): Action[] => [
    { kind: "connect", session: s },
    { kind: "request", session: s, request: rq.login(p.users[i % p.users.length]!) },
  ]);
  for (const a of prelude.concat(actions)) {
    if (a.kind === "connect") {
      if (!state.sessions.has(a.session)) state = connect(state, a.session, "binary");
      continue;
    }
    if (a.kind === "wait") {
      nowMs += a.ms;
      continue;
    }
    if (!state.sessions.has(a.session)) continue;
    const o = a.kind === "disconnect" ? disconnect(state, a.session, nowMs) : step(state, a.session, resolve(state, a).request, { nowMs })[0]!;
    for (const list of o.events.values()) events += list.length;
    state = o.state;
    steps++;
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(`${steps} steps (${events} events) in ${seconds.toFixed(2)} s: ${Math.round(steps / seconds)} steps/s, ${sessions} sessions`);
