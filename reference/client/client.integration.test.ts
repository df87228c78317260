// The client against the live reference server over real WebSockets on
// loopback, in both encodings: every method, the events it causes, typed
// error rejection, timeouts, close handling and reconnect.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import {
  ConnectionState,
  ConnectionStateReason,
  ErrorCode,
  Feature,
  RoomAttributesUpdateAction,
  RoomMessageKind,
  RoomMessagePriority,
  RoomState,
  RoomStateReason,
  type Encoding,
} from "../../protocol/index.js";
import type { OpenRoomClient } from "./client.js";
import { OpenRoomConnectionError, OpenRoomError, OpenRoomTimeoutError } from "./errors.js";
import type { KnownEvent } from "./events.js";
import { createClient } from "./node.js";
import { roomMessageText } from "./requests.js";
import { ClientPool, mintToken, recordEvents, startTestServer, uniqueId, type TestServer } from "./testing/live.js";

/** The rejection of `promise`, failing the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))}`);
    },
    (e: unknown) => e,
  );
}

/** Expects an OpenRoomError with `code` for request `kind`, and returns it. */
async function expectRefusal(promise: Promise<unknown>, code: ErrorCode, kind: string): Promise<OpenRoomError> {
  const e = await rejection(promise);
  expect(e).toBeInstanceOf(OpenRoomError);
  const error = e as OpenRoomError;
  expect(error.codeName).toBe(ErrorCode[code]);
  expect(error.requestKind).toBe(kind);
  expect(error.requestId).toBeGreaterThan(0);
  return error;
}

/** Room state events as "room STATE REASON" lines. */
function roomStates(events: KnownEvent[]): string[] {
  return events.flatMap((e) => (e.case === "roomStateChanged" ? [`${e.value.roomId} ${RoomState[e.value.state]} ${RoomStateReason[e.value.reason]}`] : []));
}

describe.each(["binary", "json"] as const)("client against the reference server (%s)", (encoding: Encoding) => {
  let server: TestServer;
  const pool = new ClientPool(() => server.url);
  const user = (userId?: string) => pool.user(encoding, userId);

  beforeAll(async () => {
    server = await startTestServer({ testClock: true });
  });
  afterEach(() => pool.closeAll());
  afterAll(() => server.close());

  describe("session", () => {
    it("pings before login, logs in with the server's info, logs out with its rooms and close 1000", async () => {
      const client = await pool.connect({ encoding });
      expect(client.encoding).toBe(encoding);
      await expect(client.ping()).resolves.toBeDefined();
      const userId = uniqueId("alice");
      const login = await client.login({ userId, userName: "Alice", token: await mintToken(userId) });
      expect(login.serverInfo?.protocolVersion).toBe("openroom.v1");
      expect(login.serverInfo?.limits?.maxRoomsPerUser).toBe(5);
      expect(login.serverInfo?.features).toEqual(expect.arrayContaining([Feature.MESSAGE_HISTORY, Feature.TEST_CLOCK]));
      expect(client.serverInfo).toBe(login.serverInfo);
      expect(client.userId).toBe(userId);
      const rooms = [uniqueId("room"), uniqueId("room")];
      for (const roomId of rooms) await client.createRoom({ roomInfo: { roomId } });
      const closes: unknown[][] = [];
      client.onClose((code, _reason, info) => closes.push([code, info.initiatedByClient]));
      const { events, take } = recordEvents(client);
      const logout = await client.logout();
      expect(logout.roomIds).toEqual(rooms);
      expect(roomStates(events)).toEqual(rooms.map((r) => `${r} DISCONNECTED SUCCESS`));
      take();
      expect(client.state).toBe("closed");
      expect(closes).toEqual([[1000, true]]);
      await expect(client.ping()).rejects.toBeInstanceOf(OpenRoomConnectionError);
    });

    it("refuses requests before login, bad and expired tokens, and a second login, keeping the connection open", async () => {
      const client = await pool.connect({ encoding });
      const userId = uniqueId("u");
      await expectRefusal(client.joinRoom("anything"), ErrorCode.UNAUTHENTICATED, "joinRoom");
      await expectRefusal(client.login({ userId, token: await mintToken(userId, { secret: "another secret" }) }), ErrorCode.INVALID_TOKEN, "login");
      await expectRefusal(client.login({ userId, token: await mintToken("someone-else") }), ErrorCode.INVALID_TOKEN, "login");
      await expectRefusal(client.login({ userId, token: await mintToken(userId, { expiresInSeconds: -60 }) }), ErrorCode.TOKEN_EXPIRED, "login");
      const badId = await expectRefusal(client.login({ userId: "not valid!", token: "x" }), ErrorCode.INVALID_ARGUMENT, "login");
      expect(badId.detail?.field).toBe("user_id");
      expect(client.userId).toBeUndefined();
      await client.login({ userId, token: await mintToken(userId) });
      await expectRefusal(client.login({ userId, token: await mintToken(userId) }), ErrorCode.ALREADY_LOGGED_IN, "login");
      expect(client.state).toBe("open");
    });
  });

  describe("rooms", () => {
    it("createRoom: state events and the attribute snapshot arrive before the reply", async () => {
      const alice = await user();
      const roomId = uniqueId("room");
      const { take } = recordEvents(alice);
      const created = await alice.createRoom({
        roomInfo: { roomId, roomName: "Room" },
        config: { roomAttributes: { topic: "rust" }, roomDestroyDelaySeconds: 30 },
      });
      expect(created.room?.baseInfo).toMatchObject({ roomId, roomName: "Room" });
      expect(created.room?.roomSeq).toBe(0n);
      expect(created.room?.roomDestroyDelaySeconds).toBe(30);
      const events = take();
      expect(roomStates(events)).toEqual([`${roomId} CONNECTING ACTIVE_CREATE`, `${roomId} CONNECTED SUCCESS`]);
      expect(events[2]).toMatchObject({
        case: "roomAttributesUpdated",
        value: { roomId, roomSeq: 0n, operatorUserId: "", info: { action: RoomAttributesUpdateAction.SET, attributes: { topic: "rust" } } },
      });
      expect(events).toHaveLength(3);
      await expectRefusal(alice.createRoom({ roomInfo: { roomId } }), ErrorCode.ROOM_ALREADY_EXISTS, "createRoom");
      const invalid = await expectRefusal(alice.createRoom({ roomInfo: { roomId: "no spaces" } }), ErrorCode.INVALID_ARGUMENT, "createRoom");
      expect(invalid.detail?.field).toBe("room_info.room_id");
    });

    it("joinRoom and enterRoom: the joiner's events, MemberJoined to the others, created flag", async () => {
      const [alice, bob, carol] = await Promise.all([user(), user(), user()]);
      const roomId = uniqueId("room");
      const aliceEvents = recordEvents(alice);
      const entered = await alice.enterRoom({ roomInfo: { roomId, roomName: "first" } });
      expect(entered.created).toBe(true);
      expect(roomStates(aliceEvents.take())).toEqual([`${roomId} CONNECTING ACTIVE_ENTER`, `${roomId} CONNECTED SUCCESS`]);

      const bobEvents = recordEvents(bob);
      const joined = await bob.joinRoom(roomId);
      expect(joined.room?.baseInfo?.roomName).toBe("first");
      expect(joined.room?.roomSeq).toBe(1n);
      expect(roomStates(bobEvents.take())).toEqual([`${roomId} CONNECTING ACTIVE_JOIN`, `${roomId} CONNECTED SUCCESS`]);

      const carolEnter = await carol.enterRoom({ roomInfo: { roomId, roomName: "ignored" } });
      expect(carolEnter.created).toBe(false);
      expect(carolEnter.room?.baseInfo?.roomName).toBe("first");

      await alice.ping();
      expect(aliceEvents.take()).toEqual([
        { case: "roomMemberJoined", value: expect.objectContaining({ roomId, roomSeq: 1n, members: [expect.objectContaining({ userId: bob.userId, userName: `name of ${bob.userId}` })] }) },
        { case: "roomMemberJoined", value: expect.objectContaining({ roomId, roomSeq: 2n, members: [expect.objectContaining({ userId: carol.userId })] }) },
      ]);
      await expectRefusal(bob.joinRoom(roomId), ErrorCode.ALREADY_IN_ROOM, "joinRoom");
      await expectRefusal(bob.joinRoom(uniqueId("absent")), ErrorCode.ROOM_NOT_FOUND, "joinRoom");
    });

    it("switchRoom: target entered, source left, members of each told; failures are typed", async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      const from = uniqueId("from");
      const to = uniqueId("to");
      await alice.createRoom({ roomInfo: { roomId: from } });
      await bob.joinRoom(from);
      const aliceEvents = recordEvents(alice);
      const bobEvents = recordEvents(bob);

      await expectRefusal(alice.switchRoom({ fromRoomId: from, toRoomInfo: { roomId: from } }), ErrorCode.SWITCH_TO_SAME_ROOM, "switchRoom");
      await expectRefusal(alice.switchRoom({ fromRoomId: from, toRoomInfo: { roomId: to } }), ErrorCode.ROOM_NOT_FOUND, "switchRoom");
      expect(roomStates(aliceEvents.take())).toEqual([`${to} CONNECTING ACTIVE_SWITCH`, `${to} DISCONNECTED SWITCH_FAILED`]);

      const switched = await alice.switchRoom({ fromRoomId: from, toRoomInfo: { roomId: to, roomName: "To" }, createIfAbsent: true });
      expect(switched.created).toBe(true);
      expect(switched.room?.baseInfo).toMatchObject({ roomId: to, roomName: "To" });
      expect(roomStates(aliceEvents.take())).toEqual([`${to} CONNECTING ACTIVE_SWITCH`, `${to} CONNECTED SUCCESS`, `${from} DISCONNECTED SUCCESS`]);
      await bob.ping();
      expect(bobEvents.take()).toEqual([{ case: "roomMemberLeft", value: expect.objectContaining({ roomId: from, members: [expect.objectContaining({ userId: alice.userId })] }) }]);
    });

    it("leaveRoom and leaveAllRooms: replies, own events, MemberLeft to the others, join order", async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      const rooms = [uniqueId("a"), uniqueId("b"), uniqueId("c")];
      for (const roomId of rooms) await alice.createRoom({ roomInfo: { roomId } });
      await bob.joinRoom(rooms[0]!);
      const bobEvents = recordEvents(bob);
      await expectRefusal(bob.leaveRoom(rooms[1]!), ErrorCode.NOT_IN_ROOM, "leaveRoom");
      expect((await alice.leaveRoom(rooms[1]!)).roomId).toBe(rooms[1]);
      const aliceEvents = recordEvents(alice);
      const all = await alice.leaveAllRooms();
      expect(all.roomIds).toEqual([rooms[0], rooms[2]]);
      expect(roomStates(aliceEvents.take())).toEqual([`${rooms[0]} DISCONNECTED SUCCESS`, `${rooms[2]} DISCONNECTED SUCCESS`]);
      await bob.ping();
      expect(bobEvents.take().map((e) => e.case)).toEqual(["roomMemberLeft"]);
      expect((await alice.leaveAllRooms()).roomIds).toEqual([]);
    });

    it("a sixth room fails USER_ROOM_LIMIT with no event", async () => {
      const alice = await user();
      const limit = alice.serverInfo?.limits?.maxRoomsPerUser ?? 0;
      for (let i = 0; i < limit; i++) await alice.createRoom({ roomInfo: { roomId: uniqueId("cap") } });
      const { take } = recordEvents(alice);
      await expectRefusal(alice.enterRoom({ roomInfo: { roomId: uniqueId("cap") } }), ErrorCode.USER_ROOM_LIMIT, "enterRoom");
      expect(take()).toEqual([]);
    });

    it("advanceClock drives the destroy delay on a test-clock server", async () => {
      const alice = await user();
      const roomId = uniqueId("delay");
      await alice.createRoom({ roomInfo: { roomId }, config: { roomDestroyDelaySeconds: 60 } });
      await alice.leaveRoom(roomId);
      const before = await alice.advanceClock(59_000);
      await alice.joinRoom(roomId); // still there, and joining cancels the destruction
      await alice.leaveRoom(roomId);
      const after = await alice.advanceClock({ advanceMs: 60_000 });
      expect(after.nowMs - before.nowMs).toBe(60_000n);
      await expectRefusal(alice.joinRoom(roomId), ErrorCode.ROOM_NOT_FOUND, "joinRoom");
      await expectRefusal(alice.advanceClock(0), ErrorCode.INVALID_ARGUMENT, "advanceClock");
    });
  });

  describe("members", () => {
    it("pages the member list, looks members up by ID and counts them", async () => {
      const [alice, bob, carol] = await Promise.all([user(), user(), user()]);
      const roomId = uniqueId("room");
      await alice.createRoom({ roomInfo: { roomId } });
      await bob.joinRoom(roomId);
      await carol.joinRoom(roomId);
      const first = await bob.queryRoomMemberList({ roomId, count: 2 });
      expect(first.members.map((m) => m.userId)).toEqual([alice.userId, bob.userId]);
      expect(first.nextToken).not.toBe("");
      const second = await bob.queryRoomMemberList({ roomId, count: 2, nextToken: first.nextToken });
      expect(second.members.map((m) => m.userId)).toEqual([carol.userId]);
      expect(second.nextToken).toBe("");
      expect((await carol.queryRoomMemberList(roomId)).members).toHaveLength(3);

      const ghost = uniqueId("ghost");
      const found = await alice.queryRoomMembers({ roomId, userIds: [carol.userId!, ghost] });
      expect(found.members.map((m) => [m.userId, m.userName])).toEqual([[carol.userId, `name of ${carol.userId}`]]);
      expect(found.notFound).toEqual([expect.objectContaining({ userId: ghost, code: ErrorCode.NOT_IN_ROOM })]);
      expect((await alice.queryRoomOnlineMemberCount(roomId)).count).toBe(3);

      const outsider = await user();
      await expectRefusal(outsider.queryRoomOnlineMemberCount(roomId), ErrorCode.NOT_IN_ROOM, "queryRoomOnlineMemberCount");
      const badToken = await expectRefusal(alice.queryRoomMemberList({ roomId, nextToken: "forged" }), ErrorCode.INVALID_ARGUMENT, "queryRoomMemberList");
      expect(badToken.detail?.field).toBe("next_token");
    });
  });

  describe("room attributes", () => {
    it("sets, refuses others' keys without force, deletes and queries, with an event to every member", async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      const roomId = uniqueId("room");
      await alice.createRoom({ roomInfo: { roomId } });
      await bob.joinRoom(roomId);
      await alice.ping();
      const aliceEvents = recordEvents(alice);
      const bobEvents = recordEvents(bob);

      expect((await alice.setRoomAttributes({ roomId, attributes: { seat: "alice", mood: "ok" } })).failedKeys).toEqual([]);
      const refused = await bob.setRoomAttributes({ roomId, attributes: { seat: "bob", color: "red" } });
      expect(refused.failedKeys).toEqual([expect.objectContaining({ key: "seat", code: ErrorCode.ROOM_ATTRIBUTE_NOT_OWNER })]);
      expect((await bob.setRoomAttributes({ roomId, attributes: { seat: "bob" }, isForce: true })).failedKeys).toEqual([]);
      expect((await alice.deleteRoomAttributes({ roomId, keys: ["mood", "nothing"] })).failedKeys).toEqual([
        expect.objectContaining({ key: "nothing", code: ErrorCode.ROOM_ATTRIBUTE_NOT_FOUND }),
      ]);
      expect((await bob.queryRoomAllAttributes(roomId)).attributes).toEqual({ seat: "bob", color: "red" });

      await Promise.all([alice.ping(), bob.ping()]);
      const updates = (events: KnownEvent[]) =>
        events.flatMap((e) => (e.case === "roomAttributesUpdated" ? [[RoomAttributesUpdateAction[e.value.info!.action], e.value.info!.attributes, e.value.operatorUserId]] : []));
      const expected = [
        ["SET", { seat: "alice", mood: "ok" }, alice.userId],
        ["SET", { color: "red" }, bob.userId],
        ["SET", { seat: "bob" }, bob.userId],
        ["DELETE", { mood: "" }, alice.userId],
      ];
      expect(updates(aliceEvents.take())).toEqual(expected);
      expect(updates(bobEvents.take())).toEqual(expected);
      await expectRefusal(alice.setRoomAttributes({ roomId, attributes: { "key-that-is-far-too-long": "v" } }), ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG, "setRoomAttributes");
    });

    it("begin/end batch: one atomic request and one batch event; a failing batch applies nothing and lists every key", async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      const roomId = uniqueId("room");
      await alice.createRoom({ roomInfo: { roomId }, config: { roomAttributes: { old: "1" } } });
      await bob.joinRoom(roomId);
      const bobEvents = recordEvents(bob);

      const batch = alice.beginRoomAttributesBatchOperation(roomId);
      batch.setRoomAttributes({ attributes: { a: "1", b: "2" } }).deleteRoomAttributes({ keys: ["old"] });
      expect((await alice.endRoomAttributesBatchOperation(batch)).roomId).toBe(roomId);
      await bob.ping();
      const [event, ...rest] = bobEvents.take();
      expect(rest).toEqual([]);
      expect(event).toMatchObject({ case: "roomAttributesBatchUpdated", value: { roomId, operatorUserId: alice.userId } });
      if (event?.case !== "roomAttributesBatchUpdated") throw new Error("unreachable");
      expect(event.value.infos.map((i) => [RoomAttributesUpdateAction[i.action], i.attributes])).toEqual([
        ["SET", { a: "1", b: "2" }],
        ["DELETE", { old: "" }],
      ]);

      const failing = bob.beginRoomAttributesBatchOperation(roomId).setRoomAttributes({ attributes: { a: "bob" } }).deleteRoomAttributes({ keys: ["missing"] });
      const error = await expectRefusal(failing.commit(), ErrorCode.ROOM_ATTRIBUTE_NOT_OWNER, "batchRoomAttributes");
      expect(error.detail?.keyFailures).toEqual([
        expect.objectContaining({ key: "a", code: ErrorCode.ROOM_ATTRIBUTE_NOT_OWNER }),
        expect.objectContaining({ key: "missing", code: ErrorCode.ROOM_ATTRIBUTE_NOT_FOUND }),
      ]);
      expect((await alice.queryRoomAllAttributes(roomId)).attributes).toEqual({ a: "1", b: "2" });
      await bob.ping();
      expect(bobEvents.take()).toEqual([]);
    });
  });

  describe("member attributes", () => {
    it("sets on members, reports non-members, queries by ID and pages the list", async () => {
      const [alice, bob, carol] = await Promise.all([user(), user(), user()]);
      const roomId = uniqueId("room");
      await alice.createRoom({ roomInfo: { roomId } });
      await bob.joinRoom(roomId);
      await carol.joinRoom(roomId);
      await bob.ping(); // barrier: bob has seen carol's MemberJoined before recording starts
      const bobEvents = recordEvents(bob);
      const ghost = uniqueId("ghost");

      const set = await alice.setRoomMembersAttributes({ roomId, userIds: [bob.userId!, ghost, alice.userId!], attributes: { seat: "1" } });
      expect(set.infos.map((i) => [i.userId, i.attributes])).toEqual([
        [bob.userId, { seat: "1" }],
        [alice.userId, { seat: "1" }],
      ]);
      expect(set.failedUsers).toEqual([expect.objectContaining({ userId: ghost, code: ErrorCode.NOT_IN_ROOM })]);
      await bob.ping();
      expect(bobEvents.take()).toEqual([{ case: "roomMemberAttributesUpdated", value: expect.objectContaining({ roomId, operatorUserId: alice.userId, infos: set.infos }) }]);

      const queried = await carol.queryRoomMembersAttributes({ roomId, userIds: [alice.userId!, carol.userId!, ghost] });
      expect(queried.infos.map((i) => [i.userId, i.attributes])).toEqual([
        [alice.userId, { seat: "1" }],
        [carol.userId, {}],
      ]);
      const page = await carol.queryRoomMemberAttributesList({ roomId, count: 1 });
      expect(page.infos.map((i) => i.userId)).toEqual([alice.userId]);
      const next = await carol.queryRoomMemberAttributesList({ roomId, count: 1, nextToken: page.nextToken });
      expect(next.infos.map((i) => i.userId)).toEqual([bob.userId]);
      expect(next.nextToken).toBe("");
      await expectRefusal(
        alice.setRoomMembersAttributes({ roomId, userIds: [bob.userId!], attributes: { "too-long-key": "v" } }),
        ErrorCode.MEMBER_ATTRIBUTE_KEY_TOO_LONG,
        "setRoomMembersAttributes",
      );
    });
  });

  describe("messages", () => {
    it("delivers a message to every other member exactly as replied, keeps history, and not to the sender", async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      const roomId = uniqueId("room");
      await alice.createRoom({ roomInfo: { roomId } });
      await bob.joinRoom(roomId);
      await alice.ping(); // barrier: alice has seen bob's MemberJoined before recording starts
      const aliceEvents = recordEvents(alice);
      const received: string[] = [];
      bob.on("roomMessageReceived", (e) => received.push(`${e.message?.senderUserId}: ${roomMessageText(e.message!)}`));
      const bobEvents = recordEvents(bob);

      const sent = await alice.sendRoomMessage({ roomId, payload: "héllo ✓", priority: RoomMessagePriority.HIGH });
      expect(sent.message).toMatchObject({ roomId, senderUserId: alice.userId, kind: RoomMessageKind.TEXT, priority: RoomMessagePriority.HIGH });
      const custom = await alice.sendRoomMessage({ roomId, payload: new Uint8Array([0, 255, 7]) });
      expect(custom.message?.kind).toBe(RoomMessageKind.CUSTOM);
      expect(custom.message?.priority).toBe(RoomMessagePriority.MEDIUM);

      await bob.ping();
      expect(received).toEqual([`${alice.userId}: héllo ✓`, `${alice.userId}: \u0000\ufffd\u0007`]);
      expect(bobEvents.take()).toEqual([
        { case: "roomMessageReceived", value: expect.objectContaining({ roomId, roomSeq: sent.message!.roomSeq, message: sent.message }) },
        { case: "roomMessageReceived", value: expect.objectContaining({ message: custom.message }) },
      ]);
      await alice.ping();
      expect(aliceEvents.take()).toEqual([]);

      const history = await bob.queryRoomMessageHistory({ roomId, count: 10 });
      expect(history.messages).toEqual([sent.message, custom.message]);
      const carol = await user();
      const joined = await carol.joinRoom({ roomId, historyCount: 1 });
      expect(joined.history).toEqual([custom.message]);
      await expectRefusal(alice.sendRoomMessage({ roomId: uniqueId("absent"), payload: "x" }), ErrorCode.ROOM_NOT_FOUND, "sendRoomMessage");
      await expectRefusal(alice.sendRoomMessage({ roomId, payload: "x", kind: RoomMessageKind.UNSPECIFIED }), ErrorCode.INVALID_ARGUMENT, "sendRoomMessage");
    });
  });

  describe("close and reconnect", () => {
    it("a newer login kicks the older session: its rooms' events, KICKED_OUT, then close 4001", async () => {
      const userId = uniqueId("dup");
      const first = await user(userId);
      const roomId = uniqueId("room");
      await first.createRoom({ roomInfo: { roomId } });
      const seen: string[] = [];
      first.on("event", (e) => {
        if (e.case === "roomStateChanged") seen.push(`room ${RoomState[e.value.state]} ${RoomStateReason[e.value.reason]}`);
        if (e.case === "connectionStateChanged") seen.push(`connection ${ConnectionState[e.value.state]} ${ConnectionStateReason[e.value.reason]}`);
      });
      const closed = new Promise<unknown[]>((resolve) => first.onClose((...args) => resolve(args)));
      const second = await user(userId);
      expect(await closed).toEqual([4001, expect.any(String), { initiatedByClient: false }]);
      expect(seen).toEqual(["room DISCONNECTED KICKED_OUT_BY_OTHER_DEVICE", "connection DISCONNECTED KICKED_OUT"]);
      expect(first.state).toBe("closed");
      const e = await rejection(first.ping());
      expect(e).toBeInstanceOf(OpenRoomConnectionError);
      expect((e as OpenRoomConnectionError).closeCode).toBe(4001);
      expect(second.userId).toBe(userId);
    });

    it("reconnect() logs in again on a new connection; rooms are not re-entered until the app does it", async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      const roomId = uniqueId("room");
      await alice.createRoom({ roomInfo: { roomId } });
      await bob.joinRoom(roomId);
      const bobEvents = recordEvents(bob);
      const closes: unknown[][] = [];
      alice.onClose((code, _reason, info) => closes.push([code, info.initiatedByClient]));
      const reconnects: unknown[] = [];
      alice.onReconnect((info) => reconnects.push(info.login?.serverInfo?.protocolVersion));

      const login = await alice.reconnect();
      expect(login?.serverInfo?.protocolVersion).toBe("openroom.v1");
      expect(reconnects).toEqual(["openroom.v1"]);
      expect(closes).toEqual([[1000, true]]);
      expect(alice.state).toBe("open");
      await bob.ping();
      expect(bobEvents.take()).toEqual([{ case: "roomMemberLeft", value: expect.objectContaining({ roomId, members: [expect.objectContaining({ userId: alice.userId })] }) }]);
      await expectRefusal(alice.queryRoomOnlineMemberCount(roomId), ErrorCode.NOT_IN_ROOM, "queryRoomOnlineMemberCount");

      // The documented pattern: re-enter rooms in an onReconnect listener.
      const reentered = new Promise<void>((resolve) => alice.onReconnect(() => void alice.joinRoom(roomId).then(() => resolve())));
      await alice.reconnect();
      await reentered;
      expect((await bob.queryRoomOnlineMemberCount(roomId)).count).toBe(2);
    });

    it("after a kick, reconnect() with the last credentials takes the session back", async () => {
      const userId = uniqueId("back");
      const first = await user(userId);
      const kicked = new Promise<number>((resolve) => first.onClose((code) => resolve(code)));
      const second = await user(userId);
      expect(await kicked).toBe(4001);
      const secondKicked = new Promise<number>((resolve) => second.onClose((code) => resolve(code)));
      await first.reconnect({ token: await mintToken(userId) });
      expect(await secondKicked).toBe(4001);
      expect(first.userId).toBe(userId);
      await expect(first.ping()).resolves.toBeDefined();
    });
  });
});

describe("servers configured otherwise", () => {
  it("a refused rate-limited request carries detail.retryAfterMs; an unadvertised feature is FEATURE_NOT_SUPPORTED", async () => {
    const server = await startTestServer({ limits: { requestRate: { maxCount: 2, windowMs: 60_000 } }, messageHistory: false });
    const pool = new ClientPool(() => server.url);
    try {
      const featureless = await pool.user("json");
      expect(featureless.serverInfo?.features).toEqual([]);
      await expectRefusal(featureless.advanceClock(1), ErrorCode.FEATURE_NOT_SUPPORTED, "advanceClock");
      await expectRefusal(featureless.joinRoom({ roomId: "r", historyCount: 1 }), ErrorCode.FEATURE_NOT_SUPPORTED, "joinRoom");

      // Rate limits are per session: a fresh one has its whole window.
      const client = await pool.user("json");
      expect(client.serverInfo?.limits?.requestRate).toMatchObject({ maxCount: 2, windowMs: 60_000 });
      await client.leaveAllRooms();
      await client.leaveAllRooms();
      const limited = await expectRefusal(client.leaveAllRooms(), ErrorCode.RATE_LIMITED, "leaveAllRooms");
      expect(limited.detail?.retryAfterMs).toBeGreaterThan(0);
      expect(limited.detail?.retryAfterMs).toBeLessThanOrEqual(60_000);
      await expect(client.ping()).resolves.toBeDefined(); // never rate limited
    } finally {
      await pool.closeAll();
      await server.close();
    }
  });
});

describe("server shutdown", () => {
  it("the client sees SERVER_SHUTDOWN, then close 1001", async () => {
    const server = await startTestServer();
    const pool = new ClientPool(() => server.url);
    try {
      const client = await pool.user("binary");
      const seen: string[] = [];
      client.on("connectionStateChanged", (e) => seen.push(`${ConnectionState[e.state]} ${ConnectionStateReason[e.reason]}`));
      const closed = new Promise<number>((resolve) => client.onClose((code) => resolve(code)));
      const shutdown = server.close();
      expect(await closed).toBe(1001);
      expect(seen).toEqual(["DISCONNECTED SERVER_SHUTDOWN"]);
      await shutdown;
    } finally {
      await pool.closeAll();
    }
  });
});

describe("against a server that never answers", () => {
  let silent: WebSocketServer;
  let url: string;
  const clients: OpenRoomClient[] = [];
  beforeAll(async () => {
    // A real WebSocket server that completes the handshake and then stays silent.
    silent = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: (protocols) => [...protocols][0] ?? false });
    await new Promise<void>((resolve) => silent.once("listening", () => resolve()));
    const address = silent.address();
    if (address === null || typeof address === "string") throw new Error("unexpected address");
    url = `ws://127.0.0.1:${address.port}`;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    for (const ws of silent.clients) ws.terminate();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it.each(["binary", "json"] as const)("rejects with OpenRoomTimeoutError after the request timeout (%s)", async (encoding) => {
    const client = createClient(url, { encoding, requestTimeoutMs: 100 });
    clients.push(client);
    await client.connect();
    const e = await rejection(client.ping());
    expect(e).toBeInstanceOf(OpenRoomTimeoutError);
    expect(e).toMatchObject({ requestKind: "ping", requestId: 1, timeoutMs: 100 });
    const slow = await rejection(client.leaveAllRooms({ timeoutMs: 50 }));
    expect(slow).toMatchObject({ name: "OpenRoomTimeoutError", requestKind: "leaveAllRooms", timeoutMs: 50 });
  });

  it("rejects outstanding requests with OpenRoomConnectionError when the connection drops", async () => {
    const client = createClient(url, { requestTimeoutMs: 0 });
    clients.push(client);
    const accepted = new Promise<import("ws").WebSocket>((resolve) => silent.once("connection", resolve));
    await client.connect();
    const serverSide = await accepted;
    const closes: unknown[][] = [];
    client.onClose((code, reason, info) => closes.push([code, reason, info.initiatedByClient]));
    const pending = [client.ping(), client.joinRoom("r")];
    await new Promise<void>((resolve) => serverSide.once("message", () => resolve()));
    serverSide.terminate();
    for (const p of pending) {
      const e = await rejection(p);
      expect(e).toBeInstanceOf(OpenRoomConnectionError);
      expect((e as OpenRoomConnectionError).closeCode).toBe(1006);
    }
    expect(closes).toEqual([[1006, "", false]]);
  });

  it("a server closing with a code and reason is reported to onClose", async () => {
    const client = createClient(url);
    clients.push(client);
    const accepted = new Promise<import("ws").WebSocket>((resolve) => silent.once("connection", resolve));
    await client.connect();
    const closed = new Promise<unknown[]>((resolve) => client.onClose((...args) => resolve(args)));
    (await accepted).close(4002, "slow consumer");
    expect(await closed).toEqual([4002, "slow consumer", { initiatedByClient: false }]);
  });
});

describe("connecting to nothing", () => {
  it("rejects connect() with OpenRoomConnectionError", async () => {
    // A port that was free a moment ago: bind, read the port, release it.
    const probe = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => probe.once("listening", () => resolve()));
    const address = probe.address();
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (address === null || typeof address === "string") throw new Error("unexpected address");
    const client = createClient(`ws://127.0.0.1:${address.port}`);
    const e = await rejection(client.connect());
    expect(e).toBeInstanceOf(OpenRoomConnectionError);
    expect((e as OpenRoomConnectionError).requestKind).toBe("connect");
    expect(client.state).toBe("closed");
  });
});
