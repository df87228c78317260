// Advertised limits and rate limits: spec/limits.md. Every bound is read from
// ServerInfo.limits and checked exactly at its value (accepted) and one above
// (refused with the code limits.md names); the rate limits with unpaced
// sessions, asserting only what the observed timing makes certain.
import { equals } from "@bufbuild/protobuf";
import { expect } from "vitest";
import {
  ErrorCode,
  Feature,
  LimitsSchema,
  RoomMessageKind,
  type Limits,
  type Reply,
  type WireData,
} from "../../protocol/index.js";
import type { Lockstep } from "../driver/lockstep.js";
import { conformanceSuite } from "../driver/suite.js";
import type { Exchange, RequestInput, Session, World } from "../harness/index.js";

// ---- Values of an exact size ----------------------------------------------------

const utf8 = new TextEncoder();
const bytesOf = (s: string | WireData) => (typeof s === "string" ? utf8.encode(s).byteLength : s.byteLength);

/**
 * A string of exactly `n` UTF-8 bytes made mostly of 4-byte characters (two
 * UTF-16 units each) and 3-byte ones, so a server counting characters or
 * UTF-16 units instead of bytes gets a different length [TEXT-1].
 */
function utf8OfBytes(n: number): string {
  const tail = ["", "a", "é", "€"][n % 4]!;
  return "😀".repeat(Math.floor(n / 4)) + tail;
}

const KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** The i-th distinct key of the shortest ASCII keys (a, b, …, 9, aa, ab, …). */
function shortKey(i: number): string {
  let len = 1;
  let span = KEY_ALPHABET.length;
  while (i >= span) {
    i -= span;
    len++;
    span *= KEY_ALPHABET.length;
  }
  let s = "";
  for (let j = 0; j < len; j++) {
    s = KEY_ALPHABET[i % KEY_ALPHABET.length]! + s;
    i = Math.floor(i / KEY_ALPHABET.length);
  }
  return s;
}

/** `count` distinct keys of minimal length, or undefined if they do not fit `maxKeyBytes`. */
function shortKeys(count: number, maxKeyBytes: number): string[] | undefined {
  const keys = Array.from({ length: count }, (_, i) => shortKey(i));
  return keys.every((k) => k.length <= maxKeyBytes) ? keys : undefined;
}

const totalSize = (attrs: Record<string, string>) => Object.entries(attrs).reduce((n, [k, v]) => n + bytesOf(k) + bytesOf(v), 0);

/**
 * Attributes of total size exactly `total` (keys plus values, TEXT-4) with
 * at most `maxCount` keys within the key and value limits, or undefined.
 * Values are multi-byte text, so only a byte count gets the total right.
 */
function attributesOfTotal(total: number, maxCount: number, maxKey: number, maxValue: number): Record<string, string> | undefined {
  const attrs: Record<string, string> = {};
  let left = total;
  for (let i = 0; left > 0; i++) {
    if (i >= maxCount) return undefined;
    const id = shortKey(i);
    const keyLen = Math.min(maxKey, left);
    if (keyLen < id.length) return undefined;
    const key = id + "_".repeat(keyLen - id.length);
    const valueLen = Math.min(maxValue, left - keyLen);
    attrs[key] = utf8OfBytes(valueLen);
    left -= keyLen + valueLen;
  }
  return totalSize(attrs) === total ? attrs : undefined;
}

/** The same attributes one byte larger in total (one value one byte longer, or one more 1-byte key), or undefined. */
function oneByteMore(attrs: Record<string, string>, maxCount: number, maxValue: number): Record<string, string> | undefined {
  const grow = Object.entries(attrs).find(([, v]) => bytesOf(v) < maxValue);
  if (grow !== undefined) return { ...attrs, [grow[0]]: utf8OfBytes(bytesOf(grow[1]) + 1) };
  const fresh = KEY_ALPHABET.split("").find((k) => !(k in attrs));
  if (Object.keys(attrs).length < maxCount && fresh !== undefined) return { ...attrs, [fresh]: "" };
  return undefined;
}

// ---- Assertions on lockstep replies ---------------------------------------------------

function expectOk(reply: Reply, kind: string, what: string): void {
  expect(reply.result.case === "error" ? `error ${ErrorCode[reply.result.value.code]}` : reply.result.case, what).toBe(kind);
}

function expectError(reply: Reply, code: ErrorCode, what: string, field?: string): void {
  expect(reply.result.case === "error" ? ErrorCode[reply.result.value.code] : `ok ${reply.result.case}`, what).toBe(ErrorCode[code]);
  if (field !== undefined && reply.result.case === "error") expect(reply.result.value.detail?.field, what).toBe(field);
}

/** alice logged in and alone in a fresh room. */
async function aliceInRoom(ls: Lockstep, label = "r1"): Promise<string> {
  await ls.login("alice");
  const room = ls.room(label);
  await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: room } } });
  return room;
}

// ---- Rate limits: bursts from an unpaced session --------------------------------------------

const isRateLimited = (r: Reply) => r.result.case === "error" && r.result.value.code === ErrorCode.RATE_LIMITED;
const codeOf = (r: Reply) => (r.result.case === "error" ? ErrorCode[r.result.value.code] : r.result.case);

/** Sends every request at once (pipelined, unpaced) and resolves with the exchanges in order. */
function burst(s: Session, requests: RequestInput[]): Promise<Exchange[]> {
  return Promise.all(requests.map((r) => s.exchange(r, { timeoutMs: 30_000 })));
}

/** A cheap request the rate limit counts (it fails ROOM_NOT_FOUND, which does not matter: RATE-5). */
const countedProbe = (world: World): RequestInput => ({ case: "queryRoomOnlineMemberCount", value: { roomId: world.roomId("absent") } });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Largest burst the suite sends to reach a rate limit. */
const MAX_BURST = 5000;
const ATTEMPTS = 3;

function rateSkipReason(name: string, rate: Limits["requestRate"]): string | undefined {
  if (rate === undefined || rate.maxCount === 0) return `the server advertises no ${name} (max_count 0 or unset: RATE-8 covers it)`;
  if (rate.maxCount > MAX_BURST) return `${name} allows ${rate.maxCount} requests per ${rate.windowMs} ms: more than the ${MAX_BURST} the suite sends in one window`;
  return undefined;
}

/**
 * Asserts the RATE_LIMITED reply's retry_after_ms against what the client
 * knows: the window opened between `openedFrom` and `openedBy` (send and
 * reply time of its first counted request) and the refusal happened between
 * `refusedFrom` and `refusedBy`; retry_after_ms is the rest of the window,
 * rounded up, at least 1 [RATE-7].
 */
function expectRetryAfter(reply: Reply, windowMs: number, openedFrom: number, openedBy: number, refusedFrom: number, refusedBy: number): void {
  expect(reply.result.case).toBe("error");
  const retry = reply.result.case === "error" ? (reply.result.value.detail?.retryAfterMs ?? 0) : 0;
  const slack = 2; // ms: clock granularity and rounding on both sides
  expect(retry).toBeGreaterThanOrEqual(1);
  expect(retry).toBeLessThanOrEqual(Math.min(windowMs, Math.ceil(openedBy + windowMs - refusedFrom)) + slack);
  expect(retry).toBeGreaterThanOrEqual(Math.floor(openedFrom + windowMs - refusedBy) - slack);
}

conformanceSuite("limits", (test) => {
  // ---- What is advertised ---------------------------------------------------------------

  test("server_info.limits sets every field, both rate limits included, each in its allowed range [LIMIT-1, LIMIT-2, LIMIT-3, LIMIT-4]", async ({ ls }) => {
    const reply = await ls.login("alice");
    expect(reply.result.case).toBe("login");
    const info = reply.result.case === "login" ? reply.result.value.serverInfo : undefined;
    const limits = info?.limits;
    expect(limits).toBeDefined();
    expect(limits!.requestRate).toBeDefined();
    expect(limits!.messageRate).toBeDefined();
    const mayBeZero = new Set(["maxRoomsPerServer", "maxMembersPerRoom", "maxHistoryCount", "requestRate", "messageRate"]);
    const scalars = LimitsSchema.fields.filter((f) => f.fieldKind === "scalar").map((f) => f.localName);
    expect(scalars.length).toBe(22);
    for (const name of scalars) {
      if (mayBeZero.has(name)) continue;
      expect((limits as unknown as Record<string, number>)[name], name).toBeGreaterThanOrEqual(1);
    }
    const history = info!.features.includes(Feature.MESSAGE_HISTORY);
    if (history) expect(limits!.maxHistoryCount).toBeGreaterThanOrEqual(1);
    else expect(limits!.maxHistoryCount).toBe(0);
    for (const rate of [limits!.requestRate!, limits!.messageRate!]) if (rate.maxCount > 0) expect(rate.windowMs).toBeGreaterThanOrEqual(1);
  });

  test("every session of the run sees the same limits and features, in both encodings [LIMIT-STABLE-1]", async ({ world, serverInfo }) => {
    for (const [i, encoding] of (["binary", "json", "binary", "json"] as const).entries()) {
      const s = await world.session(`s${i}`, { encoding });
      expect(s.serverInfo?.limits && equals(LimitsSchema, s.serverInfo.limits, serverInfo.limits!), `session ${i} (${encoding})`).toBe(true);
      expect([...s.serverInfo!.features].sort(), `session ${i} (${encoding})`).toEqual([...serverInfo.features].sort());
    }
  });

  // ---- Each bound exactly ---------------------------------------------------------------------

  test("max_rooms_per_user: the user's max-th room is accepted, one more is refused USER_ROOM_LIMIT [LIMIT-EXACT-1]", async ({ ls, limits, skip }) => {
    const max = limits.maxRoomsPerUser;
    if (max > 200) skip(`max_rooms_per_user is ${max}: too many rooms to create in one test`);
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("bob", { case: "createRoom", value: { roomInfo: { roomId: ls.room("bobs") } } });
    for (let i = 0; i < max; i++) {
      const how: RequestInput =
        i % 2 === 0 ? { case: "createRoom", value: { roomInfo: { roomId: ls.room(`r${i}`) } } } : { case: "enterRoom", value: { roomInfo: { roomId: ls.room(`r${i}`) } } };
      expectOk(await ls.request("alice", how), how.case, `room ${i + 1} of ${max}`);
    }
    expectError(await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("over") } } }), ErrorCode.USER_ROOM_LIMIT, "create over the limit");
    expectError(await ls.request("alice", { case: "joinRoom", value: { roomId: ls.room("bobs") } }), ErrorCode.USER_ROOM_LIMIT, "join over the limit");
    expectError(await ls.request("alice", { case: "enterRoom", value: { roomInfo: { roomId: ls.room("over") } } }), ErrorCode.USER_ROOM_LIMIT, "enter over the limit");
  });

  test("max_rooms_per_server: the max-th room is accepted, one more is refused SERVER_ROOM_LIMIT [LIMIT-EXACT-1, CREATE-CHECK-3]", async ({ ls, limits, skip }) => {
    // On the constrained server, held alone: every room on it is this test's, so the model's count is the server's.
    const max = limits.maxRoomsPerServer;
    if (max === 0) skip("max_rooms_per_server is 0: no limit to reach");
    if (max > 200) skip(`max_rooms_per_server is ${max}: too many rooms to create in one test`);
    const perUser = limits.maxRoomsPerUser;
    let made = 0;
    for (let u = 0; made < max; u++) {
      await ls.login(`f${u}`);
      for (let i = 0; i < perUser && made < max; i++, made++) {
        expectOk(await ls.request(`f${u}`, { case: "createRoom", value: { roomInfo: { roomId: ls.room(`r${made}`) } } }), "createRoom", `room ${made + 1} of ${max}`);
      }
    }
    await ls.login("late");
    expectError(await ls.request("late", { case: "createRoom", value: { roomInfo: { roomId: ls.room("over") } } }), ErrorCode.SERVER_ROOM_LIMIT, "create over the limit");
    expectError(await ls.request("late", { case: "enterRoom", value: { roomInfo: { roomId: ls.room("over") } } }), ErrorCode.SERVER_ROOM_LIMIT, "enter over the limit");
  }, { target: "constrained", timeoutMs: 60_000 });

  test("max_members_per_room: the max-th member joins, one more is refused ROOM_FULL [LIMIT-EXACT-1]", async ({ ls, limits, skip }) => {
    const max = limits.maxMembersPerRoom;
    if (max === 0) skip("max_members_per_room is 0: no limit to reach");
    if (max > 50) skip(`max_members_per_room is ${max}: too many sessions for one test (a server with a small limit can be checked)`);
    const room = ls.room("r1");
    await ls.login("m0");
    await ls.request("m0", { case: "createRoom", value: { roomInfo: { roomId: room } } });
    for (let i = 1; i < max; i++) {
      await ls.login(`m${i}`);
      expectOk(await ls.request(`m${i}`, { case: "joinRoom", value: { roomId: room } }), "joinRoom", `member ${i + 1} of ${max}`);
    }
    await ls.login("late");
    expectError(await ls.request("late", { case: "joinRoom", value: { roomId: room } }), ErrorCode.ROOM_FULL, "join of a full room");
    expectError(await ls.request("late", { case: "enterRoom", value: { roomInfo: { roomId: room } } }), ErrorCode.ROOM_FULL, "enter of a full room");
  }, { target: "constrained" });

  test("max_user_id_bytes: a user ID of exactly max bytes logs in, one byte more is INVALID_ARGUMENT [LIMIT-EXACT-1, ID-1]", async ({ ls, world, limits }) => {
    const max = limits.maxUserIdBytes;
    const atLimit = world.idOfLength("u", max);
    const over = world.idOfLength("v", max + 1);
    expectOk(await ls.login("exact", { userId: atLimit }), "login", `user ID of ${max} bytes`);
    await ls.connect("long");
    expectError(await ls.login("long", { userId: over, tokenVerdict: "valid" }), ErrorCode.INVALID_ARGUMENT, `user ID of ${max + 1} bytes`, "user_id");
    // Wherever user IDs are validated: a lookup by ID.
    const room = ls.room("r1");
    await ls.request("exact", { case: "createRoom", value: { roomInfo: { roomId: room } } });
    expectOk(await ls.request("exact", { case: "queryRoomMembers", value: { roomId: room, userIds: [atLimit] } }), "queryRoomMembers", "lookup of a max-length ID");
    expectError(await ls.request("exact", { case: "queryRoomMembers", value: { roomId: room, userIds: [over] } }), ErrorCode.INVALID_ARGUMENT, "lookup of a longer ID", "user_ids");
  });

  test("max_user_name_bytes: a name of exactly max UTF-8 bytes is accepted, one byte more is INVALID_ARGUMENT [LIMIT-EXACT-1, TEXT-1]", async ({ ls, limits }) => {
    const max = limits.maxUserNameBytes;
    expectOk(await ls.login("alice", { userName: utf8OfBytes(max) }), "login", `name of ${max} bytes`);
    await ls.connect("bob");
    expectError(await ls.login("bob", { userName: utf8OfBytes(max + 1) }), ErrorCode.INVALID_ARGUMENT, `name of ${max + 1} bytes`, "user_name");
    // The accepted name is the member's name as others see it.
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r1") } } });
    const list = await ls.request("alice", { case: "queryRoomMemberList", value: { roomId: ls.room("r1") } });
    expect(list.result.case === "queryRoomMemberList" && list.result.value.members[0]?.userName).toBe(utf8OfBytes(max));
  });

  test("max_room_id_bytes: a room ID of exactly max bytes is accepted, one byte more is INVALID_ARGUMENT [LIMIT-EXACT-1, ID-2]", async ({ ls, world, limits }) => {
    const max = limits.maxRoomIdBytes;
    await ls.login("alice");
    await ls.login("bob");
    const atLimit = world.idOfLength("r", max);
    const over = world.idOfLength("s", max + 1);
    expectOk(await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: atLimit } } }), "createRoom", `room ID of ${max} bytes`);
    expectOk(await ls.request("bob", { case: "joinRoom", value: { roomId: atLimit } }), "joinRoom", `join of a ${max}-byte ID`);
    expectError(await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: over } } }), ErrorCode.INVALID_ARGUMENT, `room ID of ${max + 1} bytes`, "room_info.room_id");
    expectError(await ls.request("bob", { case: "joinRoom", value: { roomId: over } }), ErrorCode.INVALID_ARGUMENT, `join of a ${max + 1}-byte ID`, "room_id");
  });

  test("max_room_name_bytes: a room name of exactly max UTF-8 bytes is accepted, one byte more is INVALID_ARGUMENT [LIMIT-EXACT-1, TEXT-1]", async ({ ls, limits }) => {
    const max = limits.maxRoomNameBytes;
    await ls.login("alice");
    const ok = await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r1"), roomName: utf8OfBytes(max) } } });
    expect(ok.result.case === "createRoom" && ok.result.value.room?.baseInfo?.roomName).toBe(utf8OfBytes(max));
    expectError(
      await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r2"), roomName: utf8OfBytes(max + 1) } } }),
      ErrorCode.INVALID_ARGUMENT,
      `name of ${max + 1} bytes`,
      "room_info.room_name",
    );
  });

  test("max_room_destroy_delay_seconds: a delay of exactly max is accepted, one more is INVALID_ARGUMENT [LIMIT-EXACT-1]", async ({ ls, limits }) => {
    const max = limits.maxRoomDestroyDelaySeconds;
    await ls.login("alice");
    // (Only 0 and the maximum are safe delays next to the shared test clock.)
    const ok = await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r1") }, config: { roomDestroyDelaySeconds: max } } });
    expect(ok.result.case === "createRoom" && ok.result.value.room?.roomDestroyDelaySeconds).toBe(max);
    expectError(
      await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r2") }, config: { roomDestroyDelaySeconds: max + 1 } } }),
      ErrorCode.INVALID_ARGUMENT,
      `delay of ${max + 1}`,
      "config.room_destroy_delay_seconds",
    );
  });

  test("max_room_attributes: max keys in a set, a delete, a config and a room are accepted, one more is ROOM_ATTRIBUTE_COUNT_LIMIT (a batch of one more operation: INVALID_ARGUMENT) [LIMIT-EXACT-1]", async ({ ls, limits, skip }) => {
    const max = limits.maxRoomAttributes;
    const keys = shortKeys(max + 1, limits.maxRoomAttributeKeyBytes);
    if (keys === undefined || totalSize(Object.fromEntries(keys.map((k) => [k, ""]))) > limits.maxRoomAttributesTotalBytes) {
      skip(`${max + 1} distinct keys do not fit max_room_attribute_key_bytes ${limits.maxRoomAttributeKeyBytes} and max_room_attributes_total_bytes ${limits.maxRoomAttributesTotalBytes}`);
    }
    const attrs = (n: number) => Object.fromEntries(keys!.slice(0, n).map((k) => [k, ""]));
    const room = await aliceInRoom(ls);
    expectError(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: attrs(max + 1) } }), ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT, "a set of max+1 keys");
    expectOk(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: attrs(max) } }), "setRoomAttributes", "a set of max keys");
    // The room holds max keys: one new key would make max+1.
    expectError(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: { [keys![max]!]: "" } } }), ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT, "a room of max+1 keys");
    expectError(await ls.request("alice", { case: "deleteRoomAttributes", value: { roomId: room, keys: keys!.slice(0, max + 1) } }), ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT, "a delete of max+1 keys");
    const ops = (n: number) => keys!.slice(0, n).map((k) => ({ operation: { case: "delete" as const, value: { keys: [k] } } }));
    expectError(await ls.request("alice", { case: "batchRoomAttributes", value: { roomId: room, operations: ops(max + 1) } }), ErrorCode.INVALID_ARGUMENT, "a batch of max+1 operations", "operations");
    expectOk(await ls.request("alice", { case: "batchRoomAttributes", value: { roomId: room, operations: ops(max) } }), "batchRoomAttributes", "a batch of max operations");
    expectOk(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: attrs(max) } }), "setRoomAttributes", "max keys again");
    expectOk(await ls.request("alice", { case: "deleteRoomAttributes", value: { roomId: room, keys: keys!.slice(0, max) } }), "deleteRoomAttributes", "a delete of max keys");
    expectOk(await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r2") }, config: { roomAttributes: attrs(max) } } }), "createRoom", "a config of max keys");
    expectError(
      await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r3") }, config: { roomAttributes: attrs(max + 1) } } }),
      ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT,
      "a config of max+1 keys",
    );
  });

  test("max_room_attribute_key_bytes and max_room_attribute_value_bytes: exactly max bytes accepted, one more refused KEY_TOO_LONG / VALUE_TOO_LONG [LIMIT-EXACT-1, TEXT-1]", async ({ ls, limits, skip }) => {
    const k = limits.maxRoomAttributeKeyBytes;
    const v = limits.maxRoomAttributeValueBytes;
    if (k + 1 > limits.maxRoomAttributesTotalBytes || v + 2 > limits.maxRoomAttributesTotalBytes) skip("a single maximal key or value does not fit max_room_attributes_total_bytes");
    const room = await aliceInRoom(ls);
    expectOk(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: { [utf8OfBytes(k)]: "" } } }), "setRoomAttributes", `key of ${k} bytes`);
    expectError(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: { [utf8OfBytes(k + 1)]: "" } } }), ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG, `key of ${k + 1} bytes`);
    expectError(await ls.request("alice", { case: "deleteRoomAttributes", value: { roomId: room, keys: [utf8OfBytes(k + 1)] } }), ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG, `delete of a ${k + 1}-byte key`);
    expectOk(await ls.request("alice", { case: "deleteRoomAttributes", value: { roomId: room, keys: [utf8OfBytes(k)] } }), "deleteRoomAttributes", `delete of a ${k}-byte key`);
    expectOk(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: { a: utf8OfBytes(v) } } }), "setRoomAttributes", `value of ${v} bytes`);
    expectError(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: { b: utf8OfBytes(v + 1) } } }), ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG, `value of ${v + 1} bytes`);
  });

  test("max_room_attributes_total_bytes: keys plus values of exactly max bytes are accepted, one byte more is ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT [LIMIT-EXACT-1, TEXT-4, TEXT-1]", async ({ ls, limits, skip }) => {
    const t = limits.maxRoomAttributesTotalBytes;
    const exact = attributesOfTotal(t, limits.maxRoomAttributes, limits.maxRoomAttributeKeyBytes, limits.maxRoomAttributeValueBytes);
    const over = exact && oneByteMore(exact, limits.maxRoomAttributes, limits.maxRoomAttributeValueBytes);
    if (exact === undefined || over === undefined) skip(`max_room_attributes_total_bytes ${t} cannot be reached (or passed by one byte) within the key count and size limits`);
    const room = await aliceInRoom(ls);
    expectError(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: over! } }), ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT, `total of ${t + 1} bytes`);
    expectOk(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: exact! } }), "setRoomAttributes", `total of ${t} bytes`);
    // On the room: growing it by one byte fails, nothing applied.
    expectError(await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: over! } }), ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT, `room total of ${t + 1} bytes`);
    const all = await ls.request("alice", { case: "queryRoomAllAttributes", value: { roomId: room } });
    expect(all.result.case === "queryRoomAllAttributes" && all.result.value.attributes).toEqual(exact);
    // A create config is held to the same bound.
    expectOk(await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r2") }, config: { roomAttributes: exact! } } }), "createRoom", `config of ${t} bytes`);
    expectError(
      await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r3") }, config: { roomAttributes: over! } } }),
      ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT,
      `config of ${t + 1} bytes`,
    );
  });

  test("max_member_attributes_per_user: max keys accepted, one more refused MEMBER_ATTRIBUTE_COUNT_LIMIT (in the request, and per user when merged) [LIMIT-EXACT-1]", async ({ ls, limits, skip }) => {
    const max = limits.maxMemberAttributesPerUser;
    const keys = shortKeys(max + 1, limits.maxMemberAttributeKeyBytes);
    if (keys === undefined || totalSize(Object.fromEntries(keys.slice(0, max).map((k) => [k, ""]))) + 1 > limits.maxMemberAttributesTotalBytes) {
      skip(`${max + 1} distinct member attribute keys do not fit the key and total size limits`);
    }
    const attrs = (from: number, n: number) => Object.fromEntries(keys!.slice(from, from + n).map((k) => [k, ""]));
    const room = await aliceInRoom(ls);
    const me = ls.user("alice");
    expectError(
      await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: room, userIds: [me], attributes: attrs(0, max + 1) } }),
      ErrorCode.MEMBER_ATTRIBUTE_COUNT_LIMIT,
      "a set of max+1 keys",
    );
    const ok = await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: room, userIds: [me], attributes: attrs(0, max) } });
    expect(ok.result.case === "setRoomMembersAttributes" && ok.result.value.failedUsers).toEqual([]);
    const merged = await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: room, userIds: [me], attributes: attrs(max, 1) } });
    expect(merged.result.case === "setRoomMembersAttributes" && merged.result.value.failedUsers.map((f) => [f.userId, ErrorCode[f.code]])).toEqual([
      [me, "MEMBER_ATTRIBUTE_COUNT_LIMIT"],
    ]);
  });

  test("max_member_attribute_key_bytes and max_member_attribute_value_bytes: exactly max bytes accepted, one more refused KEY_TOO_LONG / VALUE_TOO_LONG [LIMIT-EXACT-1, TEXT-1]", async ({ ls, limits, skip }) => {
    const k = limits.maxMemberAttributeKeyBytes;
    const v = limits.maxMemberAttributeValueBytes;
    if (k > limits.maxMemberAttributesTotalBytes || v + 1 > limits.maxMemberAttributesTotalBytes) skip("a single maximal key or value does not fit max_member_attributes_total_bytes");
    const room = await aliceInRoom(ls);
    const set = (attributes: Record<string, string>): RequestInput => ({ case: "setRoomMembersAttributes", value: { roomId: room, userIds: [ls.user("alice")], attributes } });
    expectOk(await ls.request("alice", set({ [utf8OfBytes(k)]: "" })), "setRoomMembersAttributes", `key of ${k} bytes`);
    expectError(await ls.request("alice", set({ [utf8OfBytes(k + 1)]: "" })), ErrorCode.MEMBER_ATTRIBUTE_KEY_TOO_LONG, `key of ${k + 1} bytes`);
    await ls.request("alice", { case: "leaveRoom", value: { roomId: room } });
    const room2 = await (async () => {
      const r = ls.room("r2");
      await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: r } } });
      return r;
    })();
    const set2 = (attributes: Record<string, string>): RequestInput => ({ case: "setRoomMembersAttributes", value: { roomId: room2, userIds: [ls.user("alice")], attributes } });
    expectOk(await ls.request("alice", set2({ a: utf8OfBytes(v) })), "setRoomMembersAttributes", `value of ${v} bytes`);
    expectError(await ls.request("alice", set2({ a: utf8OfBytes(v + 1) })), ErrorCode.MEMBER_ATTRIBUTE_VALUE_TOO_LONG, `value of ${v + 1} bytes`);
  });

  test("max_member_attributes_total_bytes: one user's keys plus values of exactly max bytes are accepted, one byte more fails that user with MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT [LIMIT-EXACT-1, TEXT-4, TEXT-1]", async ({ ls, limits, skip }) => {
    const t = limits.maxMemberAttributesTotalBytes;
    const exact = attributesOfTotal(t, limits.maxMemberAttributesPerUser, limits.maxMemberAttributeKeyBytes, limits.maxMemberAttributeValueBytes);
    const over = exact && oneByteMore(exact, limits.maxMemberAttributesPerUser, limits.maxMemberAttributeValueBytes);
    if (exact === undefined || over === undefined) skip(`max_member_attributes_total_bytes ${t} cannot be reached (or passed by one byte) within the key count and size limits`);
    const room = await aliceInRoom(ls);
    await ls.login("bob");
    await ls.request("bob", { case: "joinRoom", value: { roomId: room } });
    const [alice, bob] = [ls.user("alice"), ls.user("bob")];
    const failures = (r: Reply) => (r.result.case === "setRoomMembersAttributes" ? r.result.value.failedUsers.map((f) => [f.userId, ErrorCode[f.code]]) : codeOf(r));
    // bob over the bound fails, alice exactly at it succeeds, in one request.
    const first = await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: room, userIds: [bob, alice], attributes: exact! } });
    expect(failures(first)).toEqual([]);
    const second = await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: room, userIds: [alice, bob], attributes: over! } });
    expect(failures(second)).toEqual([
      [alice, "MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT"],
      [bob, "MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT"],
    ]);
  });

  test("max_member_attribute_users: the max-th user holding attributes is accepted, one more fails MEMBER_ATTRIBUTE_USERS_LIMIT (retained non-members count) [LIMIT-EXACT-1]", async ({ world, limits, skip }) => {
    const max = limits.maxMemberAttributeUsers;
    if (max > 1000) skip(`max_member_attribute_users is ${max}: too many users for one test`);
    // Users join, get an attribute kept after they leave (delete_after_left false), and disconnect, in batches.
    const batch = Math.max(1, Math.min(50, limits.maxQueryUserIds, limits.maxMembersPerRoom === 0 ? 50 : limits.maxMembersPerRoom - 1));
    const alice = await world.session("alice");
    const room = world.roomId("r1");
    await alice.call("createRoom", { roomInfo: { roomId: room } });
    let holders = 0;
    const joinUsers = async (labels: string[]) => {
      const sessions = await Promise.all(labels.map((l) => world.session(l)));
      await Promise.all(sessions.map((s) => s.call("joinRoom", { roomId: room })));
      return sessions;
    };
    while (holders < max) {
      const n = Math.min(batch, max - holders);
      const labels = Array.from({ length: n }, (_, i) => `u${holders + i}`);
      const sessions = await joinUsers(labels);
      const r = await alice.call("setRoomMembersAttributes", { roomId: room, userIds: labels.map((l) => world.userId(l)), attributes: { k: "v" }, isDeleteAfterOwnerLeft: false });
      expect(r.failedUsers, `users ${holders + 1}..${holders + n} of ${max}`).toEqual([]);
      await Promise.all(sessions.map((s) => s.close()));
      holders += n;
      alice.takeEvents();
    }
    const [late] = await joinUsers(["late"]);
    const r = await alice.call("setRoomMembersAttributes", { roomId: room, userIds: [world.userId("late")], attributes: { k: "v" } });
    expect(r.failedUsers.map((f) => [f.userId, ErrorCode[f.code]])).toEqual([[world.userId("late"), "MEMBER_ATTRIBUTE_USERS_LIMIT"]]);
    expect(r.infos).toEqual([]);
    await late!.close();
  }, { timeoutMs: 120_000 });

  test("max_message_payload_bytes: a payload of exactly max bytes is sent, one byte more is MESSAGE_TOO_LARGE [LIMIT-EXACT-1]", async ({ ls, limits, encoding, skip }) => {
    const max = limits.maxMessagePayloadBytes;
    // The frame must stay within max_frame_bytes (in JSON the payload is base64).
    const frameBytes = (encoding === "json" ? Math.ceil((max + 1) / 3) * 4 : max + 1) + 200 + limits.maxRoomIdBytes;
    if (frameBytes > limits.maxFrameBytes) skip(`a payload of ${max + 1} bytes does not fit a ${encoding} frame of max_frame_bytes ${limits.maxFrameBytes}`);
    const room = await aliceInRoom(ls);
    await ls.login("bob");
    await ls.request("bob", { case: "joinRoom", value: { roomId: room } });
    const payload = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);
    const ok = await ls.request("alice", { case: "sendRoomMessage", value: { roomId: room, kind: RoomMessageKind.CUSTOM, payload: payload(max) } });
    expectOk(ok, "sendRoomMessage", `payload of ${max} bytes`);
    expect(ls.events("bob").map((e) => e.event.case === "roomMessageReceived" && e.event.value.message?.payload.byteLength)).toEqual([max]);
    expectError(
      await ls.request("alice", { case: "sendRoomMessage", value: { roomId: room, kind: RoomMessageKind.CUSTOM, payload: payload(max + 1) } }),
      ErrorCode.MESSAGE_TOO_LARGE,
      `payload of ${max + 1} bytes`,
    );
  });

  test("max_page_size: a page count of exactly max is accepted, one more is INVALID_ARGUMENT(count) [LIMIT-EXACT-1]", async ({ ls, limits }) => {
    const max = limits.maxPageSize;
    const room = await aliceInRoom(ls);
    expectOk(await ls.request("alice", { case: "queryRoomMemberList", value: { roomId: room, count: max } }), "queryRoomMemberList", `count ${max}`);
    expectError(await ls.request("alice", { case: "queryRoomMemberList", value: { roomId: room, count: max + 1 } }), ErrorCode.INVALID_ARGUMENT, `count ${max + 1}`, "count");
    expectOk(await ls.request("alice", { case: "queryRoomMemberAttributesList", value: { roomId: room, count: max } }), "queryRoomMemberAttributesList", `count ${max}`);
    expectError(await ls.request("alice", { case: "queryRoomMemberAttributesList", value: { roomId: room, count: max + 1 } }), ErrorCode.INVALID_ARGUMENT, `count ${max + 1}`, "count");
  });

  test("max_query_user_ids: exactly max distinct user IDs are accepted, one more is INVALID_ARGUMENT(user_ids) [LIMIT-EXACT-1, TEXT-3]", async ({ ls, limits, skip }) => {
    const max = limits.maxQueryUserIds;
    if (max > 2000) skip(`max_query_user_ids is ${max}: the request would be too large`);
    const room = await aliceInRoom(ls);
    const ids = Array.from({ length: max + 1 }, (_, i) => ls.user(`q${i}`));
    const atLimit = ids.slice(0, max);
    // Duplicates do not count: max distinct IDs with repeats are still max.
    const withRepeats = [...atLimit, atLimit[0]!, atLimit[max - 1]!];
    const lookups = (userIds: string[]): RequestInput[] => [
      { case: "queryRoomMembers", value: { roomId: room, userIds } },
      { case: "queryRoomMembersAttributes", value: { roomId: room, userIds } },
    ];
    for (const r of lookups(atLimit)) expectOk(await ls.request("alice", r), r.case, `${max} IDs`);
    for (const r of lookups(withRepeats)) expectOk(await ls.request("alice", r), r.case, `${max} distinct IDs and repeats`);
    for (const r of lookups(ids)) expectError(await ls.request("alice", r), ErrorCode.INVALID_ARGUMENT, `${r.case} of ${max + 1} IDs`, "user_ids");
    const set = (userIds: string[]): RequestInput => ({ case: "setRoomMembersAttributes", value: { roomId: room, userIds, attributes: { k: "v" } } });
    expectOk(await ls.request("alice", set(withRepeats)), "setRoomMembersAttributes", `${max} distinct targets`);
    expectError(await ls.request("alice", set(ids)), ErrorCode.INVALID_ARGUMENT, `${max + 1} targets`, "user_ids");
  });

  test("max_history_count: a history count of exactly max is accepted, one more is INVALID_ARGUMENT [LIMIT-EXACT-1]", async ({ ls, limits }) => {
    const max = limits.maxHistoryCount;
    const room = await aliceInRoom(ls);
    await ls.login("bob");
    await ls.request("alice", { case: "sendRoomMessage", value: { roomId: room, kind: RoomMessageKind.CUSTOM, payload: new Uint8Array([1]) } });
    expectError(await ls.request("bob", { case: "joinRoom", value: { roomId: room, historyCount: max + 1 } }), ErrorCode.INVALID_ARGUMENT, `join, history ${max + 1}`, "history_count");
    expectError(await ls.request("bob", { case: "enterRoom", value: { roomInfo: { roomId: room }, historyCount: max + 1 } }), ErrorCode.INVALID_ARGUMENT, `enter, history ${max + 1}`, "history_count");
    expectOk(await ls.request("bob", { case: "joinRoom", value: { roomId: room, historyCount: max } }), "joinRoom", `join, history ${max}`);
    expectOk(await ls.request("bob", { case: "queryRoomMessageHistory", value: { roomId: room, count: max } }), "queryRoomMessageHistory", `history query of ${max}`);
    expectError(await ls.request("bob", { case: "queryRoomMessageHistory", value: { roomId: room, count: max + 1 } }), ErrorCode.INVALID_ARGUMENT, `history query of ${max + 1}`, "count");
  }, { requires: [Feature.MESSAGE_HISTORY] });

  // ---- Rate limits --------------------------------------------------------------------------------

  test("request_rate: max_count counted requests in a window are accepted, the next is RATE_LIMITED with retry_after_ms and no effect, even when invalid [RATE-3, RATE-5, RATE-7, ERROR-RETRY-1, LIMIT-EXACT-1, REQUEST-CHECK-3, PING-2]", async ({ world, limits, serverInfo, skip }) => {
    const rate = limits.requestRate;
    const reason = rateSkipReason("request_rate", rate);
    if (reason !== undefined) skip(reason);
    const { maxCount, windowMs } = rate!;
    const witness = await world.session("witness");
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const s = await world.session(`alice${attempt}`, { pace: false });
      const forbidden = world.roomId(`never${attempt}`);
      // Counted requests that fail for other reasons still count (RATE-5).
      const counted = Array.from({ length: maxCount }, () => countedProbe(world));
      const probes: RequestInput[] = [
        // Valid: would create a room.
        { case: "createRoom", value: { roomInfo: { roomId: forbidden } } },
        // Invalid arguments: the rate limit (step 4) comes first (REQUEST-CHECK-3).
        { case: "createRoom", value: { roomInfo: { roomId: "" } } },
        ...(serverInfo.features.includes(Feature.MESSAGE_HISTORY) ? [] : [{ case: "queryRoomMessageHistory", value: { roomId: "", count: 0 } } as RequestInput]),
      ];
      const all = burst(s, [...counted, ...probes]);
      const ping = s.exchange({ case: "ping", value: {} });
      const exchanges = await all;
      const pong = await ping;
      const first = exchanges[0]!;
      const lastProbe = exchanges.at(-1)!;
      if (lastProbe.repliedAt - first.sentAt >= windowMs) {
        await s.close();
        continue; // The burst outlasted a window: the outcome is not certain; try again with a fresh session.
      }
      expect(exchanges.slice(0, maxCount).filter((x) => isRateLimited(x.reply)).length, "refusals among the first max_count").toBe(0);
      expect(exchanges.slice(0, maxCount).every((x) => codeOf(x.reply) === "ROOM_NOT_FOUND")).toBe(true);
      for (const p of exchanges.slice(maxCount)) {
        expect(codeOf(p.reply), `${p.request.request.case} over the limit`).toBe("RATE_LIMITED");
        expectRetryAfter(p.reply, windowMs, first.sentAt, first.repliedAt, p.sentAt, p.repliedAt);
      }
      // Ping is never rate limited.
      expect(pong.reply.result.case).toBe("ping");
      // The refused create had no effect.
      const join = await witness.send({ case: "joinRoom", value: { roomId: forbidden } });
      expect(codeOf(join)).toBe("ROOM_NOT_FOUND");
      return;
    }
    skip(`${ATTEMPTS} bursts of ${maxCount + 3} requests each took longer than the ${windowMs} ms window: the server is too slow to reach request_rate with certainty`);
  }, { timeoutMs: 60_000 });

  test("request_rate windows are fixed: a window opens at the first counted request after the previous ended, lasts window_ms of real time, then max_count are allowed again [RATE-2, RATE-10]", async ({ world, limits, skip }) => {
    const rate = limits.requestRate;
    const reason = rateSkipReason("request_rate", rate);
    if (reason !== undefined) skip(reason);
    const { maxCount, windowMs } = rate!;
    if (windowMs < 100) skip(`request_rate window of ${windowMs} ms is too short to place bursts inside it reliably`);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const s = await world.session(`alice${attempt}`, { pace: false });
      // One request opens window 1; halfway through it, max_count more: the last is refused.
      const [opener] = await burst(s, [countedProbe(world)]);
      await sleep(windowMs / 2);
      const second = await burst(s, Array.from({ length: maxCount }, () => countedProbe(world)));
      const refusal = second.at(-1)!;
      // Window 1 ends between opener.sentAt + window and opener.repliedAt + window.
      if (refusal.repliedAt >= opener!.sentAt + windowMs || second[0]!.sentAt <= opener!.repliedAt) {
        await s.close();
        continue;
      }
      expect(second.slice(0, -1).filter((x) => isRateLimited(x.reply)).length).toBe(0);
      expect(codeOf(refusal.reply)).toBe("RATE_LIMITED");
      expectRetryAfter(refusal.reply, windowMs, opener!.sentAt, opener!.repliedAt, refusal.sentAt, refusal.repliedAt);
      // Real time alone ends window 1 (no AdvanceClock: RATE-10); then a fresh window allows max_count again,
      // which a sliding window would not (window 1's requests are less than window_ms old).
      const windowEnd = opener!.repliedAt + windowMs;
      await sleep(Math.max(0, windowEnd - s.wireLog.now()) + 20);
      const third = await burst(s, [...Array.from({ length: maxCount }, () => countedProbe(world)), countedProbe(world)]);
      if (third.at(-1)!.repliedAt - third[0]!.sentAt >= windowMs) {
        await s.close();
        continue;
      }
      expect(third.slice(0, maxCount).filter((x) => isRateLimited(x.reply)).length, "refusals in the new window").toBe(0);
      expect(codeOf(third.at(-1)!.reply)).toBe("RATE_LIMITED");
      return;
    }
    skip(`${ATTEMPTS} attempts could not place the bursts inside ${windowMs} ms windows: the server is too slow to check the windows with certainty`);
  }, { timeoutMs: 60_000 });

  test("request_rate counts only logged-in requests that reach the rate check: not Ping, MALFORMED_FRAME answers, request_id 0, empty requests or anything before login [RATE-1, PING-2, FRAME-DECODE-4]", async ({ world, limits, skip }) => {
    const rate = limits.requestRate;
    const reason = rateSkipReason("request_rate", rate);
    if (reason !== undefined) skip(reason);
    const { maxCount, windowMs } = rate!;
    const encoding = world.target.encoding;
    const malformed = (id: number): WireData => (encoding === "binary" ? Uint8Array.from([0x08, id, 0x52, 0x05, 0x01]) : JSON.stringify({ requestId: id, ping: 1 }));
    const empty: WireData = encoding === "binary" ? Uint8Array.from([0x08, 0x63]) : JSON.stringify({ requestId: 99 });
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const s = await world.connect(`alice${attempt}`, { pace: false });
      const userId = world.userId(`alice${attempt}`);
      // Before login: refused requests, a refused Login, a Ping.
      const before = await Promise.all([
        s.send({ case: "createRoom", value: { roomInfo: { roomId: world.roomId("x") } } }),
        s.send({ case: "leaveAllRooms", value: {} }),
        s.send({ case: "login", value: { userId: "bad id", token: "t" } }),
        s.send({ case: "ping", value: {} }),
      ]);
      expect(before.map(codeOf)).toEqual(["UNAUTHENTICATED", "UNAUTHENTICATED", "INVALID_ARGUMENT", "ping"]);
      expect((await s.login(userId, await world.target.token.token(userId))).result.case).toBe("login");
      // Uncounted frames interleaved with exactly max_count counted requests, then one more.
      const free: Promise<Reply>[] = [];
      const counted: Promise<Exchange>[] = [];
      for (let i = 0; i < maxCount; i++) {
        if (i % 50 === 0) {
          free.push(s.send({ case: "ping", value: {} }));
          free.push(s.sendRawForReply(malformed(7)));
          free.push(s.send({ case: "leaveAllRooms", value: {} }, { requestId: 0 }));
          free.push(s.sendRawForReply(empty));
        }
        counted.push(s.exchange(countedProbe(world), { timeoutMs: 30_000 }));
      }
      const extra = s.exchange(countedProbe(world), { timeoutMs: 30_000 });
      // Over the limit, the uncounted frames are still answered as usual.
      const after = [s.send({ case: "ping", value: {} }), s.sendRawForReply(malformed(8)), s.send({ case: "leaveAllRooms", value: {} }, { requestId: 0 }), s.sendRawForReply(empty)];
      const xs = await Promise.all(counted);
      const over = await extra;
      const tail = await Promise.all(after);
      const frees = await Promise.all(free);
      if (over.repliedAt - xs[0]!.sentAt >= windowMs) {
        await s.close();
        continue;
      }
      expect(xs.filter((x) => isRateLimited(x.reply)).length, "refusals among max_count counted requests").toBe(0);
      expect(codeOf(over.reply)).toBe("RATE_LIMITED");
      for (const replies of [frees, tail]) {
        for (let i = 0; i < replies.length; i += 4) {
          expect(replies.slice(i, i + 4).map(codeOf)).toEqual(["ping", "MALFORMED_FRAME", "INVALID_ARGUMENT", "UNSUPPORTED_REQUEST"]);
        }
      }
      return;
    }
    skip(`${ATTEMPTS} bursts outlasted the ${windowMs} ms window: the server is too slow to reach request_rate with certainty`);
  }, { timeoutMs: 60_000 });

  test("rate limits are per session: one session's requests never count toward another's, and a new session starts with no count [RATE-9]", async ({ world, limits, skip }) => {
    const rate = limits.requestRate;
    const reason = rateSkipReason("request_rate", rate);
    if (reason !== undefined) skip(reason);
    const { maxCount, windowMs } = rate!;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const alice = await world.session(`alice${attempt}`, { pace: false });
      const bob = await world.session(`bob${attempt}`, { pace: false });
      const a = await burst(alice, Array.from({ length: maxCount + 1 }, () => countedProbe(world)));
      if (a.at(-1)!.repliedAt - a[0]!.sentAt >= windowMs) {
        await Promise.all([alice.close(), bob.close()]);
        continue;
      }
      expect(codeOf(a.at(-1)!.reply)).toBe("RATE_LIMITED");
      // bob, in the same moment, has his own count.
      const b = await burst(bob, Array.from({ length: maxCount }, () => countedProbe(world)));
      expect(b.filter((x) => isRateLimited(x.reply)).length, "bob's refusals").toBe(0);
      // alice again, on a new connection (her old session is kicked): a new session starts at zero.
      const again = await world.session(`alice${attempt}`, { pace: false });
      const c = await burst(again, Array.from({ length: maxCount }, () => countedProbe(world)));
      expect(c.filter((x) => isRateLimited(x.reply)).length, "the new session's refusals").toBe(0);
      return;
    }
    skip(`${ATTEMPTS} bursts outlasted the ${windowMs} ms window: the server is too slow to reach request_rate with certainty`);
  }, { timeoutMs: 60_000 });

  test("message_rate: max_count messages in a window are delivered, the next is RATE_LIMITED with retry_after_ms and not delivered [RATE-3, RATE-6, RATE-7, ERROR-RETRY-1, LIMIT-EXACT-1]", async ({ world, limits, skip }) => {
    const rate = limits.messageRate;
    const reason = rateSkipReason("message_rate", rate);
    if (reason !== undefined) skip(reason);
    const { maxCount, windowMs } = rate!;
    const req = limits.requestRate;
    if (req !== undefined && req.maxCount > 0 && req.maxCount < maxCount + 2) skip(`request_rate (${req.maxCount}) refuses before message_rate (${maxCount}) can be exceeded`);
    const bob = await world.session("bob");
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const alice = await world.session(`alice${attempt}`, { pace: false });
      const room = world.roomId(`r${attempt}`);
      await bob.call("createRoom", { roomInfo: { roomId: room } });
      await alice.call("joinRoom", { roomId: room });
      await world.quiesce();
      bob.takeEvents();
      const send = (i: number): RequestInput => ({ case: "sendRoomMessage", value: { roomId: room, kind: RoomMessageKind.CUSTOM, payload: Uint8Array.from([i % 256, i >> 8]) } });
      const xs = await burst(alice, Array.from({ length: maxCount + 1 }, (_, i) => send(i)));
      await bob.ping();
      const got = bob.takeEvents().filter((e) => e.event.event.case === "roomMessageReceived");
      await alice.close();
      await bob.call("leaveRoom", { roomId: room });
      if (xs.at(-1)!.repliedAt - xs[0]!.sentAt >= windowMs) continue;
      expect(xs.slice(0, maxCount).filter((x) => x.reply.result.case !== "sendRoomMessage").map((x) => codeOf(x.reply))).toEqual([]);
      const refused = xs.at(-1)!;
      expect(codeOf(refused.reply)).toBe("RATE_LIMITED");
      expectRetryAfter(refused.reply, windowMs, xs[0]!.sentAt, xs[0]!.repliedAt, refused.sentAt, refused.repliedAt);
      // Exactly the accepted messages were delivered.
      expect(got.length).toBe(maxCount);
      return;
    }
    skip(`${ATTEMPTS} bursts of ${maxCount + 1} messages outlasted the ${windowMs} ms window: the server is too slow to reach message_rate with certainty`);
  }, { timeoutMs: 60_000 });

  test("a message refused by message_rate counts toward neither limit; an accepted one counts toward both [RATE-4, RATE-6]", async ({ world, limits, skip }) => {
    const mr = limits.messageRate;
    const rr = limits.requestRate;
    const reason = rateSkipReason("message_rate", mr) ?? rateSkipReason("request_rate", rr);
    if (reason !== undefined) skip(reason);
    const refusedExtra = 5;
    if (rr!.maxCount < mr!.maxCount + 1) skip(`request_rate (${rr!.maxCount}) is not above message_rate (${mr!.maxCount}): the two cannot be told apart`);
    const windowMs = Math.min(mr!.windowMs, rr!.windowMs);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const s = await world.session(`alice${attempt}`, { pace: false });
      // Messages to a room that does not exist still pass the rate checks (step 4 precedes the state checks) and count.
      const message: RequestInput = { case: "sendRoomMessage", value: { roomId: world.roomId("absent"), kind: RoomMessageKind.CUSTOM, payload: new Uint8Array([1]) } };
      const messages = Array.from({ length: mr!.maxCount + refusedExtra }, () => message);
      // request_rate has room for exactly max_count(request) − max_count(message) more requests if the refused messages did not count.
      const fillers = Array.from({ length: rr!.maxCount - mr!.maxCount }, () => countedProbe(world));
      const xs = await burst(s, [...messages, ...fillers, countedProbe(world)]);
      if (xs.at(-1)!.repliedAt - xs[0]!.sentAt >= windowMs) {
        await s.close();
        continue;
      }
      const codes = xs.map((x) => codeOf(x.reply));
      expect(codes.slice(0, mr!.maxCount).filter((c) => c === "RATE_LIMITED").length, "accepted messages").toBe(0);
      expect(codes.slice(mr!.maxCount, mr!.maxCount + refusedExtra)).toEqual(Array(refusedExtra).fill("RATE_LIMITED"));
      expect(codes.slice(mr!.maxCount + refusedExtra, -1).filter((c) => c === "RATE_LIMITED").length, "refusals among the fillers").toBe(0);
      // The messages did count toward request_rate: the request after the fillers is one too many.
      expect(codes.at(-1)).toBe("RATE_LIMITED");
      return;
    }
    skip(`${ATTEMPTS} bursts outlasted the ${windowMs} ms window: the server is too slow to reach the rate limits with certainty`);
  }, { timeoutMs: 60_000 });

  test("a rate limit with max_count 0 refuses nothing [RATE-8]", async ({ world, limits, skip }) => {
    const names = ([
      ["request_rate", limits.requestRate],
      ["message_rate", limits.messageRate],
    ] as const).flatMap(([name, r]) => (r !== undefined && r.maxCount === 0 ? [name] : []));
    if (names.length === 0) skip(`both rate limits have a max_count (${limits.requestRate?.maxCount}, ${limits.messageRate?.maxCount}): no unlimited rate to check`);
    const s = await world.session("alice", { pace: false });
    const n = 3000;
    const other = names.includes("request_rate") ? undefined : limits.requestRate;
    // (With request_rate unlimited and message_rate limited, the burst is plain requests.)
    // Stay under a finite request_rate while checking an unlimited message_rate.
    const count = other !== undefined && other.maxCount > 0 ? Math.min(n, other.maxCount) : n;
    const request: RequestInput = names.includes("message_rate")
      ? { case: "sendRoomMessage", value: { roomId: world.roomId("absent"), kind: RoomMessageKind.CUSTOM, payload: new Uint8Array([1]) } }
      : countedProbe(world);
    const xs = await burst(s, Array.from({ length: count }, () => request));
    expect(xs.filter((x) => isRateLimited(x.reply)).length).toBe(0);
  }, { timeoutMs: 60_000, target: "constrained" });
});
