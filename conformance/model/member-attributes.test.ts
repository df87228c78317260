// The model's own spec tests for member attributes (spec/member-attributes.md).
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/index.js";
import { World, errorOf, result, rq } from "./test-kit.js";

const users = (list: { userId: string; code: ErrorCode }[]) => list.map((u) => `${u.userId}:${ErrorCode[u.code]}`);
const infos = (list: { userId: string; attributes: { [k: string]: string } }[]) => list.map((i) => [i.userId, i.attributes]);

function trio(): World {
  const w = new World().open("s1", "alice").open("s2", "bob").open("s3", "carol").open("s4", "dave");
  w.ok("s1", rq.create("r1"));
  w.ok("s2", rq.join("r1")); // #1
  w.ok("s3", rq.join("r1")); // #2
  return w;
}

describe("setRoomMembersAttributes [MATTR-SET-*]", () => {
  it("sets on any member, per-target results in request order, one event to every member", () => {
    const w = trio();
    const o = w.ok("s1", rq.setMemberAttrs("r1", ["bob", "dave", "bob", "alice"], { k: "1" }));
    const reply = result(o.reply, "setRoomMembersAttributes");
    expect(reply.roomId).toBe("r1");
    expect(infos(reply.infos)).toEqual([
      ["bob", { k: "1" }],
      ["alice", { k: "1" }],
    ]);
    expect(users(reply.failedUsers)).toEqual(["dave:NOT_IN_ROOM"]);
    const event = "r1#3 mattrs [bob{k:1}; alice{k:1}] by alice";
    expect(w.events("s1")).toEqual([event]);
    expect(w.events("s2")).toEqual([event]);
    expect(w.events("s3")).toEqual([event]);
    expect(w.events("s4")).toEqual([]);
    // The event carries all of a target's attributes after the change.
    w.ok("s2", rq.setMemberAttrs("r1", ["bob"], { j: "2" }));
    expect(w.events("s3")).toEqual(["r1#4 mattrs [bob{j:2,k:1}] by bob"]);
  });

  it("fails a target whose merged attributes exceed the per-user count or size", () => {
    const w = trio();
    w.ok("s1", rq.setMemberAttrs("r1", ["bob"], { k: "12345678" })); // 9 bytes
    let o = w.ok("s1", rq.setMemberAttrs("r1", ["bob"], { a: "", b: "", c: "" })); // 4 keys > 3
    expect(users(result(o.reply, "setRoomMembersAttributes").failedUsers)).toEqual(["bob:MEMBER_ATTRIBUTE_COUNT_LIMIT"]);
    expect(w.recipients()).toEqual([]); // [MATTR-SET-EVENT-2]
    o = w.ok("s1", rq.setMemberAttrs("r1", ["bob"], { j: "1234567" })); // 9 + 8 = 17 > 16
    expect(users(result(o.reply, "setRoomMembersAttributes").failedUsers)).toEqual(["bob:MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT"]);
    o = w.ok("s1", rq.setMemberAttrs("r1", ["bob"], { k: "1", j: "123456" })); // overwrite: 2 + 8 = 10
    expect(infos(result(o.reply, "setRoomMembersAttributes").infos)).toEqual([["bob", { k: "1", j: "123456" }]]);
  });

  it("counts users holding attributes progressively, retained non-members included [MATTR-SET-TARGET-4, MATTR-RETAIN-4]", () => {
    const w = trio();
    w.ok("s1", rq.setMemberAttrs("r1", ["alice"], { k: "1" }, false)); // retained when alice leaves
    w.ok("s1", rq.leave("r1"));
    const o = w.ok("s2", rq.setMemberAttrs("r1", ["bob", "carol"], { k: "1" }));
    const reply = result(o.reply, "setRoomMembersAttributes");
    expect(infos(reply.infos)).toEqual([["bob", { k: "1" }]]);
    expect(users(reply.failedUsers)).toEqual(["carol:MEMBER_ATTRIBUTE_USERS_LIMIT"]);
    // A target that already holds attributes is not counted again.
    expect(errorOf(w.do("s3", rq.setMemberAttrs("r1", ["bob"], { z: "9" })).reply)).toBe("ok");
    expect(users(result(w.last.reply, "setRoomMembersAttributes").failedUsers)).toEqual([]);
  });

  it("keeps unflagged keys of a leaver invisibly until it rejoins; flagged ones go [MATTR-RETAIN-1..3, MATTR-SET-APPLY-2]", () => {
    const w = trio();
    w.ok("s1", rq.setMemberAttrs("r1", ["bob"], { keep: "1" }, false));
    w.ok("s1", rq.setMemberAttrs("r1", ["bob"], { gone: "1" })); // default: delete_after_left true
    w.ok("s2", rq.leave("r1"));
    expect(w.events("s1")).toEqual(["r1#5 left bob"]); // removal is silent
    let q = w.ok("s1", rq.queryMemberAttrs("r1", ["bob", "alice"]));
    expect(infos(result(q.reply, "queryRoomMembersAttributes").infos)).toEqual([["alice", {}]]);
    w.ok("s2", rq.join("r1"));
    expect(w.events("s2")).toEqual(["(r1, CONNECTING, ACTIVE_JOIN)", "(r1, CONNECTED, SUCCESS)"]);
    q = w.ok("s1", rq.queryMemberAttrs("r1", ["bob", "bob"]));
    expect(infos(result(q.reply, "queryRoomMembersAttributes").infos)).toEqual([["bob", { keep: "1" }]]);
  });

  it("validates room_id, user_ids, then attributes: empty, count before keys, keys in order", () => {
    const w = trio();
    const code = (ids: string[], attrs: Record<string, string>) => errorOf(w.do("s1", rq.setMemberAttrs("r1", ids, attrs)).reply);
    expect(errorOf(w.do("s1", rq.setMemberAttrs("bad id", [], {})).reply)).toBe("INVALID_ARGUMENT(room_id)");
    expect(code([], {})).toBe("INVALID_ARGUMENT(user_ids)");
    expect(code(["a", "b", "c", "d", "e"], { k: "1" })).toBe("INVALID_ARGUMENT(user_ids)");
    expect(code(["a", "b", "c", "d", "d"], { k: "1" })).toBe("ok"); // 4 after deduplication
    expect(code(["bad id"], { k: "1" })).toBe("INVALID_ARGUMENT(user_ids)");
    expect(code(["bob"], {})).toBe("INVALID_ARGUMENT(attributes)");
    expect(code(["bob"], { toolong: "1", a: "", b: "", c: "" })).toBe("MEMBER_ATTRIBUTE_COUNT_LIMIT");
    expect(code(["bob"], { a: "123456789", toolong: "" })).toBe("MEMBER_ATTRIBUTE_VALUE_TOO_LONG");
    expect(code(["bob"], { "": "1" })).toBe("MEMBER_ATTRIBUTE_KEY_TOO_LONG");
    expect(errorOf(w.do("s4", rq.setMemberAttrs("r1", ["bob"], { k: "1" })).reply)).toBe("NOT_IN_ROOM");
  });
});

describe("queryRoomMembersAttributes [MATTR-QUERY-*]", () => {
  it("lists requested members in request order, once, with empty maps; leaves non-members out", () => {
    const w = trio();
    w.ok("s1", rq.setMemberAttrs("r1", ["carol"], { k: "1" }));
    const o = w.ok("s2", rq.queryMemberAttrs("r1", ["dave", "carol", "bob", "carol"]));
    expect(infos(result(o.reply, "queryRoomMembersAttributes").infos)).toEqual([
      ["carol", { k: "1" }],
      ["bob", {}],
    ]);
    expect(w.recipients()).toEqual([]);
  });
});
