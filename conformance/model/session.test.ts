// The model's own spec tests for sessions and the common check order
// (spec/session.md, spec/transport.md).
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Feature, JoinRoomRequestSchema } from "../../protocol/index.js";
import { connect, step } from "./step.js";
import { initialState } from "./state.js";
import { World, errorOf, result, rq, testConfig } from "./test-kit.js";

describe("login [LOGIN-CHECK-1..4, LOGIN-OK-1, INFO-1, INFO-3, INFO-4]", () => {
  it("answers with the server info the model was configured with", () => {
    const config = testConfig();
    const w = new World(config);
    w.state = connect(w.state, "s1", "json");
    const o = w.do("s1", rq.login("alice"));
    const info = result(o.reply, "login").serverInfo!;
    expect(info.protocolVersion).toBe("openroom.v1");
    expect(info.limits).toEqual(config.limits);
    expect(info.features).toEqual([Feature.MESSAGE_HISTORY]);
    expect(w.recipients()).toEqual([]);
  });

  it("checks in order: already logged in, user_id, user_name, token", () => {
    const w = new World().open("s1", "alice");
    // ALREADY_LOGGED_IN wins over a bad user_id.
    expect(errorOf(w.do("s1", rq.login("bad id!")).reply)).toBe("ALREADY_LOGGED_IN");
    w.state = connect(w.state, "s2", "binary");
    expect(errorOf(w.do("s2", rq.login("bad id!", "x".repeat(99)), { tokenVerdict: "invalid" }).reply)).toBe("INVALID_ARGUMENT(user_id)");
    expect(errorOf(w.do("s2", rq.login("", "")).reply)).toBe("INVALID_ARGUMENT(user_id)");
    expect(errorOf(w.do("s2", rq.login("b".repeat(17))).reply)).toBe("INVALID_ARGUMENT(user_id)");
    expect(errorOf(w.do("s2", rq.login("bob", "é".repeat(9)), { tokenVerdict: "expired" }).reply)).toBe("INVALID_ARGUMENT(user_name)");
    expect(errorOf(w.do("s2", rq.login("bob"), { tokenVerdict: "invalid" }).reply)).toBe("INVALID_TOKEN");
    expect(errorOf(w.do("s2", rq.login("alice"), { tokenVerdict: "expired" }).reply)).toBe("TOKEN_EXPIRED");
    // A failed Login leaves the connection open and affects no session of the same user [LOGIN-FAIL-1, LOGIN-FAIL-2].
    expect(w.recipients()).toEqual([]);
    expect(w.state.users.get("alice")).toBe("s1");
    expect(errorOf(w.do("s2", rq.login("bob")).reply)).toBe("ok");
  });

  it("user names of exactly max_user_name_bytes UTF-8 bytes are accepted [LIMIT-EXACT-1, TEXT-1]", () => {
    const w = new World();
    w.state = connect(w.state, "s1", "binary");
    expect(errorOf(w.do("s1", rq.login("a", "é".repeat(8))).reply)).toBe("ok");
  });
});

describe("the common check order [REQUEST-CHECK-1..5, REQUEST-AUTH-1, PING-1]", () => {
  const fresh = () => {
    const w = new World(testConfig({}, []));
    w.state = connect(w.state, "s1", "binary");
    return w;
  };

  it("request_id 0 comes first, even before an empty oneof", () => {
    const w = fresh();
    const o = w.do("s1", { case: undefined }, { requestId: 0 });
    expect(errorOf(o.reply)).toBe("INVALID_ARGUMENT(request_id)");
    expect(o.reply!.requestId).toBe(0);
  });

  it("an empty oneof before login is UNSUPPORTED_REQUEST, with the request's id", () => {
    const o = fresh().do("s1", { case: undefined }, { requestId: 7 });
    expect(errorOf(o.reply)).toBe("UNSUPPORTED_REQUEST");
    expect(o.reply!.requestId).toBe(7);
  });

  it("anything but Login and Ping before login is UNAUTHENTICATED, with no effect", () => {
    const w = fresh();
    expect(errorOf(w.do("s1", rq.create("r1")).reply)).toBe("UNAUTHENTICATED");
    expect(errorOf(w.do("s1", rq.advanceClock(0)).reply)).toBe("UNAUTHENTICATED");
    expect(w.state.rooms.size).toBe(0);
    expect(errorOf(w.do("s1", rq.ping()).reply)).toBe("ok");
  });

  it("a request kind needing an unadvertised feature fails before validation", () => {
    const w = fresh();
    w.do("s1", rq.login("alice"));
    expect(errorOf(w.do("s1", rq.advanceClock(0)).reply)).toBe("FEATURE_NOT_SUPPORTED");
    expect(errorOf(w.do("s1", rq.history("bad id!", 0)).reply)).toBe("FEATURE_NOT_SUPPORTED");
  });

  it("history_count > 0 without the feature is an argument check after room_id (transport.md note)", () => {
    const w = fresh();
    w.do("s1", rq.login("alice"));
    expect(errorOf(w.do("s1", rq.join("bad id!", 1)).reply)).toBe("INVALID_ARGUMENT(room_id)");
    expect(errorOf(w.do("s1", rq.join("nowhere", 1)).reply)).toBe("FEATURE_NOT_SUPPORTED");
    expect(errorOf(w.do("s1", rq.join("nowhere", 0)).reply)).toBe("ROOM_NOT_FOUND");
    // [ENTER-VALID-3, ENTER-VALID-4] also when the enter would create the room.
    expect(errorOf(w.do("s1", rq.enter("r1", { history: 1 })).reply)).toBe("FEATURE_NOT_SUPPORTED");
  });

  it("argument validation never depends on state", () => {
    const w = fresh();
    w.do("s1", rq.login("alice"));
    w.ok("s1", rq.create("r1"));
    // A join of an existing room the caller is in, with a bad history_count: the argument error wins.
    expect(errorOf(w.do("s1", rq.join("r1", 5)).reply)).toBe("FEATURE_NOT_SUPPORTED");
    const join = { case: "joinRoom" as const, value: create(JoinRoomRequestSchema, { roomId: "r1" }) };
    expect(errorOf(w.do("s1", join).reply)).toBe("ALREADY_IN_ROOM");
  });
});

describe("duplicate login [KICK-1, KICK-ROOMS-1, KICK-ROOMS-2, KICK-CONN-1, KICK-CLOSE-1]", () => {
  it("kicks the old session room by room in its join order, then closes it with 4001", () => {
    const w = new World().open("old", "alice").open("bob");
    w.ok("bob", rq.create("r1"));
    w.ok("bob", rq.create("r2"));
    w.ok("old", rq.join("r2"));
    w.ok("old", rq.join("r1"));
    w.ok("old", rq.setAttrs("r2", { k: "v" }, { deleteAfter: true }));
    w.ok("old", rq.setAttrs("r1", { keep: "v" }));
    w.state = connect(w.state, "new", "json");

    const o = w.do("new", rq.login("alice"));
    expect(errorOf(o.reply)).toBe("ok");
    expect(w.events("old")).toEqual([
      "(r2, DISCONNECTED, KICKED_OUT_BY_OTHER_DEVICE)",
      "(r1, DISCONNECTED, KICKED_OUT_BY_OTHER_DEVICE)",
      "conn DISCONNECTED KICKED_OUT",
    ]);
    // r2: joined #1, attrs #2, left #3, delete #4. r1: joined #1, attrs #2, left #3 (keep stays).
    expect(w.events("bob")).toEqual(["r2#3 left alice", "r2#4 attrs DELETE {k:} by alice", "r1#3 left alice"]);
    expect(w.events("new")).toEqual([]);
    expect([...o.closes]).toEqual([["old", 4001]]);
    expect(w.state.sessions.has("old")).toBe(false);
    expect(w.state.users.get("alice")).toBe("new");
    // [LOGIN-OK-2] the new session is in no room.
    expect(w.state.sessions.get("new")!.rooms).toEqual([]);
    expect([...w.state.rooms.get("r1")!.attributes.keys()]).toEqual(["keep"]);
  });

  it("a kick that empties a room destroys it per its delay", () => {
    const w = new World().open("old", "alice");
    w.ok("old", rq.create("r1"));
    w.ok("old", rq.create("r2", { delay: 5 }));
    w.state = connect(w.state, "new", "binary");
    w.do("new", rq.login("alice"));
    expect(w.state.rooms.has("r1")).toBe(false);
    expect(w.state.rooms.get("r2")?.members).toEqual([]);
  });
});

describe("logout [LOGOUT-1..4]", () => {
  it("leaves every room as leaveAllRooms, replies the rooms in join order, closes with 1000", () => {
    const w = new World().open("s1", "alice").open("s2", "bob");
    w.ok("s2", rq.create("r2"));
    w.ok("s1", rq.create("r1"));
    w.ok("s1", rq.join("r2"));
    const o = w.do("s1", rq.logout());
    expect(result(o.reply, "logout").roomIds).toEqual(["r1", "r2"]);
    expect(w.events("s1")).toEqual(["(r1, DISCONNECTED, SUCCESS)", "(r2, DISCONNECTED, SUCCESS)"]);
    expect(w.events("s2")).toEqual(["r2#2 left alice"]);
    expect([...o.closes]).toEqual([["s1", 1000]]);
    expect(w.state.users.has("alice")).toBe(false);
    expect(w.state.rooms.has("r1")).toBe(false);
  });
});

describe("disconnect [DISCONNECT-1, DISCONNECT-3]", () => {
  it("leaves every room in join order, sends nothing to the closed session", () => {
    const w = new World().open("s1", "alice").open("s2", "bob");
    w.ok("s2", rq.create("r1"));
    w.ok("s2", rq.create("r2"));
    w.ok("s1", rq.join("r2"));
    w.ok("s1", rq.join("r1"));
    const o = w.close("s1");
    expect(o.reply).toBeUndefined();
    expect(w.events("s1")).toEqual([]);
    expect(w.events("s2")).toEqual(["r2#2 left alice", "r1#2 left alice"]);
    expect(o.closes.size).toBe(0);
    // A later Login of the same user kicks no one.
    w.state = connect(w.state, "s3", "binary");
    const again = w.do("s3", rq.login("alice"));
    expect(again.closes.size).toBe(0);
    expect(w.recipients()).toEqual([]);
  });

  it("a step on a session that is not open is a harness error", () => {
    const state = initialState(testConfig());
    expect(() => step(state, "nobody", rq.ping(), { nowMs: 0 })).toThrow(/not open/);
  });
});
