// Member attributes: set on members (per-user results and limits), retained
// attributes of users who left, the query by ID and the paginated list:
// spec/member-attributes.md (and the silent removal of LEAVE-EFFECT-6).
import { expect } from "vitest";
import { ErrorCode, type Event, type Limits, type Reply } from "../../protocol/index.js";
import type { RequestInput } from "../harness/index.js";
import type { Lockstep } from "../driver/lockstep.js";
import { conformanceSuite, type ScenarioFn } from "../driver/suite.js";

type Attrs = Record<string, string>;
type Info = [userId: string, attributes: Attrs];

// ---- Requests -----------------------------------------------------------------

const setReq = (roomId: string, userIds: string[], attributes: Attrs, isDeleteAfterOwnerLeft?: boolean): RequestInput => ({
  case: "setRoomMembersAttributes",
  value: { roomId, userIds, attributes, ...(isDeleteAfterOwnerLeft !== undefined ? { isDeleteAfterOwnerLeft } : {}) },
});
const queryReq = (roomId: string, userIds: string[]): RequestInput => ({ case: "queryRoomMembersAttributes", value: { roomId, userIds } });
const listReq = (roomId: string, nextToken = "", count = 0): RequestInput => ({ case: "queryRoomMemberAttributesList", value: { roomId, nextToken, count } });
const joinReq = (roomId: string): RequestInput => ({ case: "joinRoom", value: { roomId } });
const leaveReq = (roomId: string): RequestInput => ({ case: "leaveRoom", value: { roomId } });

function isLoggedIn(ls: Lockstep, label: string): boolean {
  try {
    ls.session(label);
    return true;
  } catch {
    return false;
  }
}

/** Logs in `owner` and every member; `owner` creates the room, the others join in order. */
async function roomWith(ls: Lockstep, room: string, owner: string, others: string[] = [], delaySeconds = 0): Promise<string> {
  const roomId = ls.room(room);
  for (const label of [owner, ...others]) if (!isLoggedIn(ls, label)) await ls.login(label);
  await ls.request(owner, { case: "createRoom", value: { roomInfo: { roomId }, config: { roomDestroyDelaySeconds: delaySeconds } } });
  for (const label of others) await ls.request(label, joinReq(roomId));
  return roomId;
}

// ---- Reading replies and events -------------------------------------------------

function errorOf(reply: Reply | undefined): { code: ErrorCode; field: string } | undefined {
  if (reply?.result.case !== "error") return undefined;
  return { code: reply.result.value.code, field: reply.result.value.detail?.field ?? "" };
}

function infosOf(list: readonly { userId: string; attributes: { [k: string]: string } }[]): Info[] {
  return list.map((i) => [i.userId, { ...i.attributes }]);
}

/** A set response as [infos, failed_users]. */
function setResult(reply: Reply | undefined): { infos: Info[]; failed: [string, ErrorCode][] } {
  if (reply?.result.case !== "setRoomMembersAttributes") throw new Error(`expected SetRoomMembersAttributesResponse, got ${reply?.result.case ?? "nothing"}`);
  return { infos: infosOf(reply.result.value.infos), failed: reply.result.value.failedUsers.map((f) => [f.userId, f.code]) };
}

/** A query-by-ID response's infos (the lockstep has already compared them with the model). */
async function query(ls: Lockstep, label: string, roomId: string, userIds: string[]): Promise<Info[]> {
  await ls.request(label, queryReq(roomId, userIds));
  const r = ls.reply?.result;
  if (r?.case !== "queryRoomMembersAttributes") throw new Error(`expected QueryRoomMembersAttributesResponse, got ${r?.case ?? "nothing"}`);
  return infosOf(r.value.infos);
}

async function listPage(ls: Lockstep, label: string, roomId: string, token = "", count = 0): Promise<{ infos: Info[]; next: string }> {
  await ls.request(label, listReq(roomId, token, count));
  const r = ls.reply?.result;
  if (r?.case !== "queryRoomMemberAttributesList") throw new Error(`expected QueryRoomMemberAttributesListResponse, got ${r?.case ?? "nothing"}`);
  return { infos: infosOf(r.value.infos), next: r.value.nextToken };
}

interface MemberAttrEvent {
  roomId: string;
  seq: bigint;
  operator: string;
  infos: Info[];
}

function memberAttrEvents(events: Event[]): MemberAttrEvent[] {
  const out: MemberAttrEvent[] = [];
  for (const e of events) {
    if (e.event.case === "roomMemberAttributesUpdated") {
      const v = e.event.value;
      out.push({ roomId: v.roomId, seq: v.roomSeq, operator: v.operatorUserId, infos: infosOf(v.infos) });
    }
  }
  return out;
}

// ---- Strings of exact sizes ----------------------------------------------------------

/** A string of exactly `bytes` UTF-8 bytes, mostly 2-byte characters (a server counting characters is caught). */
function utf8OfBytes(bytes: number, seed = "é"): string {
  return seed.repeat(Math.floor(bytes / 2)) + (bytes % 2 === 1 ? "a" : "");
}

/** `n` distinct keys, as short as possible (1 byte for the first 62). */
function shortKeys(n: number, offset = 0): string[] {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const out: string[] = [];
  for (let i = offset; out.length < n; i++) {
    let s = "";
    let x = i;
    do {
      s = alphabet[x % alphabet.length]! + s;
      x = Math.floor(x / alphabet.length);
    } while (x > 0);
    out.push(s);
  }
  return out;
}

function bytesOf(attrs: Attrs): number {
  let n = 0;
  for (const [k, v] of Object.entries(attrs)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** Attributes with keys `keys` and values filling exactly `total` bytes (TEXT-4); undefined if the value limit forbids it. */
function fillTo(keys: string[], total: number, l: Limits): Attrs | undefined {
  let left = total - keys.reduce((n, k) => n + Buffer.byteLength(k), 0);
  if (left < 0) return undefined;
  const attrs: Attrs = {};
  for (const k of keys) {
    const v = Math.min(left, l.maxMemberAttributeValueBytes);
    attrs[k] = utf8OfBytes(v);
    left -= v;
  }
  return left === 0 ? attrs : undefined;
}

// ---- The suite --------------------------------------------------------------------

/**
 * The scenarios use literal keys of 1 or 2 bytes, values of up to 8 bytes, a few keys per user and up to 5 user
 * IDs per request, 3 users holding attributes; a server advertising less is not judged by them (each test says
 * so) rather than misjudged. The users-limit test runs with any limit and is declared without these minimums.
 */
function withMemberMinimums(test: ScenarioFn): ScenarioFn {
  return (title, body, options) =>
    test(title, async (ctx) => {
      const l = ctx.limits;
      if (l.maxMemberAttributeKeyBytes < 2 || l.maxMemberAttributeValueBytes < 8 || l.maxMemberAttributesPerUser < 3 || l.maxMemberAttributesTotalBytes < 32 || l.maxQueryUserIds < 5 || l.maxMemberAttributeUsers < 3) {
        ctx.skip("the scenarios need member attribute keys of 2 bytes, values of 8 bytes, 3 keys and 32 bytes per user, 5 user IDs per request and 3 users holding attributes");
      }
      await body(ctx);
    }, options);
}

conformanceSuite("member attributes", (suiteTest) => {
  const test = withMemberMinimums(suiteTest);
  // ---- Common checks --------------------------------------------------------------

  const ops: { name: string; make: (ls: Lockstep, roomId: string) => RequestInput; allBad: (roomId: string) => RequestInput }[] = [
    { name: "setRoomMembersAttributes", make: (ls, r) => setReq(r, [ls.user("alice")], { a: "1" }), allBad: (r) => setReq(r, [], {}) },
    { name: "queryRoomMembersAttributes", make: (ls, r) => queryReq(r, [ls.user("alice")]), allBad: (r) => queryReq(r, []) },
    { name: "queryRoomMemberAttributesList", make: (_ls, r) => listReq(r), allBad: (r) => listReq(r, "not-a-token", 1_000_000) },
  ];

  for (const op of ops) {
    test(`${op.name}: an invalid room_id (empty, bad character, too long) fails INVALID_ARGUMENT(room_id) before any other argument check [MATTR-VALID-1, ID-2]`, async ({ ls }) => {
      await ls.login("alice");
      for (const bad of ["", "bad room!", "x".repeat(ls.limits.maxRoomIdBytes + 1)]) {
        await ls.request("alice", op.allBad(bad));
        expect(errorOf(ls.reply)).toEqual({ code: ErrorCode.INVALID_ARGUMENT, field: "room_id" });
      }
    });

    test(`${op.name}: a room that does not exist fails ROOM_NOT_FOUND [MATTR-CHECK-1]`, async ({ ls }) => {
      await ls.login("alice");
      await ls.request("alice", op.make(ls, ls.room("nowhere")));
      expect(errorOf(ls.reply)?.code).toBe(ErrorCode.ROOM_NOT_FOUND);
    });

    test(`${op.name}: a caller who is not a member fails NOT_IN_ROOM and nothing happens in the room [MATTR-CHECK-2]`, async ({ ls }) => {
      const roomId = await roomWith(ls, "r", "bob");
      await ls.login("alice");
      await ls.request("alice", op.make(ls, roomId));
      expect(errorOf(ls.reply)?.code).toBe(ErrorCode.NOT_IN_ROOM);
      expect(ls.events("bob")).toEqual([]);
    });
  }

  test("every member attribute response carries the request's room_id [MATTR-REPLY-1]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice", ["bob"]);
    for (const req of [setReq(roomId, [ls.user("bob"), ls.user("nobody")], { a: "1" }), queryReq(roomId, [ls.user("alice")]), listReq(roomId)]) {
      await ls.request("alice", req);
      const r = ls.reply?.result;
      expect(r !== undefined && r.case !== undefined && r.case !== "error" && "roomId" in r.value ? r.value.roomId : undefined).toBe(roomId);
    }
  });

  // ---- user_ids validation (set and query by ID) -------------------------------------

  const usersOps: { name: string; make: (roomId: string, userIds: string[]) => RequestInput }[] = [
    { name: "setRoomMembersAttributes", make: (r, u) => setReq(r, u, { a: "1" }) },
    { name: "queryRoomMembersAttributes", make: (r, u) => queryReq(r, u) },
  ];
  for (const op of usersOps) {
    test(`${op.name}: an empty user_ids fails INVALID_ARGUMENT(user_ids) [MATTR-USERS-VALID-1, ERROR-FIELD-1]`, async ({ ls }) => {
      const roomId = await roomWith(ls, "r", "alice");
      await ls.request("alice", op.make(roomId, []));
      expect(errorOf(ls.reply)).toEqual({ code: ErrorCode.INVALID_ARGUMENT, field: "user_ids" });
    });

    test(`${op.name}: max_query_user_ids distinct IDs (repeats not counted) are accepted, one more fails INVALID_ARGUMENT(user_ids) [MATTR-USERS-VALID-2, LIMIT-EXACT-1, TEXT-3]`, async ({ ls }) => {
      const roomId = await roomWith(ls, "r", "alice", ["bob"]);
      const max = ls.limits.maxQueryUserIds;
      const ids = [ls.user("bob"), ...Array.from({ length: max }, (_, i) => ls.user(`u${i}`))];
      await ls.request("alice", op.make(roomId, ids));
      expect(errorOf(ls.reply)).toEqual({ code: ErrorCode.INVALID_ARGUMENT, field: "user_ids" });
      expect(ls.events("bob")).toEqual([]);
      const atLimit = [...ids.slice(0, max), ls.user("bob"), ids[1 % max]!];
      await ls.request("alice", op.make(roomId, atLimit));
      expect(ls.reply?.result.case).toBe(op.name);
    });

    test(`${op.name}: an invalid user ID (empty, bad character, too long) in user_ids fails INVALID_ARGUMENT(user_ids) [MATTR-USERS-VALID-3, ID-1]`, async ({ ls }) => {
      const roomId = await roomWith(ls, "r", "alice", ["bob"]);
      for (const bad of ["", "bad user", "é", "u".repeat(ls.limits.maxUserIdBytes + 1)]) {
        await ls.request("alice", op.make(roomId, [ls.user("bob"), bad]));
        expect(errorOf(ls.reply)).toEqual({ code: ErrorCode.INVALID_ARGUMENT, field: "user_ids" });
      }
      expect(ls.events("bob")).toEqual([]);
    });
  }

  // ---- setRoomMembersAttributes: validation ------------------------------------------------

  test("set: user_ids is validated before attributes (both empty → INVALID_ARGUMENT(user_ids)); an empty attributes fails INVALID_ARGUMENT(attributes) [MATTR-SET-VALID-1, MATTR-USERS-VALID-1]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice", ["bob"]);
    await ls.request("alice", setReq(roomId, [], {}));
    expect(errorOf(ls.reply)).toEqual({ code: ErrorCode.INVALID_ARGUMENT, field: "user_ids" });
    await ls.request("alice", setReq(roomId, [ls.user("bob")], {}));
    expect(errorOf(ls.reply)).toEqual({ code: ErrorCode.INVALID_ARGUMENT, field: "attributes" });
    expect(ls.events("bob")).toEqual([]);
  });

  test("set: max_member_attributes_per_user keys in one request are accepted, one more fails MEMBER_ATTRIBUTE_COUNT_LIMIT, checked before the keys and values [MATTR-SET-VALID-2, LIMIT-EXACT-1]", async ({ ls, skip }) => {
    const l = ls.limits;
    const max = l.maxMemberAttributesPerUser;
    const keys = shortKeys(max + 1);
    const atLimit = Object.fromEntries(keys.slice(0, max).map((k) => [k, ""]));
    if (bytesOf(atLimit) > l.maxMemberAttributesTotalBytes || keys.some((k) => k.length > l.maxMemberAttributeKeyBytes)) skip("max_member_attributes_per_user short keys do not fit the key or total size limits");
    const roomId = await roomWith(ls, "r", "alice", ["bob"]);
    await ls.request("alice", setReq(roomId, [ls.user("bob")], { ...atLimit, [keys[max]!]: "" }));
    expect(errorOf(ls.reply)?.code).toBe(ErrorCode.MEMBER_ATTRIBUTE_COUNT_LIMIT);
    // Too many keys, one of them empty and one value too long: the count decides.
    await ls.request("alice", setReq(roomId, [ls.user("bob")], { ...atLimit, "": "v".repeat(l.maxMemberAttributeValueBytes + 1) }));
    expect(errorOf(ls.reply)?.code).toBe(ErrorCode.MEMBER_ATTRIBUTE_COUNT_LIMIT);
    expect(ls.events("bob")).toEqual([]);
    await ls.request("alice", setReq(roomId, [ls.user("bob")], atLimit));
    expect(setResult(ls.reply)).toEqual({ infos: [[ls.user("bob"), atLimit]], failed: [] });
  });

  test("set: an empty key, or one of max_member_attribute_key_bytes + 1 UTF-8 bytes, fails MEMBER_ATTRIBUTE_KEY_TOO_LONG; a key of exactly the limit is accepted [MATTR-SET-VALID-3, LIMIT-EXACT-1, TEXT-1]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice", ["bob"]);
    const max = ls.limits.maxMemberAttributeKeyBytes;
    await ls.request("alice", setReq(roomId, [ls.user("bob")], { a: "1", "": "1" }));
    expect(errorOf(ls.reply)?.code).toBe(ErrorCode.MEMBER_ATTRIBUTE_KEY_TOO_LONG);
    await ls.request("alice", setReq(roomId, [ls.user("bob")], { a: "1", [utf8OfBytes(max + 1, "ü")]: "1" }));
    expect(errorOf(ls.reply)?.code).toBe(ErrorCode.MEMBER_ATTRIBUTE_KEY_TOO_LONG);
    expect(ls.events("bob")).toEqual([]);
    await ls.request("alice", setReq(roomId, [ls.user("bob")], { [utf8OfBytes(max)]: "1" }));
    expect(setResult(ls.reply).infos).toEqual([[ls.user("bob"), { [utf8OfBytes(max)]: "1" }]]);
  });

  test("set: a value of max_member_attribute_value_bytes + 1 UTF-8 bytes fails MEMBER_ATTRIBUTE_VALUE_TOO_LONG; exactly the limit is accepted [MATTR-SET-VALID-4, LIMIT-EXACT-1, TEXT-1]", async ({ ls, skip }) => {
    const max = ls.limits.maxMemberAttributeValueBytes;
    if (1 + max > ls.limits.maxMemberAttributesTotalBytes) skip("a value of max_member_attribute_value_bytes does not fit max_member_attributes_total_bytes");
    const roomId = await roomWith(ls, "r", "alice", ["bob"]);
    await ls.request("alice", setReq(roomId, [ls.user("bob")], { v: utf8OfBytes(max + 1) }));
    expect(errorOf(ls.reply)?.code).toBe(ErrorCode.MEMBER_ATTRIBUTE_VALUE_TOO_LONG);
    expect(ls.events("bob")).toEqual([]);
    await ls.request("alice", setReq(roomId, [ls.user("bob")], { v: utf8OfBytes(max) }));
    expect(setResult(ls.reply).infos).toEqual([[ls.user("bob"), { v: utf8OfBytes(max) }]]);
  });

  const orderCases: { name: string; attrs: (l: Limits) => Attrs; code: ErrorCode }[] = [
    {
      name: "a lower key's bad value wins over a higher bad key",
      attrs: (l) => ({ ["b" + "x".repeat(l.maxMemberAttributeKeyBytes)]: "1", a: "y".repeat(l.maxMemberAttributeValueBytes + 1) }),
      code: ErrorCode.MEMBER_ATTRIBUTE_VALUE_TOO_LONG,
    },
    {
      name: "a lower bad key wins over a higher key's bad value",
      attrs: (l) => ({ b: "y".repeat(l.maxMemberAttributeValueBytes + 1), ["a" + "x".repeat(l.maxMemberAttributeKeyBytes)]: "1" }),
      code: ErrorCode.MEMBER_ATTRIBUTE_KEY_TOO_LONG,
    },
    {
      name: "a key is checked before its own value",
      attrs: (l) => ({ ["a" + "x".repeat(l.maxMemberAttributeKeyBytes)]: "y".repeat(l.maxMemberAttributeValueBytes + 1) }),
      code: ErrorCode.MEMBER_ATTRIBUTE_KEY_TOO_LONG,
    },
  ];
  for (const c of orderCases) {
    test(`set: keys are validated in ascending order, each key before its value: ${c.name} [MATTR-SET-VALID-5]`, async ({ ls, skip }) => {
      if (ls.limits.maxMemberAttributesPerUser < 2) skip("max_member_attributes_per_user < 2");
      const roomId = await roomWith(ls, "r", "alice", ["bob"]);
      await ls.request("alice", setReq(roomId, [ls.user("bob")], c.attrs(ls.limits)));
      expect(errorOf(ls.reply)?.code).toBe(c.code);
    });
  }

  // ---- setRoomMembersAttributes: targets, effects, events ----------------------------------

  test("set: a target that is not a member fails NOT_IN_ROOM; failed_users lists failures in request order; members succeed and are reported in request order [MATTR-SET-TARGET-1, MATTR-SET-TARGET-5, MATTR-SET-REPLY-2, MATTR-SET-APPLY-3]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice", ["bob", "carol"]);
    await ls.login("dave"); // logged in, not a member
    const [a, b, c, d, z] = [ls.user("alice"), ls.user("bob"), ls.user("carol"), ls.user("dave"), ls.user("zed")];
    await ls.request("alice", setReq(roomId, [z, c, d, a, b], { s: "1" }));
    expect(setResult(ls.reply)).toEqual({
      infos: [[c, { s: "1" }], [a, { s: "1" }], [b, { s: "1" }]],
      failed: [[z, ErrorCode.NOT_IN_ROOM], [d, ErrorCode.NOT_IN_ROOM]],
    });
    // dave was not changed: once a member, it holds nothing.
    await ls.request("dave", joinReq(roomId));
    expect(await query(ls, "dave", roomId, [d])).toEqual([[d, {}]]);
  });

  test("set: attributes merge: the request's keys take its values and the target's other keys are kept [MATTR-SET-APPLY-1]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice", ["bob"]);
    const b = ls.user("bob");
    await ls.request("alice", setReq(roomId, [b], { a: "1", b: "1" }));
    await ls.request("bob", setReq(roomId, [b], { b: "2", c: "3" }));
    expect(setResult(ls.reply).infos).toEqual([[b, { a: "1", b: "2", c: "3" }]]);
    expect(await query(ls, "alice", roomId, [b])).toEqual([[b, { a: "1", b: "2", c: "3" }]]);
  });

  test("set: every member, the caller included, receives one RoomMemberAttributesUpdated with each successful target's full attributes in request order; the reply's infos equal the event's [MATTR-SET-EVENT-1, MATTR-SET-REPLY-1, SEQ-2]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice", ["bob", "carol"]);
    const [a, b, c] = [ls.user("alice"), ls.user("bob"), ls.user("carol")];
    await ls.request("alice", setReq(roomId, [b], { o: "x" }));
    const seq = memberAttrEvents(ls.events("carol"))[0]!.seq;
    await ls.request("carol", setReq(roomId, [b, ls.user("ghost"), a], { n: "1" }));
    const expected = { roomId, seq: seq + 1n, operator: c, infos: [[b, { o: "x", n: "1" }], [a, { n: "1" }]] as Info[] };
    for (const label of ["alice", "bob", "carol"]) {
      expect(ls.events(label).length).toBe(1);
      expect(memberAttrEvents(ls.events(label))).toEqual([expected]);
    }
    expect(setResult(ls.reply).infos).toEqual(expected.infos);
  });

  test("set: when no target succeeds the reply is a normal response with empty infos, no event is sent and room_seq does not change [MATTR-SET-EVENT-2, MATTR-SET-REPLY-1, MATTR-SET-REPLY-2]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice", ["bob"]);
    await ls.request("alice", setReq(roomId, [ls.user("bob")], { a: "1" }));
    const seq = memberAttrEvents(ls.events("bob"))[0]!.seq;
    await ls.request("alice", setReq(roomId, [ls.user("x1"), ls.user("x2")], { a: "2" }));
    expect(setResult(ls.reply)).toEqual({ infos: [], failed: [[ls.user("x1"), ErrorCode.NOT_IN_ROOM], [ls.user("x2"), ErrorCode.NOT_IN_ROOM]] });
    expect(ls.events("alice")).toEqual([]);
    expect(ls.events("bob")).toEqual([]);
    await ls.request("alice", setReq(roomId, [ls.user("bob")], { a: "3" }));
    expect(memberAttrEvents(ls.events("bob"))[0]!.seq).toBe(seq + 1n);
  });

  test("set: a target whose merged attributes would exceed max_member_attributes_per_user fails MEMBER_ATTRIBUTE_COUNT_LIMIT and is unchanged; exactly the limit succeeds; overwritten keys are not counted twice [MATTR-SET-TARGET-2, MATTR-SET-APPLY-3, LIMIT-EXACT-1]", async ({ ls, skip }) => {
    const l = ls.limits;
    const max = l.maxMemberAttributesPerUser;
    const keys = shortKeys(max + 1);
    if (max < 2 || bytesOf(Object.fromEntries(keys.map((k) => [k, ""]))) > l.maxMemberAttributesTotalBytes || keys.some((k) => k.length > l.maxMemberAttributeKeyBytes)) {
      skip("max_member_attributes_per_user short keys do not fit the key or total size limits");
    }
    const roomId = await roomWith(ls, "r", "alice", ["bob", "carol"]);
    const [b, c] = [ls.user("bob"), ls.user("carol")];
    const held = Object.fromEntries(keys.slice(0, max - 1).map((k) => [k, ""]));
    await ls.request("alice", setReq(roomId, [b], held));
    // bob holds max - 1: two new keys make max + 1 → refused; carol holds none → 2 keys fine.
    const two = { [keys[max - 1]!]: "", [keys[max]!]: "" };
    await ls.request("alice", setReq(roomId, [b, c], two));
    expect(setResult(ls.reply)).toEqual({ infos: [[c, two]], failed: [[b, ErrorCode.MEMBER_ATTRIBUTE_COUNT_LIMIT]] });
    expect(await query(ls, "alice", roomId, [b])).toEqual([[b, held]]);
    // One new key and one overwritten key: exactly max.
    const atLimit = { [keys[0]!]: "x", [keys[max - 1]!]: "" };
    await ls.request("alice", setReq(roomId, [b], atLimit));
    expect(setResult(ls.reply)).toEqual({ infos: [[b, { ...held, ...atLimit }]], failed: [] });
    expect(Object.keys((await query(ls, "alice", roomId, [b]))[0]![1]).length).toBe(max);
  });

  test("set: a target whose merged attributes would exceed max_member_attributes_total_bytes fails MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT; exactly the limit succeeds [MATTR-SET-TARGET-3, LIMIT-EXACT-1, TEXT-4, TEXT-1]", async ({ ls, skip }) => {
    const l = ls.limits;
    const total = l.maxMemberAttributesTotalBytes;
    const keys = shortKeys(Math.min(l.maxMemberAttributesPerUser, Math.ceil(total / (1 + l.maxMemberAttributeValueBytes)) + 1));
    const exact = fillTo(keys.slice(1), total - 2, l); // "0" → "x" is added below: 2 bytes
    if (exact === undefined || keys.length < 2) return skip("max_member_attributes_total_bytes is not reachable within the count and value limits");
    const roomId = await roomWith(ls, "r", "alice", ["bob", "carol"]);
    const [b, c] = [ls.user("bob"), ls.user("carol")];
    await ls.request("alice", setReq(roomId, [b, c], { [keys[0]!]: "x" }));
    // bob has 2 bytes; the request brings it to exactly the limit.
    await ls.request("alice", setReq(roomId, [b], exact));
    expect(setResult(ls.reply)).toEqual({ infos: [[b, { [keys[0]!]: "x", ...exact }]], failed: [] });
    // One byte more for bob (its first key's value grows), while carol (small) succeeds.
    await ls.request("alice", setReq(roomId, [b, c], { [keys[0]!]: "xy" }));
    expect(setResult(ls.reply)).toEqual({ infos: [[c, { [keys[0]!]: "xy" }]], failed: [[b, ErrorCode.MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT]] });
    expect(await query(ls, "alice", roomId, [b])).toEqual([[b, { [keys[0]!]: "x", ...exact }]]);
  });

  test("set: the merged count is checked before the merged total size (a target over both fails MEMBER_ATTRIBUTE_COUNT_LIMIT) [MATTR-SET-TARGET-2, MATTR-SET-TARGET-3]", async ({ ls, skip }) => {
    const l = ls.limits;
    const max = l.maxMemberAttributesPerUser;
    const keys = shortKeys(max + 1);
    if (keys.some((k) => k.length > l.maxMemberAttributeKeyBytes)) skip("keys too long for max_member_attribute_key_bytes");
    const held = fillTo(keys.slice(0, Math.min(max, Math.ceil(l.maxMemberAttributesTotalBytes / (keys[0]!.length + l.maxMemberAttributeValueBytes)))), l.maxMemberAttributesTotalBytes, l);
    if (held === undefined || Object.keys(held).length + 1 > max) return skip("cannot fill the total size with fewer keys than max_member_attributes_per_user");
    const fillers = keys.filter((k) => !(k in held)).slice(0, max - Object.keys(held).length + 1);
    const roomId = await roomWith(ls, "r", "alice", ["bob"]);
    const b = ls.user("bob");
    await ls.request("alice", setReq(roomId, [b], held));
    // bob is at the total size limit: any new key overflows the total; max + 1 keys overflow the count too.
    await ls.request("alice", setReq(roomId, [b], Object.fromEntries(fillers.map((k) => [k, ""]))));
    expect(setResult(ls.reply).failed).toEqual([[b, ErrorCode.MEMBER_ATTRIBUTE_COUNT_LIMIT]]);
    await ls.request("alice", setReq(roomId, [b], { [fillers[0]!]: "" }));
    expect(setResult(ls.reply).failed).toEqual([[b, ErrorCode.MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT]]);
  });

  suiteTest("set: max_member_attribute_users is counted progressively in request order with retained non-members included: the target reaching the limit succeeds, the next new one fails MEMBER_ATTRIBUTE_USERS_LIMIT, holders still succeed [MATTR-SET-TARGET-4, MATTR-RETAIN-4, LIMIT-EXACT-1]", async ({ ls, skip }) => {
    const limit = ls.limits.maxMemberAttributeUsers;
    // Each retained holder costs one login, join, set and logout.
    if (limit > 600) skip(`max_member_attribute_users ${limit} is too large to reach in a test (one session per holder); run against a server with a smaller limit`);
    const roomId = await roomWith(ls, "r", "alice");
    // limit - 1 users who set their own attribute (kept after leaving), then log out: retained non-members.
    for (let i = 0; i < limit - 1; i++) {
      const h = `h${i}`;
      await ls.login(h);
      await ls.request(h, joinReq(roomId));
      await ls.request(h, setReq(roomId, [ls.user(h)], { s: "1" }, false));
      await ls.request(h, { case: "logout", value: {} });
    }
    for (const label of ["bob", "carol"]) {
      await ls.login(label);
      await ls.request(label, joinReq(roomId));
    }
    const [b, c] = [ls.user("bob"), ls.user("carol")];
    // limit - 1 holders: bob makes it exactly limit; carol, counted after bob, is one over.
    await ls.request("alice", setReq(roomId, [b, c], { k: "1" }));
    expect(setResult(ls.reply)).toEqual({ infos: [[b, { k: "1" }]], failed: [[c, ErrorCode.MEMBER_ATTRIBUTE_USERS_LIMIT]] });
    // At the limit: a holder (bob) still succeeds, a new one (carol) still fails, whatever the order.
    await ls.request("alice", setReq(roomId, [c, b], { k: "2" }));
    expect(setResult(ls.reply)).toEqual({ infos: [[b, { k: "2" }]], failed: [[c, ErrorCode.MEMBER_ATTRIBUTE_USERS_LIMIT]] });
    // A retained holder who rejoins holds its attributes again and may be written.
    if (limit > 1) {
      await ls.login("h0-back", { userId: ls.user("h0") });
      await ls.request("h0-back", joinReq(roomId));
      await ls.request("alice", setReq(roomId, [c, ls.user("h0")], { k: "3" }));
      expect(setResult(ls.reply)).toEqual({ infos: [[ls.user("h0"), { s: "1", k: "3" }]], failed: [[c, ErrorCode.MEMBER_ATTRIBUTE_USERS_LIMIT]] });
    }
  }, { timeoutMs: 300_000, encodings: "once" });

  // ---- delete_after_left and retained attributes ------------------------------------------

  test("set: each key takes delete_after_left from is_delete_after_owner_left, true when unset: flagged keys vanish silently when the user leaves, the others are retained and visible again on rejoin [MATTR-SET-APPLY-2, LEAVE-EFFECT-6, MATTR-RETAIN-3]", async ({ ls, skip }) => {
    if (ls.limits.maxMemberAttributesPerUser < 4) skip("max_member_attributes_per_user < 4");
    const roomId = await roomWith(ls, "r", "alice", ["bob", "carol"]);
    const b = ls.user("bob");
    await ls.request("alice", setReq(roomId, [b], { d: "default" }));
    await ls.request("alice", setReq(roomId, [b], { t: "true" }, true));
    await ls.request("alice", setReq(roomId, [b], { f: "false", g: "false" }, false));
    // g rewritten without the field: true again.
    await ls.request("alice", setReq(roomId, [b], { g: "again" }));
    await ls.request("bob", leaveReq(roomId));
    // Only MemberLeft: removing flagged member attributes sends no event.
    expect(ls.events("alice").map((e) => e.event.case)).toEqual(["roomMemberLeft"]);
    expect(ls.events("carol").map((e) => e.event.case)).toEqual(["roomMemberLeft"]);
    await ls.request("bob", joinReq(roomId));
    expect(ls.events("alice").map((e) => e.event.case)).toEqual(["roomMemberJoined"]);
    expect(ls.events("bob").map((e) => e.event.case)).toEqual(["roomStateChanged", "roomStateChanged"]);
    expect(await query(ls, "carol", roomId, [b])).toEqual([[b, { f: "false" }]]);
  });

  test("retained attributes are invisible while their user is away: left out of the query by ID, the list and events; a set on the user fails NOT_IN_ROOM [MATTR-RETAIN-2, MATTR-QUERY-2]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice", ["bob", "carol"]);
    const [a, b, c] = [ls.user("alice"), ls.user("bob"), ls.user("carol")];
    await ls.request("alice", setReq(roomId, [b, c], { k: "1" }, false));
    await ls.request("bob", leaveReq(roomId));
    expect(await query(ls, "alice", roomId, [b, c, a])).toEqual([[c, { k: "1" }], [a, {}]]);
    expect((await listPage(ls, "alice", roomId)).infos).toEqual([[c, { k: "1" }]]);
    await ls.request("alice", setReq(roomId, [b, c], { k: "2" }, false));
    expect(setResult(ls.reply)).toEqual({ infos: [[c, { k: "2" }]], failed: [[b, ErrorCode.NOT_IN_ROOM]] });
    expect(memberAttrEvents(ls.events("carol")).map((e) => e.infos)).toEqual([[[c, { k: "2" }]]]);
    // Rejoined, bob's retained attribute (unchanged by the failed set) is back, with no event announcing it.
    await ls.request("bob", joinReq(roomId));
    expect(memberAttrEvents([...ls.events("alice"), ...ls.events("bob"), ...ls.events("carol")])).toEqual([]);
    expect(await query(ls, "alice", roomId, [b])).toEqual([[b, { k: "1" }]]);
    expect((await listPage(ls, "alice", roomId)).infos).toEqual([[c, { k: "2" }], [b, { k: "1" }]]);
  });

  test("retained attributes survive while the room is destroy-pending and come back when their user rejoins [MATTR-RETAIN-1, MATTR-RETAIN-3]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice", ["bob"], ls.limits.maxRoomDestroyDelaySeconds);
    const b = ls.user("bob");
    await ls.request("alice", setReq(roomId, [b], { k: "kept" }, false));
    await ls.request("bob", leaveReq(roomId));
    await ls.request("alice", leaveReq(roomId)); // empty: destroy-pending for the maximum delay
    await ls.request("bob", joinReq(roomId));
    expect(await query(ls, "bob", roomId, [b])).toEqual([[b, { k: "kept" }]]);
    await ls.request("bob", leaveReq(roomId));
  });

  test("retained attributes are forgotten when the room is destroyed: a new room of the same ID starts without them [MATTR-RETAIN-1, DESTROY-FORGET-1]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice", ["bob"]);
    const b = ls.user("bob");
    await ls.request("alice", setReq(roomId, [b], { k: "kept" }, false));
    await ls.request("bob", leaveReq(roomId));
    await ls.request("alice", leaveReq(roomId)); // delay 0: destroyed at once
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId } } });
    await ls.request("bob", joinReq(roomId));
    expect(await query(ls, "alice", roomId, [b])).toEqual([[b, {}]]);
    expect((await listPage(ls, "alice", roomId)).infos).toEqual([]);
  });

  // ---- queryRoomMembersAttributes ------------------------------------------------------------

  test("query by ID: one entry per requested member, in request order, once each, with all its attributes or an empty map; non-members are left out; nothing changes [MATTR-QUERY-1, MATTR-QUERY-2, MATTR-QUERY-3, TEXT-3]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice", ["bob", "carol"]);
    const [a, b, c] = [ls.user("alice"), ls.user("bob"), ls.user("carol")];
    await ls.request("alice", setReq(roomId, [c], { x: "1", y: "" }));
    await ls.request("alice", setReq(roomId, [a], { z: "\u{1F600}" }));
    const seq = memberAttrEvents(ls.events("bob"))[0]!.seq;
    expect(await query(ls, "bob", roomId, [c, ls.user("nobody"), b, c, a, b])).toEqual([[c, { x: "1", y: "" }], [b, {}], [a, { z: "\u{1F600}" }]]);
    expect(ls.events("alice")).toEqual([]);
    expect(ls.events("bob")).toEqual([]);
    expect(ls.events("carol")).toEqual([]);
    await ls.request("alice", setReq(roomId, [b], { w: "1" }));
    expect(memberAttrEvents(ls.events("carol"))[0]!.seq).toBe(seq + 1n);
  });

  // ---- queryRoomMemberAttributesList -----------------------------------------------------------

  test("list: count above max_page_size fails INVALID_ARGUMENT(count), checked before next_token; exactly max_page_size is accepted [MATTR-LIST-VALID-1, LIMIT-EXACT-1, MEMBERS-TOKEN-1]", async ({ ls }) => {
    const roomId = await roomWith(ls, "r", "alice");
    const max = ls.limits.maxPageSize;
    await ls.request("alice", listReq(roomId, "", max + 1));
    expect(errorOf(ls.reply)).toEqual({ code: ErrorCode.INVALID_ARGUMENT, field: "count" });
    await ls.request("alice", listReq(roomId, "bogus-token", max + 1));
    expect(errorOf(ls.reply)).toEqual({ code: ErrorCode.INVALID_ARGUMENT, field: "count" });
    await ls.request("alice", listReq(roomId, "", max));
    expect(ls.reply?.result.case).toBe("queryRoomMemberAttributesList");
  });

  test("list: a next_token this server did not issue for the room fails INVALID_ARGUMENT(next_token) [MEMBERS-TOKEN-1]", async ({ ls }) => {
    const r1 = await roomWith(ls, "r1", "alice", ["bob", "carol"]);
    const r2 = await roomWith(ls, "r2", "alice");
    await ls.request("alice", setReq(r1, [ls.user("alice"), ls.user("bob"), ls.user("carol")], { k: "1" }));
    const { next } = await listPage(ls, "alice", r1, "", 1);
    expect(next).not.toBe("");
    await ls.request("alice", listReq(r1, "bogus-token", 1));
    expect(errorOf(ls.reply)).toEqual({ code: ErrorCode.INVALID_ARGUMENT, field: "next_token" });
    await ls.request("alice", listReq(r2, next, 1));
    expect(errorOf(ls.reply)).toEqual({ code: ErrorCode.INVALID_ARGUMENT, field: "next_token" });
  });

  test("list: pages run over the members holding attributes, in join order, count at a time, with each member's full attributes; next_token is empty exactly after the last holder [MATTR-LIST-2, MATTR-LIST-3, MATTR-LIST-5, MATTR-LIST-6]", async ({ ls, skip }) => {
    const l = ls.limits;
    if (l.maxPageSize < 5 || l.maxMemberAttributeUsers < 5 || (l.maxMembersPerRoom !== 0 && l.maxMembersPerRoom < 8)) skip("needs pages of 5, 5 attribute holders and 8 members");
    const labels = ["m1", "n1", "m2", "m3", "n2", "m4", "m5"];
    const roomId = await roomWith(ls, "r", "alice", labels);
    const holders = ["m1", "m2", "m3", "m4", "m5"].map((l) => ls.user(l));
    // Set in reverse join order: the list follows join order, not the order of the writes.
    for (const [i, u] of [...holders].reverse().entries()) await ls.request("alice", setReq(roomId, [u], { i: String(i), ...(i % 2 === 0 ? { e: "" } : {}) }));
    const all = await listPage(ls, "n1", roomId);
    expect(all.next).toBe("");
    expect(all.infos.map(([u]) => u)).toEqual(holders);
    expect(all.infos[0]).toEqual([holders[0], { i: "4", e: "" }]);
    // count 2: pages of 2, 2, 1; the token after the last page is empty.
    const p1 = await listPage(ls, "n1", roomId, "", 2);
    expect(p1.infos.map(([u]) => u)).toEqual(holders.slice(0, 2));
    expect(p1.next).not.toBe("");
    const p2 = await listPage(ls, "n1", roomId, p1.next, 2);
    expect(p2.infos.map(([u]) => u)).toEqual(holders.slice(2, 4));
    expect(p2.next).not.toBe("");
    const p3 = await listPage(ls, "n1", roomId, p2.next, 2);
    expect(p3).toEqual({ infos: [all.infos[4]], next: "" });
    // count 5 takes exactly the five holders and ends there: no empty last page.
    expect((await listPage(ls, "n1", roomId, "", 5)).next).toBe("");
    expect((await listPage(ls, "n1", roomId, "", 4)).next).not.toBe("");
    // No list query caused any event.
    for (const l of ["alice", ...labels]) expect(ls.events(l)).toEqual([]);
  });

  test("list: count 0 means max_page_size [MATTR-LIST-1]", async ({ ls, skip }) => {
    const l = ls.limits;
    const max = l.maxPageSize;
    // max_page_size + 1 members holding attributes at once, one session each.
    if (max > 200) skip(`max_page_size ${max} needs ${max + 1} simultaneous members; too many for a test`);
    if (l.maxMembersPerRoom !== 0 && l.maxMembersPerRoom < max + 1) skip("max_members_per_room is below max_page_size + 1");
    if (l.maxMemberAttributeUsers < max + 1) skip("max_member_attribute_users is below max_page_size + 1");
    const labels = Array.from({ length: max }, (_, i) => `m${i}`);
    const roomId = await roomWith(ls, "r", "alice", labels);
    const everyone = [ls.user("alice"), ...labels.map((x) => ls.user(x))];
    for (let i = 0; i < everyone.length; i += l.maxQueryUserIds) {
      await ls.request("alice", setReq(roomId, everyone.slice(i, i + l.maxQueryUserIds), { k: "1" }));
    }
    const page = await listPage(ls, "alice", roomId, "", 0);
    expect(page.infos.map(([u]) => u)).toEqual(everyone.slice(0, max));
    expect(page.next).not.toBe("");
    const rest = await listPage(ls, "alice", roomId, page.next, 0);
    expect(rest).toEqual({ infos: [[everyone[max]!, { k: "1" }]], next: "" });
  }, { timeoutMs: 300_000 });

  test("list: over one pagination with changes between pages, every member holding attributes throughout is returned exactly once and pages never go back in join order [MATTR-LIST-4, MEMBERS-TOKEN-2]", async ({ ls, skip }) => {
    const l = ls.limits;
    if (l.maxPageSize < 2 || l.maxMemberAttributeUsers < 7 || (l.maxMembersPerRoom !== 0 && l.maxMembersPerRoom < 8)) skip("needs pages of 2, 7 attribute holders and 8 members");
    const labels = ["m1", "m2", "n1", "m3", "m4", "m5"];
    const roomId = await roomWith(ls, "r", "alice", labels);
    const u = (l: string) => ls.user(l);
    await ls.request("alice", setReq(roomId, ["m1", "m2", "m3", "m4", "m5"].map(u), { k: "1" }, false));
    const seen: string[] = [];
    const p1 = await listPage(ls, "alice", roomId, "", 2);
    seen.push(...p1.infos.map(([x]) => x));
    expect(seen).toEqual([u("m1"), u("m2")]);
    // Between pages: m2 (the token's position) leaves; n1 (after the position) gains attributes;
    // m1 leaves and rejoins (its retained attributes come back, now last in join order); a new member joins with attributes.
    await ls.request("m2", leaveReq(roomId));
    await ls.request("alice", setReq(roomId, [u("n1")], { k: "n" }));
    await ls.request("m1", leaveReq(roomId));
    await ls.request("m1", joinReq(roomId));
    await ls.login("late");
    await ls.request("late", joinReq(roomId));
    await ls.request("alice", setReq(roomId, [u("late")], { k: "l" }));
    let token = p1.next;
    while (token !== "") {
      const p = await listPage(ls, "alice", roomId, token, 2);
      seen.push(...p.infos.map(([x]) => x));
      token = p.next;
    }
    // Holders throughout (m3, m4, m5): exactly once. The later pages continue after m2's position in join order:
    // n1, the remaining holders, then the rejoined m1 and the newcomer (m1, not a member throughout, may appear again).
    for (const h of ["m3", "m4", "m5"]) expect(seen.filter((x) => x === u(h))).toHaveLength(1);
    expect(seen.slice(2)).toEqual([u("n1"), u("m3"), u("m4"), u("m5"), u("m1"), u("late")]);
  });
});
