// Sessions, global checks, rate limits, messages and the test clock against
// the pure core.
import { describe, expect, it } from "vitest";
import { ErrorCode, Feature } from "../../protocol/index.js";
import { TestClock } from "./clock.js";
import { CoreHarness } from "./core-test-support.js";

describe("global checks", () => {
  it("order: request_id 0, empty request, not logged in, then the operation", () => {
    const h = new CoreHarness();
    const s = h.session();
    const zero = h.call(s, undefined, 0);
    expect(zero.requestId).toBe(0);
    expect(zero.result.case === "error" && [ErrorCode[zero.result.value.code], zero.result.value.detail?.field]).toEqual(["INVALID_ARGUMENT", "request_id"]);
    const empty = h.call(s, undefined, 7);
    expect(empty.requestId).toBe(7);
    expect(empty.result.case === "error" && ErrorCode[empty.result.value.code]).toBe("UNSUPPORTED_REQUEST");
    expect(h.code(s, "createRoom", { roomInfo: { roomId: "" } })).toBe("UNAUTHENTICATED");
    expect(h.code(s, "logout", {})).toBe("UNAUTHENTICATED");
    h.ok(s, "ping", {});
    expect(h.call(s, { case: "ping", value: {} }, 0).result.case).toBe("error");
  });

  it("login validates user_id and user_name, then logs in; a second login on the connection fails", () => {
    const h = new CoreHarness();
    const s = h.session();
    const login = (userId: string, userName = "") => {
      const r = h.call(s, { case: "login", value: { userId, userName, token: "t" } });
      return r.result.case === "error" ? `${ErrorCode[r.result.value.code]}:${r.result.value.detail?.field}` : r.result.case;
    };
    expect(login("")).toBe("INVALID_ARGUMENT:user_id");
    expect(login("u".repeat(65))).toBe("INVALID_ARGUMENT:user_id");
    expect(login("a/b")).toBe("INVALID_ARGUMENT:user_id");
    expect(login("ok", "n".repeat(65))).toBe("INVALID_ARGUMENT:user_name");
    expect(login("A-z_0.9:@~", "ünïcødé")).toBe("login");
    expect(login("other")).toBe("ALREADY_LOGGED_IN:");
  });

  it("the login reply advertises protocol, limits and features exactly as configured", () => {
    const h = new CoreHarness({ limits: { maxRoomsPerUser: 9, requestRate: { maxCount: 7, windowMs: 100 } }, messageHistory: false, testClock: true });
    const s = h.session();
    const r = h.call(s, { case: "login", value: { userId: "u", token: "t" } });
    if (r.result.case !== "login") throw new Error("login failed");
    const info = r.result.value.serverInfo;
    expect(info?.protocolVersion).toBe("openroom.v1");
    expect(info?.limits?.maxRoomsPerUser).toBe(9);
    expect(info?.limits?.maxHistoryCount).toBe(0);
    expect(info?.limits?.requestRate).toMatchObject({ maxCount: 7, windowMs: 100 });
    expect(info?.features).toEqual([Feature.TEST_CLOCK]);
  });

  it("FEATURE_NOT_SUPPORTED for history and the test clock when not offered", () => {
    const h = new CoreHarness({ messageHistory: false, testClock: false });
    const s = h.login("u");
    expect(h.code(s, "queryRoomMessageHistory", { roomId: "", count: 0 })).toBe("FEATURE_NOT_SUPPORTED");
    expect(h.code(s, "advanceClock", { advanceMs: 0 })).toBe("FEATURE_NOT_SUPPORTED");
    const on = new CoreHarness();
    const t = on.login("u");
    expect(on.fails(t, "advanceClock", { advanceMs: 0 }).detail?.field).toBe("advance_ms");
    expect(on.fails(t, "advanceClock", { advanceMs: 86_400_001 }).detail?.field).toBe("advance_ms");
    expect(on.fails(t, "queryRoomMessageHistory", { roomId: "r", count: 0 }).detail?.field).toBe("count");
    expect(on.fails(t, "queryRoomMessageHistory", { roomId: "r", count: 51 }).detail?.field).toBe("count");
  });
});

describe("rate limits", () => {
  it("fixed windows from the first counted request; refused requests and pings do not count", () => {
    const h = new CoreHarness({ limits: { requestRate: { maxCount: 3, windowMs: 1000 } } });
    const s = h.login("u");
    h.now = 10_000;
    for (let i = 0; i < 3; i++) h.ok(s, "leaveAllRooms", {});
    h.ok(s, "ping", {});
    h.now = 10_400;
    const e = h.fails(s, "leaveAllRooms", {});
    expect(ErrorCode[e.code]).toBe("RATE_LIMITED");
    expect(e.detail?.retryAfterMs).toBe(600);
    h.now = 11_000; // the window ended: a new one starts here
    for (let i = 0; i < 3; i++) h.ok(s, "leaveAllRooms", {});
    expect(h.code(s, "leaveAllRooms", {})).toBe("RATE_LIMITED");
    // Argument errors count (they are not refused by the limit).
    h.now = 12_000;
    for (let i = 0; i < 3; i++) h.fails(s, "leaveRoom", { roomId: "" });
    expect(h.code(s, "leaveRoom", { roomId: "" })).toBe("RATE_LIMITED");
  });

  it("sendRoomMessage counts toward both limits; refused by message_rate it counts in neither", () => {
    const h = new CoreHarness({ limits: { requestRate: { maxCount: 4, windowMs: 1000 }, messageRate: { maxCount: 1, windowMs: 1000 } } });
    const s = h.login("u");
    h.ok(s, "createRoom", { roomInfo: { roomId: "r" } }); // request 1
    h.ok(s, "sendRoomMessage", { roomId: "r", kind: 1, payload: new Uint8Array() }); // 2, message 1
    const e = h.fails(s, "sendRoomMessage", { roomId: "r", kind: 1, payload: new Uint8Array() });
    expect(ErrorCode[e.code]).toBe("RATE_LIMITED");
    expect(e.message).toContain("message_rate");
    h.ok(s, "leaveAllRooms", {}); // 3
    h.ok(s, "leaveAllRooms", {}); // 4: the refused message did not count
    expect(h.fails(s, "leaveAllRooms", {}).message).toContain("request_rate");
  });

  it("0 means unlimited", () => {
    const h = new CoreHarness({ limits: { requestRate: { maxCount: 0, windowMs: 0 } } });
    const s = h.login("u");
    for (let i = 0; i < 5000; i++) h.ok(s, "leaveAllRooms", {});
  });
});

describe("kick, logout, disconnect", () => {
  it("a newer login kicks the older session: room events in join order, MemberLeft to others, KICKED_OUT, close 4001, before the reply", () => {
    const h = new CoreHarness();
    const [old, bob] = [h.login("alice"), h.login("bob")];
    h.ok(old, "createRoom", { roomInfo: { roomId: "r2" } });
    h.ok(bob, "createRoom", { roomInfo: { roomId: "r1" } });
    h.ok(old, "joinRoom", { roomId: "r1" });
    h.ok(old, "setRoomAttributes", { roomId: "r1", attributes: { mine: "1" }, isDeleteAfterOwnerLeft: true });
    h.drain();
    const fresh = h.login("alice", "Alice 2");
    expect(h.take(old)).toEqual(["r2 DISCONNECTED KICKED_OUT_BY_OTHER_DEVICE", "r1 DISCONNECTED KICKED_OUT_BY_OTHER_DEVICE", "connection DISCONNECTED KICKED_OUT"]);
    expect(h.take(bob)).toEqual(["r1#3 left alice", "r1#4 attrs DELETE mine= by alice"]);
    expect(h.closed).toEqual([{ session: old, code: 4001 }]);
    expect(h.state.rooms.has("r2")).toBe(false);
    expect(h.state.sessionsByUser.get("alice")).toBe(fresh);
    // The old session's later disconnect changes nothing.
    h.disconnect(old);
    expect(h.state.sessionsByUser.get("alice")).toBe(fresh);
    h.ok(fresh, "joinRoom", { roomId: "r1" });
    expect(h.take(bob)).toEqual(["r1#5 joined alice"]);
  });

  it("logout leaves all rooms like leaveAll and asks for close 1000 after the reply", () => {
    const h = new CoreHarness();
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    h.ok(alice, "createRoom", { roomInfo: { roomId: "a" } });
    h.ok(bob, "joinRoom", { roomId: "a" });
    h.ok(alice, "createRoom", { roomInfo: { roomId: "b" } });
    h.drain();
    const result = h.engine.handle(alice, { $typeName: "openroom.v1.ClientFrame", requestId: 5, request: { case: "logout", value: { $typeName: "openroom.v1.LogoutRequest" } } }, h.now);
    if ("pendingLogin" in result) throw new Error("unexpected");
    expect(result.closeAfterReply?.code).toBe(1000);
    expect(result.reply?.result.case === "logout" && result.reply.result.value.roomIds).toEqual(["a", "b"]);
    expect(result.outbound.map((o) => o.recipients.map((r) => r.userId).join(","))).toEqual(["alice", "bob", "alice"]);
    expect(h.state.sessionsByUser.has("alice")).toBe(false);
    expect(h.state.rooms.has("b")).toBe(false);
  });

  it("a dropped connection leaves every room in join order, telling only the others", () => {
    const h = new CoreHarness();
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    h.ok(bob, "createRoom", { roomInfo: { roomId: "x" } });
    h.ok(bob, "createRoom", { roomInfo: { roomId: "y" } });
    h.ok(alice, "joinRoom", { roomId: "y" });
    h.ok(alice, "joinRoom", { roomId: "x" });
    h.drain();
    h.disconnect(alice);
    expect(h.take(alice)).toEqual([]);
    expect(h.take(bob)).toEqual(["y#2 left alice", "x#2 left alice"]);
    expect(h.state.sessionsByUser.has("alice")).toBe(false);
  });
});

describe("messages", () => {
  const text = (s: string) => new TextEncoder().encode(s);

  it("every other member gets the message once; the sender gets the reply with the same message", () => {
    const h = new CoreHarness();
    const [a, b, c] = [h.login("a"), h.login("b"), h.login("c")];
    h.ok(a, "createRoom", { roomInfo: { roomId: "r" } });
    h.ok(b, "joinRoom", { roomId: "r" });
    h.ok(c, "createRoom", { roomInfo: { roomId: "elsewhere" } });
    h.drain();
    const res = h.ok(a, "sendRoomMessage", { roomId: "r", kind: 1, payload: text("hello") });
    expect(res.message).toMatchObject({ roomId: "r", senderUserId: "a", priority: 2, roomSeq: 2n, timestampMs: BigInt(h.now) });
    expect(h.take(a)).toEqual([]);
    expect(h.take(b)).toEqual(["r#2 message from a hello"]);
    expect(h.take(c)).toEqual([]);
    const second = h.ok(a, "sendRoomMessage", { roomId: "r", kind: 2, payload: new Uint8Array([0xff, 0]), priority: 3 });
    expect(second.message?.messageId).not.toBe(res.message?.messageId);
    expect(second.message?.priority).toBe(3);
  });

  it("validation order: room_id, kind, priority, payload size, TEXT UTF-8; then room and membership", () => {
    const h = new CoreHarness({ limits: { maxMessagePayloadBytes: 4 } });
    const [a, b] = [h.login("a"), h.login("b")];
    h.ok(a, "createRoom", { roomInfo: { roomId: "r" } });
    const code = (who: typeof a, req: { roomId: string; kind: number; payload: Uint8Array; priority?: number }) => {
      const e = h.fails(who, "sendRoomMessage", req);
      return `${ErrorCode[e.code]}:${e.detail?.field}`;
    };
    expect(code(a, { roomId: "", kind: 0, payload: text("") })).toBe("INVALID_ARGUMENT:room_id");
    expect(code(a, { roomId: "r", kind: 0, payload: text("") })).toBe("INVALID_ARGUMENT:kind");
    expect(code(a, { roomId: "r", kind: 3, payload: text("") })).toBe("INVALID_ARGUMENT:kind");
    expect(code(a, { roomId: "r", kind: 1, payload: text(""), priority: 4 })).toBe("INVALID_ARGUMENT:priority");
    expect(code(a, { roomId: "r", kind: 1, payload: text("12345") })).toBe("MESSAGE_TOO_LARGE:payload");
    expect(code(a, { roomId: "r", kind: 1, payload: new Uint8Array([0xc3]) })).toBe("INVALID_ARGUMENT:payload");
    h.ok(a, "sendRoomMessage", { roomId: "r", kind: 2, payload: new Uint8Array([0xc3]) });
    expect(code(a, { roomId: "nope", kind: 1, payload: text("") })).toBe("ROOM_NOT_FOUND:");
    expect(code(b, { roomId: "r", kind: 1, payload: text("") })).toBe("NOT_IN_ROOM:");
  });

  it("history keeps the last max_history_count messages, oldest first", () => {
    const h = new CoreHarness({ limits: { maxHistoryCount: 3 } });
    const a = h.login("a");
    h.ok(a, "createRoom", { roomInfo: { roomId: "r" } });
    for (let i = 1; i <= 5; i++) h.ok(a, "sendRoomMessage", { roomId: "r", kind: 1, payload: text(`m${i}`) });
    const got = h.ok(a, "queryRoomMessageHistory", { roomId: "r", count: 3 }).messages.map((m) => new TextDecoder().decode(m.payload));
    expect(got).toEqual(["m3", "m4", "m5"]);
    expect(h.ok(a, "queryRoomMessageHistory", { roomId: "r", count: 1 }).messages).toHaveLength(1);
    expect(h.state.rooms.get("r")?.history).toHaveLength(3);
  });
});

describe("robustness and cleanup", () => {
  it("an exception inside an operation becomes an INTERNAL reply; other sessions keep working", () => {
    // A scheduler that fails: leaving a room with a destroy delay throws inside the core.
    const failing = Object.assign(new TestClock(), {
      schedule: () => {
        throw new Error("scheduler down");
      },
    });
    const h = new CoreHarness({ scheduler: failing });
    const [a, b] = [h.login("a"), h.login("b")];
    h.ok(a, "createRoom", { roomInfo: { roomId: "delayed" }, config: { roomDestroyDelaySeconds: 5 } });
    h.drain();
    expect(h.code(a, "leaveRoom", { roomId: "delayed" })).toBe("INTERNAL");
    expect(h.internalErrors).toHaveLength(1);
    expect(h.take(a)).toEqual([]);
    h.ok(b, "createRoom", { roomInfo: { roomId: "fine" } });
    h.ok(a, "joinRoom", { roomId: "fine" });
  });

  it("nothing is left once every session is gone and every delay has run out", () => {
    const h = new CoreHarness({ limits: { maxRoomsPerUser: 10 } });
    const users = ["a", "b", "c"].map((u) => h.login(u));
    for (const [i, s] of users.entries()) {
      h.ok(s, "enterRoom", { roomInfo: { roomId: "shared" }, config: { roomDestroyDelaySeconds: 3 } });
      h.ok(s, "createRoom", { roomInfo: { roomId: `own${i}` }, config: { roomDestroyDelaySeconds: i } });
      h.ok(s, "setRoomMembersAttributes", { roomId: "shared", userIds: [s.userId], attributes: { k: "v" }, isDeleteAfterOwnerLeft: false });
    }
    h.ok(users[0]!, "logout", {});
    h.disconnect(users[1]!);
    h.login("c"); // kicks the third
    h.disconnect([...h.state.sessionsByUser.values()][0]!);
    expect(h.state.sessionsByUser.size).toBe(0);
    expect(h.state.rooms.size).toBeGreaterThan(0);
    h.clock.advance(3000);
    expect(h.state.rooms.size).toBe(0);
    expect(h.clock.pending).toBe(0);
  });
});
