// The harness against the real reference server over real WebSockets: the
// proof that logins, reply matching, event collection, the Ping barrier,
// token minting, raw frames and handshakes, timeouts, the wire log and ID
// isolation all work end to end, in both encodings.
import { create } from "@bufbuild/protobuf";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ClientFrameSchema,
  ConnectionStateReason,
  ErrorCode,
  RoomState,
  RoomStateReason,
  encodeClientFrame,
  type Encoding,
  type Reply,
} from "../../protocol/index.js";
import { startServer } from "../../reference/server/index.js";
import { HarnessError, HarnessTimeout } from "./errors.js";
import { rawConnect } from "./handshake.js";
import type { ReceivedEvent } from "./session.js";
import { BAD_TOKEN_KINDS, BAD_TOKENS, hs256Secret, tokenCommand, type TokenSource } from "./tokens.js";
import { World, type WorldOptions } from "./world.js";

const SECRET = "harness-test-secret";
type Server = Awaited<ReturnType<typeof startServer>>;

let server: Server;
const servers: Server[] = [];
const worlds: World[] = [];

beforeAll(async () => {
  server = await startServer({ host: "127.0.0.1", port: 0, tokenSecret: SECRET, logLevel: "silent" });
  servers.push(server);
});
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((w) => w.closeAll()));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function world(encoding: Encoding = "binary", options: WorldOptions & { url?: string; token?: TokenSource } = {}): World {
  const w = new World({ url: options.url ?? server.url, encoding, token: options.token ?? hs256Secret(SECRET), timeoutMultiplier: 1 }, options);
  worlds.push(w);
  return w;
}

const errorCode = (r: Reply) => (r.result.case === "error" ? ErrorCode[r.result.value.code] : `ok ${r.result.case}`);
const kinds = (events: ReceivedEvent[]) => events.map((e) => e.event.event.case);

describe.each(["binary", "json"] as const)("login with minted tokens (%s)", (encoding) => {
  it("logs in and exposes the first login's ServerInfo", async () => {
    const w = world(encoding);
    expect(w.hasServerInfo).toBe(false);
    expect(() => w.limits).toThrow(HarnessError);
    const alice = await w.session("alice");
    expect(alice.protocol).toBe(encoding === "binary" ? "openroom.v1" : "openroom.v1.json");
    expect(alice.userId).toBe(w.userId("alice"));
    expect(w.serverInfo.protocolVersion).toBe("openroom.v1");
    expect(w.limits.maxRoomsPerUser).toBeGreaterThan(0);
    expect(w.wireLog.entries().every((e) => e.encoding === encoding)).toBe(true);
    expect(w.wireLog.entries().filter((e) => e.direction !== "meta").every((e) => e.frameType === (encoding === "binary" ? "binary" : "text"))).toBe(true);
  });

  it("matches replies to concurrent requests of different kinds", async () => {
    const w = world(encoding);
    const alice = await w.session("alice");
    const r1 = w.roomId("r1");
    const replies = await Promise.all([
      alice.send({ case: "createRoom", value: { roomInfo: { roomId: r1, roomName: "one" } } }),
      alice.send({ case: "queryRoomOnlineMemberCount", value: { roomId: r1 } }),
      alice.send({ case: "joinRoom", value: { roomId: w.roomId("absent") } }),
      alice.send({ case: "ping", value: {} }),
      alice.send({ case: "leaveAllRooms", value: {} }),
    ]);
    expect(replies.map(errorCode)).toEqual(["ok createRoom", "ok queryRoomOnlineMemberCount", "ROOM_NOT_FOUND", "ok ping", "ok leaveAllRooms"]);
    expect(replies.map((r) => r.requestId)).toEqual([2, 3, 4, 5, 6]);
    expect(w.violations).toEqual([]);
  });
});

describe("pipelining", () => {
  it("matches thousands of requests in flight at once, in order, without violations", async () => {
    const w = world("binary", { pace: false });
    const alice = await w.session("alice");
    const n = Math.min(3000, w.limits.requestRate?.maxCount || 3000);
    const replies = await Promise.all(Array.from({ length: n }, () => alice.send({ case: "leaveAllRooms", value: {} })));
    expect(replies.map((r) => r.requestId)).toEqual(Array.from({ length: n }, (_, i) => i + 2));
    expect(replies.every((r) => r.result.case === "leaveAllRooms")).toBe(true);
    expect(w.violations).toEqual([]);
  });
});

describe("events and the quiesce barrier", () => {
  it("collects every session's events, complete after quiesce", async () => {
    const w = world("json");
    const [alice, bob] = await Promise.all([w.session("alice"), w.session("bob")]);
    const r1 = w.roomId("r1");
    await alice.call("createRoom", { roomInfo: { roomId: r1 } });
    await bob.call("joinRoom", { roomId: r1 });
    await w.quiesce();
    const a = alice.takeEvents();
    expect(a.map((e) => e.event.event.value)).toMatchObject([
      { roomId: r1, state: RoomState.CONNECTING, reason: RoomStateReason.ACTIVE_CREATE },
      { roomId: r1, state: RoomState.CONNECTED, reason: RoomStateReason.SUCCESS },
      { roomId: r1, roomSeq: 1n, members: [{ userId: w.userId("bob"), userName: "bob" }] },
    ]);
    expect(a.map((e) => e.index)).toEqual([0, 1, 2]);
    expect(kinds(bob.takeEvents())).toEqual(["roomStateChanged", "roomStateChanged"]);
    expect(alice.events).toEqual([]);
  });

  it("delivers every message of a burst, in order, with increasing receive times", async () => {
    const w = world("binary");
    const [alice, bob, carol] = await Promise.all([w.session("alice"), w.session("bob"), w.session("carol")]);
    const r1 = w.roomId("r1");
    await alice.call("createRoom", { roomInfo: { roomId: r1 } });
    await bob.call("joinRoom", { roomId: r1 });
    await carol.call("joinRoom", { roomId: r1 });
    await w.quiesce();
    for (const s of [alice, bob, carol]) s.takeEvents();
    const payloads = Array.from({ length: 30 }, (_, i) => new TextEncoder().encode(`m${i}`));
    await Promise.all(payloads.map((payload) => carol.send({ case: "sendRoomMessage", value: { roomId: r1, kind: 1, payload } })));
    await w.quiesce();
    for (const s of [alice, bob]) {
      const got = s.takeEvents();
      expect(kinds(got).every((k) => k === "roomMessageReceived")).toBe(true);
      expect(got.map((e) => new TextDecoder().decode((e.event.event.value as { message: { payload: Uint8Array } }).message.payload))).toEqual(payloads.map((p) => new TextDecoder().decode(p)));
      const at = got.map((e) => e.at);
      expect([...at].sort((x, y) => x - y)).toEqual(at);
    }
    expect(carol.takeEvents()).toEqual([]);
  });

  it("treats a kicked session as settled: the same label twice is a second device", async () => {
    const w = world("binary");
    const first = await w.session("alice");
    await first.call("createRoom", { roomInfo: { roomId: w.roomId("r1") } });
    const second = await w.session("alice");
    expect(second.label).toBe("alice#2");
    expect(second.userId).toBe(first.userId);
    await w.quiesce();
    expect((await first.waitClosed()).code).toBe(4001);
    const last = first.events.at(-1)!.event.event;
    expect(last).toMatchObject({ case: "connectionStateChanged", value: { reason: ConnectionStateReason.KICKED_OUT } });
    await w.quiesce(); // the closed session is skipped
  });
});

describe("bad tokens", () => {
  it.each(BAD_TOKEN_KINDS)("%s is refused with the prescribed code, and the connection stays open", async (kind) => {
    const w = world("binary");
    const s = await w.connect("mallory");
    const caps = w.target.token.badTokens;
    if (!caps.supported) throw new Error("hs256Secret must mint bad tokens");
    const reply = await s.login(w.userId("mallory"), await caps.mint(kind, w.userId("mallory")));
    expect(errorCode(reply)).toBe(ErrorCode[BAD_TOKENS[kind].code]);
    await s.ping();
  });

  it("a login refused for its token is a harness error (wrong secret)", async () => {
    const w = world("binary", { token: hs256Secret("not-the-secret") });
    await expect(w.session("alice")).rejects.toThrow(HarnessError);
    await expect(w.session("bob")).rejects.toThrow(/login of "t\w+\.bob" refused: error INVALID_TOKEN.*check the token source/);
  });
});

describe("tokenCommand", () => {
  it("logs in with the command's output on a server in insecure dev mode", async () => {
    const dev = await startServer({ host: "127.0.0.1", port: 0, insecureDevAuth: true, logLevel: "silent" });
    servers.push(dev);
    const w = world("json", {
      url: dev.url,
      token: tokenCommand(`node -e "process.stdout.write('dev-token-for-' + process.argv[1])" {user}`),
    });
    const alice = await w.session("alice");
    expect(alice.serverInfo?.protocolVersion).toBe("openroom.v1");
    const out = w.wireLog.entries({ session: "alice" }).find((e) => e.direction === "out")!;
    expect(out.text).toContain(`"token":"dev-token-for-${w.userId("alice")}"`);
  });

  it("a token the server refuses is a harness error naming the command", async () => {
    const w = world("binary", { token: tokenCommand("echo garbage") });
    await expect(w.session("alice")).rejects.toThrow(/INVALID_TOKEN.*token command: echo garbage/);
  });
});

describe("raw frames", () => {
  const login = (requestId: number) => create(ClientFrameSchema, { requestId, request: { case: "login", value: { userId: "x" } } });

  it("a damaged binary frame with a readable request ID gets MALFORMED_FRAME for that ID", async () => {
    const s = await world("binary").connect("raw");
    const good = encodeClientFrame(login(7), "binary") as Uint8Array;
    const damaged = new Uint8Array([...good.subarray(0, 2), 0x52, 0x7f, 0x01]);
    const reply = await s.sendRawForReply(damaged);
    expect(reply.requestId).toBe(7);
    expect(errorCode(reply)).toBe("MALFORMED_FRAME");
    await s.ping();
    const out = s.wireLog.entries({ session: "raw" }).find((e) => e.direction === "out")!;
    expect(out.hex).toBe(Buffer.from(damaged).toString("hex"));
  });

  it("garbage without a request ID closes with 1007; a text frame on binary with 1003", async () => {
    const w = world("binary");
    const a = await w.connect("garbage");
    a.sendRaw(new Uint8Array([0xff, 0xff, 0xff]));
    expect((await a.waitClosed()).code).toBe(1007);
    const b = await w.connect("text");
    b.sendRaw('{"requestId":1,"ping":{}}');
    expect((await b.waitClosed()).code).toBe(1003);
  });

  it("JSON: a readable request ID with a bad shape gets MALFORMED_FRAME; a frame over the limit closes with 1009", async () => {
    const w = world("json");
    const s = await w.session("alice");
    const reply = await s.sendRawForReply('{"requestId":5,"createRoom":"not an object"}');
    expect(reply.requestId).toBe(5);
    expect(errorCode(reply)).toBe("MALFORMED_FRAME");
    s.sendRaw(`{"requestId":6,"ping":{},"pad":"${"x".repeat(w.limits.maxFrameBytes)}"}`);
    expect((await s.waitClosed()).code).toBe(1009);
    expect(w.wireLog.entries({ session: "alice" }).some((e) => e.direction === "out" && e.bytes > w.limits.maxFrameBytes)).toBe(true);
  });

  it("an explicit request_id 0 is matched to the reply with ID 0", async () => {
    const s = await world("binary").session("alice");
    const reply = await s.send({ case: "leaveAllRooms", value: {} }, { requestId: 0 });
    expect(reply.requestId).toBe(0);
    expect(errorCode(reply)).toBe("INVALID_ARGUMENT");
  });
});

describe("raw handshakes", () => {
  it("a handshake offering no OpenRoom subprotocol is refused with 400 naming both", async () => {
    const r = await rawConnect(server.url, ["chat"], 2000);
    expect(r.outcome).toBe("refused");
    if (r.outcome !== "refused") return;
    expect(r.status).toBe(400);
    expect(r.body).toContain("openroom.v1");
    expect(r.body).toContain("openroom.v1.json");
    const none = await rawConnect(server.url, [], 2000);
    expect(none.outcome === "refused" && none.status).toBe(400);
  });

  it("offering both, the server picks the first; a session adopts whichever it picked", async () => {
    const r = await rawConnect(server.url, ["openroom.v1.json", "openroom.v1"], 2000);
    expect(r.outcome === "open" && r.protocol).toBe("openroom.v1.json");
    if (r.outcome === "open") r.socket.close();
    const s = await world("binary").connect("both", { protocols: ["openroom.v1.json", "openroom.v1"] });
    expect(s.encoding).toBe("json");
    await s.ping();
  });
});

describe("timeouts against the real server", () => {
  it("awaiting an event that never comes fails with a helpful message", async () => {
    const w = world("json");
    const bob = await w.session("bob");
    await bob.call("createRoom", { roomInfo: { roomId: w.roomId("lonely") } });
    const err = await bob
      .waitForEvent("someone joining lonely", (e) => e.event.event.case === "roomMemberJoined", { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessTimeout);
    const msg = (err as Error).message;
    expect(msg).toMatch(/timed out after 200ms on session "bob" awaiting event: someone joining lonely/);
    expect(msg).toMatch(/bob ← \{"event":\{"roomStateChanged":\{"roomId":"t\w+\.lonely","state":"ROOM_STATE_CONNECTED"/);
  });
});

describe("wire log", () => {
  it("records both directions of every frame with session labels", async () => {
    const w = world("binary");
    const alice = await w.session("alice");
    await alice.ping();
    const lines = w.wireLog.render().split("\n");
    expect(lines[0]).toMatch(/^\+\d+\.\d{3}ms alice · opened \(openroom\.v1\)$/);
    expect(lines[1]).toMatch(new RegExp(`^\\+\\d+\\.\\d{3}ms alice → \\{"requestId":1,"login":\\{"userId":"${w.userId("alice")}","userName":"alice","token":"ey`));
    expect(lines[2]).toMatch(/alice ← \{"reply":\{"requestId":1,"login":\{"serverInfo":\{"protocolVersion":"openroom.v1"/);
    expect(lines[3]).toMatch(/alice → \{"requestId":2,"ping":\{\}\}$/);
    expect(lines[4]).toMatch(/alice ← \{"reply":\{"requestId":2,"ping":\{\}\}\}$/);
    await alice.close();
    expect(w.wireLog.render({ last: 2 })).toMatch(/alice · closing with code 1000\n.*alice · closed with code 1000$/);
  });

  it("stays bounded by its capacity over a long run", async () => {
    const w = world("json", { wireLog: { capacity: 20 } });
    const alice = await w.session("alice");
    for (let i = 0; i < 50; i++) await alice.ping();
    expect(w.wireLog.entries()).toHaveLength(20);
    expect(w.wireLog.total).toBe(1 + 2 + 100);
    expect(w.wireLog.dropped).toBe(83);
    expect(w.wireLog.entries().at(-1)!.text).toBe('{"reply":{"requestId":51,"ping":{}}}');
  });
});

describe("unique IDs", () => {
  it("two worlds on one server never collide", async () => {
    const [w1, w2] = [world("binary"), world("json")];
    expect(w1.prefix).not.toBe(w2.prefix);
    expect(w1.userId("alice")).not.toBe(w2.userId("alice"));
    const [a1, a2] = await Promise.all([w1.session("alice"), w2.session("alice")]);
    const [c1, c2] = await Promise.all([
      a1.call("createRoom", { roomInfo: { roomId: w1.roomId("r1") } }),
      a2.call("createRoom", { roomInfo: { roomId: w2.roomId("r1") } }),
    ]);
    expect(c1.room?.baseInfo?.roomId).toBe(w1.roomId("r1"));
    expect(c2.room?.baseInfo?.roomId).toBe(w2.roomId("r1"));
    // Neither session was kicked by the other.
    await Promise.all([w1.quiesce(), w2.quiesce()]);
    expect(a1.isOpen && a2.isOpen).toBe(true);
  });

  it("refuses to generate an ID longer than the advertised limit", async () => {
    const small = await startServer({ host: "127.0.0.1", port: 0, tokenSecret: SECRET, logLevel: "silent", limits: { maxRoomIdBytes: 12 } });
    servers.push(small);
    const w = world("binary", { url: small.url });
    await w.session("a");
    expect(w.limits.maxRoomIdBytes).toBe(12);
    expect(w.roomId("r")).toHaveLength(10);
    expect(() => w.roomId("a-long-label")).toThrow(/over the server's limit of 12/);
  });
});

describe("pacing against the real server", () => {
  it("keeps a session under request_rate; without pacing the same burst is rate limited", async () => {
    const limited = await startServer({
      host: "127.0.0.1",
      port: 0,
      tokenSecret: SECRET,
      logLevel: "silent",
      limits: { requestRate: { maxCount: 10, windowMs: 200 } },
    });
    servers.push(limited);
    const w = world("binary", { url: limited.url });
    const burst = async (pace: boolean) => {
      const s = await w.session(pace ? "paced" : "unpaced", { pace });
      const replies = await Promise.all(Array.from({ length: 30 }, () => s.send({ case: "leaveAllRooms", value: {} })));
      return replies.map(errorCode);
    };
    expect((await burst(true)).filter((c) => c !== "ok leaveAllRooms")).toEqual([]);
    expect(await burst(false)).toContain("RATE_LIMITED");
  });
});
