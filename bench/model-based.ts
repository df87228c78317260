// Throughput of the model-based property end to end, exactly as its suite
// runs it (conformance/driver/model-based.ts): random operation sequences
// against the reference server — its own process, started the way users
// start it — in lockstep with the model, over real WebSockets.
//
// Prints operations checked per second (the target is ≥ 2,000) and,
// as baselines measured in the same run, bare Ping round trips on one
// session and on as many sessions as there are lanes. It also prints the CPU
// time the harness (this process) and the server spent per checked
// operation: on a 2-core machine both share the cores, so CPU per operation,
// not latency, is what bounds throughput once the lanes overlap.
//   node bin/run-ts.js bench/model-based.ts [runs] [binary|json] [lanes] [maxCommands]
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import fc from "fast-check";
import { World, hs256Secret, type Session } from "../conformance/harness/index.js";
import { LANES, MAX_COMMANDS, runModelBased } from "../conformance/driver/model-based.js";

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench/model-based: ${name} must be a positive integer, got "${value}"\nusage: node bin/run-ts.js bench/model-based.ts [runs] [binary|json] [lanes] [maxCommands]`);
    process.exit(2);
  }
  return n;
}
const runs = positiveInt("runs", process.argv[2], 200);
const encodingArg = process.argv[3] ?? "binary";
if (encodingArg !== "binary" && encodingArg !== "json") {
  console.error(`bench/model-based: the encoding must be binary or json, got "${encodingArg}"`);
  process.exit(2);
}
const encoding: "binary" | "json" = encodingArg;
const lanes = positiveInt("lanes", process.argv[4], LANES);
const maxCommands = positiveInt("maxCommands", process.argv[5], MAX_COMMANDS);
const tokenSecret = randomBytes(16).toString("hex");

const server = spawn(process.execPath, ["bin/openroom.js", "serve", "--port", "0", "--test-clock", "--log-level", "silent"], {
  env: { ...process.env, OPENROOM_TOKEN_SECRET: tokenSecret },
  stdio: ["ignore", "pipe", "inherit"],
});
const url = await new Promise<string>((resolve, reject) => {
  const lines = createInterface({ input: server.stdout! });
  lines.on("line", (line) => {
    const m = /ws:\/\/\S+/.exec(line);
    if (m) resolve(m[0]);
  });
  server.once("exit", (code) => reject(new Error(`the server exited (${code}) before printing its URL`)));
});
/** CPU seconds (user + system) the server process has used, from /proc (Linux); NaN elsewhere. */
const serverCpu = (): number => {
  try {
    const fields = readFileSync(`/proc/${server.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
};
/** Wall seconds and CPU seconds of both processes spent in `f`. */
async function measured(f: () => Promise<void>): Promise<{ seconds: number; client: number; server: number }> {
  const s0 = serverCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, client: (c.user + c.system) / 1e6, server: serverCpu() - s0 };
}
const us = (seconds: number, n: number) => `${((seconds * 1e6) / n).toFixed(0)} µs`;

const target = { url, encoding, token: hs256Secret(tokenSecret), timeoutMultiplier: 1 };
try {
  const probe = new World(target);
  const sessions: Session[] = [];
  for (let i = 0; i < lanes; i++) sessions.push(await probe.session(`probe${i}`));
  const serverInfo = probe.serverInfo;
  const pings = 4000;
  const sequential = await measured(async () => {
    for (let i = 0; i < pings / 4; i++) await sessions[0]!.ping();
  });
  const parallel = await measured(async () => {
    await Promise.all(sessions.map(async (s) => {
      for (let i = 0; i < pings / lanes; i++) await s.ping();
    }));
  });
  await probe.closeAll();

  let result: Awaited<ReturnType<typeof runModelBased>> | undefined;
  const run = await measured(async () => {
    result = await runModelBased({ target, serverInfo, numRuns: runs, maxCommands, lanes });
  });
  const { stats, failure } = result!;
  if (failure) throw new Error(`the model-based property failed against the reference server: ${fc.stringify(failure.details.counterexample)}\n${String(failure.details.errorInstance)}`);
  const opsPerS = stats.operations / run.seconds;
  const parallelPingRate = pings / parallel.seconds;
  console.log(`model-based property, encoding ${encoding}: ${stats.runs} runs of ≤ ${maxCommands} operations in ${lanes} lane(s)`);
  console.log(`  operations checked: ${stats.operations} in ${run.seconds.toFixed(2)} s = ${opsPerS.toFixed(0)} ops/s (target ≥ 2,000)`);
  console.log(`  all checked steps (incl. connects and logins): ${stats.steps} = ${(stats.steps / run.seconds).toFixed(0)} steps/s; Ping barriers ${stats.barriers}`);
  console.log(`  set-up (connect + login of each run's users), summed over lanes: ${(stats.setupMs / 1000).toFixed(2)} s`);
  console.log(`  CPU per checked operation: harness ${us(run.client, stats.operations)}, server ${us(run.server, stats.operations)}; machine busy ${(((run.client + run.server) / run.seconds) * 100).toFixed(0)}% of one core`);
  console.log(`baseline (same run): Ping round trips, 1 session ${((pings / 4) / sequential.seconds).toFixed(0)}/s, ${lanes} sessions ${parallelPingRate.toFixed(0)}/s`);
  console.log(`  CPU per Ping: harness ${us(parallel.client, pings)}, server ${us(parallel.server, pings)}`);
  console.log(`ratio: checked operations per Ping (${lanes} sessions) ${(opsPerS / parallelPingRate).toFixed(3)}; CPU of a checked operation / CPU of a Ping ${((run.client + run.server) / stats.operations / ((parallel.client + parallel.server) / pings)).toFixed(1)}`);
} finally {
  server.kill("SIGTERM");
}
