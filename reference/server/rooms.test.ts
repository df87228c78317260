// Room lifecycle against the pure core: create, join, enter, switch, leave,
// leave all, caps, destroy delay, room_seq — with the exact event lists.
import { describe, expect, it } from "vitest";
import { CoreHarness } from "./core-test-support.js";

const info = (roomId: string, roomName = `${roomId}-name`) => ({ roomId, roomName });

describe("createRoom", () => {
  it("creates with seq 0, the caller's events in order and a snapshot of config attributes", () => {
    const h = new CoreHarness();
    const alice = h.login("alice");
    const res = h.ok(alice, "createRoom", { roomInfo: info("r1", "Room One"), config: { roomAttributes: { b: "2", a: "1" }, roomDestroyDelaySeconds: 30 } });
    expect(res.room?.baseInfo).toMatchObject({ roomId: "r1", roomName: "Room One" });
    expect(res.room?.roomSeq).toBe(0n);
    expect(res.room?.roomDestroyDelaySeconds).toBe(30);
    expect(h.take(alice)).toEqual(["r1 CONNECTING ACTIVE_CREATE", "r1 CONNECTED SUCCESS", "r1#0 attrs SET a=1,b=2 by -"]);
    expect(h.state.rooms.get("r1")?.attributes.get("a")).toEqual({ value: "1", owner: "alice", deleteAfterOwnerLeft: false });
  });

  it("sends no snapshot when the room has no attributes", () => {
    const h = new CoreHarness();
    const alice = h.login("alice");
    h.ok(alice, "createRoom", { roomInfo: info("r1") });
    expect(h.take(alice)).toEqual(["r1 CONNECTING ACTIVE_CREATE", "r1 CONNECTED SUCCESS"]);
  });

  it("validates arguments in order before any state check", () => {
    const h = new CoreHarness();
    const alice = h.login("alice");
    h.ok(alice, "createRoom", { roomInfo: info("taken") });
    const code = (roomInfo: { roomId: string; roomName?: string }, config?: object) => {
      const e = h.fails(alice, "createRoom", { roomInfo, ...(config && { config }) });
      return `${e.code}:${e.detail?.field}`;
    };
    expect(code({ roomId: "" })).toBe("103:room_info.room_id");
    expect(code({ roomId: "x".repeat(129) })).toBe("103:room_info.room_id");
    expect(code({ roomId: "bad id" })).toBe("103:room_info.room_id");
    expect(code({ roomId: "é" })).toBe("103:room_info.room_id");
    // Validation comes before ROOM_ALREADY_EXISTS.
    expect(code({ roomId: "taken", roomName: "n".repeat(65) })).toBe("103:room_info.room_name");
    expect(code({ roomId: "taken" }, { roomDestroyDelaySeconds: 10_801 })).toBe("103:config.room_destroy_delay_seconds");
    expect(code({ roomId: "taken" }, { roomAttributes: { "": "v" } })).toBe("401:config.room_attributes");
    expect(code({ roomId: "taken" }, { roomAttributes: { a: "x".repeat(1025), ["k".repeat(17)]: "v" } })).toBe("402:config.room_attributes");
    expect(code({ roomId: "taken" }, { roomAttributes: { ["k".repeat(17)]: "v", a: "x".repeat(1025) } })).toBe("402:config.room_attributes");
    expect(code({ roomId: "taken" }, { roomAttributes: { b: "x".repeat(1025), ["a".repeat(17)]: "v" } })).toBe("401:config.room_attributes");
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]));
    expect(code({ roomId: "taken" }, { roomAttributes: many })).toBe("400:config.room_attributes");
    const big = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, "x".repeat(1000)]));
    expect(code({ roomId: "taken" }, { roomAttributes: big })).toBe("403:config.room_attributes");
    expect(code({ roomId: "taken" })).toBe("301:");
    expect(h.take(alice).filter((e) => !e.startsWith("taken"))).toEqual([]);
  });

  it("ROOM_ALREADY_EXISTS for a room waiting out its delay, and before USER_ROOM_LIMIT", () => {
    const h = new CoreHarness({ limits: { maxRoomsPerUser: 1 } });
    const alice = h.login("alice");
    h.ok(alice, "createRoom", { roomInfo: info("pending"), config: { roomDestroyDelaySeconds: 10 } });
    h.ok(alice, "leaveRoom", { roomId: "pending" });
    expect(h.state.rooms.has("pending")).toBe(true);
    expect(h.code(alice, "createRoom", { roomInfo: info("pending") })).toBe("ROOM_ALREADY_EXISTS");
    h.ok(alice, "createRoom", { roomInfo: info("mine") });
    expect(h.code(alice, "createRoom", { roomInfo: info("mine") })).toBe("ROOM_ALREADY_EXISTS");
    expect(h.code(alice, "createRoom", { roomInfo: info("new") })).toBe("USER_ROOM_LIMIT");
  });

  it("a 6th room fails USER_ROOM_LIMIT with no side effect", () => {
    const h = new CoreHarness();
    const alice = h.login("alice");
    for (let i = 1; i <= 5; i++) h.ok(alice, "createRoom", { roomInfo: info(`r${i}`) });
    h.drain();
    const e = h.fails(alice, "createRoom", { roomInfo: info("r6") });
    expect(e.code).toBe(304);
    expect(e.detail?.limit).toBe(5n);
    expect(h.state.rooms.has("r6")).toBe(false);
    expect(h.take(alice)).toEqual([]);
  });

  it("SERVER_ROOM_LIMIT counts rooms waiting out their delay; 0 means no limit", () => {
    const h = new CoreHarness({ limits: { maxRoomsPerServer: 2 } });
    const alice = h.login("alice");
    h.ok(alice, "createRoom", { roomInfo: info("a"), config: { roomDestroyDelaySeconds: 5 } });
    h.ok(alice, "leaveRoom", { roomId: "a" });
    h.ok(alice, "createRoom", { roomInfo: info("b") });
    expect(h.code(alice, "createRoom", { roomInfo: info("c") })).toBe("SERVER_ROOM_LIMIT");
    h.ok(alice, "advanceClock", { advanceMs: 5000 });
    h.ok(alice, "createRoom", { roomInfo: info("c") });

    const free = new CoreHarness({ limits: { maxRoomsPerServer: 0, maxRoomsPerUser: 50 } });
    const bob = free.login("bob");
    for (let i = 0; i < 30; i++) free.ok(bob, "createRoom", { roomInfo: info(`r${i}`) });
  });
});

describe("joinRoom", () => {
  it("MemberJoined to the others with the new seq; caller events and snapshot; reply seq after", () => {
    const h = new CoreHarness();
    const [alice, bob, carol] = [h.login("alice"), h.login("bob", "Bob B"), h.login("carol")];
    h.ok(alice, "createRoom", { roomInfo: info("r"), config: { roomAttributes: { k: "v" } } });
    h.ok(carol, "joinRoom", { roomId: "r" });
    h.drain();
    const res = h.ok(bob, "joinRoom", { roomId: "r" });
    expect(res.room?.roomSeq).toBe(2n);
    expect(res.room?.baseInfo?.roomName).toBe("r-name");
    expect(h.take(bob)).toEqual(["r CONNECTING ACTIVE_JOIN", "r CONNECTED SUCCESS", "r#2 attrs SET k=v by -"]);
    expect(h.take(alice)).toEqual(["r#2 joined bob"]);
    expect(h.take(carol)).toEqual(["r#2 joined bob"]);
  });

  it("fails in order: room_id, history feature, history bound, ROOM_NOT_FOUND, ALREADY_IN_ROOM, USER_ROOM_LIMIT, ROOM_FULL", () => {
    const h = new CoreHarness({ limits: { maxRoomsPerUser: 2, maxMembersPerRoom: 2 } });
    const [alice, bob, carol] = [h.login("alice"), h.login("bob"), h.login("carol")];
    h.ok(alice, "createRoom", { roomInfo: info("r") });
    expect(h.fails(bob, "joinRoom", { roomId: "" }).detail?.field).toBe("room_id");
    expect(h.fails(bob, "joinRoom", { roomId: "r", historyCount: 51 }).detail?.field).toBe("history_count");
    expect(h.code(bob, "joinRoom", { roomId: "nope" })).toBe("ROOM_NOT_FOUND");
    expect(h.code(alice, "joinRoom", { roomId: "r" })).toBe("ALREADY_IN_ROOM");
    h.ok(bob, "createRoom", { roomInfo: info("b1") });
    h.ok(bob, "createRoom", { roomInfo: info("b2") });
    expect(h.code(bob, "joinRoom", { roomId: "r" })).toBe("USER_ROOM_LIMIT");
    h.ok(carol, "joinRoom", { roomId: "r" });
    h.ok(bob, "leaveRoom", { roomId: "b1" });
    expect(h.code(bob, "joinRoom", { roomId: "r" })).toBe("ROOM_FULL");

    const noHistory = new CoreHarness({ messageHistory: false });
    const dave = noHistory.login("dave");
    expect(noHistory.code(dave, "joinRoom", { roomId: "r", historyCount: 1 })).toBe("FEATURE_NOT_SUPPORTED");
    expect(noHistory.code(dave, "joinRoom", { roomId: "r", historyCount: 0 })).toBe("ROOM_NOT_FOUND");
  });

  it("returns the last history_count messages, oldest first", () => {
    const h = new CoreHarness();
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    h.ok(alice, "createRoom", { roomInfo: info("r") });
    for (const text of ["one", "two", "three"]) h.ok(alice, "sendRoomMessage", { roomId: "r", kind: 1, payload: new TextEncoder().encode(text) });
    const res = h.ok(bob, "joinRoom", { roomId: "r", historyCount: 2 });
    expect(res.history.map((m) => new TextDecoder().decode(m.payload))).toEqual(["two", "three"]);
    expect(res.history.map((m) => m.roomSeq)).toEqual([2n, 3n]);
  });
});

describe("enterRoom", () => {
  it("creates when absent (created=true, ACTIVE_ENTER) and joins when present (name and config ignored)", () => {
    const h = new CoreHarness();
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    const a = h.ok(alice, "enterRoom", { roomInfo: info("r", "Alice's"), config: { roomAttributes: { k: "v" } } });
    expect(a.created).toBe(true);
    expect(a.history).toEqual([]);
    expect(h.take(alice)).toEqual(["r CONNECTING ACTIVE_ENTER", "r CONNECTED SUCCESS", "r#0 attrs SET k=v by -"]);
    const b = h.ok(bob, "enterRoom", { roomInfo: info("r", "Bob's"), config: { roomAttributes: { x: "y" }, roomDestroyDelaySeconds: 99 } });
    expect(b.created).toBe(false);
    expect(b.room?.baseInfo?.roomName).toBe("Alice's");
    expect(b.room?.roomDestroyDelaySeconds).toBe(0);
    expect(b.room?.roomSeq).toBe(1n);
    expect(h.take(bob)).toEqual(["r CONNECTING ACTIVE_ENTER", "r CONNECTED SUCCESS", "r#1 attrs SET k=v by -"]);
    expect(h.take(alice)).toEqual(["r#1 joined bob"]);
  });

  it("validates create and join arguments even when the room exists", () => {
    const h = new CoreHarness({ limits: { maxRoomsPerUser: 1 } });
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    h.ok(alice, "createRoom", { roomInfo: info("r") });
    expect(h.fails(bob, "enterRoom", { roomInfo: { roomId: "r", roomName: "n".repeat(65) } }).detail?.field).toBe("room_info.room_name");
    expect(h.fails(bob, "enterRoom", { roomInfo: info("r"), config: { roomDestroyDelaySeconds: 20_000 } }).detail?.field).toBe(
      "config.room_destroy_delay_seconds",
    );
    expect(h.fails(bob, "enterRoom", { roomInfo: info("r"), historyCount: 99 }).detail?.field).toBe("history_count");
    expect(h.code(alice, "enterRoom", { roomInfo: info("r") })).toBe("ALREADY_IN_ROOM");
    expect(h.code(alice, "enterRoom", { roomInfo: info("other") })).toBe("USER_ROOM_LIMIT");
    h.ok(bob, "enterRoom", { roomInfo: info("r") });
  });

  it("is observably createRoom or joinRoom except the CONNECTING reason", () => {
    const run = (op: "enter" | "direct") => {
      const h = new CoreHarness();
      const [alice, bob] = [h.login("alice"), h.login("bob")];
      const first =
        op === "enter"
          ? h.ok(alice, "enterRoom", { roomInfo: info("r"), config: { roomAttributes: { k: "v" } } }).room
          : h.ok(alice, "createRoom", { roomInfo: info("r"), config: { roomAttributes: { k: "v" } } }).room;
      const second = op === "enter" ? h.ok(bob, "enterRoom", { roomInfo: info("r") }).room : h.ok(bob, "joinRoom", { roomId: "r" }).room;
      const norm = (events: string[]) => events.map((e) => e.replace(/ACTIVE_(ENTER|CREATE|JOIN)/, "ACTIVE_*"));
      return { first, second, alice: norm(h.take(alice)), bob: norm(h.take(bob)) };
    };
    expect(run("enter")).toEqual(run("direct"));
  });
});

describe("switchRoom", () => {
  it("success: caller events in order, Joined to the target's members, Left to the source's", () => {
    const h = new CoreHarness();
    const [alice, bob, carol] = [h.login("alice"), h.login("bob"), h.login("carol")];
    h.ok(alice, "createRoom", { roomInfo: info("from") });
    h.ok(bob, "joinRoom", { roomId: "from" });
    h.ok(carol, "createRoom", { roomInfo: info("to"), config: { roomAttributes: { k: "v" } } });
    h.drain();
    const res = h.ok(alice, "switchRoom", { fromRoomId: "from", toRoomInfo: info("to") });
    expect(res.created).toBe(false);
    expect(res.room?.baseInfo?.roomId).toBe("to");
    expect(res.room?.roomSeq).toBe(1n);
    expect(h.take(alice)).toEqual(["to CONNECTING ACTIVE_SWITCH", "to CONNECTED SUCCESS", "to#1 attrs SET k=v by -", "from DISCONNECTED SUCCESS"]);
    expect(h.take(carol)).toEqual(["to#1 joined alice"]);
    expect(h.take(bob)).toEqual(["from#2 left alice"]);
    expect([...alice.rooms]).toEqual(["to"]);
  });

  it("creates the target when absent and asked, with its name and config; the emptied source is destroyed", () => {
    const h = new CoreHarness();
    const alice = h.login("alice");
    h.ok(alice, "createRoom", { roomInfo: info("from") });
    h.drain();
    const res = h.ok(alice, "switchRoom", { fromRoomId: "from", toRoomInfo: info("to", "New"), createIfAbsent: true, config: { roomDestroyDelaySeconds: 7 } });
    expect(res.created).toBe(true);
    expect(res.room).toMatchObject({ roomSeq: 0n, roomDestroyDelaySeconds: 7, baseInfo: { roomName: "New" } });
    expect(h.take(alice)).toEqual(["to CONNECTING ACTIVE_SWITCH", "to CONNECTED SUCCESS", "from DISCONNECTED SUCCESS"]);
    expect(h.state.rooms.has("from")).toBe(false);
    expect(h.state.rooms.get("to")?.attributes.size).toBe(0);
  });

  it("validation failures are plain errors with no events, in order", () => {
    const h = new CoreHarness();
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    h.ok(alice, "createRoom", { roomInfo: info("a") });
    h.ok(alice, "createRoom", { roomInfo: info("b") });
    h.ok(bob, "createRoom", { roomInfo: info("c") });
    h.drain();
    expect(h.fails(alice, "switchRoom", { fromRoomId: "", toRoomInfo: info("a") }).detail?.field).toBe("from_room_id");
    expect(h.fails(alice, "switchRoom", { fromRoomId: "a", toRoomInfo: { roomId: "a", roomName: "n".repeat(65) } }).detail?.field).toBe(
      "to_room_info.room_name",
    );
    expect(h.code(alice, "switchRoom", { fromRoomId: "a", toRoomInfo: info("a") })).toBe("SWITCH_TO_SAME_ROOM");
    expect(h.code(alice, "switchRoom", { fromRoomId: "nope", toRoomInfo: info("x") })).toBe("ROOM_NOT_FOUND");
    expect(h.code(alice, "switchRoom", { fromRoomId: "c", toRoomInfo: info("x") })).toBe("NOT_IN_ROOM");
    expect(h.code(alice, "switchRoom", { fromRoomId: "a", toRoomInfo: info("b") })).toBe("ALREADY_IN_ROOM");
    expect(h.take(alice)).toEqual([]);
    expect(h.take(bob)).toEqual([]);
  });

  it("target failures: CONNECTING then SWITCH_FAILED, error reply, caller still in the source", () => {
    const h = new CoreHarness({ limits: { maxRoomsPerServer: 2, maxMembersPerRoom: 1 } });
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    h.ok(alice, "createRoom", { roomInfo: info("from") });
    h.drain();
    expect(h.code(alice, "switchRoom", { fromRoomId: "from", toRoomInfo: info("absent") })).toBe("ROOM_NOT_FOUND");
    expect(h.take(alice)).toEqual(["absent CONNECTING ACTIVE_SWITCH", "absent DISCONNECTED SWITCH_FAILED"]);
    h.ok(bob, "createRoom", { roomInfo: info("full") });
    h.drain();
    expect(h.code(alice, "switchRoom", { fromRoomId: "from", toRoomInfo: info("full") })).toBe("ROOM_FULL");
    expect(h.take(alice)).toEqual(["full CONNECTING ACTIVE_SWITCH", "full DISCONNECTED SWITCH_FAILED"]);
    // Two rooms exist: the source that would be destroyed at once does not free a slot.
    expect(h.code(alice, "switchRoom", { fromRoomId: "from", toRoomInfo: info("new"), createIfAbsent: true })).toBe("SERVER_ROOM_LIMIT");
    expect(h.take(alice)).toEqual(["new CONNECTING ACTIVE_SWITCH", "new DISCONNECTED SWITCH_FAILED"]);
    expect([...alice.rooms]).toEqual(["from"]);
    expect(h.take(bob)).toEqual([]);
    expect(h.state.rooms.get("from")?.seq).toBe(0);
  });

  it("is allowed at the per-user cap and keeps the room count", () => {
    const h = new CoreHarness({ limits: { maxRoomsPerUser: 2 } });
    const alice = h.login("alice");
    h.ok(alice, "createRoom", { roomInfo: info("a") });
    h.ok(alice, "createRoom", { roomInfo: info("b") });
    h.ok(alice, "switchRoom", { fromRoomId: "a", toRoomInfo: info("c"), createIfAbsent: true });
    expect([...alice.rooms]).toEqual(["b", "c"]);
  });
});

describe("leaveRoom and leaveAllRooms", () => {
  it("leave: caller DISCONNECTED, others MemberLeft; errors in order", () => {
    const h = new CoreHarness();
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    h.ok(alice, "createRoom", { roomInfo: info("r") });
    h.ok(bob, "joinRoom", { roomId: "r" });
    h.drain();
    expect(h.ok(bob, "leaveRoom", { roomId: "r" }).roomId).toBe("r");
    expect(h.take(bob)).toEqual(["r DISCONNECTED SUCCESS"]);
    expect(h.take(alice)).toEqual(["r#2 left bob"]);
    expect(h.fails(bob, "leaveRoom", { roomId: "bad id" }).detail?.field).toBe("room_id");
    expect(h.code(bob, "leaveRoom", { roomId: "nope" })).toBe("ROOM_NOT_FOUND");
    expect(h.code(bob, "leaveRoom", { roomId: "r" })).toBe("NOT_IN_ROOM");
  });

  it("leave deletes the leaver's delete-after-owner-left attributes with a second event, and flagged member attributes silently", () => {
    const h = new CoreHarness();
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    h.ok(alice, "createRoom", { roomInfo: info("r"), config: { roomAttributes: { cfg: "1" } } });
    h.ok(bob, "joinRoom", { roomId: "r" });
    h.ok(bob, "setRoomAttributes", { roomId: "r", attributes: { z: "1", y: "2" }, isDeleteAfterOwnerLeft: true });
    h.ok(bob, "setRoomAttributes", { roomId: "r", attributes: { keep: "3" } });
    h.ok(alice, "setRoomMembersAttributes", { roomId: "r", userIds: ["bob"], attributes: { gone: "1" } });
    h.ok(alice, "setRoomMembersAttributes", { roomId: "r", userIds: ["bob"], attributes: { kept: "1" }, isDeleteAfterOwnerLeft: false });
    h.drain();
    h.ok(bob, "leaveRoom", { roomId: "r" });
    expect(h.take(alice)).toEqual(["r#6 left bob", "r#7 attrs DELETE y=,z= by bob"]);
    expect(h.take(bob)).toEqual(["r DISCONNECTED SUCCESS"]);
    expect([...(h.state.rooms.get("r")?.memberAttributes.get("bob")?.keys() ?? [])]).toEqual(["kept"]);
    // Config attributes are never deleted with their owner.
    h.ok(bob, "joinRoom", { roomId: "r" });
    h.drain();
    h.ok(alice, "leaveRoom", { roomId: "r" });
    expect(h.take(bob)).toEqual(["r#9 left alice"]);
    expect(h.ok(bob, "queryRoomAllAttributes", { roomId: "r" }).attributes).toEqual({ cfg: "1", keep: "3" });
  });

  it("leaveAll leaves every room in join order; with no rooms it succeeds empty and silent", () => {
    const h = new CoreHarness();
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    h.ok(bob, "createRoom", { roomInfo: info("b") });
    h.ok(alice, "createRoom", { roomInfo: info("z") });
    h.ok(alice, "joinRoom", { roomId: "b" });
    h.ok(alice, "createRoom", { roomInfo: info("a") });
    h.drain();
    expect(h.ok(alice, "leaveAllRooms", {}).roomIds).toEqual(["z", "b", "a"]);
    expect(h.take(alice)).toEqual(["z DISCONNECTED SUCCESS", "b DISCONNECTED SUCCESS", "a DISCONNECTED SUCCESS"]);
    expect(h.take(bob)).toEqual(["b#2 left alice"]);
    expect(h.ok(alice, "leaveAllRooms", {}).roomIds).toEqual([]);
    expect(h.take(alice)).toEqual([]);
  });
});

describe("destroy delay", () => {
  it("delay 0 destroys within the request; a later create is a new room with seq 0", () => {
    const h = new CoreHarness();
    const alice = h.login("alice");
    h.ok(alice, "createRoom", { roomInfo: info("r"), config: { roomAttributes: { k: "v" } } });
    h.ok(alice, "sendRoomMessage", { roomId: "r", kind: 1, payload: new Uint8Array() });
    h.ok(alice, "leaveRoom", { roomId: "r" });
    expect(h.state.rooms.has("r")).toBe(false);
    expect(h.clock.pending).toBe(0);
    const again = h.ok(alice, "createRoom", { roomInfo: info("r", "second") });
    expect(again.room?.roomSeq).toBe(0n);
    expect(h.ok(alice, "queryRoomAllAttributes", { roomId: "r" }).attributes).toEqual({});
    expect(h.ok(alice, "queryRoomMessageHistory", { roomId: "r", count: 10 }).messages).toEqual([]);
  });

  it("an empty room exists until its delay runs out; a rejoin cancels it and finds name, attributes, member attributes and history", () => {
    const h = new CoreHarness();
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    h.ok(alice, "createRoom", { roomInfo: info("r", "Kept"), config: { roomDestroyDelaySeconds: 10, roomAttributes: { k: "v" } } });
    h.ok(alice, "setRoomMembersAttributes", { roomId: "r", userIds: ["alice"], attributes: { seat: "1" }, isDeleteAfterOwnerLeft: false });
    h.ok(alice, "sendRoomMessage", { roomId: "r", kind: 1, payload: new TextEncoder().encode("hi") });
    h.ok(alice, "leaveRoom", { roomId: "r" });
    h.ok(alice, "advanceClock", { advanceMs: 9_999 });
    expect(h.state.rooms.has("r")).toBe(true);
    const joined = h.ok(bob, "joinRoom", { roomId: "r", historyCount: 5 });
    expect(joined.room?.baseInfo?.roomName).toBe("Kept");
    expect(joined.history).toHaveLength(1);
    expect(h.clock.pending).toBe(0);
    h.ok(alice, "advanceClock", { advanceMs: 60_000 });
    expect(h.state.rooms.has("r")).toBe(true);
    h.ok(alice, "joinRoom", { roomId: "r" });
    expect(h.ok(bob, "queryRoomMembersAttributes", { roomId: "r", userIds: ["alice"] }).infos[0]?.attributes).toEqual({ seat: "1" });
    h.ok(alice, "leaveRoom", { roomId: "r" });
    h.ok(bob, "leaveRoom", { roomId: "r" });
    h.ok(alice, "advanceClock", { advanceMs: 10_000 });
    expect(h.state.rooms.has("r")).toBe(false);
    expect(h.code(alice, "joinRoom", { roomId: "r" })).toBe("ROOM_NOT_FOUND");
  });

  it("timers fire in due order; nothing is left behind", () => {
    const h = new CoreHarness({ limits: { maxRoomsPerUser: 10 } });
    const alice = h.login("alice");
    for (const [id, delay] of [["late", 3], ["early", 1], ["mid", 2]] as const) {
      h.ok(alice, "createRoom", { roomInfo: info(id), config: { roomDestroyDelaySeconds: delay } });
    }
    h.ok(alice, "leaveAllRooms", {});
    expect(h.clock.pending).toBe(3);
    expect(h.ok(alice, "advanceClock", { advanceMs: 1500 }).nowMs).toBe(1500n);
    expect([...h.state.rooms.keys()].sort()).toEqual(["late", "mid"]);
    h.ok(alice, "advanceClock", { advanceMs: 1500 });
    expect([...h.state.rooms.keys()]).toEqual([]);
    expect(h.clock.pending).toBe(0);
  });
});

describe("room_seq", () => {
  it("every room-stream event increments it by one; snapshots do not", () => {
    const h = new CoreHarness();
    const [alice, bob] = [h.login("alice"), h.login("bob")];
    h.ok(alice, "createRoom", { roomInfo: info("r"), config: { roomAttributes: { a: "1" } } });
    h.ok(bob, "joinRoom", { roomId: "r" }); // 1
    h.ok(alice, "setRoomAttributes", { roomId: "r", attributes: { b: "2" } }); // 2
    h.ok(alice, "deleteRoomAttributes", { roomId: "r", keys: ["b"] }); // 3
    h.ok(alice, "batchRoomAttributes", { roomId: "r", operations: [{ operation: { case: "set", value: { attributes: { c: "3" } } } }] }); // 4
    h.ok(alice, "setRoomMembersAttributes", { roomId: "r", userIds: ["bob"], attributes: { s: "1" } }); // 5
    h.ok(alice, "sendRoomMessage", { roomId: "r", kind: 2, payload: new Uint8Array([0xff]) }); // 6
    h.ok(bob, "leaveRoom", { roomId: "r" }); // 7
    expect(h.take(alice).map((e) => e.split(" ")[0])).toEqual(["r", "r", "r#0", "r#1", "r#2", "r#3", "r#4", "r#5", "r#7"]);
    expect(h.state.rooms.get("r")?.seq).toBe(7);
    expect(h.ok(bob, "joinRoom", { roomId: "r" }).room?.roomSeq).toBe(8n);
    expect(h.take(bob).at(-1)).toBe("r#8 attrs SET a=1,c=3 by -");
  });
});
