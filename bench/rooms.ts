// Measurements, not tests: `node bin/run-ts.js bench/rooms.ts [--wire]`.
//
// 1. join+leave cost against the pure core with 10, 1,000 and 100,000
//    existing rooms (held by 2, 200 and 20,000 logged-in users), as ns/op
//    and as a ratio to the 10-room baseline of the same run (target: flat).
// 2. With --wire, the same over a real WebSocket (round trip per join+leave).
// 3. A broadcast encoded once: encodes per event for rooms of N members,
//    half on each subprotocol, and whether every recipient got the same bytes.
import { create } from "@bufbuild/protobuf";
import { performance } from "node:perf_hooks";
import { ClientFrameSchema, type ClientFrame, type Encoding, type ServerFrame } from "../protocol/index.js";
import { TestClock } from "../reference/server/clock.js";
import { Engine, isPendingLogin, type Outcome } from "../reference/server/engine.js";
import { encodeFrameBytes, fanOut, type FrameEncoder, type Recipient } from "../reference/server/fanout.js";
import { resolveLimitValues } from "../reference/server/limits.js";
import { PageTokens } from "../reference/server/page-token.js";
import { ServerState, type Session } from "../reference/server/state.js";
import { startServer } from "../reference/server/index.js";
import { WireClient } from "../reference/server/test-support.js";

const ROOM_COUNTS = [10, 1_000, 100_000];
const ROOMS_PER_USER = 5;

function newEngine(): Engine {
  const limits = resolveLimitValues({
    maxRoomsPerServer: 0,
    maxMembersPerRoom: 0,
    requestRate: { maxCount: 0, windowMs: 0 },
    messageRate: { maxCount: 0, windowMs: 0 },
  });
  return new Engine(new ServerState(limits, { messageHistory: true, testClock: true }, new TestClock(), new PageTokens(), "b-"));
}

let requestId = 1;
function frame(request: NonNullable<Parameters<typeof create<typeof ClientFrameSchema>>[1]>["request"]): ClientFrame {
  return create(ClientFrameSchema, { requestId: requestId++, request });
}

function run(engine: Engine, session: Session, f: ClientFrame): Outcome {
  const r = engine.handle(session, f, 0);
  if (isPendingLogin(r)) return engine.finishLogin(session, r, { ok: true }, 0);
  if (r.reply?.result.case === "error") throw new Error(`${r.reply.result.value.message}`);
  return r;
}

function login(engine: Engine, userId: string): Session {
  const s = engine.openSession();
  run(engine, s, frame({ case: "login", value: { userId, token: "" } }));
  return s;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** A server state with `rooms` rooms (5 per owner) and a mover that joins and leaves 8 of them. */
function coreSetup(rooms: number): { rooms: number; sessions: number; measure: (n: number) => number } {
  const engine = newEngine();
  let users = 0;
  for (let r = 0; r < rooms; r += ROOMS_PER_USER) {
    const owner = login(engine, `owner-${users++}`);
    for (let i = r; i < Math.min(r + ROOMS_PER_USER, rooms); i++) run(engine, owner, frame({ case: "createRoom", value: { roomInfo: { roomId: `room-${i}` } } }));
  }
  const mover = login(engine, "mover");
  // Rooms spread over the whole ID space, so a cache of recent rooms cannot help.
  const targets = Array.from({ length: 8 }, (_, k) => `room-${Math.floor((k * rooms) / 8)}`);
  const joins = targets.map((roomId) => frame({ case: "joinRoom", value: { roomId } }));
  const leaves = targets.map((roomId) => frame({ case: "leaveRoom", value: { roomId } }));
  const measure = (n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const k = i % targets.length;
      run(engine, mover, joins[k]!);
      run(engine, mover, leaves[k]!);
    }
    if (engine.state.rooms.size !== rooms) throw new Error("room count changed");
    return ((performance.now() - t0) * 1e6) / n;
  };
  return { rooms: engine.state.rooms.size, sessions: users + 1, measure };
}

/** ns per join+leave pair for each room count, measured in rotation so load and heap affect all alike. */
function coreJoinLeave(roomCounts: number[]): { nsPerOp: number; rooms: number; sessions: number }[] {
  const setups = roomCounts.map(coreSetup);
  for (const s of setups) s.measure(20_000); // warm-up
  const samples = setups.map(() => [] as number[]);
  for (let round = 0; round < 9; round++) {
    setups.forEach((s, i) => samples[i]!.push(s.measure(10_000)));
  }
  return setups.map((s, i) => ({ nsPerOp: median(samples[i]!), rooms: s.rooms, sessions: s.sessions }));
}

/** A live server with `rooms` rooms (one owner, pipelined creates) and a mover client. */
async function wireSetup(rooms: number) {
  const server = await startServer({
    insecureDevAuth: true,
    limits: { maxRoomsPerServer: 0, maxRoomsPerUser: rooms, requestRate: { maxCount: 0, windowMs: 0 } },
  });
  const owner = await WireClient.connect(server.url);
  await owner.login("owner", "dev");
  for (let r = 0; r < rooms; r += 1000) {
    const batch = [];
    for (let i = r; i < Math.min(r + 1000, rooms); i++) batch.push(owner.request({ case: "createRoom", value: { roomInfo: { roomId: `room-${i}` } } }));
    await Promise.all(batch);
    owner.clear();
  }
  const mover = await WireClient.connect(server.url);
  await mover.login("mover", "dev");
  const targets = Array.from({ length: 8 }, (_, k) => `room-${Math.floor((k * rooms) / 8)}`);
  const measure = async (n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const roomId = targets[i % targets.length]!;
      await mover.ok("joinRoom", { roomId });
      await mover.ok("leaveRoom", { roomId });
    }
    const ns = ((performance.now() - t0) * 1e6) / n;
    mover.clear();
    owner.clear();
    return ns;
  };
  return { measure, close: () => server.close() };
}

/** ns per join+leave round trip pair for each room count, servers measured in rotation. */
async function wireJoinLeave(roomCounts: number[]): Promise<number[]> {
  const setups = [];
  for (const rooms of roomCounts) setups.push(await wireSetup(rooms));
  try {
    for (const s of setups) await s.measure(500); // warm-up
    const samples = setups.map(() => [] as number[]);
    for (let round = 0; round < 7; round++) {
      for (const [i, s] of setups.entries()) samples[i]!.push(await s.measure(500));
    }
    return samples.map(median);
  } finally {
    for (const s of setups) await s.close();
  }
}

/** One message to a room of `members`: how many encodes, how many sends, same bytes for all? */
function broadcast(members: number) {
  const engine = newEngine();
  const sessions: Session[] = [];
  for (let i = 0; i < members; i++) sessions.push(login(engine, `m${i}`));
  run(engine, sessions[0]!, frame({ case: "createRoom", value: { roomInfo: { roomId: "big" } } }));
  for (const s of sessions.slice(1)) run(engine, s, frame({ case: "joinRoom", value: { roomId: "big" } }));

  const encodes: Record<Encoding, number> = { binary: 0, json: 0 };
  const counting: FrameEncoder = (f: ServerFrame, e: Encoding) => {
    encodes[e]++;
    return encodeFrameBytes(f, e);
  };
  const received = new Map<Encoding, Set<Uint8Array>>([
    ["binary", new Set()],
    ["json", new Set()],
  ]);
  let sends = 0;
  const recipients = new Map<Session, Recipient>(
    sessions.map((s, i) => {
      const encoding: Encoding = i % 2 === 0 ? "binary" : "json";
      return [s, { encoding, send: (bytes: Uint8Array) => (sends++, received.get(encoding)!.add(bytes)) }];
    }),
  );
  const messages = 100;
  const payload = new Uint8Array(256);
  let events = 0;
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) {
    const outcome = run(engine, sessions[i % members]!, frame({ case: "sendRoomMessage", value: { roomId: "big", kind: 2, payload } }));
    events += outcome.outbound.length;
    fanOut(outcome.outbound, (s) => recipients.get(s), counting);
  }
  const ms = performance.now() - t0;
  return {
    members,
    events,
    sends,
    encodesPerEvent: (encodes.binary + encodes.json) / events,
    distinctBinaryBuffers: received.get("binary")!.size,
    distinctJsonBuffers: received.get("json")!.size,
    nsPerRecipient: (ms * 1e6) / sends,
  };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

console.log(`OpenRoom bench — node ${process.version}, ${new Date().toISOString()}`);
console.log("\n1. join+leave against the pure core (one joinRoom + one leaveRoom request, with events and replies built;");
console.log("   the three states coexist and are measured in rotation, median of 9 rounds of 10,000)");
console.log(`${pad("rooms", 9)} ${pad("sessions", 9)} ${pad("ns/op", 9)} ${pad("× 10-room", 10)}`);
let baseline = 0;
for (const r of coreJoinLeave(ROOM_COUNTS)) {
  if (baseline === 0) baseline = r.nsPerOp;
  console.log(`${pad(r.rooms.toLocaleString("en"), 9)} ${pad(r.sessions.toLocaleString("en"), 9)} ${pad(r.nsPerOp.toFixed(0), 9)} ${pad((r.nsPerOp / baseline).toFixed(2), 10)}`);
}

if (process.argv.includes("--wire")) {
  console.log("\n2. join+leave over a real WebSocket (binary, loopback; two round trips per op; servers measured in rotation)");
  console.log(`${pad("rooms", 9)} ${pad("µs/op", 9)} ${pad("× 10-room", 10)}`);
  const wire = await wireJoinLeave(ROOM_COUNTS);
  for (const [i, rooms] of ROOM_COUNTS.entries()) {
    const ns = wire[i]!;
    console.log(`${pad(rooms.toLocaleString("en"), 9)} ${pad((ns / 1000).toFixed(1), 9)} ${pad((ns / wire[0]!).toFixed(2), 10)}`);
  }
} else {
  console.log("\n2. (over the wire: run with --wire)");
}

console.log("\n3. broadcast: 100 messages to a room of N members, half binary, half JSON recipients");
console.log(`${pad("members", 8)} ${pad("events", 7)} ${pad("sends", 9)} ${pad("encodes/event", 14)} ${pad("distinct bin buffers", 21)} ${pad("distinct json buffers", 22)} ${pad("ns/recipient", 13)}`);
for (const members of [10, 1_000, 10_000]) {
  const b = broadcast(members);
  console.log(
    `${pad(b.members.toLocaleString("en"), 8)} ${pad(b.events, 7)} ${pad(b.sends.toLocaleString("en"), 9)} ${pad(b.encodesPerEvent.toFixed(2), 14)} ${pad(b.distinctBinaryBuffers, 21)} ${pad(b.distinctJsonBuffers, 22)} ${pad(b.nsPerRecipient.toFixed(0), 13)}`,
  );
}
console.log("\nencodes/event = 2.00 means one binary and one JSON encoding per event whatever the room size;");
console.log("distinct buffers = events means every recipient of an event got the very same bytes.");
