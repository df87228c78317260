// The model's own spec tests for create, join, enter, leave, leaveAll and
// the per-user cap (spec/rooms.md), with the enter equivalence as a property.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RoomStateReason, type Event } from "../../protocol/index.js";
import { applyAction, arbAction, describeAction, pools } from "./arbitrary-actions.js";
import type { Outcome } from "./draft.js";
import { connect } from "./step.js";
import { World, errorOf, result, rq, testConfig } from "./test-kit.js";

describe("createRoom [CREATE-*]", () => {
  it("creates the room with the caller as only member; events and reply", () => {
    const w = new World().open("s1", "alice").open("s2", "bob");
    const o = w.ok("s1", rq.create("r1", { name: "Room", delay: 7, attrs: { b: "2", a: "1" } }));
    expect(w.events("s1")).toEqual(["(r1, CONNECTING, ACTIVE_CREATE)", "(r1, CONNECTED, SUCCESS)", "r1#0 attrs SET {a:1,b:2} by -"]);
    expect(w.recipients()).toEqual(["s1"]);
    const room = result(o.reply, "createRoom").room!;
    expect(room.baseInfo?.roomId).toBe("r1");
    expect(room.baseInfo?.roomName).toBe("Room");
    expect(room.roomSeq).toBe(0n);
    expect(room.roomDestroyDelaySeconds).toBe(7);
    const attr = w.state.rooms.get("r1")!.attributes.get("a");
    expect(attr).toEqual({ value: "1", owner: "alice", deleteAfterOwnerLeft: false });
  });

  it("sends no snapshot without config attributes [CREATE-EVENT-2, SNAPSHOT-2]", () => {
    const w = new World().open("s1");
    w.ok("s1", rq.create("r1"));
    expect(w.events("s1")).toEqual(["(r1, CONNECTING, ACTIVE_CREATE)", "(r1, CONNECTED, SUCCESS)"]);
  });

  it("validates room_id, name, delay, then config attributes key by key, count, total [CREATE-VALID-1..8]", () => {
    const w = new World().open("s1");
    expect(errorOf(w.do("s1", rq.create("", { name: "x".repeat(99) })).reply)).toBe("INVALID_ARGUMENT(room_info.room_id)");
    expect(errorOf(w.do("s1", rq.create("r 1")).reply)).toBe("INVALID_ARGUMENT(room_info.room_id)");
    expect(errorOf(w.do("s1", rq.create("r".repeat(17))).reply)).toBe("INVALID_ARGUMENT(room_info.room_id)");
    expect(errorOf(w.do("s1", rq.create("r1", { name: "x".repeat(17), delay: 999 })).reply)).toBe("INVALID_ARGUMENT(room_info.room_name)");
    expect(errorOf(w.do("s1", rq.create("r1", { delay: 101, attrs: { "": "x" } })).reply)).toBe("INVALID_ARGUMENT(config.room_destroy_delay_seconds)");
    // A too-long value under `a` wins over a too-long key `bbbbb` [CREATE-VALID-6].
    expect(errorOf(w.do("s1", rq.create("r1", { attrs: { bbbbb: "1", a: "123456789" } })).reply)).toBe("ROOM_ATTRIBUTE_VALUE_TOO_LONG");
    expect(errorOf(w.do("s1", rq.create("r1", { attrs: { bbbbb: "1", c: "123456789" } })).reply)).toBe("ROOM_ATTRIBUTE_KEY_TOO_LONG");
    expect(errorOf(w.do("s1", rq.create("r1", { attrs: { "": "1" } })).reply)).toBe("ROOM_ATTRIBUTE_KEY_TOO_LONG");
    expect(errorOf(w.do("s1", rq.create("r1", { attrs: { a: "1", b: "1", c: "1", d: "1", e: "1" } })).reply)).toBe("ROOM_ATTRIBUTE_COUNT_LIMIT");
    // 4 keys of 1 byte + 4 values of 6 bytes = 28 > 24.
    expect(errorOf(w.do("s1", rq.create("r1", { attrs: { a: "123456", b: "123456", c: "123456", d: "123456" } })).reply)).toBe(
      "ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT",
    );
    expect(w.recipients()).toEqual([]);
    expect(w.state.rooms.size).toBe(0);
    // Exactly at the bounds is accepted [LIMIT-EXACT-1]: 4 keys, total 24, delay 100.
    w.ok("s1", rq.create("r1", { delay: 100, attrs: { a: "12345", b: "12345", c: "12345", d: "12345" } }));
  });

  it("fails ROOM_ALREADY_EXISTS before the user cap, also for a member [CREATE-CHECK-1, CREATE-CHECK-2]", () => {
    const w = new World().open("s1");
    w.ok("s1", rq.create("r1"));
    w.ok("s1", rq.create("r2"));
    w.ok("s1", rq.create("r3"));
    expect(errorOf(w.do("s1", rq.create("r1")).reply)).toBe("ROOM_ALREADY_EXISTS");
    expect(errorOf(w.do("s1", rq.create("r4")).reply)).toBe("USER_ROOM_LIMIT");
  });

  it("fails SERVER_ROOM_LIMIT after the user cap, counting destroy-pending rooms [CREATE-CHECK-3, DESTROY-PENDING-3]", () => {
    const w = new World(testConfig({ maxRoomsPerServer: 2 })).open("s1").open("s2");
    w.ok("s1", rq.create("r1", { delay: 10 }));
    w.ok("s1", rq.leave("r1"));
    w.ok("s2", rq.create("r2"));
    expect(errorOf(w.do("s1", rq.create("r3")).reply)).toBe("SERVER_ROOM_LIMIT");
    expect(w.recipients()).toEqual([]);
  });
});

describe("joinRoom [JOIN-*]", () => {
  it("appends the caller, bumps seq, tells the others, snapshot with the new seq", () => {
    const w = new World().open("s1", "alice").open("s2", "bob").open("s3", "carol");
    w.ok("s1", rq.create("r1", { attrs: { k: "v" } }));
    w.ok("s2", rq.join("r1"));
    const o = w.ok("s3", rq.join("r1"));
    expect(w.events("s3")).toEqual(["(r1, CONNECTING, ACTIVE_JOIN)", "(r1, CONNECTED, SUCCESS)", "r1#2 attrs SET {k:v} by -"]);
    expect(w.events("s1")).toEqual(["r1#2 joined carol"]);
    expect(w.events("s2")).toEqual(["r1#2 joined carol"]);
    const reply = result(o.reply, "joinRoom");
    expect(reply.room?.roomSeq).toBe(2n);
    expect(reply.room?.baseInfo?.roomName).toBe("r1-name");
    expect(reply.history).toEqual([]);
    const joined = o.events.get("s1")![0]!;
    expect(joined.event.case === "roomMemberJoined" && joined.event.value.members[0]?.userName).toBe("carol-name");
    expect(w.state.rooms.get("r1")!.members.map((m) => m.userId)).toEqual(["alice", "bob", "carol"]);
  });

  it("checks not found, already in room, user cap, room full in that order, with no event", () => {
    const w = new World(testConfig({ maxMembersPerRoom: 2, maxRoomsPerUser: 2 })).open("s1").open("s2").open("s3");
    expect(errorOf(w.do("s1", rq.join("r1")).reply)).toBe("ROOM_NOT_FOUND");
    w.ok("s1", rq.create("r1"));
    expect(errorOf(w.do("s1", rq.join("r1")).reply)).toBe("ALREADY_IN_ROOM");
    w.ok("s2", rq.join("r1"));
    w.ok("s3", rq.create("x1"));
    w.ok("s3", rq.create("x2"));
    expect(errorOf(w.do("s3", rq.join("r1")).reply)).toBe("USER_ROOM_LIMIT");
    w.ok("s3", rq.leave("x2"));
    expect(errorOf(w.do("s3", rq.join("r1")).reply)).toBe("ROOM_FULL");
    expect(w.recipients()).toEqual([]);
  });
});

describe("the per-user cap: refusal has no side effect [CREATE-CHECK-2, JOIN-CHECK-3, SWITCH-NOLIMIT-1]", () => {
  it("create, join and enter at the cap fail with USER_ROOM_LIMIT and change nothing", () => {
    const w = new World().open("s1").open("s2");
    w.ok("s2", rq.create("open"));
    for (const r of ["a", "b", "c"]) w.ok("s1", rq.create(r));
    const before = w.state;
    for (const req of [rq.create("d"), rq.join("open"), rq.enter("open"), rq.enter("new")]) {
      const o = w.do("s1", req);
      expect(errorOf(o.reply)).toBe("USER_ROOM_LIMIT");
      expect(w.recipients()).toEqual([]);
      expect(w.state.rooms).toEqual(before.rooms);
      expect(w.state.sessions).toEqual(before.sessions);
    }
    // A switch at the cap is allowed: it does not change the room count.
    w.ok("s1", rq.switch("a", "open"));
    expect(w.state.sessions.get("s1")!.rooms).toEqual(["b", "c", "open"]);
  });
});

describe("enterRoom [ENTER-*]", () => {
  it("creates with ACTIVE_ENTER and created=true, empty history", () => {
    const w = new World().open("s1");
    const o = w.ok("s1", rq.enter("r1", { attrs: { a: "1" }, history: 2 }));
    expect(w.events("s1")).toEqual(["(r1, CONNECTING, ACTIVE_ENTER)", "(r1, CONNECTED, SUCCESS)", "r1#0 attrs SET {a:1} by -"]);
    const reply = result(o.reply, "enterRoom");
    expect(reply.created).toBe(true);
    expect(reply.history).toEqual([]);
  });

  it("joins an existing room ignoring name and config, with history [ENTER-EXISTING-1, ENTER-EQUIV-6]", () => {
    const w = new World().open("s1").open("s2");
    w.ok("s1", rq.create("r1", { name: "first", delay: 3 }));
    w.ok("s1", rq.send("r1", "m1"));
    w.ok("s1", rq.send("r1", "m2"));
    const o = w.ok("s2", rq.enter("r1", { name: "second", delay: 9, attrs: { z: "z" }, history: 1 }));
    const reply = result(o.reply, "enterRoom");
    expect(reply.created).toBe(false);
    expect(reply.room?.baseInfo?.roomName).toBe("first");
    expect(reply.room?.roomDestroyDelaySeconds).toBe(3);
    expect(reply.history.map((m) => new TextDecoder().decode(m.payload))).toEqual(["m2"]);
    expect(w.events("s2")).toEqual(["(r1, CONNECTING, ACTIVE_ENTER)", "(r1, CONNECTED, SUCCESS)"]);
    expect(w.events("s1")).toEqual(["r1#3 joined s2"]);
  });

  it("validates config even when the room exists [ENTER-VALID-4]", () => {
    const w = new World().open("s1").open("s2");
    w.ok("s1", rq.create("r1"));
    expect(errorOf(w.do("s2", rq.enter("r1", { delay: 101 })).reply)).toBe("INVALID_ARGUMENT(config.room_destroy_delay_seconds)");
  });

  it("is equivalent to join-or-create after any prefix [ENTER-EQUIV-1..6, ENTER-REASON-1, ENTER-CREATED-1]", () => {
    const p = pools(4);
    const enterArgs = fc.record({
      session: fc.constantFrom(...p.sessions),
      room: fc.constantFrom(...p.rooms),
      delay: fc.constantFrom(0, 5),
      attrs: fc.constantFrom<Record<string, string>>({}, { a: "1" }, { a: "1", b: "2" }),
      history: fc.constantFrom(0, 1, 3),
      // Half the time, aim at a room that exists after the prefix (if any).
      existing: fc.boolean(),
      pick: fc.nat(),
    });
    const seen = { joined: 0, created: 0, failed: 0 };
    fc.assert(
      fc.property(fc.array(arbAction(p), { maxLength: 60 }), enterArgs, (prefix, e) => {
        const w = new World();
        for (const s of p.sessions) w.open(s, `u-${s}`);
        for (const a of prefix) applyAction(w, a);
        if (!w.state.sessions.get(e.session)?.user) return; // kicked or closed: nothing to compare
        const alive = [...w.state.rooms.keys()];
        const room = e.existing && alive.length > 0 ? alive[e.pick % alive.length]! : e.room;
        const exists = w.state.rooms.has(room);
        const enter = w.all(e.session, rq.enter(room, { delay: e.delay, attrs: e.attrs, history: e.history }));
        const other = w.all(e.session, exists ? rq.join(room, e.history) : rq.create(room, { delay: e.delay, attrs: e.attrs }));
        expect(enter).toHaveLength(1);
        expect(other).toHaveLength(1);
        const E = enter[0]!;
        const X = other[0]!;
        const trace = prefix.map(describeAction).join("\n");
        expect(errorOf(E.reply), trace).toBe(errorOf(X.reply)); // [ENTER-EQUIV-1]
        expect(E.state, trace).toEqual(X.state); // [ENTER-EQUIV-2]
        for (const s of p.sessions) {
          if (s === e.session) continue;
          expect(E.events.get(s) ?? [], trace).toEqual(X.events.get(s) ?? []); // [ENTER-EQUIV-3]
        }
        expect(withoutReason(E, e.session), trace).toEqual(withoutReason(X, e.session)); // [ENTER-EQUIV-4]
        if (errorOf(E.reply) !== "ok") {
          seen.failed++;
          return;
        }
        seen[exists ? "joined" : "created"]++;
        const er = result(E.reply, "enterRoom");
        expect(connectingReason(E, e.session)).toBe(RoomStateReason.ACTIVE_ENTER); // [ENTER-REASON-1]
        expect(er.created).toBe(!exists); // [ENTER-CREATED-1]
        if (exists) {
          const jr = result(X.reply, "joinRoom");
          expect(er.room).toEqual(jr.room); // [ENTER-EQUIV-5]
          expect(er.history).toEqual(jr.history); // [ENTER-EQUIV-6]
        } else {
          expect(er.room).toEqual(result(X.reply, "createRoom").room);
          expect(er.history).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
    // The property is only evidence if every branch was exercised.
    expect(seen.joined).toBeGreaterThan(10);
    expect(seen.created).toBeGreaterThan(10);
    expect(seen.failed).toBeGreaterThan(10);
  });
});

/** The caller's events with the CONNECTING reason blanked. */
function withoutReason(o: Outcome, s: string): Event[] {
  return (o.events.get(s) ?? []).map((e) => {
    if (e.event.case !== "roomStateChanged" || e.event.value.reason === RoomStateReason.SUCCESS) return e;
    return { ...e, event: { case: "roomStateChanged", value: { ...e.event.value, reason: RoomStateReason.UNSPECIFIED } } };
  });
}

function connectingReason(o: Outcome, s: string): RoomStateReason | undefined {
  const first = o.events.get(s)?.[0];
  return first?.event.case === "roomStateChanged" ? first.event.value.reason : undefined;
}

describe("leave effects, leaveRoom, leaveAllRooms [LEAVE-*, LEAVEALL-*]", () => {
  it("tells the remaining members, deletes the leaver's flagged keys, drops flagged member attributes silently", () => {
    const w = new World().open("s1", "alice").open("s2", "bob");
    w.ok("s1", rq.create("r1", { attrs: { cfg: "1" } })); // config attribute: alice's, not deleted [CREATE-EFFECT-2]
    w.ok("s2", rq.join("r1")); // #1
    w.ok("s1", rq.setAttrs("r1", { a: "1", b: "2" }, { deleteAfter: true })); // #2
    w.ok("s1", rq.setAttrs("r1", { c: "3" })); // #3, kept
    w.ok("s2", rq.setMemberAttrs("r1", ["alice"], { x: "1" })); // #4, flagged by default
    w.ok("s2", rq.setMemberAttrs("r1", ["alice"], { y: "1" }, false)); // #5, retained
    const o = w.ok("s1", rq.leave("r1"));
    expect(result(o.reply, "leaveRoom").roomId).toBe("r1");
    expect(w.events("s1")).toEqual(["(r1, DISCONNECTED, SUCCESS)"]);
    expect(w.events("s2")).toEqual(["r1#6 left alice", "r1#7 attrs DELETE {a:,b:} by alice"]);
    const room = w.state.rooms.get("r1")!;
    expect([...room.attributes.keys()].sort()).toEqual(["c", "cfg"]);
    expect(room.attributes.get("c")?.owner).toBe("alice"); // [LEAVE-EFFECT-5]
    expect([...room.memberAttributes.get("alice")!.keys()]).toEqual(["y"]);
  });

  it("fails ROOM_NOT_FOUND then NOT_IN_ROOM, with no event", () => {
    const w = new World().open("s1").open("s2");
    expect(errorOf(w.do("s1", rq.leave("r1")).reply)).toBe("ROOM_NOT_FOUND");
    w.ok("s2", rq.create("r1"));
    expect(errorOf(w.do("s1", rq.leave("r1")).reply)).toBe("NOT_IN_ROOM");
    expect(errorOf(w.do("s1", rq.leave("")).reply)).toBe("INVALID_ARGUMENT(room_id)");
    expect(w.recipients()).toEqual([]);
  });

  it("leaveAll leaves room by room in join order; a member of both sees them in that order", () => {
    const w = new World().open("s1", "alice").open("s2", "bob");
    w.ok("s2", rq.create("r2"));
    w.ok("s2", rq.create("r1"));
    w.ok("s1", rq.create("r3"));
    w.ok("s1", rq.join("r1"));
    w.ok("s1", rq.join("r2"));
    const o = w.ok("s1", rq.leaveAll());
    expect(result(o.reply, "leaveAllRooms").roomIds).toEqual(["r3", "r1", "r2"]);
    expect(w.events("s1")).toEqual(["(r3, DISCONNECTED, SUCCESS)", "(r1, DISCONNECTED, SUCCESS)", "(r2, DISCONNECTED, SUCCESS)"]);
    expect(w.events("s2")).toEqual(["r1#2 left alice", "r2#2 left alice"]);
    expect(w.state.rooms.has("r3")).toBe(false);
  });

  it("leaveAll in no room: empty list, no event [LEAVEALL-3]", () => {
    const w = new World().open("s1");
    const o = w.ok("s1", rq.leaveAll());
    expect(result(o.reply, "leaveAllRooms").roomIds).toEqual([]);
    expect(w.recipients()).toEqual([]);
  });

  it("a rejoiner is placed last [ROOM-ORDER-1]", () => {
    const w = new World().open("s1", "a").open("s2", "b").open("s3", "c");
    w.ok("s1", rq.create("r1"));
    w.ok("s2", rq.join("r1"));
    w.ok("s3", rq.join("r1"));
    w.ok("s1", rq.leave("r1"));
    w.ok("s1", rq.join("r1"));
    expect(w.state.rooms.get("r1")!.members.map((m) => m.userId)).toEqual(["b", "c", "a"]);
  });
});

describe("connect", () => {
  it("refuses to open a session twice (a harness mistake)", () => {
    const w = new World().open("s1");
    expect(() => connect(w.state, "s1", "json")).toThrow(/already open/);
  });
});
