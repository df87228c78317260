// Every operation over real sockets in both subprotocols, every error code
// the server can raise, and the destroy delay with the test clock and with a
// real timer.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, Feature, type Encoding } from "../../protocol/index.js";
import { summarize } from "./core-test-support.js";
import { mintToken, startTestServer, type TestServer, type WireClient } from "./test-support.js";

const text = (s: string) => new TextEncoder().encode(s);
const names = (c: WireClient) => c.events.map(summarize);

describe.each<Encoding>(["binary", "json"])("every operation (%s)", (encoding) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ testClock: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it("rooms, members, attributes, member attributes, messages, clock, logout", async () => {
    const alice = await t.connect(encoding);
    const login = await alice.login("alice", await mintToken(t.tokenSecret, "alice"), "Alice");
    expect(login.serverInfo?.protocolVersion).toBe("openroom.v1");
    expect(login.serverInfo?.limits?.maxRoomsPerUser).toBe(5);
    expect(login.serverInfo?.features).toEqual([Feature.MESSAGE_HISTORY, Feature.TEST_CLOCK]);
    const bob = await t.user("bob", encoding);
    const carol = await t.user("carol", encoding === "binary" ? "json" : "binary");

    // create / join / enter
    const created = await alice.ok("createRoom", { roomInfo: { roomId: "main", roomName: "Main ✓" }, config: { roomAttributes: { topic: "hi" }, roomDestroyDelaySeconds: 60 } });
    expect(created.room).toMatchObject({ roomSeq: 0n, roomDestroyDelaySeconds: 60, baseInfo: { roomId: "main", roomName: "Main ✓" } });
    await alice.ok("sendRoomMessage", { roomId: "main", kind: 1, payload: text("first") });
    const joined = await bob.ok("joinRoom", { roomId: "main", historyCount: 10 });
    expect(joined.history.map((m) => new TextDecoder().decode(m.payload))).toEqual(["first"]);
    const entered = await carol.ok("enterRoom", { roomInfo: { roomId: "main", roomName: "ignored" } });
    expect(entered.created).toBe(false);
    expect(entered.room?.roomSeq).toBe(3n);
    await alice.ping();
    expect(names(alice).slice(-2)).toEqual(["main#2 joined bob", "main#3 joined carol"]);
    expect(names(carol)).toEqual(["main CONNECTING ACTIVE_ENTER", "main CONNECTED SUCCESS", "main#3 attrs SET topic=hi by -"]);

    // members
    const page = await alice.ok("queryRoomMemberList", { roomId: "main", count: 2 });
    expect(page.members.map((m) => `${m.userId}/${m.userName}`)).toEqual(["alice/Alice", "bob/bob"]);
    const rest = await alice.ok("queryRoomMemberList", { roomId: "main", count: 2, nextToken: page.nextToken });
    expect(rest.members.map((m) => m.userId)).toEqual(["carol"]);
    expect(rest.nextToken).toBe("");
    const found = await bob.ok("queryRoomMembers", { roomId: "main", userIds: ["carol", "zed"] });
    expect([found.members.map((m) => m.userId), found.notFound.map((f) => f.userId)]).toEqual([["carol"], ["zed"]]);
    expect((await bob.ok("queryRoomOnlineMemberCount", { roomId: "main" })).count).toBe(3);

    // room attributes
    alice.clear();
    bob.clear();
    const set = await bob.ok("setRoomAttributes", { roomId: "main", attributes: { topic: "mine", seat: "1" }, isDeleteAfterOwnerLeft: true });
    expect(set.failedKeys.map((k) => `${k.key}:${ErrorCode[k.code]}`)).toEqual(["topic:ROOM_ATTRIBUTE_NOT_OWNER"]);
    const del = await bob.ok("deleteRoomAttributes", { roomId: "main", keys: ["topic"], isForce: true });
    expect(del.failedKeys).toEqual([]);
    await bob.ok("batchRoomAttributes", {
      roomId: "main",
      operations: [{ operation: { case: "set", value: { attributes: { a: "1" } } } }, { operation: { case: "delete", value: { keys: ["a"] } } }],
    });
    expect((await carol.ok("queryRoomAllAttributes", { roomId: "main" })).attributes).toEqual({ seat: "1" });
    await alice.ping();
    expect(names(alice)).toEqual(["main#4 attrs SET seat=1 by bob", "main#5 attrs DELETE topic= by bob", "main#6 batch SET a=1; DELETE a= by bob"]);
    expect(names(bob)).toEqual(names(alice));

    // member attributes
    const mset = await alice.ok("setRoomMembersAttributes", { roomId: "main", userIds: ["bob", "ghost"], attributes: { role: "mod" } });
    expect(mset.infos.map((i) => [i.userId, i.attributes])).toEqual([["bob", { role: "mod" }]]);
    expect(mset.failedUsers.map((f) => f.userId)).toEqual(["ghost"]);
    expect((await carol.ok("queryRoomMembersAttributes", { roomId: "main", userIds: ["bob", "alice"] })).infos.map((i) => i.userId)).toEqual(["bob", "alice"]);
    expect((await carol.ok("queryRoomMemberAttributesList", { roomId: "main" })).infos.map((i) => i.userId)).toEqual(["bob"]);

    // messages
    carol.clear();
    const sent = await bob.ok("sendRoomMessage", { roomId: "main", kind: 2, payload: new Uint8Array([0, 255]), priority: 3 });
    await carol.ping();
    const got = carol.events.find((e) => e.event.case === "roomMessageReceived");
    expect(got?.event.case === "roomMessageReceived" && got.event.value.message).toEqual(sent.message);
    expect((await carol.ok("queryRoomMessageHistory", { roomId: "main", count: 50 })).messages).toHaveLength(2);

    // switch / leave / leaveAll
    alice.clear();
    const sw = await bob.ok("switchRoom", { fromRoomId: "main", toRoomInfo: { roomId: "side", roomName: "Side" }, createIfAbsent: true });
    expect(sw.created).toBe(true);
    await alice.ping();
    expect(names(alice)).toEqual(["main#9 left bob", "main#10 attrs DELETE seat= by bob"]);
    expect((await bob.ok("leaveRoom", { roomId: "side" })).roomId).toBe("side");
    expect((await carol.ok("leaveAllRooms", {})).roomIds).toEqual(["main"]);

    // test clock: main empties and waits 60 s
    await alice.ok("leaveRoom", { roomId: "main" });
    expect((await alice.ok("advanceClock", { advanceMs: 59_000 })).nowMs).toBeGreaterThanOrEqual(59_000n);
    await bob.ok("joinRoom", { roomId: "main" });
    await bob.ok("leaveRoom", { roomId: "main" });
    await alice.ok("advanceClock", { advanceMs: 60_000 });
    expect(ErrorCode[(await bob.fails("joinRoom", { roomId: "main" })).code]).toBe("ROOM_NOT_FOUND");

    // logout
    expect((await alice.ok("logout", {})).roomIds).toEqual([]);
    expect((await alice.closed).code).toBe(1000);
  });
});

describe("every error code the server can raise", () => {
  // FRAME_TOO_LARGE is never a reply (the connection closes with 1009);
  // INTERNAL needs a server bug: both are left out, on purpose.
  const notReplied = new Set([ErrorCode.UNSPECIFIED, ErrorCode.FRAME_TOO_LARGE, ErrorCode.INTERNAL]);
  const seen = new Set<ErrorCode>();
  let t: TestServer;
  let n = 0;
  beforeAll(async () => {
    t = await startTestServer({
      limits: {
        maxRoomsPerServer: 3,
        maxMembersPerRoom: 2,
        maxRoomAttributes: 2,
        maxRoomAttributesTotalBytes: 8,
        maxMemberAttributesPerUser: 2,
        maxMemberAttributesTotalBytes: 8,
        maxMemberAttributeUsers: 1,
        maxMessagePayloadBytes: 8,
        requestRate: { maxCount: 1000, windowMs: 60_000 },
      },
    });
  });
  afterAll(async () => {
    await t.close();
    const all = Object.values(ErrorCode).filter((v): v is ErrorCode => typeof v === "number" && !notReplied.has(v));
    expect([...seen].sort()).toEqual(all.sort());
  });

  const user = () => t.user(`u${++n}`);
  const room = () => `room${++n}`;
  const expectCode = async (code: ErrorCode, p: Promise<{ code: ErrorCode } | ErrorCode>) => {
    const got = await p;
    const actual = typeof got === "number" ? got : got.code;
    expect(ErrorCode[actual]).toBe(ErrorCode[code]);
    seen.add(actual);
  };

  it("framing and session codes", async () => {
    const c = await t.connect();
    const malformed = c.awaitReply(5);
    c.sendRaw(new Uint8Array([0x08, 5, 0x52, 50]));
    await expectCode(ErrorCode.MALFORMED_FRAME, malformed.then((r) => (r.result.case === "error" ? r.result.value.code : ErrorCode.UNSPECIFIED)));
    await expectCode(ErrorCode.UNSUPPORTED_REQUEST, c.request(undefined).then((r) => (r.result.case === "error" ? r.result.value.code : 0)));
    await expectCode(ErrorCode.INVALID_ARGUMENT, c.request({ case: "ping", value: {} }, 0).then((r) => (r.result.case === "error" ? r.result.value.code : 0)));
    await expectCode(ErrorCode.UNAUTHENTICATED, c.fails("leaveAllRooms", {}));
    await expectCode(ErrorCode.INVALID_TOKEN, c.fails("login", { userId: "x", token: "nope" }));
    await expectCode(ErrorCode.TOKEN_EXPIRED, c.fails("login", { userId: "x", token: await mintToken(t.tokenSecret, "x", { expiresInSeconds: -5 }) }));
    const u = await user();
    await expectCode(ErrorCode.ALREADY_LOGGED_IN, u.fails("login", { userId: "y", token: "" }));
    await expectCode(ErrorCode.FEATURE_NOT_SUPPORTED, u.fails("advanceClock", { advanceMs: 1 }));
  });

  it("rate limits", async () => {
    const limited = await startTestServer({ limits: { requestRate: { maxCount: 2, windowMs: 60_000 } } });
    try {
      const u = await limited.user("r");
      await u.ok("leaveAllRooms", {});
      await u.ok("leaveAllRooms", {});
      const e = await u.fails("leaveAllRooms", {});
      await expectCode(ErrorCode.RATE_LIMITED, Promise.resolve(e));
      expect(e.detail?.retryAfterMs).toBeGreaterThan(50_000);
      await u.ping(); // never rate limited
    } finally {
      await limited.close();
    }
  });

  it("room codes", async () => {
    const [a, b, c] = [await user(), await user(), await user()];
    const r = room();
    await a.ok("createRoom", { roomInfo: { roomId: r } });
    await expectCode(ErrorCode.ROOM_NOT_FOUND, b.fails("joinRoom", { roomId: room() }));
    await expectCode(ErrorCode.ROOM_ALREADY_EXISTS, b.fails("createRoom", { roomInfo: { roomId: r } }));
    await expectCode(ErrorCode.ALREADY_IN_ROOM, a.fails("joinRoom", { roomId: r }));
    await expectCode(ErrorCode.NOT_IN_ROOM, b.fails("leaveRoom", { roomId: r }));
    await expectCode(ErrorCode.SWITCH_TO_SAME_ROOM, a.fails("switchRoom", { fromRoomId: r, toRoomInfo: { roomId: r } }));
    await b.ok("joinRoom", { roomId: r });
    await expectCode(ErrorCode.ROOM_FULL, c.fails("joinRoom", { roomId: r }));
    // The server holds at most 3 rooms.
    const d = await user();
    await d.ok("createRoom", { roomInfo: { roomId: `${r}-d1` } });
    await d.ok("createRoom", { roomInfo: { roomId: `${r}-d2` } });
    await expectCode(ErrorCode.SERVER_ROOM_LIMIT, d.fails("createRoom", { roomInfo: { roomId: room() } }));
    await d.ok("leaveAllRooms", {});
    const capped = await startTestServer();
    try {
      const u = await capped.user("cap");
      for (let i = 0; i < 5; i++) await u.ok("createRoom", { roomInfo: { roomId: `c${i}` } });
      await expectCode(ErrorCode.USER_ROOM_LIMIT, u.fails("createRoom", { roomInfo: { roomId: "c5" } }));
    } finally {
      await capped.close();
    }
  });

  it("attribute and message codes", async () => {
    const [a, b] = [await user(), await user()];
    const r = room();
    await a.ok("createRoom", { roomInfo: { roomId: r } });
    await b.ok("joinRoom", { roomId: r });
    await expectCode(ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG, a.fails("setRoomAttributes", { roomId: r, attributes: { ["k".repeat(17)]: "" } }));
    await expectCode(ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG, a.fails("setRoomAttributes", { roomId: r, attributes: { k: "v".repeat(1025) } }));
    await expectCode(ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT, a.fails("setRoomAttributes", { roomId: r, attributes: { a: "", b: "", c: "" } }));
    await expectCode(ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT, a.fails("setRoomAttributes", { roomId: r, attributes: { a: "12345678" } }));
    await a.ok("setRoomAttributes", { roomId: r, attributes: { a: "1" } });
    const notOwner = await b.ok("setRoomAttributes", { roomId: r, attributes: { a: "2" } });
    await expectCode(ErrorCode.ROOM_ATTRIBUTE_NOT_OWNER, Promise.resolve(notOwner.failedKeys[0]?.code ?? 0));
    const notFound = await b.ok("deleteRoomAttributes", { roomId: r, keys: ["zz"] });
    await expectCode(ErrorCode.ROOM_ATTRIBUTE_NOT_FOUND, Promise.resolve(notFound.failedKeys[0]?.code ?? 0));

    await expectCode(ErrorCode.MEMBER_ATTRIBUTE_KEY_TOO_LONG, a.fails("setRoomMembersAttributes", { roomId: r, userIds: ["x"], attributes: { ["k".repeat(9)]: "" } }));
    await expectCode(ErrorCode.MEMBER_ATTRIBUTE_VALUE_TOO_LONG, a.fails("setRoomMembersAttributes", { roomId: r, userIds: ["x"], attributes: { k: "v".repeat(65) } }));
    await expectCode(ErrorCode.MEMBER_ATTRIBUTE_COUNT_LIMIT, a.fails("setRoomMembersAttributes", { roomId: r, userIds: ["x"], attributes: { a: "", b: "", c: "" } }));
    const ids = await a.ok("queryRoomMembers", { roomId: r, userIds: ["u999"] });
    expect(ids.notFound).toHaveLength(1);
    const members = (await a.ok("queryRoomMemberList", { roomId: r })).members.map((m) => m.userId);
    const big = await a.ok("setRoomMembersAttributes", { roomId: r, userIds: [members[0]!], attributes: { a: "123456789" } });
    await expectCode(ErrorCode.MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT, Promise.resolve(big.failedUsers[0]?.code ?? 0));
    const two = await a.ok("setRoomMembersAttributes", { roomId: r, userIds: members, attributes: { a: "1" } });
    await expectCode(ErrorCode.MEMBER_ATTRIBUTE_USERS_LIMIT, Promise.resolve(two.failedUsers[0]?.code ?? 0));

    await expectCode(ErrorCode.MESSAGE_TOO_LARGE, a.fails("sendRoomMessage", { roomId: r, kind: 2, payload: new Uint8Array(9) }));
  });
});

describe("destroy delay with real timers", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
  });

  it("destroys an empty room after its delay (1 s), unless someone rejoins first", async () => {
    t = await startTestServer();
    const a = await t.user("a");
    await a.ok("createRoom", { roomInfo: { roomId: "r" }, config: { roomDestroyDelaySeconds: 1 } });
    await a.ok("leaveRoom", { roomId: "r" });
    await new Promise((r) => setTimeout(r, 600));
    await a.ok("joinRoom", { roomId: "r" }); // cancels
    await new Promise((r) => setTimeout(r, 600));
    await a.ok("leaveRoom", { roomId: "r" }); // a fresh 1 s from here
    expect(ErrorCode[(await a.fails("createRoom", { roomInfo: { roomId: "r" } })).code]).toBe("ROOM_ALREADY_EXISTS");
    await new Promise((r) => setTimeout(r, 1200));
    expect(ErrorCode[(await a.fails("joinRoom", { roomId: "r" })).code]).toBe("ROOM_NOT_FOUND");
    expect((await a.ok("createRoom", { roomInfo: { roomId: "r" } })).room?.roomSeq).toBe(0n);
  });

  it("with the test clock on, real time never destroys rooms", async () => {
    t = await startTestServer({ testClock: true });
    const a = await t.user("a");
    await a.ok("createRoom", { roomInfo: { roomId: "r" }, config: { roomDestroyDelaySeconds: 1 } });
    await a.ok("leaveRoom", { roomId: "r" });
    await new Promise((r) => setTimeout(r, 1200));
    await a.ok("joinRoom", { roomId: "r" });
    await a.ok("leaveRoom", { roomId: "r" });
    await a.ok("advanceClock", { advanceMs: 1000 });
    expect(ErrorCode[(await a.fails("joinRoom", { roomId: "r" })).code]).toBe("ROOM_NOT_FOUND");
  });
});
