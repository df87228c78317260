// The model's own spec tests for switchRoom: every row of the outcome table
// of spec/switch.md, with the exact event order for the caller and both
// rooms' members.
import { describe, expect, it } from "vitest";
import { World, errorOf, result, rq, testConfig } from "./test-kit.js";

/** alice (s1) in `from` with bob (s2); carol (s3) in `to` when it exists; dave (s4) in both. */
function setup(opts: { target?: boolean; fromDelay?: number; limits?: Parameters<typeof testConfig>[0] } = {}): World {
  const w = new World(testConfig(opts.limits ?? {})).open("s1", "alice").open("s2", "bob").open("s3", "carol").open("s4", "dave");
  w.ok("s2", rq.create("from", { delay: opts.fromDelay ?? 0 }));
  w.ok("s1", rq.join("from")); // from #1
  if (opts.target !== false) {
    w.ok("s3", rq.create("to", { name: "target", attrs: { t: "1" } }));
    w.ok("s4", rq.join("to")); // to #1
    w.ok("s4", rq.join("from")); // from #2
  }
  return w;
}

describe("switchRoom validation and checks: plain errors, no event, no change [SWITCH-VALID-*, SWITCH-SAME-1, SWITCH-CHECK-*, SWITCH-QUIET-1]", () => {
  const cases: [string, (w: World) => ReturnType<World["do"]>, string][] = [
    ["invalid from", (w) => w.do("s1", rq.switch("bad id", "to")), "INVALID_ARGUMENT(from_room_id)"],
    ["invalid to", (w) => w.do("s1", rq.switch("from", "")), "INVALID_ARGUMENT(to_room_info.room_id)"],
    ["long target name", (w) => w.do("s1", rq.switch("from", "to", false, { name: "n".repeat(17) })), "INVALID_ARGUMENT(to_room_info.room_name)"],
    // [SWITCH-VALID-5] the config is validated although the target exists and create_if_absent is false.
    ["bad config", (w) => w.do("s1", rq.switch("from", "to", false, { delay: 101 })), "INVALID_ARGUMENT(config.room_destroy_delay_seconds)"],
    ["bad config attrs", (w) => w.do("s1", rq.switch("from", "to", false, { attrs: { toolong: "1" } })), "ROOM_ATTRIBUTE_KEY_TOO_LONG"],
    // [SWITCH-SAME-1] whether or not the room exists or the caller is in it.
    ["from = to", (w) => w.do("s1", rq.switch("nowhere", "nowhere")), "SWITCH_TO_SAME_ROOM"],
    ["from absent", (w) => w.do("s1", rq.switch("nowhere", "to")), "ROOM_NOT_FOUND"],
    ["not in from", (w) => w.do("s3", rq.switch("from", "x")), "NOT_IN_ROOM"],
    ["already in to", (w) => w.do("s4", rq.switch("from", "to")), "ALREADY_IN_ROOM"],
  ];
  for (const [name, run, expected] of cases) {
    it(name, () => {
      const w = setup();
      const before = w.state;
      const o = run(w);
      expect(errorOf(o.reply)).toBe(expected);
      expect(w.recipients()).toEqual([]);
      expect(w.state.rooms).toEqual(before.rooms);
      expect(w.state.sessions).toEqual(before.sessions);
    });
  }
});

describe("switchRoom target failures A, B, C [SWITCH-FAIL-*]", () => {
  const failed = ["(to, CONNECTING, ACTIVE_SWITCH)", "(to, DISCONNECTED, SWITCH_FAILED)"];

  it("A: target missing without create_if_absent → ROOM_NOT_FOUND", () => {
    const w = setup({ target: false, limits: { maxRoomsPerServer: 1 } });
    const before = w.state;
    const o = w.do("s1", rq.switch("from", "to", false));
    expect(errorOf(o.reply)).toBe("ROOM_NOT_FOUND"); // whatever the server's room count
    expect(w.events("s1")).toEqual(failed);
    expect(w.recipients()).toEqual(["s1"]);
    expect(w.state.rooms).toEqual(before.rooms);
    expect(w.state.sessions).toEqual(before.sessions);
  });

  it("B: server at its room limit → SERVER_ROOM_LIMIT, even if the source would be destroyed [SWITCH-FAIL-LIMIT-2]", () => {
    const w = new World(testConfig({ maxRoomsPerServer: 1 })).open("s1", "alice");
    w.ok("s1", rq.create("from")); // alone, delay 0: leaving would destroy it
    const o = w.do("s1", rq.switch("from", "to", true));
    expect(errorOf(o.reply)).toBe("SERVER_ROOM_LIMIT");
    expect(w.events("s1")).toEqual(failed);
    expect(w.state.sessions.get("s1")!.rooms).toEqual(["from"]);
    expect([...w.state.rooms.keys()]).toEqual(["from"]);
  });

  it("C: target full → ROOM_FULL", () => {
    const w = new World(testConfig({ maxMembersPerRoom: 2 })).open("s1", "alice").open("s2", "bob").open("s3", "carol");
    w.ok("s1", rq.create("from"));
    w.ok("s2", rq.create("to"));
    w.ok("s3", rq.join("to"));
    const before = w.state;
    const o = w.do("s1", rq.switch("from", "to"));
    expect(errorOf(o.reply)).toBe("ROOM_FULL");
    expect(w.events("s1")).toEqual(failed);
    expect(w.recipients()).toEqual(["s1"]);
    expect(w.state.rooms).toEqual(before.rooms); // no room_seq moved
  });
});

describe("switchRoom success D (join) and E (create) [SWITCH-ORDER-*, SWITCH-OTHERS-*, SWITCH-REPLY-*]", () => {
  it("D: joins the target, then leaves the source; exact events for everyone", () => {
    const w = setup();
    w.ok("s1", rq.setAttrs("from", { own: "1" }, { deleteAfter: true })); // from #3
    const o = w.ok("s1", rq.switch("from", "to", true, { name: "ignored", delay: 50, attrs: { z: "z" } }));
    expect(w.events("s1")).toEqual([
      "(to, CONNECTING, ACTIVE_SWITCH)",
      "(to, CONNECTED, SUCCESS)",
      "to#2 attrs SET {t:1} by -",
      "(from, DISCONNECTED, SUCCESS)",
    ]);
    expect(w.events("s3")).toEqual(["to#2 joined alice"]);
    // dave is in both: the target's Joined comes before the source's Left [SWITCH-OTHERS-3].
    expect(w.events("s4")).toEqual(["to#2 joined alice", "from#4 left alice", "from#5 attrs DELETE {own:} by alice"]);
    expect(w.events("s2")).toEqual(["from#4 left alice", "from#5 attrs DELETE {own:} by alice"]);
    const reply = result(o.reply, "switchRoom");
    expect(reply.created).toBe(false);
    expect(reply.room?.baseInfo?.roomName).toBe("target"); // [SWITCH-NAME-1]
    expect(reply.room?.roomSeq).toBe(2n);
    expect(reply.room?.roomDestroyDelaySeconds).toBe(0);
    expect(w.state.sessions.get("s1")!.rooms).toEqual(["to"]); // [SWITCH-ROOMS-1]
  });

  it("D into a destroy-pending target cancels its destruction [DESTROY-CANCEL-1]", () => {
    const w = new World().open("s1", "alice").open("s2", "bob");
    w.ok("s2", rq.create("to", { delay: 10 }));
    w.ok("s2", rq.leave("to")); // pending, seq 1
    w.ok("s1", rq.create("from"));
    w.nowMs += 5_000;
    const o = w.ok("s1", rq.switch("from", "to"));
    expect(result(o.reply, "switchRoom").room?.roomSeq).toBe(2n);
    expect(w.state.rooms.has("from")).toBe(false); // emptied with delay 0: destroyed within the request
    w.nowMs += 60_000;
    w.ok("s1", rq.ping());
    expect(w.state.rooms.get("to")?.members.map((m) => m.userId)).toEqual(["alice"]);
  });

  it("E: creates the target with the request's name and config; snapshot at seq 0", () => {
    const w = setup({ target: false, fromDelay: 5 });
    w.ok("s2", rq.leave("from")); // alice stays alone in from (#2)
    const o = w.ok("s1", rq.switch("from", "to", true, { name: "T", delay: 9, attrs: { k: "v" } }));
    expect(w.events("s1")).toEqual([
      "(to, CONNECTING, ACTIVE_SWITCH)",
      "(to, CONNECTED, SUCCESS)",
      "to#0 attrs SET {k:v} by -",
      "(from, DISCONNECTED, SUCCESS)",
    ]);
    expect(w.recipients()).toEqual(["s1"]);
    const reply = result(o.reply, "switchRoom");
    expect(reply.created).toBe(true);
    expect(reply.room?.baseInfo?.roomName).toBe("T");
    expect(reply.room?.roomSeq).toBe(0n);
    expect(reply.room?.roomDestroyDelaySeconds).toBe(9);
    const to = w.state.rooms.get("to")!;
    expect(to.attributes.get("k")).toEqual({ value: "v", owner: "alice", deleteAfterOwnerLeft: false });
    // The emptied source waits out its delay of 5 s.
    expect(w.state.rooms.get("from")?.destroyTimer?.dueMs).toBe(w.nowMs + 5_000);
  });

  it("is allowed at the per-user cap and keeps the room count [SWITCH-NOLIMIT-1]", () => {
    const w = setup();
    w.ok("s1", rq.create("x1"));
    w.ok("s1", rq.create("x2"));
    w.ok("s1", rq.switch("from", "to"));
    expect(w.state.sessions.get("s1")!.rooms).toEqual(["x1", "x2", "to"]);
  });
});
