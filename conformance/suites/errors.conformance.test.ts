// Error replies (codes, no effect, field paths, key failures), IDs, byte
// lengths, key order and de-duplication, and the insecure token mode:
// spec/errors.md, spec/concepts.md, spec/security.md.
import { expect } from "vitest";
import { ErrorCode, Feature, RoomMessageKind, RoomMessagePriority, RoomState, RoomStateReason, type Limits, type Reply } from "../../protocol/index.js";
import type { Lockstep } from "../driver/lockstep.js";
import { conformanceSuite } from "../driver/suite.js";
import { BAD_TOKENS, unsignedJwt, type RequestInput } from "../harness/index.js";

const utf8 = new TextEncoder();
const bytesOf = (s: string) => utf8.encode(s).byteLength;

const codeOf = (r: Reply) => (r.result.case === "error" ? ErrorCode[r.result.value.code] : `ok ${r.result.case}`);

/** An error reply with a code errors.proto defines, other than UNSPECIFIED [ERROR-1]. */
function expectDefinedError(r: Reply, code: ErrorCode, what: string): void {
  expect(codeOf(r), what).toBe(ErrorCode[code]);
  if (r.result.case === "error") {
    expect(ErrorCode[r.result.value.code], what).toBeDefined();
    expect(r.result.value.code, what).not.toBe(ErrorCode.UNSPECIFIED);
  }
}

function expectField(r: Reply, field: string, what: string): void {
  expect(codeOf(r), what).toBe("INVALID_ARGUMENT");
  expect(r.result.case === "error" ? r.result.value.detail?.field : undefined, what).toBe(field);
}

/** A string of `n` bytes of multi-byte characters. */
function utf8OfBytes(n: number): string {
  return "😀".repeat(Math.floor(n / 4)) + ["", "a", "é", "€"][n % 4]!;
}

/** alice and bob logged in, both members of a fresh room (alice created it). */
async function twoInRoom(ls: Lockstep, label = "r1"): Promise<string> {
  await ls.login("alice");
  await ls.login("bob");
  const room = ls.room(label);
  await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: room } } });
  await ls.request("bob", { case: "joinRoom", value: { roomId: room } });
  return room;
}

/** Characters outside the ID alphabet, each making an otherwise valid ID invalid. */
const BAD_ID_CHARS = [" ", "/", "#", "+", "!", "%", "*", ",", "'", '"', "$", "&", "=", "?", "\\", "|", "\t", "\u0000", "é", "😀", "Ａ"];

/** Invalid IDs for a world: empty, one byte too long, and a valid ID with each bad character. */
function invalidIds(ls: Lockstep, max: number): string[] {
  return ["", ls.world.idOfLength("long", max + 1), ...BAD_ID_CHARS.map((c) => `${ls.room("x")}${c}`)];
}

interface FieldCase {
  /** Where the request is sent from (a member of room `r`). */
  who: "alice" | "bob";
  field: string;
  request: (r: string, ls: Lockstep, limits: Limits) => RequestInput;
  /** Only when the server advertises this feature. */
  requires?: Feature;
}

/** errors.md "Field paths for INVALID_ARGUMENT", row by row (AdvanceClock is left to the test-clock suite: the clock is server-wide). */
const FIELD_CASES: Record<string, FieldCase[]> = {
  login: [], // on a fresh connection: see the dedicated test below
  createRoom: [
    { who: "alice", field: "room_info.room_id", request: () => ({ case: "createRoom", value: { roomInfo: { roomId: "" } } }) },
    { who: "alice", field: "room_info.room_name", request: (_r, ls, l) => ({ case: "createRoom", value: { roomInfo: { roomId: ls.room("n"), roomName: "n".repeat(l.maxRoomNameBytes + 1) } } }) },
    {
      who: "alice",
      field: "config.room_destroy_delay_seconds",
      request: (_r, ls, l) => ({ case: "createRoom", value: { roomInfo: { roomId: ls.room("n") }, config: { roomDestroyDelaySeconds: l.maxRoomDestroyDelaySeconds + 1 } } }),
    },
  ],
  joinRoom: [
    { who: "alice", field: "room_id", request: () => ({ case: "joinRoom", value: { roomId: "a b" } }) },
    { who: "alice", field: "history_count", requires: Feature.MESSAGE_HISTORY, request: (r, _ls, l) => ({ case: "joinRoom", value: { roomId: r, historyCount: l.maxHistoryCount + 1 } }) },
  ],
  enterRoom: [
    { who: "alice", field: "room_info.room_id", request: () => ({ case: "enterRoom", value: { roomInfo: { roomId: "a/b" } } }) },
    { who: "alice", field: "room_info.room_name", request: (r, _ls, l) => ({ case: "enterRoom", value: { roomInfo: { roomId: r, roomName: utf8OfBytes(l.maxRoomNameBytes + 1) } } }) },
    {
      who: "alice",
      field: "config.room_destroy_delay_seconds",
      request: (r, _ls, l) => ({ case: "enterRoom", value: { roomInfo: { roomId: r }, config: { roomDestroyDelaySeconds: l.maxRoomDestroyDelaySeconds + 1 } } }),
    },
    { who: "alice", field: "history_count", requires: Feature.MESSAGE_HISTORY, request: (r, _ls, l) => ({ case: "enterRoom", value: { roomInfo: { roomId: r }, historyCount: l.maxHistoryCount + 1 } }) },
  ],
  switchRoom: [
    { who: "alice", field: "from_room_id", request: (r) => ({ case: "switchRoom", value: { fromRoomId: "", toRoomInfo: { roomId: r } } }) },
    { who: "alice", field: "to_room_info.room_id", request: (r) => ({ case: "switchRoom", value: { fromRoomId: r, toRoomInfo: { roomId: "x y" } } }) },
    {
      who: "alice",
      field: "to_room_info.room_name",
      request: (r, ls, l) => ({ case: "switchRoom", value: { fromRoomId: r, toRoomInfo: { roomId: ls.room("t"), roomName: "n".repeat(l.maxRoomNameBytes + 1) }, createIfAbsent: true } }),
    },
    {
      who: "alice",
      field: "config.room_destroy_delay_seconds",
      request: (r, ls, l) => ({
        case: "switchRoom",
        value: { fromRoomId: r, toRoomInfo: { roomId: ls.room("t") }, createIfAbsent: true, config: { roomDestroyDelaySeconds: l.maxRoomDestroyDelaySeconds + 1 } },
      }),
    },
  ],
  leaveRoom: [{ who: "alice", field: "room_id", request: () => ({ case: "leaveRoom", value: { roomId: "" } }) }],
  queryRoomMemberList: [
    { who: "alice", field: "room_id", request: () => ({ case: "queryRoomMemberList", value: { roomId: "é" } }) },
    { who: "alice", field: "count", request: (r, _ls, l) => ({ case: "queryRoomMemberList", value: { roomId: r, count: l.maxPageSize + 1 } }) },
    { who: "alice", field: "next_token", request: (r) => ({ case: "queryRoomMemberList", value: { roomId: r, nextToken: "not-a-token-this-server-issued" } }) },
  ],
  queryRoomMemberAttributesList: [
    { who: "alice", field: "room_id", request: () => ({ case: "queryRoomMemberAttributesList", value: { roomId: "" } }) },
    { who: "alice", field: "count", request: (r, _ls, l) => ({ case: "queryRoomMemberAttributesList", value: { roomId: r, count: l.maxPageSize + 1 } }) },
    { who: "alice", field: "next_token", request: (r) => ({ case: "queryRoomMemberAttributesList", value: { roomId: r, nextToken: "not-a-token-this-server-issued" } }) },
  ],
  queryRoomMembers: [
    { who: "alice", field: "room_id", request: (_r, ls) => ({ case: "queryRoomMembers", value: { roomId: "", userIds: [ls.user("bob")] } }) },
    { who: "alice", field: "user_ids", request: (r) => ({ case: "queryRoomMembers", value: { roomId: r, userIds: [] } }) },
  ],
  queryRoomMembersAttributes: [
    { who: "alice", field: "room_id", request: (_r, ls) => ({ case: "queryRoomMembersAttributes", value: { roomId: "a#", userIds: [ls.user("bob")] } }) },
    { who: "alice", field: "user_ids", request: (r) => ({ case: "queryRoomMembersAttributes", value: { roomId: r, userIds: ["not valid"] } }) },
  ],
  queryRoomOnlineMemberCount: [{ who: "alice", field: "room_id", request: () => ({ case: "queryRoomOnlineMemberCount", value: { roomId: "" } }) }],
  queryRoomAllAttributes: [{ who: "alice", field: "room_id", request: () => ({ case: "queryRoomAllAttributes", value: { roomId: "" } }) }],
  setRoomAttributes: [
    { who: "alice", field: "room_id", request: () => ({ case: "setRoomAttributes", value: { roomId: "", attributes: { a: "1" } } }) },
    { who: "alice", field: "attributes", request: (r) => ({ case: "setRoomAttributes", value: { roomId: r, attributes: {} } }) },
  ],
  deleteRoomAttributes: [
    { who: "alice", field: "room_id", request: () => ({ case: "deleteRoomAttributes", value: { roomId: " ", keys: ["a"] } }) },
    { who: "alice", field: "keys", request: (r) => ({ case: "deleteRoomAttributes", value: { roomId: r, keys: [] } }) },
  ],
  batchRoomAttributes: [
    { who: "alice", field: "room_id", request: () => ({ case: "batchRoomAttributes", value: { roomId: "", operations: [{ operation: { case: "delete", value: { keys: ["a"] } } }] } }) },
    { who: "alice", field: "operations", request: (r) => ({ case: "batchRoomAttributes", value: { roomId: r, operations: [] } }) },
  ],
  setRoomMembersAttributes: [
    { who: "alice", field: "room_id", request: (_r, ls) => ({ case: "setRoomMembersAttributes", value: { roomId: "", userIds: [ls.user("bob")], attributes: { a: "1" } } }) },
    { who: "alice", field: "user_ids", request: (r) => ({ case: "setRoomMembersAttributes", value: { roomId: r, userIds: [], attributes: { a: "1" } } }) },
    { who: "alice", field: "attributes", request: (r, ls) => ({ case: "setRoomMembersAttributes", value: { roomId: r, userIds: [ls.user("bob")], attributes: {} } }) },
  ],
  sendRoomMessage: [
    { who: "alice", field: "room_id", request: () => ({ case: "sendRoomMessage", value: { roomId: "", kind: RoomMessageKind.TEXT } }) },
    { who: "alice", field: "kind", request: (r) => ({ case: "sendRoomMessage", value: { roomId: r, kind: RoomMessageKind.UNSPECIFIED } }) },
    { who: "alice", field: "kind", request: (r) => ({ case: "sendRoomMessage", value: { roomId: r, kind: 99 as RoomMessageKind } }) },
    { who: "alice", field: "priority", request: (r) => ({ case: "sendRoomMessage", value: { roomId: r, kind: RoomMessageKind.TEXT, priority: 99 as RoomMessagePriority } }) },
    { who: "alice", field: "payload", request: (r) => ({ case: "sendRoomMessage", value: { roomId: r, kind: RoomMessageKind.TEXT, payload: Uint8Array.from([0x68, 0xc3, 0x28, 0xff]) } }) },
  ],
  queryRoomMessageHistory: [
    { who: "alice", field: "room_id", requires: Feature.MESSAGE_HISTORY, request: () => ({ case: "queryRoomMessageHistory", value: { roomId: "", count: 1 } }) },
    { who: "alice", field: "count", requires: Feature.MESSAGE_HISTORY, request: (r) => ({ case: "queryRoomMessageHistory", value: { roomId: r, count: 0 } }) },
    { who: "alice", field: "count", requires: Feature.MESSAGE_HISTORY, request: (r, _ls, l) => ({ case: "queryRoomMessageHistory", value: { roomId: r, count: l.maxHistoryCount + 1 } }) },
  ],
};

/** Every place a room ID is validated, with the field path it is reported under. */
const ROOM_ID_SITES: [string, (bad: string, good: string, ls: Lockstep) => RequestInput][] = [
  ["room_info.room_id", (bad) => ({ case: "createRoom", value: { roomInfo: { roomId: bad } } })],
  ["room_id", (bad) => ({ case: "joinRoom", value: { roomId: bad } })],
  ["room_info.room_id", (bad) => ({ case: "enterRoom", value: { roomInfo: { roomId: bad } } })],
  ["from_room_id", (bad, good) => ({ case: "switchRoom", value: { fromRoomId: bad, toRoomInfo: { roomId: good } } })],
  ["to_room_info.room_id", (bad, good) => ({ case: "switchRoom", value: { fromRoomId: good, toRoomInfo: { roomId: bad }, createIfAbsent: true } })],
  ["room_id", (bad) => ({ case: "leaveRoom", value: { roomId: bad } })],
  ["room_id", (bad) => ({ case: "queryRoomMemberList", value: { roomId: bad } })],
  ["room_id", (bad, _g, ls) => ({ case: "queryRoomMembers", value: { roomId: bad, userIds: [ls.user("alice")] } })],
  ["room_id", (bad) => ({ case: "queryRoomOnlineMemberCount", value: { roomId: bad } })],
  ["room_id", (bad) => ({ case: "setRoomAttributes", value: { roomId: bad, attributes: { a: "1" } } })],
  ["room_id", (bad) => ({ case: "deleteRoomAttributes", value: { roomId: bad, keys: ["a"] } })],
  ["room_id", (bad) => ({ case: "queryRoomAllAttributes", value: { roomId: bad } })],
  ["room_id", (bad) => ({ case: "batchRoomAttributes", value: { roomId: bad, operations: [{ operation: { case: "delete", value: { keys: ["a"] } } }] } })],
  ["room_id", (bad, _g, ls) => ({ case: "setRoomMembersAttributes", value: { roomId: bad, userIds: [ls.user("alice")], attributes: { a: "1" } } })],
  ["room_id", (bad, _g, ls) => ({ case: "queryRoomMembersAttributes", value: { roomId: bad, userIds: [ls.user("alice")] } })],
  ["room_id", (bad) => ({ case: "queryRoomMemberAttributesList", value: { roomId: bad } })],
  ["room_id", (bad) => ({ case: "sendRoomMessage", value: { roomId: bad, kind: RoomMessageKind.CUSTOM } })],
];

/** Every place a user ID is validated (besides Login), reported as `user_ids`. */
const USER_ID_SITES: ((room: string, ids: string[]) => RequestInput)[] = [
  (room, userIds) => ({ case: "queryRoomMembers", value: { roomId: room, userIds } }),
  (room, userIds) => ({ case: "queryRoomMembersAttributes", value: { roomId: room, userIds } }),
  (room, userIds) => ({ case: "setRoomMembersAttributes", value: { roomId: room, userIds, attributes: { a: "1" } } }),
];

conformanceSuite("errors", (test) => {
  // ---- Error replies ------------------------------------------------------------------

  test("each error is raised by its trigger with a code errors.proto defines, and the failed request changes nothing and sends nothing [ERROR-1, ERROR-NOEFFECT-1, ERROR-KEYS-1]", async ({ ls, limits, encoding, skip }) => {
    if (limits.maxMembersPerRoom !== 0 && limits.maxMembersPerRoom < 3) skip(`max_members_per_room ${limits.maxMembersPerRoom}: the test needs a room of 3`);
    const room = ls.room("r1");
    await ls.login("alice");
    await ls.login("bob");
    await ls.login("carol");
    await ls.login("dave");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: room, roomName: "Room" }, config: { roomAttributes: { owned: "x" } } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: room } });
    await ls.request("carol", { case: "joinRoom", value: { roomId: room } });
    await ls.connect("anon");
    const absent = ls.room("absent");
    const k = limits.maxRoomAttributeKeyBytes;
    const v = limits.maxRoomAttributeValueBytes;
    const tooMany = Object.fromEntries(Array.from({ length: limits.maxRoomAttributes + 1 }, (_, i) => [`k${i}`, ""]));
    const fatCount = Math.floor(limits.maxRoomAttributesTotalBytes / (2 + v)) + 1;
    // Keys of 2+ bytes with maximal values: fatCount of them exceed the total.
    const fat = Object.fromEntries(Array.from({ length: fatCount }, (_, i) => [`f${i}`, utf8OfBytes(v)]));
    const mTooMany = Object.fromEntries(Array.from({ length: limits.maxMemberAttributesPerUser + 1 }, (_, i) => [`m${i}`, ""]));
    const mFatCount = Math.floor(limits.maxMemberAttributesTotalBytes / (1 + limits.maxMemberAttributeValueBytes)) + 1;
    const mFat = Object.fromEntries(Array.from({ length: mFatCount }, (_, i) => [String.fromCharCode(97 + i), utf8OfBytes(limits.maxMemberAttributeValueBytes)]));
    const bob = ls.user("bob");
    const cases: [string, RequestInput, ErrorCode, boolean][] = [
      ["anon", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r9") } } }, ErrorCode.UNAUTHENTICATED, true],
      ["alice", { case: "login", value: { userId: ls.user("alice"), token: await ls.world.target.token.token(ls.user("alice")) } }, ErrorCode.ALREADY_LOGGED_IN, true],
      ["bob", { case: "createRoom", value: { roomInfo: { roomId: "" } } }, ErrorCode.INVALID_ARGUMENT, true],
      ["bob", { case: "joinRoom", value: { roomId: absent } }, ErrorCode.ROOM_NOT_FOUND, true],
      ["bob", { case: "createRoom", value: { roomInfo: { roomId: room } } }, ErrorCode.ROOM_ALREADY_EXISTS, true],
      ["bob", { case: "joinRoom", value: { roomId: room } }, ErrorCode.ALREADY_IN_ROOM, true],
      ["dave", { case: "leaveRoom", value: { roomId: room } }, ErrorCode.NOT_IN_ROOM, true],
      ["bob", { case: "switchRoom", value: { fromRoomId: room, toRoomInfo: { roomId: room } } }, ErrorCode.SWITCH_TO_SAME_ROOM, true],
      ["bob", { case: "setRoomAttributes", value: { roomId: room, attributes: tooMany } }, ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT, Object.keys(tooMany).every((x) => x.length <= k)],
      ["bob", { case: "setRoomAttributes", value: { roomId: room, attributes: { ["k".repeat(k + 1)]: "" } } }, ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG, true],
      ["bob", { case: "setRoomAttributes", value: { roomId: room, attributes: { a: "v".repeat(v + 1) } } }, ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG, true],
      [
        "bob",
        { case: "setRoomAttributes", value: { roomId: room, attributes: fat } },
        ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT,
        fatCount <= limits.maxRoomAttributes && Object.keys(fat).every((x) => x.length <= k) && bytesOf(JSON.stringify(fat)) * 2 < limits.maxFrameBytes,
      ],
      // A batch that fails in simulation: the one error that carries key_failures.
      [
        "bob",
        { case: "batchRoomAttributes", value: { roomId: room, operations: [{ operation: { case: "delete", value: { keys: ["nope", "owned"] } } }] } },
        ErrorCode.ROOM_ATTRIBUTE_NOT_FOUND,
        true,
      ],
      ["bob", { case: "setRoomMembersAttributes", value: { roomId: room, userIds: [bob], attributes: mTooMany } }, ErrorCode.MEMBER_ATTRIBUTE_COUNT_LIMIT, Object.keys(mTooMany).every((x) => x.length <= limits.maxMemberAttributeKeyBytes)],
      ["bob", { case: "setRoomMembersAttributes", value: { roomId: room, userIds: [bob], attributes: { ["k".repeat(limits.maxMemberAttributeKeyBytes + 1)]: "" } } }, ErrorCode.MEMBER_ATTRIBUTE_KEY_TOO_LONG, true],
      ["bob", { case: "setRoomMembersAttributes", value: { roomId: room, userIds: [bob], attributes: { a: "v".repeat(limits.maxMemberAttributeValueBytes + 1) } } }, ErrorCode.MEMBER_ATTRIBUTE_VALUE_TOO_LONG, true],
      [
        "bob",
        { case: "sendRoomMessage", value: { roomId: room, kind: RoomMessageKind.CUSTOM, payload: new Uint8Array(limits.maxMessagePayloadBytes + 1) } },
        ErrorCode.MESSAGE_TOO_LARGE,
        (encoding === "json" ? ((limits.maxMessagePayloadBytes + 3) / 3) * 4 : limits.maxMessagePayloadBytes) + 300 < limits.maxFrameBytes,
      ],
    ];
    for (const [who, request, code, applicable] of cases) {
      if (!applicable) continue;
      const reply = await ls.request(who, request);
      expectDefinedError(reply, code, `${who}: ${request.case}`);
      const failures = reply.result.case === "error" ? (reply.result.value.detail?.keyFailures ?? []) : [];
      if (request.case === "batchRoomAttributes") {
        expect(failures.map((f) => [f.key, ErrorCode[f.code]])).toEqual([
          ["nope", "ROOM_ATTRIBUTE_NOT_FOUND"],
          ["owned", "ROOM_ATTRIBUTE_NOT_OWNER"],
        ]);
      } else {
        expect(failures, `${request.case}: key_failures belong to batch failures only`).toEqual([]);
      }
      // The lockstep has already checked that nobody received anything.
      expect([...["alice", "bob", "carol", "dave"]].flatMap((l) => ls.events(l))).toEqual([]);
    }
    // Per-user and per-key failures inside successful replies are defined codes too, and change nothing.
    const notOwner = await ls.request("bob", { case: "setRoomAttributes", value: { roomId: room, attributes: { owned: "mine" } } });
    expect(notOwner.result.case === "setRoomAttributes" && notOwner.result.value.failedKeys.map((f) => ErrorCode[f.code])).toEqual(["ROOM_ATTRIBUTE_NOT_OWNER"]);
    if (mFatCount <= limits.maxMemberAttributesPerUser) {
      const tooFat = await ls.request("bob", { case: "setRoomMembersAttributes", value: { roomId: room, userIds: [bob, ls.user("dave")], attributes: mFat } });
      expect(tooFat.result.case === "setRoomMembersAttributes" && tooFat.result.value.failedUsers.map((f) => ErrorCode[f.code])).toEqual(["MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT", "NOT_IN_ROOM"]);
    }
    // switchRoom to an absent room: the one failure that sends events (two, to the caller), and still changes nothing.
    const sw = await ls.request("bob", { case: "switchRoom", value: { fromRoomId: room, toRoomInfo: { roomId: absent } } });
    expectDefinedError(sw, ErrorCode.ROOM_NOT_FOUND, "switch to an absent room");
    expect(ls.events("bob").map((e) => e.event.case === "roomStateChanged" && [RoomState[e.event.value.state], RoomStateReason[e.event.value.reason]])).toEqual([
      ["CONNECTING", "ACTIVE_SWITCH"],
      ["DISCONNECTED", "SWITCH_FAILED"],
    ]);
    expect(ls.events("alice")).toEqual([]);
    // Nothing changed: same members, same attributes, same room_seq (the lockstep tracks it), no room created.
    const members = await ls.request("carol", { case: "queryRoomMemberList", value: { roomId: room } });
    expect(members.result.case === "queryRoomMemberList" && members.result.value.members.map((m) => m.userId)).toEqual([ls.user("alice"), bob, ls.user("carol")]);
    const attrs = await ls.request("carol", { case: "queryRoomAllAttributes", value: { roomId: room } });
    expect(attrs.result.case === "queryRoomAllAttributes" && attrs.result.value.attributes).toEqual({ owned: "x" });
    const mattrs = await ls.request("carol", { case: "queryRoomMembersAttributes", value: { roomId: room, userIds: [bob] } });
    expect(mattrs.result.case === "queryRoomMembersAttributes" && mattrs.result.value.infos.map((i) => i.attributes)).toEqual([{}]);
    for (const r of [absent, ls.room("r9")]) expectDefinedError(await ls.request("dave", { case: "joinRoom", value: { roomId: r } }), ErrorCode.ROOM_NOT_FOUND, "no room was created");
    // A USER_ROOM_LIMIT refusal, when the cap is cheap to reach.
    if (limits.maxRoomsPerUser <= 50) {
      for (let i = 0; i < limits.maxRoomsPerUser; i++) await ls.request("dave", { case: "createRoom", value: { roomInfo: { roomId: ls.room(`d${i}`) } } });
      expectDefinedError(await ls.request("dave", { case: "joinRoom", value: { roomId: room } }), ErrorCode.USER_ROOM_LIMIT, "join at the cap");
      const count = await ls.request("carol", { case: "queryRoomOnlineMemberCount", value: { roomId: room } });
      expect(count.result.case === "queryRoomOnlineMemberCount" && count.result.value.count).toBe(3);
    }
  });

  for (const [kind, cases] of Object.entries(FIELD_CASES)) {
    if (cases.length === 0) continue;
    test(`INVALID_ARGUMENT from ${kind} names the offending field: ${[...new Set(cases.map((c) => c.field))].join(", ")} [ERROR-FIELD-1]`, async ({ ls, limits, serverInfo, skip }) => {
      const applicable = cases.filter((c) => c.requires === undefined || serverInfo.features.includes(c.requires));
      if (applicable.length === 0) skip(`${kind} needs FEATURE_${Feature[cases[0]!.requires!]}, which the server does not advertise`);
      const room = await twoInRoom(ls);
      for (const c of applicable) {
        const request = c.request(room, ls, limits);
        expectField(await ls.request(c.who, request), c.field, `${kind} with a bad ${c.field}`);
      }
    });
  }

  test("INVALID_ARGUMENT from Login names user_id or user_name [ERROR-FIELD-1]", async ({ ls, limits }) => {
    await ls.connect("anon");
    expectField(await ls.login("anon", { userId: "" }), "user_id", "empty user ID");
    expectField(await ls.login("anon", { userName: "n".repeat(limits.maxUserNameBytes + 1) }), "user_name", "long user name");
    expectField(await ls.login("anon", { userId: "a b", userName: "n".repeat(limits.maxUserNameBytes + 1) }), "user_id", "both: user_id first");
  });

  // ---- IDs ------------------------------------------------------------------------------

  test("a user ID is valid iff it has 1 to max_user_id_bytes characters of the ID alphabet, wherever it is validated [ID-1]", async ({ ls, limits }) => {
    const room = await twoInRoom(ls);
    // Valid: every character of the alphabet.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:@~";
    const base = `${ls.world.prefix}.`;
    const valid: string[] = [];
    for (let i = 0; i < alphabet.length; i += Math.max(1, limits.maxUserIdBytes - base.length)) valid.push(base + alphabet.slice(i, i + limits.maxUserIdBytes - base.length));
    for (const [i, userId] of valid.entries()) expect(codeOf(await ls.login(`v${i}`, { userId })), userId).toBe("ok login");
    const found = await ls.request("alice", { case: "queryRoomMembers", value: { roomId: room, userIds: valid } });
    expect(codeOf(found)).toBe("ok queryRoomMembers");
    // Invalid, at Login and in every user_ids list.
    await ls.connect("anon");
    for (const bad of ["", ls.world.idOfLength("long", limits.maxUserIdBytes + 1), ...BAD_ID_CHARS.map((c) => `${base}u${c}`)]) {
      expectField(await ls.login("anon", { userId: bad }), "user_id", `login as ${JSON.stringify(bad)}`);
      for (const site of USER_ID_SITES) {
        const request = site(room, [ls.user("bob"), bad]);
        expectField(await ls.request("alice", request), "user_ids", `${request.case} with ${JSON.stringify(bad)}`);
      }
    }
  });

  test("a room ID is valid iff it has 1 to max_room_id_bytes characters of the ID alphabet, wherever it is validated [ID-2]", async ({ ls, limits, serverInfo }) => {
    const room = await twoInRoom(ls);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:@~";
    const base = `${ls.world.prefix}.`;
    const span = Math.max(1, limits.maxRoomIdBytes - base.length);
    for (let i = 0; i < alphabet.length; i += span) {
      const id = base + alphabet.slice(i, i + span);
      expect(codeOf(await ls.request("bob", { case: "enterRoom", value: { roomInfo: { roomId: id } } })), id).toBe("ok enterRoom");
      expect(codeOf(await ls.request("bob", { case: "leaveRoom", value: { roomId: id } })), id).toBe("ok leaveRoom");
    }
    const sites = serverInfo.features.includes(Feature.MESSAGE_HISTORY)
      ? [...ROOM_ID_SITES, ["room_id", (bad: string) => ({ case: "queryRoomMessageHistory", value: { roomId: bad, count: 1 } })] as (typeof ROOM_ID_SITES)[number]]
      : ROOM_ID_SITES;
    const bads = invalidIds(ls, limits.maxRoomIdBytes);
    for (const [field, make] of sites) {
      for (const bad of bads) {
        const request = make(bad, room, ls);
        expectField(await ls.request("alice", request), field, `${request.case} with ${JSON.stringify(bad)}`);
      }
    }
  });

  test("IDs are compared byte for byte: IDs differing only in letter case are different rooms and different users [ID-3]", async ({ ls }) => {
    await ls.login("alice");
    // Two users whose IDs differ only in case: the second login kicks nobody.
    await ls.login("Bob");
    await ls.login("bob");
    expect([ls.session("Bob").isOpen, ls.session("bob").isOpen]).toEqual([true, true]);
    const upper = ls.room("Room");
    const lower = ls.room("room");
    expect(codeOf(await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: upper, roomName: "upper" } } }))).toBe("ok createRoom");
    expect(codeOf(await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: lower, roomName: "lower" } } }))).toBe("ok createRoom");
    expect(codeOf(await ls.request("Bob", { case: "joinRoom", value: { roomId: upper } }))).toBe("ok joinRoom");
    const members = await ls.request("alice", { case: "queryRoomMembers", value: { roomId: upper, userIds: [ls.user("Bob"), ls.user("bob")] } });
    expect(members.result.case === "queryRoomMembers" && [members.result.value.members.map((m) => m.userId), members.result.value.notFound.map((f) => f.userId)]).toEqual([
      [ls.user("Bob")],
      [ls.user("bob")],
    ]);
    const count = await ls.request("alice", { case: "queryRoomOnlineMemberCount", value: { roomId: lower } });
    expect(count.result.case === "queryRoomOnlineMemberCount" && count.result.value.count).toBe(1);
    // Attribute keys too: "K" and "k" are two keys.
    await ls.request("alice", { case: "setRoomAttributes", value: { roomId: lower, attributes: { K: "upper", k: "lower" } } });
    const attrs = await ls.request("alice", { case: "queryRoomAllAttributes", value: { roomId: lower } });
    expect(attrs.result.case === "queryRoomAllAttributes" && attrs.result.value.attributes).toEqual({ K: "upper", k: "lower" });
  });

  // ---- Text ---------------------------------------------------------------------------------

  test("byte lengths are UTF-8 bytes, not characters or UTF-16 units: names, keys and values of multi-byte text at and over their limits [TEXT-1]", async ({ ls, limits }) => {
    const room = await twoInRoom(ls);
    const cases: [number, (s: string) => RequestInput, ErrorCode, string?][] = [
      [limits.maxRoomNameBytes, (s) => ({ case: "createRoom", value: { roomInfo: { roomId: ls.room(`n${bytesOf(s)}`), roomName: s } } }), ErrorCode.INVALID_ARGUMENT, "room_info.room_name"],
      [limits.maxRoomAttributeKeyBytes, (s) => ({ case: "setRoomAttributes", value: { roomId: room, attributes: { [s]: "" } } }), ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG],
      [limits.maxRoomAttributeValueBytes, (s) => ({ case: "setRoomAttributes", value: { roomId: room, attributes: { v: s } } }), ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG],
      [limits.maxMemberAttributeKeyBytes, (s) => ({ case: "setRoomMembersAttributes", value: { roomId: room, userIds: [ls.user("bob")], attributes: { [s]: "" } } }), ErrorCode.MEMBER_ATTRIBUTE_KEY_TOO_LONG],
      [limits.maxMemberAttributeValueBytes, (s) => ({ case: "setRoomMembersAttributes", value: { roomId: room, userIds: [ls.user("alice")], attributes: { v: s } } }), ErrorCode.MEMBER_ATTRIBUTE_VALUE_TOO_LONG],
    ];
    for (const [max, make, code, field] of cases) {
      // One byte over, though far fewer characters (and UTF-16 units) than the limit.
      const over = utf8OfBytes(max + 1);
      expect(over.length).toBeLessThanOrEqual(max);
      const refused = await ls.request("alice", make(over));
      expectDefinedError(refused, code, `${make(over).case} of ${max + 1} bytes`);
      if (field !== undefined) expectField(refused, field, "field");
      expect(codeOf(await ls.request("alice", make(utf8OfBytes(max)))), `${make(over).case} of ${max} bytes`).toMatch(/^ok /);
    }
    // A text payload: max bytes of multi-byte text are accepted.
    const text = utf8.encode(utf8OfBytes(Math.min(limits.maxMessagePayloadBytes, 4000)));
    expect(codeOf(await ls.request("alice", { case: "sendRoomMessage", value: { roomId: room, kind: RoomMessageKind.TEXT, payload: text } }))).toBe("ok sendRoomMessage");
  });

  test("keys are sorted by their UTF-8 bytes (code point order, a prefix first), not by UTF-16 units [TEXT-2]", async ({ ls, limits, skip }) => {
    const k = limits.maxRoomAttributeKeyBytes;
    if (k < 4 || limits.maxRoomAttributes < 7) skip("max_room_attribute_key_bytes below 4 or max_room_attributes below 7: the keys of this test do not fit");
    const room = await twoInRoom(ls);
    // In UTF-16 "😀" (D83D DE00) sorts before "｡" (FF61); by code point it sorts after. "B" < "a" < "ab" < "~".
    const keys = ["😀", "｡", "ab", "a", "~", "B", "é"];
    await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: Object.fromEntries(keys.map((x) => [x, "1"])) } });
    const r = await ls.request("bob", { case: "setRoomAttributes", value: { roomId: room, attributes: Object.fromEntries(keys.map((x) => [x, "2"])) } });
    expect(r.result.case === "setRoomAttributes" && r.result.value.failedKeys.map((f) => f.key)).toEqual(["B", "a", "ab", "~", "é", "｡", "😀"]);
    // Validation visits keys in that order too: the long "｡…" key is reported before the long value of "😀".
    const longKey = "｡".repeat(Math.floor(k / 3) + 1);
    const first = await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: { "😀": "v".repeat(limits.maxRoomAttributeValueBytes + 1), [longKey]: "" } } });
    expectDefinedError(first, ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG, "the key that sorts first decides");
    const config = await ls.request("alice", {
      case: "createRoom",
      value: { roomInfo: { roomId: ls.room("r2") }, config: { roomAttributes: { "😀": "v".repeat(limits.maxRoomAttributeValueBytes + 1), [longKey]: "" } } },
    });
    expectDefinedError(config, ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG, "config keys in the same order");
  });

  test("lists of user IDs and keys are de-duplicated: first occurrences kept in request order, limits applied after [TEXT-3]", async ({ ls, limits }) => {
    const room = await twoInRoom(ls);
    const [alice, bob, ghost] = [ls.user("alice"), ls.user("bob"), ls.user("ghost")];
    const found = await ls.request("alice", { case: "queryRoomMembers", value: { roomId: room, userIds: [bob, alice, bob, ghost, alice, ghost] } });
    expect(found.result.case === "queryRoomMembers" && [found.result.value.members.map((m) => m.userId), found.result.value.notFound.map((f) => f.userId)]).toEqual([
      [bob, alice],
      [ghost],
    ]);
    const set = await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: room, userIds: [bob, ghost, bob, alice, ghost], attributes: { s: "1" } } });
    expect(set.result.case === "setRoomMembersAttributes" && [set.result.value.infos.map((i) => i.userId), set.result.value.failedUsers.map((f) => f.userId)]).toEqual([
      [bob, alice],
      [ghost],
    ]);
    await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: { a: "1" } } });
    const del = await ls.request("alice", { case: "deleteRoomAttributes", value: { roomId: room, keys: ["a", "zz", "a", "zz"] } });
    expect(del.result.case === "deleteRoomAttributes" && del.result.value.failedKeys.map((f) => f.key)).toEqual(["zz"]);
    // Count limits apply to the de-duplicated list: max distinct keys plus repeats are accepted.
    const keys = Array.from({ length: limits.maxRoomAttributes }, (_, i) => `d${i}`);
    if (keys.every((x) => bytesOf(x) <= limits.maxRoomAttributeKeyBytes)) {
      expect(codeOf(await ls.request("alice", { case: "deleteRoomAttributes", value: { roomId: room, keys: [...keys, ...keys] } }))).toBe("ok deleteRoomAttributes");
    }
  });

  test("the total size of attributes is the sum of key bytes plus value bytes [TEXT-4]", async ({ ls, limits, skip }) => {
    // Fill the room to exactly the total with long keys (their bytes count like value bytes), then check one more byte of key or value is refused.
    const t = limits.maxRoomAttributesTotalBytes;
    const k = limits.maxRoomAttributeKeyBytes;
    const attrs: Record<string, string> = {};
    let left = t;
    for (let i = 0; left > 0 && i < limits.maxRoomAttributes - 1; i++) {
      const key = `${i}:`.padEnd(Math.min(k, left), "k");
      if (key.length > k || key.length > left) break;
      const value = utf8OfBytes(Math.min(limits.maxRoomAttributeValueBytes, left - key.length));
      attrs[key] = value;
      left -= key.length + bytesOf(value);
    }
    const withValues = Object.entries(attrs).find(([, x]) => bytesOf(x) > 0);
    if (left !== 0 || withValues === undefined) skip("the total cannot be reached within the key count and size limits, leaving one key free");
    const room = await twoInRoom(ls);
    expect(codeOf(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: attrs } }))).toBe("ok setRoomAttributes");
    // A new one-byte key with an empty value adds one byte: refused.
    expectDefinedError(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: { z: "" } } }), ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT, "one key byte over");
    // One value byte fewer makes room for it.
    const [key, value] = withValues!;
    const shorter = utf8OfBytes(bytesOf(value) - 1);
    expect(codeOf(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: { [key]: shorter, z: "" } } }))).toBe("ok setRoomAttributes");
  });

  // ---- Security -------------------------------------------------------------------------------

  test("tokens are checked unless the server announces an insecure any-token mode: forged, unsigned and malformed tokens are refused [SEC-DEVMODE-1]", async ({ ls, serverInfo, skip }) => {
    if (/insecure/i.test(serverInfo.serverName)) skip(`the server announces an insecure token mode (server_name "${serverInfo.serverName}"): it claims no TOKEN- conformance`);
    await ls.connect("mallory");
    const user = ls.user("victim");
    const now = Math.floor(Date.now() / 1000);
    const forged = [
      ["malformed", "not-a-jwt", BAD_TOKENS.malformed.code],
      ["alg none", unsignedJwt({ sub: user, exp: now + 3600 }), BAD_TOKENS["alg-none"].code],
      ["empty", "", ErrorCode.INVALID_TOKEN],
      ["a token for someone else", await ls.world.target.token.token(ls.user("someone")), ErrorCode.INVALID_TOKEN],
    ] as const;
    for (const [what, token, code] of forged) {
      const reply = await ls.login("mallory", { userId: user, token, tokenVerdict: "invalid" });
      expectDefinedError(reply, code, what);
    }
    // Still not logged in.
    expectDefinedError(await ls.request("mallory", { case: "leaveAllRooms", value: {} }), ErrorCode.UNAUTHENTICATED, "after refused logins");
  });
});
