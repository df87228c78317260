// The model's own spec tests for the room lifecycle and destroy delays
// (spec/lifecycle.md, spec/test-clock.md, spec/events.md room_seq).
import { describe, expect, it } from "vitest";
import { Feature } from "../../protocol/index.js";
import { advanceTime } from "./step.js";
import { World, errorOf, result, rq, testConfig } from "./test-kit.js";

describe("delay 0 [DESTROY-ZERO-1, DESTROY-FORGET-1, SEQ-8]", () => {
  it("destroys the room within the request that empties it; a later create is a new room", () => {
    const w = new World().open("s1").open("s2");
    w.ok("s1", rq.create("r1", { attrs: { a: "1" } }));
    w.ok("s1", rq.send("r1", "hello"));
    w.ok("s1", rq.leave("r1"));
    expect(w.state.rooms.has("r1")).toBe(false);
    expect(w.recipients()).toEqual(["s1"]); // silent [DESTROY-SILENT-1]
    expect(errorOf(w.do("s2", rq.join("r1")).reply)).toBe("ROOM_NOT_FOUND");
    const o = w.ok("s2", rq.create("r1", { name: "again" }));
    expect(result(o.reply, "createRoom").room?.roomSeq).toBe(0n);
    const room = w.state.rooms.get("r1")!;
    expect(room.attributes.size).toBe(0);
    expect(room.history).toEqual([]);
  });
});

describe("delay d > 0 in real time [DESTROY-DELAY-1, DESTROY-DELAY-2, DESTROY-PENDING-1..3, DESTROY-CANCEL-1]", () => {
  it("keeps a pending room joinable with everything it had; create fails; it goes d seconds after emptying", () => {
    const w = new World().open("s1", "alice").open("s2", "bob");
    w.ok("s1", rq.create("r1", { name: "kept", delay: 10, attrs: { a: "1" } }));
    w.ok("s1", rq.setMemberAttrs("r1", ["alice"], { seat: "3" }, false)); // #1, retained on leave
    w.ok("s1", rq.send("r1", "m")); // #2
    w.ok("s1", rq.leave("r1")); // #3 with no recipient [LEAVE-EFFECT-3, SEQ-4]
    const emptiedAt = w.nowMs;

    w.nowMs = emptiedAt + 9_999;
    expect(errorOf(w.do("s2", rq.create("r1")).reply)).toBe("ROOM_ALREADY_EXISTS"); // [DESTROY-PENDING-2]
    const j = w.ok("s2", rq.join("r1", 3));
    const reply = result(j.reply, "joinRoom");
    expect(reply.room?.baseInfo?.roomName).toBe("kept");
    expect(reply.room?.roomSeq).toBe(4n);
    expect(reply.history).toHaveLength(1);
    expect(w.events("s2")).toEqual(["(r1, CONNECTING, ACTIVE_JOIN)", "(r1, CONNECTED, SUCCESS)", "r1#4 attrs SET {a:1} by -"]);
    expect(w.state.rooms.get("r1")!.memberAttributes.get("alice")?.get("seat")?.value).toBe("3");

    // Empty again: the full delay starts again from this moment.
    w.ok("s2", rq.leave("r1"));
    const secondEmpty = w.nowMs;
    w.nowMs = secondEmpty + 9_999;
    w.ok("s1", rq.ping());
    expect(w.state.rooms.has("r1")).toBe(true);
    w.nowMs = secondEmpty + 10_000; // due at exactly t + 1000·d
    w.ok("s1", rq.ping());
    expect(w.state.rooms.has("r1")).toBe(false);
    expect(w.recipients()).toEqual([]);
  });

  it("advanceTime destroys due rooms only, silently", () => {
    const w = new World().open("s1");
    w.ok("s1", rq.create("short", { delay: 1 }));
    w.ok("s1", rq.create("long", { delay: 2 }));
    w.ok("s1", rq.leaveAll());
    const o = advanceTime(w.state, w.nowMs + 1_500);
    expect(o.reply).toBeUndefined();
    expect(o.events.size).toBe(0);
    expect([...o.state.rooms.keys()]).toEqual(["long"]);
    // Time never goes backwards.
    expect(advanceTime(o.state, 0).state.nowMs).toBe(w.nowMs + 1_500);
  });
});

describe("the test clock [CLOCK-1..9]", () => {
  const clocked = () => new World(testConfig({}, [Feature.MESSAGE_HISTORY, Feature.TEST_CLOCK])).open("s1").open("s2");

  it("only AdvanceClock moves time; real time never destroys a room [CLOCK-3]", () => {
    const w = clocked();
    w.ok("s1", rq.create("r1", { delay: 1 }));
    w.ok("s1", rq.leave("r1"));
    w.nowMs += 3_600_000;
    w.ok("s1", rq.ping());
    expect(w.state.rooms.has("r1")).toBe(true);
  });

  it("AdvanceClock adds advance_ms, destroys the rooms due by then, replies now_ms [CLOCK-4..7, CLOCK-9]", () => {
    const w = clocked();
    w.ok("s1", rq.create("r1", { delay: 2 }));
    w.ok("s1", rq.leave("r1")); // due at 2000
    expect(result(w.ok("s2", rq.advanceClock(1_999)).reply, "advanceClock").nowMs).toBe(1_999n);
    expect(w.state.rooms.has("r1")).toBe(true); // [CLOCK-6]
    w.ok("s1", rq.create("r2", { delay: 1 }));
    w.ok("s1", rq.leave("r2")); // due at 2999
    const o = w.ok("s2", rq.advanceClock(1));
    expect(result(o.reply, "advanceClock").nowMs).toBe(2_000n);
    expect(w.recipients()).toEqual([]);
    expect([...w.state.rooms.keys()]).toEqual(["r2"]);
  });

  it("refuses 0 and more than a day [CLOCK-2]", () => {
    const w = clocked();
    expect(errorOf(w.do("s1", rq.advanceClock(0)).reply)).toBe("INVALID_ARGUMENT(advance_ms)");
    expect(errorOf(w.do("s1", rq.advanceClock(86_400_001)).reply)).toBe("INVALID_ARGUMENT(advance_ms)");
    expect(result(w.ok("s1", rq.advanceClock(86_400_000)).reply, "advanceClock").nowMs).toBe(86_400_000n);
  });

  it("starts from clockStartMs when the harness knows the server's clock", () => {
    const w = new World({ ...testConfig({}, [Feature.TEST_CLOCK]), clockStartMs: 5_000 }).open("s1");
    expect(result(w.ok("s1", rq.advanceClock(1)).reply, "advanceClock").nowMs).toBe(5_001n);
  });
});
