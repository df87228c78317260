// Room attributes against the pure core: ownership, force, update-owner,
// delete-after-owner-left, partial failures, capacity, atomic batches.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/index.js";
import { CoreHarness } from "./core-test-support.js";

function room(h: CoreHarness) {
  const [alice, bob] = [h.login("alice"), h.login("bob")];
  h.ok(alice, "createRoom", { roomInfo: { roomId: "r" } });
  h.ok(bob, "joinRoom", { roomId: "r" });
  h.drain();
  return { alice, bob, r: () => h.state.rooms.get("r")! };
}

const failed = (keys: { key: string; code: ErrorCode }[]) => keys.map((k) => `${k.key}:${ErrorCode[k.code]}`);

describe("setRoomAttributes", () => {
  it("sets new keys owned by the caller; every member, the caller included, gets one SET event", () => {
    const h = new CoreHarness();
    const { alice, bob, r } = room(h);
    const res = h.ok(alice, "setRoomAttributes", { roomId: "r", attributes: { b: "2", a: "1" }, isDeleteAfterOwnerLeft: true });
    expect(res.failedKeys).toEqual([]);
    expect(h.take(alice)).toEqual(["r#2 attrs SET a=1,b=2 by alice"]);
    expect(h.take(bob)).toEqual(["r#2 attrs SET a=1,b=2 by alice"]);
    expect(r().attributes.get("a")).toEqual({ value: "1", owner: "alice", deleteAfterOwnerLeft: true });
  });

  it("refuses keys owned by others unless forced; force keeps the owner and its flag unless update-owner", () => {
    const h = new CoreHarness();
    const { alice, bob, r } = room(h);
    h.ok(alice, "setRoomAttributes", { roomId: "r", attributes: { k: "a", m: "a" }, isDeleteAfterOwnerLeft: true });
    h.drain();
    const res = h.ok(bob, "setRoomAttributes", { roomId: "r", attributes: { m: "b", k: "b", n: "b" } });
    expect(failed(res.failedKeys)).toEqual(["k:ROOM_ATTRIBUTE_NOT_OWNER", "m:ROOM_ATTRIBUTE_NOT_OWNER"]);
    expect(h.take(alice)).toEqual(["r#3 attrs SET n=b by bob"]);

    h.ok(bob, "setRoomAttributes", { roomId: "r", attributes: { k: "forced" }, isForce: true, isDeleteAfterOwnerLeft: false });
    expect(r().attributes.get("k")).toEqual({ value: "forced", owner: "alice", deleteAfterOwnerLeft: true });

    h.ok(bob, "setRoomAttributes", { roomId: "r", attributes: { m: "taken" }, isForce: true, isUpdateOwner: true, isDeleteAfterOwnerLeft: false });
    expect(r().attributes.get("m")).toEqual({ value: "taken", owner: "bob", deleteAfterOwnerLeft: false });

    // The owner re-setting its own key updates the flag.
    h.ok(alice, "setRoomAttributes", { roomId: "r", attributes: { k: "again" }, isDeleteAfterOwnerLeft: false });
    expect(r().attributes.get("k")).toEqual({ value: "again", owner: "alice", deleteAfterOwnerLeft: false });
  });

  it("all keys failing is a normal reply with no event and no seq change", () => {
    const h = new CoreHarness();
    const { alice, bob, r } = room(h);
    h.ok(alice, "setRoomAttributes", { roomId: "r", attributes: { k: "a" } });
    h.drain();
    const seq = r().seq;
    expect(failed(h.ok(bob, "setRoomAttributes", { roomId: "r", attributes: { k: "b" } }).failedKeys)).toEqual(["k:ROOM_ATTRIBUTE_NOT_OWNER"]);
    expect(h.take(alice)).toEqual([]);
    expect(r().seq).toBe(seq);
  });

  it("failed keys are sorted by UTF-8 bytes, not UTF-16 units", () => {
    const h = new CoreHarness();
    const { alice, bob } = room(h);
    const [bmpHigh, astral] = ["\uff21", "\u{1F600}"]; // U+FF21 sorts before U+1F600 in UTF-8 but after it in UTF-16
    h.ok(alice, "setRoomAttributes", { roomId: "r", attributes: { [astral]: "1", [bmpHigh]: "1", b: "1" } });
    const res = h.ok(bob, "setRoomAttributes", { roomId: "r", attributes: { [astral]: "2", b: "2", [bmpHigh]: "2" } });
    expect(res.failedKeys.map((k) => k.key)).toEqual(["b", bmpHigh, astral]);
  });

  it("validation order: room_id, empty, per key sorted, count; then room and membership", () => {
    const h = new CoreHarness();
    const { alice } = room(h);
    const carol = h.login("carol");
    const code = (roomId: string, attributes: { [k: string]: string }, who = alice) => {
      const e = h.fails(who, "setRoomAttributes", { roomId, attributes });
      return `${ErrorCode[e.code]}:${e.detail?.field}`;
    };
    expect(code("", {})).toBe("INVALID_ARGUMENT:room_id");
    expect(code("nope", {})).toBe("INVALID_ARGUMENT:attributes");
    expect(code("nope", { a: "x".repeat(1025), ["b".repeat(17)]: "" })).toBe("ROOM_ATTRIBUTE_VALUE_TOO_LONG:attributes");
    expect(code("nope", { "": "v" })).toBe("ROOM_ATTRIBUTE_KEY_TOO_LONG:attributes");
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, ""]));
    expect(code("nope", many)).toBe("ROOM_ATTRIBUTE_COUNT_LIMIT:attributes");
    expect(code("nope", { a: "1" })).toBe("ROOM_NOT_FOUND:");
    expect(code("r", { a: "1" }, carol)).toBe("NOT_IN_ROOM:");
  });

  it("capacity on the state after the change: COUNT then TOTAL, nothing applied", () => {
    const h = new CoreHarness({ limits: { maxRoomAttributes: 3, maxRoomAttributesTotalBytes: 10 } });
    const { alice, r } = room(h);
    h.ok(alice, "setRoomAttributes", { roomId: "r", attributes: { a: "1", b: "2" } });
    h.drain();
    expect(h.code(alice, "setRoomAttributes", { roomId: "r", attributes: { c: "3", d: "4" } })).toBe("ROOM_ATTRIBUTE_COUNT_LIMIT");
    expect(h.code(alice, "setRoomAttributes", { roomId: "r", attributes: { a: "12345678" } })).toBe("ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT");
    expect(h.take(alice)).toEqual([]);
    expect([...r().attributes.keys()]).toEqual(["a", "b"]);
    // Replacing a value counts the new size, not the sum of both: exactly at the limit is fine.
    h.ok(alice, "setRoomAttributes", { roomId: "r", attributes: { a: "1234567" } });
  });
});

describe("deleteRoomAttributes", () => {
  it("deletes per key in request order: NOT_FOUND, NOT_OWNER unless forced; one DELETE event", () => {
    const h = new CoreHarness();
    const { alice, bob } = room(h);
    h.ok(alice, "setRoomAttributes", { roomId: "r", attributes: { a: "1", b: "2" } });
    h.ok(bob, "setRoomAttributes", { roomId: "r", attributes: { c: "3" } });
    h.drain();
    const res = h.ok(bob, "deleteRoomAttributes", { roomId: "r", keys: ["zz", "a", "c", "zz"] });
    expect(failed(res.failedKeys)).toEqual(["zz:ROOM_ATTRIBUTE_NOT_FOUND", "a:ROOM_ATTRIBUTE_NOT_OWNER"]);
    expect(h.take(alice)).toEqual(["r#4 attrs DELETE c= by bob"]);
    h.ok(bob, "deleteRoomAttributes", { roomId: "r", keys: ["b", "a"], isForce: true });
    expect(h.take(bob)).toEqual(["r#4 attrs DELETE c= by bob", "r#5 attrs DELETE b=,a= by bob"]);
    expect(h.ok(alice, "queryRoomAllAttributes", { roomId: "r" }).attributes).toEqual({});
  });

  it("validates keys: non-empty, each 1..max bytes, deduped count", () => {
    const h = new CoreHarness({ limits: { maxRoomAttributes: 2 } });
    const { alice } = room(h);
    expect(h.fails(alice, "deleteRoomAttributes", { roomId: "r", keys: [] }).detail?.field).toBe("keys");
    expect(h.code(alice, "deleteRoomAttributes", { roomId: "r", keys: ["a", ""] })).toBe("ROOM_ATTRIBUTE_KEY_TOO_LONG");
    expect(h.code(alice, "deleteRoomAttributes", { roomId: "r", keys: ["a", "b", "c"] })).toBe("ROOM_ATTRIBUTE_COUNT_LIMIT");
    expect(failed(h.ok(alice, "deleteRoomAttributes", { roomId: "r", keys: ["a", "b", "a", "b"] }).failedKeys)).toEqual([
      "a:ROOM_ATTRIBUTE_NOT_FOUND",
      "b:ROOM_ATTRIBUTE_NOT_FOUND",
    ]);
  });
});

describe("batchRoomAttributes", () => {
  const set = (attributes: { [k: string]: string }, opts: { isForce?: boolean; isUpdateOwner?: boolean; isDeleteAfterOwnerLeft?: boolean } = {}) => ({
    operation: { case: "set" as const, value: { attributes, ...opts } },
  });
  const del = (keys: string[], isForce = false) => ({ operation: { case: "delete" as const, value: { keys, isForce } } });

  it("applies every operation atomically with one batch event, one info per operation", () => {
    const h = new CoreHarness();
    const { alice, bob, r } = room(h);
    h.ok(alice, "batchRoomAttributes", { roomId: "r", operations: [set({ a: "1", b: "2" }, { isDeleteAfterOwnerLeft: true }), del(["a"]), set({ c: "3" })] });
    expect(h.take(bob)).toEqual(["r#2 batch SET a=1,b=2; DELETE a=; SET c=3 by alice"]);
    expect(h.take(alice)).toEqual(["r#2 batch SET a=1,b=2; DELETE a=; SET c=3 by alice"]);
    expect(r().attributes.get("b")).toEqual({ value: "2", owner: "alice", deleteAfterOwnerLeft: true });
  });

  it("any failure: error with the first failure's code, every key failure listed, nothing applied, no event", () => {
    const h = new CoreHarness();
    const { alice, bob, r } = room(h);
    h.ok(alice, "setRoomAttributes", { roomId: "r", attributes: { a: "1", b: "1" } });
    h.drain();
    const e = h.fails(bob, "batchRoomAttributes", { roomId: "r", operations: [set({ mine: "x" }), del(["nope", "a"]), set({ b: "2", mine: "y" })] });
    expect(ErrorCode[e.code]).toBe("ROOM_ATTRIBUTE_NOT_FOUND");
    expect(failed(e.detail?.keyFailures ?? [])).toEqual(["nope:ROOM_ATTRIBUTE_NOT_FOUND", "a:ROOM_ATTRIBUTE_NOT_OWNER", "b:ROOM_ATTRIBUTE_NOT_OWNER"]);
    expect(r().attributes.has("mine")).toBe(false);
    expect(h.take(alice)).toEqual([]);
    expect(h.take(bob)).toEqual([]);
  });

  it("judges ownership against the simulated state: a key set earlier in the batch is the caller's", () => {
    const h = new CoreHarness();
    const { alice, bob } = room(h);
    h.ok(alice, "setRoomAttributes", { roomId: "r", attributes: { a: "1" } });
    h.ok(bob, "batchRoomAttributes", { roomId: "r", operations: [set({ a: "2" }, { isForce: true, isUpdateOwner: true }), del(["a"])] });
    h.ok(bob, "batchRoomAttributes", { roomId: "r", operations: [set({ n: "1" }), set({ n: "2" }), del(["n"])] });
    expect(h.ok(alice, "queryRoomAllAttributes", { roomId: "r" }).attributes).toEqual({});
  });

  it("capacity on the final state; validation of the operations list", () => {
    const h = new CoreHarness({ limits: { maxRoomAttributes: 3 } });
    const { alice } = room(h);
    expect(h.code(alice, "batchRoomAttributes", { roomId: "r", operations: [set({ a: "1", b: "2" }), set({ c: "3", d: "4" })] })).toBe(
      "ROOM_ATTRIBUTE_COUNT_LIMIT",
    );
    h.ok(alice, "batchRoomAttributes", { roomId: "r", operations: [set({ a: "1", b: "2" }), del(["a"]), set({ c: "3" })] });
    expect(h.fails(alice, "batchRoomAttributes", { roomId: "r", operations: [] }).detail?.field).toBe("operations");
    expect(h.fails(alice, "batchRoomAttributes", { roomId: "r", operations: [set({ a: "1" }), set({ a: "1" }), set({ a: "1" }), set({ a: "1" })] }).detail?.field).toBe(
      "operations",
    );
    expect(h.fails(alice, "batchRoomAttributes", { roomId: "r", operations: [{}] }).detail?.field).toBe("operations");
    expect(h.fails(alice, "batchRoomAttributes", { roomId: "r", operations: [set({})] }).detail?.field).toBe("operations");
    expect(h.code(alice, "batchRoomAttributes", { roomId: "r", operations: [del([""])] })).toBe("ROOM_ATTRIBUTE_KEY_TOO_LONG");
    expect(h.code(alice, "batchRoomAttributes", { roomId: "nope", operations: [del(["a"])] })).toBe("ROOM_NOT_FOUND");
  });
});
