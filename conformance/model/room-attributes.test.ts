// The model's own spec tests for room attributes (spec/room-attributes.md):
// ownership, force, update-owner, delete-after-owner-left, capacity, batch
// atomicity and key_failures.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/index.js";
import { World, errorOf, op, result, rq } from "./test-kit.js";

function pair(): World {
  const w = new World().open("s1", "alice").open("s2", "bob");
  w.ok("s1", rq.create("r1"));
  w.ok("s2", rq.join("r1")); // #1
  return w;
}

const failures = (keys: { key: string; code: ErrorCode }[]) => keys.map((k) => `${k.key}:${ErrorCode[k.code]}`);

describe("setRoomAttributes ownership [RATTR-SET-OWNER-*, RATTR-SET-APPLY-*, RATTR-SET-EVENT-1]", () => {
  it("new keys are the caller's; another's key needs force; update-owner moves ownership", () => {
    const w = pair();
    w.ok("s1", rq.setAttrs("r1", { a: "1" })); // #2
    expect(w.events("s1")).toEqual(["r1#2 attrs SET {a:1} by alice"]); // the setter too
    expect(w.events("s2")).toEqual(["r1#2 attrs SET {a:1} by alice"]);

    let o = w.ok("s2", rq.setAttrs("r1", { b: "3", a: "2" })); // #3
    expect(failures(result(o.reply, "setRoomAttributes").failedKeys)).toEqual(["a:ROOM_ATTRIBUTE_NOT_OWNER"]);
    expect(w.events("s1")).toEqual(["r1#3 attrs SET {b:3} by bob"]);

    w.ok("s2", rq.setAttrs("r1", { a: "4" }, { force: true })); // #4: value changes, owner stays alice
    expect(w.state.rooms.get("r1")!.attributes.get("a")).toEqual({ value: "4", owner: "alice", deleteAfterOwnerLeft: false });

    w.ok("s2", rq.setAttrs("r1", { a: "5" }, { force: true, updateOwner: true, deleteAfter: true })); // #5
    expect(w.state.rooms.get("r1")!.attributes.get("a")).toEqual({ value: "5", owner: "bob", deleteAfterOwnerLeft: true });

    o = w.ok("s1", rq.setAttrs("r1", { a: "6" }));
    expect(failures(result(o.reply, "setRoomAttributes").failedKeys)).toEqual(["a:ROOM_ATTRIBUTE_NOT_OWNER"]);
    expect(w.recipients()).toEqual([]); // nothing accepted: no event, seq unchanged [RATTR-SET-EVENT-3]
    expect(w.state.rooms.get("r1")!.seq).toBe(5n);

    // bob leaves: only its flagged key goes.
    w.ok("s2", rq.leave("r1"));
    expect(w.events("s1")).toEqual(["r1#6 left bob", "r1#7 attrs DELETE {a:} by bob"]);
    expect(w.state.rooms.get("r1")!.attributes.get("b")?.owner).toBe("bob");
  });

  it("a forced write without update-owner keeps the owner's flag [RATTR-SET-APPLY-4]", () => {
    const w = pair();
    w.ok("s1", rq.setAttrs("r1", { k: "1" }, { deleteAfter: true }));
    w.ok("s2", rq.setAttrs("r1", { k: "2" }, { force: true, deleteAfter: false }));
    expect(w.state.rooms.get("r1")!.attributes.get("k")).toEqual({ value: "2", owner: "alice", deleteAfterOwnerLeft: true });
    // The owner's own rewrite takes the new flag.
    w.ok("s1", rq.setAttrs("r1", { k: "3" }, { deleteAfter: false }));
    expect(w.state.rooms.get("r1")!.attributes.get("k")?.deleteAfterOwnerLeft).toBe(false);
  });

  it("a key set to its current value is accepted and in the event [RATTR-SET-EVENT-2]", () => {
    const w = pair();
    w.ok("s1", rq.setAttrs("r1", { k: "1" }));
    w.ok("s1", rq.setAttrs("r1", { k: "1" }));
    expect(w.events("s2")).toEqual(["r1#3 attrs SET {k:1} by alice"]);
  });

  it("reports failed keys in ascending UTF-8 order [RATTR-SET-REPLY-1, TEXT-2]", () => {
    const w = pair();
    // U+FF5E (3 UTF-8 bytes) sorts before U+1F600 (4 bytes) by code point, though not by UTF-16 units.
    w.ok("s1", rq.setAttrs("r1", { b: "1", "\u{1F600}": "1", a: "1", "\uFF5E": "1" }));
    const o = w.ok("s2", rq.setAttrs("r1", { "\u{1F600}": "2", b: "2", "\uFF5E": "2", a: "2" }));
    expect(result(o.reply, "setRoomAttributes").failedKeys.map((k) => k.key)).toEqual(["a", "b", "\uFF5E", "\u{1F600}"]);
  });
});

describe("setRoomAttributes validation and capacity [RATTR-SET-VALID-*, RATTR-SET-CAP-*]", () => {
  it("validates room_id, emptiness, keys in order, then the pair count", () => {
    const w = pair();
    expect(errorOf(w.do("s1", rq.setAttrs("", {})).reply)).toBe("INVALID_ARGUMENT(room_id)");
    expect(errorOf(w.do("s1", rq.setAttrs("r1", {})).reply)).toBe("INVALID_ARGUMENT(attributes)");
    expect(errorOf(w.do("s1", rq.setAttrs("r1", { a: "123456789", bbbbb: "" })).reply)).toBe("ROOM_ATTRIBUTE_VALUE_TOO_LONG");
    expect(errorOf(w.do("s1", rq.setAttrs("r1", { "": "1" })).reply)).toBe("ROOM_ATTRIBUTE_KEY_TOO_LONG");
    expect(errorOf(w.do("s1", rq.setAttrs("r1", { a: "", b: "", c: "", d: "", e: "" })).reply)).toBe("ROOM_ATTRIBUTE_COUNT_LIMIT");
    // Validation before state: a non-member with a bad argument gets the argument error.
    expect(errorOf(w.do("s1", rq.setAttrs("nowhere", {})).reply)).toBe("INVALID_ARGUMENT(attributes)");
    expect(errorOf(w.do("s1", rq.setAttrs("nowhere", { a: "1" })).reply)).toBe("ROOM_NOT_FOUND");
  });

  it("applies capacity to the room with only the accepted keys, all or nothing", () => {
    const w = pair();
    w.ok("s1", rq.setAttrs("r1", { x: "1" })); // alice's, 2 bytes
    w.ok("s2", rq.setAttrs("r1", { y: "12345678" })); // bob's, 9 bytes → 11
    // x fails (alice's); only z counts: 11 + 9 = 20 ≤ 24. With x applied it would be 27.
    const o = w.ok("s2", rq.setAttrs("r1", { x: "12345678", z: "12345678" }));
    expect(failures(result(o.reply, "setRoomAttributes").failedKeys)).toEqual(["x:ROOM_ATTRIBUTE_NOT_OWNER"]);
    // Now 20 bytes: another 9 would be 29.
    const seq = w.state.rooms.get("r1")!.seq;
    expect(errorOf(w.do("s2", rq.setAttrs("r1", { w: "12345678" })).reply)).toBe("ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT");
    expect(w.recipients()).toEqual([]);
    expect(w.state.rooms.get("r1")!.seq).toBe(seq);
    w.ok("s2", rq.setAttrs("r1", { w: "1" })); // 22: fine, and 4 keys
    expect(errorOf(w.do("s2", rq.setAttrs("r1", { v: "" })).reply)).toBe("ROOM_ATTRIBUTE_COUNT_LIMIT");
    w.ok("s2", rq.setAttrs("r1", { w: "123" })); // an existing key does not add to the count
  });
});

describe("deleteRoomAttributes [RATTR-DEL-*]", () => {
  it("decides key by key in request order, deduplicated", () => {
    const w = pair();
    w.ok("s1", rq.setAttrs("r1", { a: "1" }));
    w.ok("s2", rq.setAttrs("r1", { b: "2" })); // #3
    const o = w.ok("s2", rq.deleteAttrs("r1", ["zz", "a", "b", "b", "zz"]));
    expect(failures(result(o.reply, "deleteRoomAttributes").failedKeys)).toEqual(["zz:ROOM_ATTRIBUTE_NOT_FOUND", "a:ROOM_ATTRIBUTE_NOT_OWNER"]);
    expect(w.events("s1")).toEqual(["r1#4 attrs DELETE {b:} by bob"]);
    expect(w.events("s2")).toEqual(["r1#4 attrs DELETE {b:} by bob"]);
    w.ok("s2", rq.deleteAttrs("r1", ["a"], true));
    expect(w.state.rooms.get("r1")!.attributes.size).toBe(0);
    const none = w.ok("s2", rq.deleteAttrs("r1", ["a"]));
    expect(failures(result(none.reply, "deleteRoomAttributes").failedKeys)).toEqual(["a:ROOM_ATTRIBUTE_NOT_FOUND"]);
    expect(w.recipients()).toEqual([]); // [RATTR-DEL-EVENT-2]
  });

  it("validates keys after deduplication", () => {
    const w = pair();
    expect(errorOf(w.do("s1", rq.deleteAttrs("r1", [])).reply)).toBe("INVALID_ARGUMENT(keys)");
    expect(errorOf(w.do("s1", rq.deleteAttrs("r1", ["a", "toolong"])).reply)).toBe("ROOM_ATTRIBUTE_KEY_TOO_LONG");
    expect(errorOf(w.do("s1", rq.deleteAttrs("r1", ["a", "b", "c", "d", "e"])).reply)).toBe("ROOM_ATTRIBUTE_COUNT_LIMIT");
    expect(errorOf(w.do("s1", rq.deleteAttrs("r1", ["a", "a", "a", "a", "a", "b"])).reply)).toBe("ok");
  });

  it("queryRoomAllAttributes returns every key → value [RATTR-QUERY-1]", () => {
    const w = pair();
    w.ok("s1", rq.setAttrs("r1", { a: "1", b: "" }));
    const o = w.ok("s2", rq.queryAttrs("r1"));
    expect(result(o.reply, "queryRoomAllAttributes").attributes).toEqual({ a: "1", b: "" });
    expect(w.recipients()).toEqual([]);
  });
});

describe("batchRoomAttributes [RATTR-BATCH-*]", () => {
  it("validates the operations, with INVALID_ARGUMENT(operations) for shape faults", () => {
    const w = pair();
    expect(errorOf(w.do("s1", rq.batch("r1", [])).reply)).toBe("INVALID_ARGUMENT(operations)");
    const five = Array.from({ length: 5 }, () => op.set({ a: "1" }));
    expect(errorOf(w.do("s1", rq.batch("r1", five)).reply)).toBe("INVALID_ARGUMENT(operations)");
    expect(errorOf(w.do("s1", rq.batch("r1", [op.set({ a: "1" }), op.none()])).reply)).toBe("INVALID_ARGUMENT(operations)");
    expect(errorOf(w.do("s1", rq.batch("r1", [op.set({})])).reply)).toBe("INVALID_ARGUMENT(operations)");
    expect(errorOf(w.do("s1", rq.batch("r1", [op.del([])])).reply)).toBe("INVALID_ARGUMENT(operations)");
    // In order: the first operation's fault wins over the second's.
    expect(errorOf(w.do("s1", rq.batch("r1", [op.set({ toolong: "1" }), op.none()])).reply)).toBe("ROOM_ATTRIBUTE_KEY_TOO_LONG");
    expect(w.recipients()).toEqual([]);
  });

  it("fails atomically with every key failure, in operation then key order", () => {
    const w = pair();
    w.ok("s1", rq.setAttrs("r1", { a: "1", c: "1" })); // alice's
    const before = w.state.rooms.get("r1");
    const o = w.do("s2", rq.batch("r1", [op.set({ new: "1" }), op.del(["zz", "a"]), op.set({ c: "2", b: "2" })]));
    expect(errorOf(o.reply)).toBe("ROOM_ATTRIBUTE_NOT_FOUND"); // the first failure's code
    const detail = o.reply?.result.case === "error" ? o.reply.result.value.detail : undefined;
    expect(failures(detail?.keyFailures ?? [])).toEqual(["zz:ROOM_ATTRIBUTE_NOT_FOUND", "a:ROOM_ATTRIBUTE_NOT_OWNER", "c:ROOM_ATTRIBUTE_NOT_OWNER"]);
    expect(w.recipients()).toEqual([]);
    expect(w.state.rooms.get("r1")).toBe(before);
  });

  it("judges each operation against the state the earlier ones left [RATTR-BATCH-SIM-1]", () => {
    const w = pair();
    w.ok("s1", rq.setAttrs("r1", { a: "1", b: "1", c: "1" })); // #2, alice's
    // bob: sets new keys d and e (5 keys in between), deletes its own d → final 4 keys: within capacity.
    w.ok("s2", rq.batch("r1", [op.set({ e: "1", d: "1" }), op.del(["d"])]));
    expect(w.events("s1")).toEqual(["r1#3 batch [SET {d:1,e:1}; DELETE {d:}] by bob"]);
    expect(w.events("s2")).toEqual(["r1#3 batch [SET {d:1,e:1}; DELETE {d:}] by bob"]);
    // A forced write without update-owner leaves the key alice's: a later delete in the batch is refused.
    const o = w.do("s2", rq.batch("r1", [op.set({ a: "9" }, { force: true }), op.del(["a"])]));
    expect(errorOf(o.reply)).toBe("ROOM_ATTRIBUTE_NOT_OWNER");
    // With update-owner it becomes bob's, and bob may delete it.
    w.ok("s2", rq.batch("r1", [op.set({ a: "9" }, { force: true, updateOwner: true }), op.del(["a"])]));
    expect([...w.state.rooms.get("r1")!.attributes.keys()].sort()).toEqual(["b", "c", "e"]);
  });

  it("checks capacity on the final state only [RATTR-BATCH-CAP-1]", () => {
    const w = pair();
    w.ok("s1", rq.setAttrs("r1", { a: "1", b: "1", c: "1" }));
    expect(errorOf(w.do("s1", rq.batch("r1", [op.set({ d: "1" }), op.set({ e: "1" })])).reply)).toBe("ROOM_ATTRIBUTE_COUNT_LIMIT");
    expect(errorOf(w.do("s1", rq.batch("r1", [op.set({ d: "12345678" }), op.set({ e: "12345678" }), op.del(["e"])])).reply)).toBe(
      "ok",
    );
    // Final: a, b, d of 9 bytes each + c of 2 = 29 > 24.
    expect(errorOf(w.do("s1", rq.batch("r1", [op.del(["d"]), op.set({ d: "12345678", a: "12345678", b: "12345678" })])).reply)).toBe(
      "ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT",
    );
    expect(w.recipients()).toEqual([]);
  });
});
