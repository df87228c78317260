// createRoom, joinRoom, enterRoom (and the enter equivalence), leaveRoom,
// leaveAllRooms and the shared leave effects: spec/rooms.md.
//
// Every action goes through the lockstep (reply, every session's events and
// "nothing else" compared with the model); the explicit expectations restate
// the sentence each test cites, so a test reads as the requirement it checks.
import { toJson } from "@bufbuild/protobuf";
import fc from "fast-check";
import { expect } from "vitest";
import {
  ErrorCode,
  EventSchema,
  Feature,
  ReplySchema,
  RoomAttributesUpdateAction,
  RoomFullInfoSchema,
  RoomMessageKind,
  RoomMessageSchema,
  type Event,
  type Limits,
  type Reply,
} from "../../protocol/index.js";
import { Lockstep } from "../driver/lockstep.js";
import { renderEvent, renderReply } from "../driver/render.js";
import { conformanceSuite, type ScenarioContext, propertyRuns } from "../driver/suite.js";
import { harnessTarget } from "../driver/target.js";
import { World, type RequestInput } from "../harness/index.js";
import { readTarget } from "../runner/target.js";

// ---- Helpers -------------------------------------------------------------------

/** Above this many rooms per user (or members per room, rooms per server) a test would be too slow: it skips and says why. */
const CHEAP_USER_CAP = 200;
const CHEAP_ROOM_MEMBERS = 40;
const CHEAP_SERVER_ROOMS = 300;

/** A room by label (`"r1"`, scoped to the run) or by a raw ID (for invalid IDs). */
type RoomRef = string | { raw: string };

interface RoomOpts {
  name?: string;
  delay?: number;
  attrs?: Record<string, string>;
  history?: number;
  /** Send no room_info at all. */
  noInfo?: boolean;
}

/** Request builders bound to one lockstep (labels become the run's IDs). */
function requests(ls: Lockstep) {
  const id = (r: RoomRef) => (typeof r === "string" ? ls.room(r) : r.raw);
  const label = (r: RoomRef) => (typeof r === "string" ? r : r.raw);
  const info = (r: RoomRef, o: RoomOpts) => (o.noInfo ? undefined : { roomId: id(r), roomName: o.name ?? `${label(r)} name` });
  const config = (o: RoomOpts) => ({ roomDestroyDelaySeconds: o.delay ?? 0, roomAttributes: o.attrs ?? {} });
  return {
    id,
    create: (r: RoomRef, o: RoomOpts = {}): RequestInput => ({ case: "createRoom", value: { roomInfo: info(r, o), config: config(o) } }),
    join: (r: RoomRef, historyCount = 0): RequestInput => ({ case: "joinRoom", value: { roomId: id(r), historyCount } }),
    enter: (r: RoomRef, o: RoomOpts = {}): RequestInput => ({
      case: "enterRoom",
      value: { roomInfo: info(r, o), config: config(o), historyCount: o.history ?? 0 },
    }),
    switch: (from: RoomRef, to: RoomRef, createIfAbsent: boolean, o: RoomOpts = {}): RequestInput => ({
      case: "switchRoom",
      value: { fromRoomId: id(from), toRoomInfo: info(to, o), createIfAbsent, config: config(o) },
    }),
    leave: (r: RoomRef): RequestInput => ({ case: "leaveRoom", value: { roomId: id(r) } }),
    leaveAll: (): RequestInput => ({ case: "leaveAllRooms", value: {} }),
    setAttrs: (r: RoomRef, attributes: Record<string, string>, f: { force?: boolean; updateOwner?: boolean; deleteAfterOwnerLeft?: boolean } = {}): RequestInput => ({
      case: "setRoomAttributes",
      value: { roomId: id(r), attributes, isForce: f.force ?? false, isUpdateOwner: f.updateOwner ?? false, isDeleteAfterOwnerLeft: f.deleteAfterOwnerLeft ?? false },
    }),
    deleteAttrs: (r: RoomRef, keys: string[], isForce = false): RequestInput => ({ case: "deleteRoomAttributes", value: { roomId: id(r), keys, isForce } }),
    queryAttrs: (r: RoomRef): RequestInput => ({ case: "queryRoomAllAttributes", value: { roomId: id(r) } }),
    memberList: (r: RoomRef): RequestInput => ({ case: "queryRoomMemberList", value: { roomId: id(r), nextToken: "", count: 0 } }),
    setMemberAttrs: (r: RoomRef, users: string[], attributes: Record<string, string>, deleteAfterLeft: boolean): RequestInput => ({
      case: "setRoomMembersAttributes",
      value: { roomId: id(r), userIds: users.map((u) => ls.user(u)), attributes, isDeleteAfterOwnerLeft: deleteAfterLeft },
    }),
    queryMemberAttrs: (r: RoomRef, users: string[]): RequestInput => ({
      case: "queryRoomMembersAttributes",
      value: { roomId: id(r), userIds: users.map((u) => ls.user(u)) },
    }),
    send: (r: RoomRef, text: string): RequestInput => ({
      case: "sendRoomMessage",
      value: { roomId: id(r), kind: RoomMessageKind.TEXT, payload: new TextEncoder().encode(text) },
    }),
  };
}
type Requests = ReturnType<typeof requests>;

/** The error code's name (`"ROOM_FULL"`), or "OK" for a successful reply. */
function codeOf(reply: Reply): string {
  return reply.result.case === "error" ? (ErrorCode[reply.result.value.code] ?? String(reply.result.value.code)) : "OK";
}

function fieldOf(reply: Reply): string {
  return reply.result.case === "error" ? (reply.result.value.detail?.field ?? "") : "";
}

/** The successful response of a kind, or a readable failure. */
function ok<K extends NonNullable<Reply["result"]["case"]>>(reply: Reply, kind: K): Extract<Reply["result"], { case: K }>["value"] {
  const r = reply.result;
  if (r.case !== kind) throw new Error(`expected a ${kind} reply, got ${renderReply(reply)}`);
  return (r as { value: unknown }).value as never;
}

/** One line per event, without the run prefix: `roomStateChanged r1 CONNECTED SUCCESS`, `attrs r1 #2 DELETE {a=} by alice`. */
function show(ls: Lockstep, e: Event): string {
  const x = e.event;
  if (x.case === "roomAttributesUpdated") {
    const info = x.value.info;
    const pairs = Object.keys(info?.attributes ?? {})
      .sort()
      .map((k) => `${k}=${info?.attributes[k] ?? ""}`);
    return `attrs ${ls.u(x.value.roomId)} #${x.value.roomSeq} ${RoomAttributesUpdateAction[info?.action ?? 0]} {${pairs.join(", ")}} by ${ls.u(x.value.operatorUserId) || '""'}`;
  }
  if (x.case === "roomMessageReceived") {
    return `message ${ls.u(x.value.roomId)} #${x.value.roomSeq} from ${ls.u(x.value.message?.senderUserId ?? "")}`;
  }
  return renderEvent(e, ls.u);
}

/** What `label` received in the last action, one line per event. */
function seen(ls: Lockstep, label: string): string[] {
  return ls.events(label).map((e) => show(ls, e));
}

/** The user IDs (without prefix) of a member list reply. */
function memberIds(ls: Lockstep, reply: Reply): string[] {
  return ok(reply, "queryRoomMemberList").members.map((m) => ls.u(m.userId));
}

/** Logs in every label not yet open. */
async function loginAll(ls: Lockstep, ...labels: string[]): Promise<void> {
  for (const l of labels) {
    try {
      ls.session(l);
    } catch {
      await ls.login(l);
    }
  }
}

/** Nobody (every session of the test unless `labels` are given) received anything in the last action. */
function expectSilence(ls: Lockstep, labels: string[] = [...ls.state.sessions.keys()]): void {
  for (const l of labels) expect(seen(ls, l), `events of ${l}`).toEqual([]);
}

/** The per-user room cap, skipping the test when it is too large to reach cheaply. */
function reachableCap(t: ScenarioContext): number {
  const cap = t.limits.maxRoomsPerUser;
  if (cap > CHEAP_USER_CAP) t.skip(`max_rooms_per_user is ${cap}: filling it is too slow for this suite (limit ${CHEAP_USER_CAP})`);
  return cap;
}

type FillVia = "create" | "join" | "enter";

/**
 * Puts `label` into `count` fresh rooms (`<label>-f0`, …) with the given
 * operation; for join, host sessions (`<label>-host0`, …) create the rooms
 * first, each within its own cap. Returns the room labels in join order.
 */
async function fillRooms(ls: Lockstep, R: Requests, label: string, count: number, via: FillVia): Promise<string[]> {
  const rooms: string[] = [];
  const cap = ls.limits.maxRoomsPerUser;
  for (let i = 0; i < count; i++) {
    const room = `${label}-f${i}`;
    if (via === "join") {
      const host = `${label}-host${Math.floor(i / cap)}`;
      await loginAll(ls, host);
      expect(codeOf(await ls.request(host, R.create(room)))).toBe("OK");
      expect(codeOf(await ls.request(label, R.join(room)))).toBe("OK");
    } else {
      expect(codeOf(await ls.request(label, via === "create" ? R.create(room) : R.enter(room)))).toBe("OK");
    }
    rooms.push(room);
  }
  return rooms;
}

/** A UTF-8 string of exactly `bytes` bytes made of `c` (one byte each). */
const bytesOf = (bytes: number, c = "x") => c.repeat(bytes);

/** `n` distinct attribute keys, each `len` bytes (len ≥ digits needed), for count and size tests. */
function distinctKeys(n: number, len: number): string[] | undefined {
  const keys = Array.from({ length: n }, (_, i) => i.toString(36));
  const longest = Math.max(...keys.map((k) => k.length));
  if (longest > len) return undefined;
  return keys.map((k) => k.padStart(len, "k"));
}

/** fast-check runs for this file's properties (shared between encodings; a tenth for a quick run). */
function runsHere(): number {
  return propertyRuns(readTarget(), 3);
}
/** Budget per property run (two worlds of a few sessions, some 40 requests each). */
const PROPERTY_RUN_MS = 1_500;

// ---- Argument tables -------------------------------------------------------------

/** Invalid room IDs (ID-2): any of them is refused wherever a room ID is validated. */
function badRoomIds(ls: Lockstep, L: Limits): { title: string; id: string }[] {
  return [
    { title: "an empty room ID", id: "" },
    { title: `a room ID one byte over max_room_id_bytes (${L.maxRoomIdBytes})`, id: ls.world.idOfLength("r", L.maxRoomIdBytes + 1) },
    { title: "a room ID with a space", id: `${ls.room("r")} x` },
    { title: "a room ID with a character outside the ID alphabet (é)", id: `${ls.room("r")}é` },
    { title: "a room ID with a slash", id: `${ls.room("r")}/x` },
  ];
}

interface CreateArgs {
  roomId?: string;
  name?: string;
  delay?: number;
  attrs?: Record<string, string>;
  noInfo?: boolean;
}

interface ArgCase {
  title: string;
  /** The requirements a createRoom test of the case checks, as a title's bracket group. */
  cite: string;
  /** The same for enterRoom (ENTER-VALID-1 or ENTER-VALID-2 and the createRoom rule it inherits). */
  enterCite: string;
  code: ErrorCode;
  field?: string;
  /** The arguments, or a reason the advertised limits make the case impossible. */
  args(ls: Lockstep, L: Limits): CreateArgs | string;
}

/** createRoom's validation (CREATE-VALID-1..8) one rule at a time, then which error wins when several apply. */
const CREATE_ARG_CASES: ArgCase[] = [
  { title: "empty room ID", cite: "[CREATE-VALID-1]", enterCite: "[ENTER-VALID-1, CREATE-VALID-1]", code: ErrorCode.INVALID_ARGUMENT, field: "room_info.room_id", args: () => ({ roomId: "" }) },
  { title: "missing room_info", cite: "[CREATE-VALID-1]", enterCite: "[ENTER-VALID-1, CREATE-VALID-1]", code: ErrorCode.INVALID_ARGUMENT, field: "room_info.room_id", args: () => ({ noInfo: true }) },
  {
    title: "room ID one byte over max_room_id_bytes",
    cite: "[CREATE-VALID-1]", enterCite: "[ENTER-VALID-1, CREATE-VALID-1]",
    code: ErrorCode.INVALID_ARGUMENT,
    field: "room_info.room_id",
    args: (ls, L) => ({ roomId: ls.world.idOfLength("r", L.maxRoomIdBytes + 1) }),
  },
  { title: "room ID with a space", cite: "[CREATE-VALID-1]", enterCite: "[ENTER-VALID-1, CREATE-VALID-1]", code: ErrorCode.INVALID_ARGUMENT, field: "room_info.room_id", args: (ls) => ({ roomId: `${ls.room("r")} x` }) },
  { title: "room ID with é", cite: "[CREATE-VALID-1]", enterCite: "[ENTER-VALID-1, CREATE-VALID-1]", code: ErrorCode.INVALID_ARGUMENT, field: "room_info.room_id", args: (ls) => ({ roomId: `${ls.room("r")}é` }) },
  {
    title: "room name one byte over max_room_name_bytes",
    cite: "[CREATE-VALID-2]", enterCite: "[ENTER-VALID-2, CREATE-VALID-2]",
    code: ErrorCode.INVALID_ARGUMENT,
    field: "room_info.room_name",
    args: (_ls, L) => ({ name: bytesOf(L.maxRoomNameBytes + 1) }),
  },
  {
    title: "room name over max_room_name_bytes in UTF-8 bytes but not in characters",
    cite: "[CREATE-VALID-2]", enterCite: "[ENTER-VALID-2, CREATE-VALID-2]",
    code: ErrorCode.INVALID_ARGUMENT,
    field: "room_info.room_name",
    args: (_ls, L) => (L.maxRoomNameBytes < 2 ? "max_room_name_bytes < 2" : { name: "é".repeat(Math.floor(L.maxRoomNameBytes / 2) + 1) }),
  },
  {
    title: "destroy delay one over max_room_destroy_delay_seconds",
    cite: "[CREATE-VALID-3]", enterCite: "[ENTER-VALID-2, CREATE-VALID-3]",
    code: ErrorCode.INVALID_ARGUMENT,
    field: "config.room_destroy_delay_seconds",
    args: (_ls, L) => ({ delay: L.maxRoomDestroyDelaySeconds + 1 }),
  },
  { title: "empty attribute key", cite: "[CREATE-VALID-4]", enterCite: "[ENTER-VALID-2, CREATE-VALID-4]", code: ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG, args: () => ({ attrs: { "": "v" } }) },
  {
    title: "attribute key one byte over max_room_attribute_key_bytes",
    cite: "[CREATE-VALID-4]", enterCite: "[ENTER-VALID-2, CREATE-VALID-4]",
    code: ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG,
    args: (_ls, L) => ({ attrs: { [bytesOf(L.maxRoomAttributeKeyBytes + 1, "k")]: "v" } }),
  },
  {
    title: "attribute key over the limit in UTF-8 bytes but not in characters",
    cite: "[CREATE-VALID-4]", enterCite: "[ENTER-VALID-2, CREATE-VALID-4]",
    code: ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG,
    args: (_ls, L) => (L.maxRoomAttributeKeyBytes < 2 ? "max_room_attribute_key_bytes < 2" : { attrs: { ["é".repeat(Math.floor(L.maxRoomAttributeKeyBytes / 2) + 1)]: "v" } }),
  },
  {
    title: "attribute value one byte over max_room_attribute_value_bytes",
    cite: "[CREATE-VALID-5]", enterCite: "[ENTER-VALID-2, CREATE-VALID-5]",
    code: ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG,
    args: (_ls, L) => ({ attrs: { k: bytesOf(L.maxRoomAttributeValueBytes + 1) } }),
  },
  {
    title: "one attribute more than max_room_attributes",
    cite: "[CREATE-VALID-7]", enterCite: "[ENTER-VALID-2, CREATE-VALID-7]",
    code: ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT,
    args: (_ls, L) => {
      const keys = distinctKeys(L.maxRoomAttributes + 1, Math.min(L.maxRoomAttributeKeyBytes, 3));
      return keys ? { attrs: Object.fromEntries(keys.map((k) => [k, ""])) } : "too few distinct keys fit max_room_attribute_key_bytes";
    },
  },
  {
    title: "total size over max_room_attributes_total_bytes within the count limit",
    cite: "[CREATE-VALID-8]", enterCite: "[ENTER-VALID-2, CREATE-VALID-8]",
    code: ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT,
    args: (_ls, L) => {
      const keys = distinctKeys(L.maxRoomAttributes, L.maxRoomAttributeKeyBytes);
      if (!keys) return "too few distinct keys fit max_room_attribute_key_bytes";
      const value = bytesOf(L.maxRoomAttributeValueBytes);
      const total = keys.length * (L.maxRoomAttributeKeyBytes + L.maxRoomAttributeValueBytes);
      if (total <= L.maxRoomAttributesTotalBytes) return "max_room_attributes full-size attributes fit max_room_attributes_total_bytes";
      return { attrs: Object.fromEntries(keys.map((k) => [k, value])) };
    },
  },
  // Which error wins when several apply.
  {
    title: "invalid room ID and too-long name: the room ID wins",
    cite: "[CREATE-VALID-1, CREATE-VALID-2]", enterCite: "[ENTER-VALID-1, ENTER-VALID-2, CREATE-VALID-1, CREATE-VALID-2]",
    code: ErrorCode.INVALID_ARGUMENT,
    field: "room_info.room_id",
    args: (_ls, L) => ({ roomId: "", name: bytesOf(L.maxRoomNameBytes + 1) }),
  },
  {
    title: "too-long name and too-long delay: the name wins",
    cite: "[CREATE-VALID-2, CREATE-VALID-3]", enterCite: "[ENTER-VALID-2, CREATE-VALID-2, CREATE-VALID-3]",
    code: ErrorCode.INVALID_ARGUMENT,
    field: "room_info.room_name",
    args: (_ls, L) => ({ name: bytesOf(L.maxRoomNameBytes + 1), delay: L.maxRoomDestroyDelaySeconds + 1 }),
  },
  {
    title: "too-long delay and a too-long attribute key: the delay wins",
    cite: "[CREATE-VALID-3, CREATE-VALID-4]", enterCite: "[ENTER-VALID-2, CREATE-VALID-3, CREATE-VALID-4]",
    code: ErrorCode.INVALID_ARGUMENT,
    field: "config.room_destroy_delay_seconds",
    args: (_ls, L) => ({ delay: L.maxRoomDestroyDelaySeconds + 1, attrs: { [bytesOf(L.maxRoomAttributeKeyBytes + 1, "k")]: "v" } }),
  },
  {
    title: "too-long value under key a and too-long key b…: a's value wins",
    cite: "[CREATE-VALID-6]", enterCite: "[ENTER-VALID-2, CREATE-VALID-6]",
    code: ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG,
    args: (_ls, L) => ({ attrs: { a: bytesOf(L.maxRoomAttributeValueBytes + 1), [bytesOf(L.maxRoomAttributeKeyBytes + 1, "b")]: "v" } }),
  },
  {
    title: "too-long key a… and too-long value under key b: the key a… wins",
    cite: "[CREATE-VALID-6]", enterCite: "[ENTER-VALID-2, CREATE-VALID-6]",
    code: ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG,
    args: (_ls, L) => ({ attrs: { [bytesOf(L.maxRoomAttributeKeyBytes + 1, "a")]: "v", b: bytesOf(L.maxRoomAttributeValueBytes + 1) } }),
  },
  {
    title: "empty key and too-long value under key a: the empty key sorts first and wins",
    cite: "[CREATE-VALID-4, CREATE-VALID-6]", enterCite: "[ENTER-VALID-2, CREATE-VALID-4, CREATE-VALID-6]",
    code: ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG,
    args: (_ls, L) => ({ attrs: { "": "v", a: bytesOf(L.maxRoomAttributeValueBytes + 1) } }),
  },
  {
    title: "keys compared as UTF-8 bytes: too-long value under U+FF61 wins over a too-long key of U+1F600 (UTF-16 order would say otherwise)",
    cite: "[CREATE-VALID-6, TEXT-2]", enterCite: "[ENTER-VALID-2, CREATE-VALID-6, TEXT-2]",
    code: ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG,
    args: (_ls, L) =>
      L.maxRoomAttributeKeyBytes < 3
        ? "max_room_attribute_key_bytes < 3: U+FF61 alone would be a too-long key"
        : { attrs: { "\uFF61": bytesOf(L.maxRoomAttributeValueBytes + 1), ["\u{1F600}".repeat(Math.floor(L.maxRoomAttributeKeyBytes / 4) + 1)]: "v" } },
  },
  {
    title: "too many keys and a too-long value: the value wins (count is checked after every key and value)",
    cite: "[CREATE-VALID-5, CREATE-VALID-7]", enterCite: "[ENTER-VALID-2, CREATE-VALID-5, CREATE-VALID-7]",
    code: ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG,
    args: (_ls, L) => {
      const keys = distinctKeys(L.maxRoomAttributes + 1, Math.min(L.maxRoomAttributeKeyBytes, 3));
      if (!keys) return "too few distinct keys fit max_room_attribute_key_bytes";
      const attrs = Object.fromEntries(keys.map((k) => [k, ""]));
      attrs[keys[keys.length - 1]!] = bytesOf(L.maxRoomAttributeValueBytes + 1);
      return { attrs };
    },
  },
  {
    title: "too many keys and a too-long key: the key wins",
    cite: "[CREATE-VALID-4, CREATE-VALID-7]", enterCite: "[ENTER-VALID-2, CREATE-VALID-4, CREATE-VALID-7]",
    code: ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG,
    args: (_ls, L) => {
      const keys = distinctKeys(L.maxRoomAttributes + 1, Math.min(L.maxRoomAttributeKeyBytes, 3));
      if (!keys) return "too few distinct keys fit max_room_attribute_key_bytes";
      return { attrs: { ...Object.fromEntries(keys.map((k) => [k, ""])), [bytesOf(L.maxRoomAttributeKeyBytes + 1, "z")]: "" } };
    },
  },
  {
    title: "too many keys and too large in total: the count wins",
    cite: "[CREATE-VALID-7, CREATE-VALID-8]", enterCite: "[ENTER-VALID-2, CREATE-VALID-7, CREATE-VALID-8]",
    code: ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT,
    args: (_ls, L) => {
      const keys = distinctKeys(L.maxRoomAttributes + 1, L.maxRoomAttributeKeyBytes);
      if (!keys) return "too few distinct keys fit max_room_attribute_key_bytes";
      if (keys.length * (L.maxRoomAttributeKeyBytes + L.maxRoomAttributeValueBytes) <= L.maxRoomAttributesTotalBytes) return "the total size limit cannot be exceeded alongside the count";
      return { attrs: Object.fromEntries(keys.map((k) => [k, bytesOf(L.maxRoomAttributeValueBytes)])) };
    },
  },
];

function createArgsRequest(ls: Lockstep, a: CreateArgs, kind: "createRoom" | "enterRoom", historyCount = 0): RequestInput {
  const roomInfo = a.noInfo ? undefined : { roomId: a.roomId ?? ls.room("r1"), roomName: a.name ?? "name" };
  const config = { roomDestroyDelaySeconds: a.delay ?? 0, roomAttributes: a.attrs ?? {} };
  return kind === "createRoom"
    ? { case: "createRoom", value: { roomInfo, config } }
    : { case: "enterRoom", value: { roomInfo, config, historyCount } };
}

/** Bracket groups `[A, B]` merged into one, without repeats (the runner reads a title's last group). */
function cite(...groups: string[]): string {
  const ids = groups.flatMap((g) => g.replace(/[[\]]/g, "").split(",")).map((i) => i.trim()).filter((i) => i !== "");
  return `[${[...new Set(ids)].join(", ")}]`;
}

// ---- The suite ------------------------------------------------------------------

conformanceSuite("rooms", (test) => {
  // ---- createRoom ---------------------------------------------------------------

  test("create then join: the creator gets MemberJoined for the joiner [CREATE-EVENT-1, JOIN-EVENT-1]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r1"), roomName: "Room one" } } });
    expect(seen(ls, "alice")).toEqual(["roomStateChanged r1 CONNECTING ACTIVE_CREATE", "roomStateChanged r1 CONNECTED SUCCESS"]);
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    expect(ls.events("alice").map((e) => e.event.case)).toEqual(["roomMemberJoined"]);
  });

  test("createRoom: the caller gets CONNECTING(ACTIVE_CREATE), CONNECTED(SUCCESS) and, without config attributes, no attribute event; nobody else gets anything [CREATE-EVENT-1, CREATE-EVENT-2, CREATE-EVENT-3]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob", "carol");
    await ls.request("bob", R.create("r0"));
    await ls.request("carol", R.join("r0"));
    await ls.request("alice", R.create("r1"));
    expect(seen(ls, "alice")).toEqual(["roomStateChanged r1 CONNECTING ACTIVE_CREATE", "roomStateChanged r1 CONNECTED SUCCESS"]);
    expectSilence(ls, ["bob", "carol"]);
  });

  test("createRoom reply: room ID and requested name, room_seq 0 and the requested destroy delay [CREATE-REPLY-1, CREATE-REPLY-2]", async ({ ls }) => {
    const R = requests(ls);
    await ls.login("alice");
    const delay = ls.limits.maxRoomDestroyDelaySeconds; // never 0 < d < max: other files' clock advances must not matter
    const room = ok(await ls.request("alice", R.create("r1", { name: "Lobby ☕", delay })), "createRoom").room;
    expect(room?.baseInfo?.roomId).toBe(ls.room("r1"));
    expect(room?.baseInfo?.roomName).toBe("Lobby ☕");
    expect(room?.roomSeq).toBe(0n);
    expect(room?.roomDestroyDelaySeconds).toBe(delay);
    const plain = ok(await ls.request("alice", R.create("r2", { name: "", delay: 0 })), "createRoom").room;
    expect([plain?.baseInfo?.roomName, plain?.roomSeq, plain?.roomDestroyDelaySeconds]).toEqual(["", 0n, 0]);
  });

  test("createRoom effects: the room exists with its name, delay and seq 0, the caller its only member, and the room is appended to the caller's rooms [CREATE-EFFECT-1]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    await ls.request("bob", R.create("other"));
    await ls.request("alice", R.join("other"));
    const delay = ls.limits.maxRoomDestroyDelaySeconds;
    await ls.request("alice", R.create("r1", { name: "Alice's", delay }));
    expect(memberIds(ls, await ls.request("alice", R.memberList("r1")))).toEqual(["alice"]);
    const joined = ok(await ls.request("bob", R.join("r1")), "joinRoom").room;
    expect([joined?.baseInfo?.roomName, joined?.roomSeq, joined?.roomDestroyDelaySeconds]).toEqual(["Alice's", 1n, delay]);
    expect(memberIds(ls, await ls.request("bob", R.memberList("r1")))).toEqual(["alice", "bob"]);
    // Appended: leaveAll reports the caller's rooms in join order.
    expect(ok(await ls.request("alice", R.leaveAll()), "leaveAllRooms").roomIds.map(ls.u)).toEqual(["other", "r1"]);
  });

  test("createRoom config attributes: the creator gets their snapshot (seq 0, operator \"\"); they are owned by the creator and not deleted when it leaves [CREATE-EFFECT-2, CREATE-EVENT-2]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    await ls.request("alice", R.create("r1", { attrs: { topic: "cats", mode: "quiet" } }));
    expect(seen(ls, "alice")).toEqual([
      "roomStateChanged r1 CONNECTING ACTIVE_CREATE",
      "roomStateChanged r1 CONNECTED SUCCESS",
      'attrs r1 #0 SET {mode=quiet, topic=cats} by ""',
    ]);
    await ls.request("bob", R.join("r1"));
    // Owned by alice: bob cannot delete without force.
    const del = ok(await ls.request("bob", R.deleteAttrs("r1", ["topic"])), "deleteRoomAttributes");
    expect(del.failedKeys.map((f) => [f.key, ErrorCode[f.code]])).toEqual([["topic", "ROOM_ATTRIBUTE_NOT_OWNER"]]);
    // delete_after_owner_left false: alice leaving deletes nothing.
    await ls.request("alice", R.leave("r1"));
    expect(seen(ls, "bob")).toEqual(["roomMemberLeft r1 #2 [alice]"]);
    expect(ok(await ls.request("bob", R.queryAttrs("r1")), "queryRoomAllAttributes").attributes).toEqual({ topic: "cats", mode: "quiet" });
    // Still alice's: she deletes it without force once back.
    await ls.request("alice", R.join("r1"));
    expect(ok(await ls.request("alice", R.deleteAttrs("r1", ["topic"])), "deleteRoomAttributes").failedKeys).toEqual([]);
  });

  for (const c of CREATE_ARG_CASES) {
    test(`createRoom validation: ${c.title} → ${ErrorCode[c.code]}${c.field ? `(${c.field})` : ""}, no room, no event ${c.cite}`, async (t) => {
      const { ls } = t;
      const R = requests(ls);
      await loginAll(ls, "alice", "bob");
      const args = c.args(ls, t.limits);
      if (typeof args === "string") return t.skip(args);
      const reply = await ls.request("alice", createArgsRequest(ls, args, "createRoom"));
      expect(codeOf(reply)).toBe(ErrorCode[c.code]);
      if (c.field !== undefined) expect(fieldOf(reply)).toBe(c.field);
      expectSilence(ls, ["alice", "bob"]);
      if (args.roomId === undefined && !args.noInfo) expect(codeOf(await ls.request("bob", R.join("r1")))).toBe("ROOM_NOT_FOUND");
    });
  }

  test("createRoom at every bound (ID, name, delay, key, value, count, total size exactly at their limits) succeeds [CREATE-VALID-1, CREATE-VALID-2, CREATE-VALID-3, CREATE-VALID-4, CREATE-VALID-5, CREATE-VALID-7, CREATE-VALID-8, LIMIT-EXACT-1]", async (t) => {
    const { ls } = t;
    const L = t.limits;
    // One creator per room, so max_rooms_per_user never interferes.
    await loginAll(ls, "alice", "bob", "carol", "dave");
    const id = ls.world.idOfLength("r", L.maxRoomIdBytes);
    const atBounds = await ls.request("alice", createArgsRequest(ls, { roomId: id, name: bytesOf(L.maxRoomNameBytes), delay: L.maxRoomDestroyDelaySeconds }, "createRoom"));
    expect(codeOf(atBounds)).toBe("OK");
    const kv = await ls.request("bob", createArgsRequest(ls, { roomId: ls.room("kv"), attrs: { [bytesOf(L.maxRoomAttributeKeyBytes, "k")]: bytesOf(L.maxRoomAttributeValueBytes) } }, "createRoom"));
    expect(codeOf(kv)).toBe("OK");
    const keyLen = Math.min(L.maxRoomAttributeKeyBytes, 3);
    const keys = distinctKeys(L.maxRoomAttributes, keyLen);
    if (keys && keys.length * keyLen <= L.maxRoomAttributesTotalBytes) {
      const count = await ls.request("carol", createArgsRequest(ls, { roomId: ls.room("count"), attrs: Object.fromEntries(keys.map((k) => [k, ""])) }, "createRoom"));
      expect(codeOf(count)).toBe("OK");
    }
    // Exactly max_room_attributes_total_bytes: 1-byte keys, values filling the rest, when that fits the other bounds.
    const total = L.maxRoomAttributesTotalBytes;
    const n = Math.ceil(total / (1 + L.maxRoomAttributeValueBytes));
    const totalKeys = distinctKeys(n, 1);
    if (n <= L.maxRoomAttributes && totalKeys) {
      const attrs: Record<string, string> = {};
      let left = total;
      for (const k of totalKeys) {
        const v = Math.min(L.maxRoomAttributeValueBytes, left - 1);
        attrs[k] = bytesOf(v);
        left -= 1 + v;
      }
      expect(left).toBe(0);
      expect(codeOf(await ls.request("dave", createArgsRequest(ls, { roomId: ls.room("total"), attrs }, "createRoom")))).toBe("OK");
    }
  });

  // ---- createRoom state checks --------------------------------------------------

  interface StateCase {
    title: string;
    cite: string;
    /** Fills the caller's rooms to max_rooms_per_user first (skipped when the cap is too large). */
    atCap?: boolean;
    requires?: Feature[];
    /** Prepares the state; alice is the caller, bob and carol are around. */
    setup(ls: Lockstep, R: Requests): Promise<void>;
    request(ls: Lockstep, R: Requests): RequestInput;
    code: ErrorCode;
    field?: string;
  }

  const bobOwnsR1 = async (ls: Lockstep, R: Requests) => {
    await ls.request("bob", R.create("r1"));
  };
  const pendingR1 = async (ls: Lockstep, R: Requests) => {
    // max delay: pending for hours, whatever other files do with the shared test clock.
    await ls.request("bob", R.create("r1", { delay: ls.limits.maxRoomDestroyDelaySeconds }));
    await ls.request("bob", R.leave("r1"));
  };
  const destroyedR1 = async (ls: Lockstep, R: Requests) => {
    await ls.request("bob", R.create("r1", { delay: 0 }));
    await ls.request("bob", R.leave("r1"));
  };
  const aliceInR1 = async (ls: Lockstep, R: Requests) => {
    await ls.request("bob", R.create("r1"));
    await ls.request("alice", R.join("r1"));
  };
  const nothing = async () => {};

  const STATE_CASES: { op: string; cases: StateCase[] }[] = [
    {
      op: "createRoom",
      cases: [
        { title: "a room another user created → ROOM_ALREADY_EXISTS", cite: "[CREATE-CHECK-1]", setup: bobOwnsR1, request: (_ls, R) => R.create("r1"), code: ErrorCode.ROOM_ALREADY_EXISTS },
        {
          title: "a room the caller is a member of → ROOM_ALREADY_EXISTS (not ALREADY_IN_ROOM)",
          cite: "[CREATE-CHECK-1]",
          setup: aliceInR1,
          request: (_ls, R) => R.create("r1"),
          code: ErrorCode.ROOM_ALREADY_EXISTS,
        },
        { title: "a destroy-pending room → ROOM_ALREADY_EXISTS", cite: "[CREATE-CHECK-1]", setup: pendingR1, request: (_ls, R) => R.create("r1"), code: ErrorCode.ROOM_ALREADY_EXISTS },
        {
          title: "an existing room while the caller is at its room cap → ROOM_ALREADY_EXISTS wins over USER_ROOM_LIMIT",
          cite: "[CREATE-CHECK-1, CREATE-CHECK-2]",
          atCap: true,
          setup: bobOwnsR1,
          request: (_ls, R) => R.create("r1"),
          code: ErrorCode.ROOM_ALREADY_EXISTS,
        },
        {
          title: "a too-long name for an existing room → INVALID_ARGUMENT wins over ROOM_ALREADY_EXISTS",
          cite: "[CREATE-VALID-2, CREATE-CHECK-1]",
          setup: bobOwnsR1,
          request: (ls, R) => R.create("r1", { name: bytesOf(ls.limits.maxRoomNameBytes + 1) }),
          code: ErrorCode.INVALID_ARGUMENT,
          field: "room_info.room_name",
        },
        {
          title: "a too-long attribute key while at the room cap → ROOM_ATTRIBUTE_KEY_TOO_LONG wins over USER_ROOM_LIMIT",
          cite: "[CREATE-VALID-4, CREATE-CHECK-2]",
          atCap: true,
          setup: nothing,
          request: (ls, R) => R.create("r1", { attrs: { [bytesOf(ls.limits.maxRoomAttributeKeyBytes + 1, "k")]: "v" } }),
          code: ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG,
        },
      ],
    },
    {
      op: "joinRoom",
      cases: [
        { title: "a room that never existed → ROOM_NOT_FOUND", cite: "[JOIN-CHECK-1]", setup: nothing, request: (_ls, R) => R.join("r1"), code: ErrorCode.ROOM_NOT_FOUND },
        { title: "a room destroyed when its last member left (delay 0) → ROOM_NOT_FOUND", cite: "[JOIN-CHECK-1]", setup: destroyedR1, request: (_ls, R) => R.join("r1"), code: ErrorCode.ROOM_NOT_FOUND },
        {
          title: "an absent room while at the room cap → ROOM_NOT_FOUND wins over USER_ROOM_LIMIT",
          cite: "[JOIN-CHECK-1, JOIN-CHECK-3]",
          atCap: true,
          setup: nothing,
          request: (_ls, R) => R.join("r1"),
          code: ErrorCode.ROOM_NOT_FOUND,
        },
        { title: "a room the caller is in → ALREADY_IN_ROOM", cite: "[JOIN-CHECK-2]", setup: aliceInR1, request: (_ls, R) => R.join("r1"), code: ErrorCode.ALREADY_IN_ROOM },
        {
          title: "the caller's own new room → ALREADY_IN_ROOM",
          cite: "[JOIN-CHECK-2]",
          setup: async (ls, R) => void (await ls.request("alice", R.create("r1"))),
          request: (_ls, R) => R.join("r1"),
          code: ErrorCode.ALREADY_IN_ROOM,
        },
        {
          title: "a room the caller is in while at the room cap → ALREADY_IN_ROOM wins over USER_ROOM_LIMIT",
          cite: "[JOIN-CHECK-2, JOIN-CHECK-3]",
          atCap: true,
          setup: nothing,
          request: (_ls, R) => R.join("alice-f0"),
          code: ErrorCode.ALREADY_IN_ROOM,
        },
        {
          title: "an invalid room ID and a history_count over max_history_count → the room ID wins",
          cite: "[JOIN-VALID-1, JOIN-VALID-3]",
          requires: [Feature.MESSAGE_HISTORY],
          setup: nothing,
          request: (ls, R) => R.join({ raw: "" }, ls.limits.maxHistoryCount + 1),
          code: ErrorCode.INVALID_ARGUMENT,
          field: "room_id",
        },
        {
          title: "a history_count over max_history_count for an absent room → INVALID_ARGUMENT wins over ROOM_NOT_FOUND",
          cite: "[JOIN-VALID-3, JOIN-CHECK-1]",
          requires: [Feature.MESSAGE_HISTORY],
          setup: nothing,
          request: (ls, R) => R.join("r1", ls.limits.maxHistoryCount + 1),
          code: ErrorCode.INVALID_ARGUMENT,
          field: "history_count",
        },
        {
          title: "a history_count over max_history_count for a room the caller is in → INVALID_ARGUMENT wins over ALREADY_IN_ROOM",
          cite: "[JOIN-VALID-3, JOIN-CHECK-2]",
          requires: [Feature.MESSAGE_HISTORY],
          setup: aliceInR1,
          request: (ls, R) => R.join("r1", ls.limits.maxHistoryCount + 1),
          code: ErrorCode.INVALID_ARGUMENT,
          field: "history_count",
        },
      ],
    },
    {
      op: "enterRoom",
      cases: [
        { title: "a room the caller is in → ALREADY_IN_ROOM, no event", cite: "[ENTER-EXISTING-2]", setup: aliceInR1, request: (_ls, R) => R.enter("r1"), code: ErrorCode.ALREADY_IN_ROOM },
        {
          title: "a room the caller is in, with another name and config → still ALREADY_IN_ROOM",
          cite: "[ENTER-EXISTING-2]",
          setup: aliceInR1,
          request: (_ls, R) => R.enter("r1", { name: "other", attrs: { x: "1" } }),
          code: ErrorCode.ALREADY_IN_ROOM,
        },
        {
          title: "a room the caller is in while at the room cap → ALREADY_IN_ROOM wins over USER_ROOM_LIMIT",
          cite: "[ENTER-EXISTING-2, ENTER-EQUIV-1]",
          atCap: true,
          setup: nothing,
          request: (_ls, R) => R.enter("alice-f0"),
          code: ErrorCode.ALREADY_IN_ROOM,
        },
        { title: "an absent room while at the room cap → USER_ROOM_LIMIT", cite: "[ENTER-EQUIV-1]", atCap: true, setup: nothing, request: (_ls, R) => R.enter("r1"), code: ErrorCode.USER_ROOM_LIMIT },
        { title: "an existing room while at the room cap → USER_ROOM_LIMIT", cite: "[ENTER-EQUIV-1]", atCap: true, setup: bobOwnsR1, request: (_ls, R) => R.enter("r1"), code: ErrorCode.USER_ROOM_LIMIT },
        {
          title: "a too-long name for a room the caller is in → INVALID_ARGUMENT wins over ALREADY_IN_ROOM",
          cite: "[ENTER-VALID-2, ENTER-VALID-4]",
          setup: aliceInR1,
          request: (ls, R) => R.enter("r1", { name: bytesOf(ls.limits.maxRoomNameBytes + 1) }),
          code: ErrorCode.INVALID_ARGUMENT,
          field: "room_info.room_name",
        },
      ],
    },
    {
      op: "leaveRoom",
      cases: [
        { title: "a room that never existed → ROOM_NOT_FOUND", cite: "[LEAVE-CHECK-1]", setup: nothing, request: (_ls, R) => R.leave("r1"), code: ErrorCode.ROOM_NOT_FOUND },
        { title: "a destroyed room → ROOM_NOT_FOUND", cite: "[LEAVE-CHECK-1]", setup: destroyedR1, request: (_ls, R) => R.leave("r1"), code: ErrorCode.ROOM_NOT_FOUND },
        { title: "a room the caller is not in → NOT_IN_ROOM", cite: "[LEAVE-CHECK-2]", setup: bobOwnsR1, request: (_ls, R) => R.leave("r1"), code: ErrorCode.NOT_IN_ROOM },
        { title: "a destroy-pending room (exists, no member) → NOT_IN_ROOM", cite: "[LEAVE-CHECK-2]", setup: pendingR1, request: (_ls, R) => R.leave("r1"), code: ErrorCode.NOT_IN_ROOM },
        {
          title: "a room the caller already left → NOT_IN_ROOM",
          cite: "[LEAVE-CHECK-2]",
          setup: async (ls, R) => {
            await aliceInR1(ls, R);
            await ls.request("alice", R.leave("r1"));
          },
          request: (_ls, R) => R.leave("r1"),
          code: ErrorCode.NOT_IN_ROOM,
        },
      ],
    },
  ];

  for (const { op, cases } of STATE_CASES) {
    for (const c of cases) {
      test(
        `${op} check order: ${c.title} ${c.cite}`,
        async (t) => {
          const { ls } = t;
          const R = requests(ls);
          await loginAll(ls, "alice", "bob", "carol");
          if (c.atCap) await fillRooms(ls, R, "alice", reachableCap(t), "create");
          await c.setup(ls, R);
          // carol watches r1 when it exists, so any stray event would show.
          if (ls.state.rooms.get(ls.room("r1"))?.members.length) {
            if (!ls.state.rooms.get(ls.room("r1"))!.members.some((m) => m.userId === ls.user("carol"))) await ls.request("carol", R.join("r1"));
          }
          const reply = await ls.request("alice", c.request(ls, R));
          expect(codeOf(reply)).toBe(ErrorCode[c.code]);
          if (c.field !== undefined) expect(fieldOf(reply)).toBe(c.field);
          expectSilence(ls, ["alice", "bob", "carol"]);
        },
        c.requires ? { requires: c.requires } : {},
      );
    }
  }

  test("createRoom when max_rooms_per_server rooms exist → SERVER_ROOM_LIMIT, checked after ROOM_ALREADY_EXISTS and USER_ROOM_LIMIT, with no side effect [CREATE-CHECK-3, CREATE-CHECK-1, CREATE-CHECK-2, ENTER-EQUIV-1]", async (t) => {
    // Other tests share the server, so its room count is only known to be at
    // least ours: fill until the server refuses, and judge that refusal. This
    // needs a server with a small max_rooms_per_server, not shared with suites
    // that create rooms at the same time.
    const max = t.limits.maxRoomsPerServer;
    if (max === 0) t.skip("max_rooms_per_server is 0 (no server-wide room limit)");
    if (max > CHEAP_SERVER_ROOMS) t.skip(`max_rooms_per_server is ${max}: filling the server is too slow (limit ${CHEAP_SERVER_ROOMS}); run against a server started with a small limit`);
    const cap = reachableCap(t);
    const { world } = t;
    const sessions = [];
    let refused: Reply | undefined;
    let refusedRoom = "";
    let filler = 0;
    const firstRoom = world.roomId("srv0");
    outer: for (let u = 0; ; u++) {
      const s = await world.session(`filler${u}`);
      sessions.push(s);
      for (let i = 0; i < cap; i++) {
        const roomId = world.roomId(`srv${filler}`);
        const reply = await s.send({ case: "createRoom", value: { roomInfo: { roomId, roomName: "" } } });
        if (reply.result.case === "error") {
          refused = reply;
          refusedRoom = roomId;
          break outer;
        }
        filler++;
        if (filler > max) break outer;
      }
    }
    expect(refused, `the server accepted ${filler} creates with max_rooms_per_server ${max}`).toBeDefined();
    expect(codeOf(refused!)).toBe("SERVER_ROOM_LIMIT");
    // Precedence while the server is full: an existing room → ROOM_ALREADY_EXISTS.
    const fresh = await world.session("fresh");
    expect(codeOf(await fresh.send({ case: "createRoom", value: { roomInfo: { roomId: firstRoom, roomName: "" } } }))).toBe("ROOM_ALREADY_EXISTS");
    // enterRoom of an absent room ≡ createRoom → SERVER_ROOM_LIMIT.
    expect(codeOf(await fresh.send({ case: "enterRoom", value: { roomInfo: { roomId: world.roomId("srv-enter"), roomName: "" } } }))).toBe("SERVER_ROOM_LIMIT");
    // A user at its cap → USER_ROOM_LIMIT, checked before SERVER_ROOM_LIMIT.
    if (sessions.length > 1) {
      const full = sessions[0]!;
      expect(codeOf(await full.send({ case: "createRoom", value: { roomInfo: { roomId: world.roomId("srv-cap"), roomName: "" } } }))).toBe("USER_ROOM_LIMIT");
    }
    // No side effect: the refused room does not exist.
    expect(codeOf(await fresh.send({ case: "joinRoom", value: { roomId: refusedRoom } }))).toBe("ROOM_NOT_FOUND");
    // Free the server for everyone else (delay 0: destroyed at once).
    for (const s of sessions) await s.send({ case: "leaveAllRooms", value: {} });
  }, { target: "constrained" });

  // ---- The per-user room cap ----------------------------------------------------

  const CAP_CASES: { op: string; fill: FillVia; cite: string; existing: boolean; request: (R: Requests) => RequestInput; succeeded: (ls: Lockstep, r: Reply) => void }[] = [
    { op: "createRoom", fill: "create", cite: "[CREATE-CHECK-2, ERROR-NOEFFECT-1]", existing: false, request: (R) => R.create("x"), succeeded: (_ls, r) => void ok(r, "createRoom") },
    { op: "joinRoom", fill: "join", cite: "[JOIN-CHECK-3, ERROR-NOEFFECT-1]", existing: true, request: (R) => R.join("x"), succeeded: (_ls, r) => void ok(r, "joinRoom") },
    {
      op: "enterRoom of a new room",
      fill: "enter",
      cite: "[ENTER-EQUIV-1, CREATE-CHECK-2, ERROR-NOEFFECT-1]",
      existing: false,
      request: (R) => R.enter("x"),
      succeeded: (_ls, r) => expect(ok(r, "enterRoom").created).toBe(true),
    },
    {
      op: "enterRoom of an existing room",
      fill: "enter",
      cite: "[ENTER-EQUIV-1, JOIN-CHECK-3, ERROR-NOEFFECT-1]",
      existing: true,
      request: (R) => R.enter("x"),
      succeeded: (_ls, r) => expect(ok(r, "enterRoom").created).toBe(false),
    },
  ];

  for (const c of CAP_CASES) {
    test(`per-user room cap: the (max_rooms_per_user+1)-th ${c.op} is refused with USER_ROOM_LIMIT and has no side effect at all; leaving one room frees a place ${c.cite}`, async (t) => {
      const { ls } = t;
      const R = requests(ls);
      const cap = reachableCap(t);
      await loginAll(ls, "alice", "bob", "carol", "dave");
      const rooms = await fillRooms(ls, R, "alice", cap, c.fill);
      // bob shares alice's first room, so an event caused there would reach him.
      await ls.request("bob", R.join(rooms[0]!));
      if (c.existing) await ls.request("carol", R.create("x"));

      const refused = await ls.request("alice", c.request(R));
      expect(codeOf(refused)).toBe("USER_ROOM_LIMIT");
      expectSilence(ls);
      if (c.existing) {
        // Not joined: x still has only carol, and its room_seq did not move (dave's join is #1).
        expect(memberIds(ls, await ls.request("carol", R.memberList("x")))).toEqual(["carol"]);
        expect(ok(await ls.request("dave", R.join("x")), "joinRoom").room?.roomSeq).toBe(1n);
      } else {
        // Not created: another user cannot join it.
        expect(codeOf(await ls.request("dave", R.join("x")))).toBe("ROOM_NOT_FOUND");
      }
      // alice is still in exactly her cap rooms, in join order.
      const left = ok(await ls.request("alice", R.leave(rooms[0]!)), "leaveRoom");
      expect(ls.u(left.roomId)).toBe(rooms[0]);
      const again = await ls.request("alice", c.request(R));
      c.succeeded(ls, again);
      expect(ok(await ls.request("alice", R.leaveAll()), "leaveAllRooms").roomIds.map(ls.u)).toEqual([...rooms.slice(1), "x"]);
    });
  }

  // ---- joinRoom -----------------------------------------------------------------

  test("joinRoom: each other member gets MemberJoined{room, new seq, [caller id and name]}; the caller gets CONNECTING(ACTIVE_JOIN), CONNECTED(SUCCESS) and no MemberJoined of its own [JOIN-EVENT-1, JOIN-EVENT-2, JOIN-EVENT-4]", async ({ ls }) => {
    const R = requests(ls);
    await ls.login("alice");
    await ls.login("bob", { userName: "Bob B." });
    await ls.login("carol", { userName: "" });
    await ls.request("alice", R.create("r1"));
    await ls.request("bob", R.join("r1"));
    expect(seen(ls, "bob")).toEqual(["roomStateChanged r1 CONNECTING ACTIVE_JOIN", "roomStateChanged r1 CONNECTED SUCCESS"]);
    const aliceGot = ls.events("alice");
    expect(seen(ls, "alice")).toEqual(["roomMemberJoined r1 #1 [bob]"]);
    const joinedBob = aliceGot[0]?.event.case === "roomMemberJoined" ? aliceGot[0].event.value.members : [];
    expect(joinedBob.map((m) => [ls.u(m.userId), m.userName])).toEqual([["bob", "Bob B."]]);
    await ls.request("carol", R.join("r1"));
    expect(seen(ls, "alice")).toEqual(["roomMemberJoined r1 #2 [carol]"]);
    expect(seen(ls, "bob")).toEqual(["roomMemberJoined r1 #2 [carol]"]);
    expect(seen(ls, "carol")).toEqual(["roomStateChanged r1 CONNECTING ACTIVE_JOIN", "roomStateChanged r1 CONNECTED SUCCESS"]);
  });

  test("joinRoom effects: the caller is appended to the members and the room to its rooms; room_seq += 1 per join [JOIN-EFFECT-1]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob", "carol");
    await ls.request("carol", R.create("first"));
    await ls.request("alice", R.create("r1"));
    await ls.request("carol", R.join("r1"));
    await ls.request("bob", R.join("r1"));
    expect(memberIds(ls, await ls.request("alice", R.memberList("r1")))).toEqual(["alice", "carol", "bob"]);
    await ls.request("alice", R.leave("r1"));
    const rejoined = ok(await ls.request("alice", R.join("r1")), "joinRoom");
    expect(rejoined.room?.roomSeq).toBe(4n);
    expect(memberIds(ls, await ls.request("alice", R.memberList("r1")))).toEqual(["carol", "bob", "alice"]);
    expect(ok(await ls.request("carol", R.leaveAll()), "leaveAllRooms").roomIds.map(ls.u)).toEqual(["first", "r1"]);
  });

  test("joinRoom of a room with attributes: the caller next gets the snapshot with the new room_seq; without attributes none [JOIN-EVENT-3]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob", "carol");
    await ls.request("alice", R.create("r1"));
    await ls.request("bob", R.join("r1"));
    expect(seen(ls, "bob")).toEqual(["roomStateChanged r1 CONNECTING ACTIVE_JOIN", "roomStateChanged r1 CONNECTED SUCCESS"]);
    await ls.request("alice", R.setAttrs("r1", { k: "v", a: "1" }));
    await ls.request("carol", R.join("r1"));
    expect(seen(ls, "carol")).toEqual(["roomStateChanged r1 CONNECTING ACTIVE_JOIN", "roomStateChanged r1 CONNECTED SUCCESS", 'attrs r1 #3 SET {a=1, k=v} by ""']);
  });

  test("joinRoom reply: room ID, the creator's name, room_seq after the join and the destroy delay [JOIN-REPLY-1]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob", "carol");
    const delay = ls.limits.maxRoomDestroyDelaySeconds;
    await ls.request("alice", R.create("r1", { name: "Creator's name", delay }));
    await ls.request("alice", R.send("r1", "hello"));
    const room = ok(await ls.request("bob", R.join("r1")), "joinRoom").room;
    expect([ls.u(room?.baseInfo?.roomId ?? ""), room?.baseInfo?.roomName, room?.roomSeq, room?.roomDestroyDelaySeconds]).toEqual(["r1", "Creator's name", 2n, delay]);
    expect(ok(await ls.request("carol", R.join("r1")), "joinRoom").room?.roomSeq).toBe(3n);
  });

  test("joinRoom history: the last min(history_count, kept) messages, oldest first, as delivered; empty for history_count 0 [JOIN-REPLY-2]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob", "carol", "dave");
    await ls.request("alice", R.create("r1"));
    const sent = [];
    for (const text of ["m1", "m2", "m3"]) sent.push(ok(await ls.request("alice", R.send("r1", text)), "sendRoomMessage").message!);
    const text = (ms: { payload: Uint8Array }[]) => ms.map((m) => new TextDecoder().decode(m.payload));
    const two = ok(await ls.request("bob", R.join("r1", 2)), "joinRoom").history;
    expect(text(two)).toEqual(["m2", "m3"]);
    expect(two.map((m) => m.messageId)).toEqual(sent.slice(1).map((m) => m.messageId));
    expect(two.map((m) => m.roomSeq)).toEqual([2n, 3n]);
    expect(ok(await ls.request("carol", R.join("r1", 0)), "joinRoom").history).toEqual([]);
    const all = ok(await ls.request("dave", R.join("r1", ls.limits.maxHistoryCount)), "joinRoom").history;
    expect(text(all)).toEqual(["m1", "m2", "m3"].slice(-ls.limits.maxHistoryCount));
  }, { requires: [Feature.MESSAGE_HISTORY] });

  test("joinRoom history_count 0 is allowed and empty whether or not history is advertised [JOIN-REPLY-2]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    await ls.request("alice", R.create("r1"));
    await ls.request("alice", R.send("r1", "m1"));
    expect(ok(await ls.request("bob", R.join("r1", 0)), "joinRoom").history).toEqual([]);
  });

  test("joinRoom history_count > 0 on a server without FEATURE_MESSAGE_HISTORY → FEATURE_NOT_SUPPORTED, whether the room exists or not, after the room ID check [JOIN-VALID-2, JOIN-VALID-1]", async (t) => {
    const { ls } = t;
    if (t.serverInfo.features.includes(Feature.MESSAGE_HISTORY)) t.skip("the server advertises FEATURE_MESSAGE_HISTORY: history_count > 0 is allowed");
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    await ls.request("bob", R.create("r1"));
    for (const historyCount of [1, 2]) {
      expect(codeOf(await ls.request("alice", R.join("r1", historyCount)))).toBe("FEATURE_NOT_SUPPORTED");
      expect(codeOf(await ls.request("alice", R.join("absent", historyCount)))).toBe("FEATURE_NOT_SUPPORTED");
      const bad = await ls.request("alice", R.join({ raw: "" }, historyCount));
      expect([codeOf(bad), fieldOf(bad)]).toEqual(["INVALID_ARGUMENT", "room_id"]);
      expectSilence(ls);
    }
  }, { target: "constrained" });

  test("joinRoom history_count one over max_history_count → INVALID_ARGUMENT(history_count); exactly max is accepted [JOIN-VALID-3]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    await ls.request("bob", R.create("r1"));
    const over = await ls.request("alice", R.join("r1", ls.limits.maxHistoryCount + 1));
    expect([codeOf(over), fieldOf(over)]).toEqual(["INVALID_ARGUMENT", "history_count"]);
    expectSilence(ls, ["alice", "bob"]);
    expect(codeOf(await ls.request("alice", R.join("r1", ls.limits.maxHistoryCount)))).toBe("OK");
  }, { requires: [Feature.MESSAGE_HISTORY] });

  test("joinRoom / leaveRoom with an invalid room ID → INVALID_ARGUMENT(room_id), whatever the state [JOIN-VALID-1, LEAVE-VALID-1]", async (t) => {
    const { ls } = t;
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    await ls.request("bob", R.create("r1"));
    for (const bad of badRoomIds(ls, t.limits)) {
      for (const req of [R.join({ raw: bad.id }), R.leave({ raw: bad.id })]) {
        const reply = await ls.request("alice", req);
        expect([bad.title, req.case, codeOf(reply), fieldOf(reply)]).toEqual([bad.title, req.case, "INVALID_ARGUMENT", "room_id"]);
        expectSilence(ls, ["alice", "bob"]);
      }
    }
    // The longest valid ID is accepted (and simply absent).
    expect(codeOf(await ls.request("alice", R.join({ raw: ls.world.idOfLength("r", t.limits.maxRoomIdBytes) })))).toBe("ROOM_NOT_FOUND");
  });

  test("joinRoom when the room has max_members_per_room members → ROOM_FULL, after ALREADY_IN_ROOM and USER_ROOM_LIMIT; no side effect [JOIN-CHECK-4, JOIN-CHECK-3, JOIN-CHECK-2, ENTER-EQUIV-1]", async (t) => {
    const { ls } = t;
    const R = requests(ls);
    const max = t.limits.maxMembersPerRoom;
    if (max === 0) t.skip("max_members_per_room is 0 (no per-room member limit)");
    if (max > CHEAP_ROOM_MEMBERS) t.skip(`max_members_per_room is ${max}: filling a room is too slow (limit ${CHEAP_ROOM_MEMBERS}); run against a server started with a small limit`);
    const members = Array.from({ length: max }, (_, i) => `m${i}`);
    await loginAll(ls, ...members, "alice");
    await ls.request("m0", R.create("r1"));
    for (const m of members.slice(1)) await ls.request(m, R.join("r1"));
    const full = await ls.request("alice", R.join("r1"));
    expect(codeOf(full)).toBe("ROOM_FULL");
    expectSilence(ls, [...members, "alice"]);
    expect(codeOf(await ls.request("alice", R.enter("r1")))).toBe("ROOM_FULL");
    // A member of the full room: ALREADY_IN_ROOM comes first.
    expect(codeOf(await ls.request("m1", R.join("r1")))).toBe("ALREADY_IN_ROOM");
    // At the user cap too: USER_ROOM_LIMIT comes first.
    const cap = t.limits.maxRoomsPerUser;
    if (cap <= CHEAP_USER_CAP) {
      await fillRooms(ls, R, "alice", cap, "create");
      expect(codeOf(await ls.request("alice", R.join("r1")))).toBe("USER_ROOM_LIMIT");
      await ls.request("alice", R.leave("alice-f0"));
    }
    expect(memberIds(ls, await ls.request("m0", R.memberList("r1")))).toEqual(members);
    // One leaves: a place is free.
    await ls.request("m1", R.leave("r1"));
    expect(codeOf(await ls.request("alice", R.join("r1")))).toBe("OK");
  }, { target: "constrained" });

  // ---- enterRoom ----------------------------------------------------------------

  for (const c of CREATE_ARG_CASES) {
    // An invalid room ID names no existing room: those cases run on an absent one only.
    const places = c.cite.includes("CREATE-VALID-1") ? [false] : [false, true];
    for (const existing of places) {
      const where = existing ? "an existing room" : "an absent room";
      test(`enterRoom validation on ${where}: ${c.title} → ${ErrorCode[c.code]}${c.field ? `(${c.field})` : ""}, no event ${existing ? cite(c.enterCite, "[ENTER-VALID-4]") : c.enterCite}`, async (t) => {
        const { ls } = t;
        const R = requests(ls);
        await loginAll(ls, "alice", "bob");
        const args = c.args(ls, t.limits);
        if (typeof args === "string") return t.skip(args);
        if (existing) await ls.request("bob", R.create("r1"));
        const reply = await ls.request("alice", createArgsRequest(ls, args, "enterRoom"));
        expect(codeOf(reply)).toBe(ErrorCode[c.code]);
        if (c.field !== undefined) expect(fieldOf(reply)).toBe(c.field);
        expectSilence(ls);
        if (existing) expect(memberIds(ls, await ls.request("bob", R.memberList("r1")))).toEqual(["bob"]);
        else if (args.roomId === undefined && !args.noInfo) expect(codeOf(await ls.request("bob", R.join("r1")))).toBe("ROOM_NOT_FOUND");
      });
    }
  }

  const ENTER_HISTORY_CASES: { title: string; cite: string; history: boolean; args: (L: Limits) => { a: CreateArgs; history: number }; code: string; field?: string }[] = [
    {
      title: "history_count one over max_history_count → INVALID_ARGUMENT(history_count)",
      cite: "[ENTER-VALID-3]",
      history: true,
      args: (L) => ({ a: {}, history: L.maxHistoryCount + 1 }),
      code: "INVALID_ARGUMENT",
      field: "history_count",
    },
    {
      title: "a too-long name and a too-long history_count → the name wins",
      cite: "[ENTER-VALID-2, ENTER-VALID-3]",
      history: true,
      args: (L) => ({ a: { name: bytesOf(L.maxRoomNameBytes + 1) }, history: L.maxHistoryCount + 1 }),
      code: "INVALID_ARGUMENT",
      field: "room_info.room_name",
    },
    {
      title: "a too-long attribute key and a too-long history_count → the key wins",
      cite: "[ENTER-VALID-2, ENTER-VALID-3]",
      history: true,
      args: (L) => ({ a: { attrs: { [bytesOf(L.maxRoomAttributeKeyBytes + 1, "k")]: "" } }, history: L.maxHistoryCount + 1 }),
      code: "ROOM_ATTRIBUTE_KEY_TOO_LONG",
    },
    {
      title: "an invalid room ID and a too-long history_count → the room ID wins",
      cite: "[ENTER-VALID-1, ENTER-VALID-3]",
      history: true,
      args: (L) => ({ a: { roomId: "" }, history: L.maxHistoryCount + 1 }),
      code: "INVALID_ARGUMENT",
      field: "room_info.room_id",
    },
    {
      title: "history_count 1 without FEATURE_MESSAGE_HISTORY → FEATURE_NOT_SUPPORTED",
      cite: "[ENTER-VALID-3, JOIN-VALID-2]",
      history: false,
      args: () => ({ a: {}, history: 1 }),
      code: "FEATURE_NOT_SUPPORTED",
    },
    {
      title: "a too-long delay and history_count 1 without FEATURE_MESSAGE_HISTORY → the delay wins",
      cite: "[ENTER-VALID-2, ENTER-VALID-3]",
      history: false,
      args: (L) => ({ a: { delay: L.maxRoomDestroyDelaySeconds + 1 }, history: 1 }),
      code: "INVALID_ARGUMENT",
      field: "config.room_destroy_delay_seconds",
    },
  ];

  for (const c of ENTER_HISTORY_CASES) {
    for (const existing of c.cite.includes("ENTER-VALID-1") ? [false] : [false, true]) {
      test(
        `enterRoom validation on ${existing ? "an existing" : "an absent"} room: ${c.title} ${cite(c.cite, "[ENTER-VALID-4]")}`,
        async (t) => {
          const { ls } = t;
          if (!c.history && t.serverInfo.features.includes(Feature.MESSAGE_HISTORY)) t.skip("the server advertises FEATURE_MESSAGE_HISTORY");
          const R = requests(ls);
          await loginAll(ls, "alice", "bob");
          const { a, history } = c.args(t.limits);
          if (existing) await ls.request("bob", R.create("r1"));
          const reply = await ls.request("alice", createArgsRequest(ls, a, "enterRoom", history));
          expect(codeOf(reply)).toBe(c.code);
          if (c.field !== undefined) expect(fieldOf(reply)).toBe(c.field);
          expectSilence(ls, ["alice", "bob"]);
        },
        c.history ? { requires: [Feature.MESSAGE_HISTORY] } : { target: "constrained" },
      );
    }
  }

  test("enterRoom of a new room: CONNECTING(ACTIVE_ENTER), CONNECTED, [snapshot]; created=true, room_seq 0, empty history [ENTER-REASON-1, ENTER-CREATED-1, ENTER-EQUIV-4, ENTER-EQUIV-5, ENTER-EQUIV-6]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    const delay = ls.limits.maxRoomDestroyDelaySeconds;
    const history = ls.limits.maxHistoryCount;
    const reply = ok(await ls.request("alice", R.enter("r1", { name: "New", delay, attrs: { a: "1" }, history })), "enterRoom");
    expect(seen(ls, "alice")).toEqual(["roomStateChanged r1 CONNECTING ACTIVE_ENTER", "roomStateChanged r1 CONNECTED SUCCESS", 'attrs r1 #0 SET {a=1} by ""']);
    expectSilence(ls, ["bob"]);
    expect(reply.created).toBe(true);
    expect([reply.room?.baseInfo?.roomName, reply.room?.roomSeq, reply.room?.roomDestroyDelaySeconds]).toEqual(["New", 0n, delay]);
    expect(reply.history).toEqual([]);
  });

  test("enterRoom of an existing room: CONNECTING(ACTIVE_ENTER), CONNECTED, [snapshot]; others get MemberJoined; created=false; history as joinRoom's [ENTER-REASON-1, ENTER-CREATED-1, ENTER-EQUIV-3, ENTER-EQUIV-4, ENTER-EQUIV-5, ENTER-EQUIV-6]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob", "carol");
    await ls.request("alice", R.create("r1", { attrs: { a: "1" } }));
    await ls.request("alice", R.send("r1", "m1"));
    await ls.request("alice", R.send("r1", "m2"));
    const history = Math.min(1, ls.limits.maxHistoryCount);
    const reply = ok(await ls.request("bob", R.enter("r1", { history })), "enterRoom");
    expect(seen(ls, "bob")).toEqual(["roomStateChanged r1 CONNECTING ACTIVE_ENTER", "roomStateChanged r1 CONNECTED SUCCESS", 'attrs r1 #3 SET {a=1} by ""']);
    expect(seen(ls, "alice")).toEqual(["roomMemberJoined r1 #3 [bob]"]);
    expect(reply.created).toBe(false);
    expect(reply.room?.roomSeq).toBe(3n);
    // carol joins the same way: her reply's history matches bob's (same last message).
    const joined = ok(await ls.request("carol", R.join("r1", history)), "joinRoom");
    expect(reply.history.map((m) => m.messageId)).toEqual(joined.history.map((m) => m.messageId));
  });

  test("enterRoom of an existing room ignores the request's name and config: the room keeps its name, delay and attributes, and the reply reports them [ENTER-EXISTING-1]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    const delay = ls.limits.maxRoomDestroyDelaySeconds;
    await ls.request("alice", R.create("r1", { name: "Original", delay: 0, attrs: { a: "1" } }));
    const reply = ok(await ls.request("bob", R.enter("r1", { name: "Other", delay, attrs: { a: "2", b: "3" } })), "enterRoom");
    expect([reply.room?.baseInfo?.roomName, reply.room?.roomDestroyDelaySeconds]).toEqual(["Original", 0]);
    expect(seen(ls, "bob")[2]).toBe('attrs r1 #1 SET {a=1} by ""');
    expect(ok(await ls.request("bob", R.queryAttrs("r1")), "queryRoomAllAttributes").attributes).toEqual({ a: "1" });
    // The delay stayed 0: emptied, the room is destroyed at once.
    await ls.request("alice", R.leave("r1"));
    await ls.request("bob", R.leave("r1"));
    expect(codeOf(await ls.request("alice", R.join("r1")))).toBe("ROOM_NOT_FOUND");
  });

  test("two users enter the same new room one after the other: the first creates it (its name, created=true), the second joins it (its name and config ignored, created=false), and the first gets MemberJoined [ENTER-CREATED-1, ENTER-EXISTING-1, ENTER-REASON-1, JOIN-EVENT-1]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    const first = ok(await ls.request("alice", R.enter("r1", { name: "Alice's room", attrs: { topic: "a" } })), "enterRoom");
    expect([first.created, first.room?.baseInfo?.roomName, first.room?.roomSeq]).toEqual([true, "Alice's room", 0n]);
    expect(seen(ls, "alice")).toEqual(["roomStateChanged r1 CONNECTING ACTIVE_ENTER", "roomStateChanged r1 CONNECTED SUCCESS", 'attrs r1 #0 SET {topic=a} by ""']);
    const second = ok(
      await ls.request("bob", R.enter("r1", { name: "Bob's room", delay: ls.limits.maxRoomDestroyDelaySeconds, attrs: { topic: "b", extra: "x" } })),
      "enterRoom",
    );
    expect([second.created, second.room?.baseInfo?.roomName, second.room?.roomSeq, second.room?.roomDestroyDelaySeconds]).toEqual([false, "Alice's room", 1n, 0]);
    expect(seen(ls, "bob")).toEqual(["roomStateChanged r1 CONNECTING ACTIVE_ENTER", "roomStateChanged r1 CONNECTED SUCCESS", 'attrs r1 #1 SET {topic=a} by ""']);
    expect(seen(ls, "alice")).toEqual(["roomMemberJoined r1 #1 [bob]"]);
  });

  test("enterRoom ≡ createRoom + joinRoom: after any short prefix, enterRoom and the createRoom/joinRoom it stands for give the same error or room and history, the same events to everyone (only the caller's CONNECTING reason differs) and the same state [ENTER-EQUIV-1, ENTER-EQUIV-2, ENTER-EQUIV-3, ENTER-EQUIV-4, ENTER-EQUIV-5, ENTER-EQUIV-6, ENTER-REASON-1, ENTER-CREATED-1]", async (t) => {
    const runs = runsHere();
    await fc.assert(
      fc.asyncProperty(arbEquivalenceCase(t.limits, t.serverInfo.features.includes(Feature.MESSAGE_HISTORY)), async (c) => {
        await checkEquivalence(t, c);
      }),
      { numRuns: runs, ...(t.spec.seed !== undefined ? { seed: t.spec.seed } : {}), ...(t.spec.path !== undefined ? { path: t.spec.path } : {}) },
    );
  }, { timeoutMs: 60_000 + PROPERTY_RUN_MS * runsHere() });

  // ---- leaveRoom and the leave effects -------------------------------------------

  test("leaveRoom: the caller gets (r, DISCONNECTED, SUCCESS) and LeaveRoomResponse{room_id}; each remaining member gets MemberLeft{room, new seq, [leaver id and name]} [LEAVE-OK-1, LEAVE-EVENT-1, LEAVE-REPLY-1, LEAVE-EFFECT-2, LEAVE-EFFECT-8]", async ({ ls }) => {
    const R = requests(ls);
    await ls.login("alice", { userName: "Alice A." });
    await loginAll(ls, "bob", "carol");
    await ls.request("alice", R.create("r1"));
    await ls.request("bob", R.join("r1"));
    await ls.request("carol", R.join("r1"));
    const reply = ok(await ls.request("alice", R.leave("r1")), "leaveRoom");
    expect(ls.u(reply.roomId)).toBe("r1");
    expect(seen(ls, "alice")).toEqual(["roomStateChanged r1 DISCONNECTED SUCCESS"]);
    expect(seen(ls, "bob")).toEqual(["roomMemberLeft r1 #3 [alice]"]);
    expect(seen(ls, "carol")).toEqual(["roomMemberLeft r1 #3 [alice]"]);
    const left = ls.events("bob")[0]?.event;
    expect(left?.case === "roomMemberLeft" ? left.value.members.map((m) => m.userName) : []).toEqual(["Alice A."]);
  });

  test("leave effects: the leaver is removed from the members and the room from its rooms; a later join places it last [LEAVE-EFFECT-1, LEAVE-OK-1]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob", "carol");
    await ls.request("bob", R.create("r1"));
    await ls.request("alice", R.join("r1"));
    await ls.request("carol", R.join("r1"));
    await ls.request("alice", R.create("r2"));
    await ls.request("alice", R.leave("r1"));
    expect(memberIds(ls, await ls.request("bob", R.memberList("r1")))).toEqual(["bob", "carol"]);
    expect(codeOf(await ls.request("alice", R.memberList("r1")))).toBe("NOT_IN_ROOM");
    await ls.request("alice", R.join("r1"));
    expect(memberIds(ls, await ls.request("bob", R.memberList("r1")))).toEqual(["bob", "carol", "alice"]);
    expect(ok(await ls.request("alice", R.leaveAll()), "leaveAllRooms").roomIds.map(ls.u)).toEqual(["r2", "r1"]);
  });

  test("leave effects: after MemberLeft, the leaver's attributes flagged delete_after_owner_left are deleted in one DELETE event (values \"\", operator the leaver, seq += 1); the leaver gets neither event [LEAVE-EFFECT-4, LEAVE-EFFECT-8, LEAVE-EFFECT-2]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob", "carol");
    await ls.request("alice", R.create("r1"));
    await ls.request("bob", R.join("r1"));
    await ls.request("carol", R.join("r1"));
    await ls.request("alice", R.setAttrs("r1", { a: "1", b: "2" }, { deleteAfterOwnerLeft: true }));
    await ls.request("alice", R.setAttrs("r1", { c: "3" }));
    await ls.request("bob", R.setAttrs("r1", { d: "4" }, { deleteAfterOwnerLeft: true }));
    await ls.request("alice", R.leave("r1"));
    expect(seen(ls, "alice")).toEqual(["roomStateChanged r1 DISCONNECTED SUCCESS"]);
    for (const l of ["bob", "carol"]) expect(seen(ls, l)).toEqual(["roomMemberLeft r1 #6 [alice]", "attrs r1 #7 DELETE {a=, b=} by alice"]);
    expect(ok(await ls.request("bob", R.queryAttrs("r1")), "queryRoomAllAttributes").attributes).toEqual({ c: "3", d: "4" });
  });

  test("leave effects: attributes owned by the leaver without delete_after_owner_left stay, and the leaver remains their owner [LEAVE-EFFECT-5]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    await ls.request("alice", R.create("r1"));
    await ls.request("bob", R.join("r1"));
    await ls.request("alice", R.setAttrs("r1", { c: "3" }));
    await ls.request("alice", R.leave("r1"));
    expect(seen(ls, "bob")).toEqual(["roomMemberLeft r1 #3 [alice]"]);
    expect(ok(await ls.request("bob", R.queryAttrs("r1")), "queryRoomAllAttributes").attributes).toEqual({ c: "3" });
    const refused = ok(await ls.request("bob", R.setAttrs("r1", { c: "bob's" })), "setRoomAttributes").failedKeys;
    expect(refused.map((f) => [f.key, ErrorCode[f.code]])).toEqual([["c", "ROOM_ATTRIBUTE_NOT_OWNER"]]);
    await ls.request("alice", R.join("r1"));
    expect(ok(await ls.request("alice", R.setAttrs("r1", { c: "alice's" })), "setRoomAttributes").failedKeys).toEqual([]);
  });

  test("leave effects: the leaver's member attributes flagged delete_after_left vanish silently; its other member attributes are retained [LEAVE-EFFECT-6]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    await ls.request("alice", R.create("r1"));
    await ls.request("bob", R.join("r1"));
    await ls.request("alice", R.setMemberAttrs("r1", ["alice"], { x: "1" }, true));
    await ls.request("alice", R.setMemberAttrs("r1", ["alice"], { y: "2" }, false));
    await ls.request("alice", R.leave("r1"));
    expect(seen(ls, "bob")).toEqual(["roomMemberLeft r1 #4 [alice]"]);
    await ls.request("alice", R.join("r1"));
    const infos = ok(await ls.request("bob", R.queryMemberAttrs("r1", ["alice"])), "queryRoomMembersAttributes").infos;
    expect(infos.map((i) => [ls.u(i.userId), i.attributes])).toEqual([["alice", { y: "2" }]]);
  });

  test("leave effects: room_seq increments even with no member left to receive them, so a later joiner of the destroy-pending room sees them [LEAVE-EFFECT-3, LEAVE-EFFECT-7]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    await ls.request("alice", R.create("r1", { delay: ls.limits.maxRoomDestroyDelaySeconds }));
    await ls.request("alice", R.setAttrs("r1", { a: "1" }, { deleteAfterOwnerLeft: true }));
    await ls.request("alice", R.setAttrs("r1", { keep: "1" }));
    // seq 2; leaving: MemberLeft #3 and DELETE #4, both with no recipient.
    await ls.request("alice", R.leave("r1"));
    expect(seen(ls, "alice")).toEqual(["roomStateChanged r1 DISCONNECTED SUCCESS"]);
    const joined = ok(await ls.request("bob", R.join("r1")), "joinRoom");
    expect(joined.room?.roomSeq).toBe(5n);
    expect(seen(ls, "bob")).toEqual(["roomStateChanged r1 CONNECTING ACTIVE_JOIN", "roomStateChanged r1 CONNECTED SUCCESS", 'attrs r1 #5 SET {keep=1} by ""']);
  });

  test("leave effects: an emptied room with delay 0 is destroyed at once (join → ROOM_NOT_FOUND, create → a new room); with a delay it stays, destroy-pending [LEAVE-EFFECT-7]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    await ls.request("alice", R.create("zero", { delay: 0 }));
    await ls.request("alice", R.create("kept", { delay: ls.limits.maxRoomDestroyDelaySeconds }));
    await ls.request("alice", R.leave("zero"));
    await ls.request("alice", R.leave("kept"));
    expect(codeOf(await ls.request("bob", R.join("zero")))).toBe("ROOM_NOT_FOUND");
    expect(ok(await ls.request("bob", R.create("zero", { name: "again" })), "createRoom").room?.roomSeq).toBe(0n);
    expect(codeOf(await ls.request("alice", R.create("kept")))).toBe("ROOM_ALREADY_EXISTS");
    expect(ok(await ls.request("bob", R.join("kept")), "joinRoom").room?.roomSeq).toBe(2n);
  });

  // ---- leaveAllRooms ------------------------------------------------------------

  test("leaveAllRooms: room by room in the caller's join order, the leave effects then the caller's (r, DISCONNECTED, SUCCESS); room_ids in join order [LEAVEALL-1, LEAVEALL-2]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    // Join order r3, r1, r2 (not ID order); bob is in r3 and r1.
    await ls.request("bob", R.create("r3"));
    await ls.request("alice", R.join("r3"));
    await ls.request("alice", R.enter("r1"));
    await ls.request("bob", R.join("r1"));
    await ls.request("alice", R.create("r2"));
    await ls.request("alice", R.setAttrs("r3", { gone: "1" }, { deleteAfterOwnerLeft: true }));
    const reply = ok(await ls.request("alice", R.leaveAll()), "leaveAllRooms");
    expect(reply.roomIds.map(ls.u)).toEqual(["r3", "r1", "r2"]);
    expect(seen(ls, "alice")).toEqual(["roomStateChanged r3 DISCONNECTED SUCCESS", "roomStateChanged r1 DISCONNECTED SUCCESS", "roomStateChanged r2 DISCONNECTED SUCCESS"]);
    expect(seen(ls, "bob")).toEqual(["roomMemberLeft r3 #3 [alice]", "attrs r3 #4 DELETE {gone=} by alice", "roomMemberLeft r1 #2 [alice]"]);
    expect(codeOf(await ls.request("bob", R.join("r2")))).toBe("ROOM_NOT_FOUND");
  });

  test("leaveAllRooms in no room: empty room_ids and no event [LEAVEALL-3]", async ({ ls }) => {
    const R = requests(ls);
    await loginAll(ls, "alice", "bob");
    await ls.request("bob", R.create("r1"));
    expect(ok(await ls.request("alice", R.leaveAll()), "leaveAllRooms").roomIds).toEqual([]);
    expectSilence(ls, ["alice", "bob"]);
    await ls.request("alice", R.join("r1"));
    await ls.request("alice", R.leave("r1"));
    expect(ok(await ls.request("alice", R.leaveAll()), "leaveAllRooms").roomIds).toEqual([]);
    expectSilence(ls, ["alice", "bob"]);
  });

  test("leaveAllRooms has no check of its own: it fails only at the common checks (not logged in → UNAUTHENTICATED) and succeeds in every state [LEAVEALL-4]", async ({ ls }) => {
    const R = requests(ls);
    await ls.connect("alice");
    expect(codeOf(await ls.request("alice", R.leaveAll()))).toBe("UNAUTHENTICATED");
    await ls.login("alice");
    await ls.login("bob");
    expect(codeOf(await ls.request("alice", R.leaveAll()))).toBe("OK");
    await ls.request("bob", R.create("pending", { delay: ls.limits.maxRoomDestroyDelaySeconds }));
    await ls.request("alice", R.join("pending"));
    await ls.request("bob", R.leave("pending"));
    expect(ok(await ls.request("alice", R.leaveAll()), "leaveAllRooms").roomIds.map(ls.u)).toEqual(["pending"]);
    expect(codeOf(await ls.request("alice", R.leaveAll()))).toBe("OK");
  });
});

// ---- The enter equivalence, as a property -------------------------------------------

const SESSIONS = ["s1", "s2", "s3"] as const;
const ROOMS = ["r1", "r2", "r3"] as const;

type Attrs = Record<string, string>;

/** One step of the random prefix (labels only: each world maps them to its own IDs). */
type PrefixAction =
  | { k: "create"; s: number; r: number; name: string; long: boolean; attrs: Attrs }
  | { k: "join"; s: number; r: number; history: number }
  | { k: "enter"; s: number; r: number; name: string; long: boolean; attrs: Attrs; history: number }
  | { k: "switch"; s: number; from: number; to: number; create: boolean }
  | { k: "leave"; s: number; r: number }
  | { k: "leaveAll"; s: number }
  | { k: "setAttrs"; s: number; r: number; attrs: Attrs; deleteAfter: boolean }
  | { k: "setMemberAttrs"; s: number; r: number; target: number; deleteAfter: boolean }
  | { k: "send"; s: number; r: number }
  | { k: "fill"; s: number };

interface FinalEnter {
  s: number;
  r: number;
  name: string;
  long: boolean;
  attrs: Attrs;
  history: number;
}

interface EquivalenceCase {
  prefix: PrefixAction[];
  final: FinalEnter;
}

function arbEquivalenceCase(L: Limits, history: boolean): fc.Arbitrary<EquivalenceCase> {
  const s = fc.integer({ min: 0, max: SESSIONS.length - 1 });
  const r = fc.integer({ min: 0, max: ROOMS.length - 1 });
  const name = fc.constantFrom("", "alpha", "beta");
  // Delay 0 or the maximum only: other files advance the shared test clock.
  const long = fc.boolean();
  const attrs = fc.constantFrom<Attrs>({}, { a: "1" }, { a: "2", b: "x" });
  const hist = history ? fc.constantFrom(0, 1, Math.min(3, L.maxHistoryCount)) : fc.constant(0);
  const action: fc.Arbitrary<PrefixAction> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.constant("create" as const), s, r, name, long, attrs }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant("join" as const), s, r, history: hist }) },
    { weight: 3, arbitrary: fc.record({ k: fc.constant("enter" as const), s, r, name, long, attrs, history: hist }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("switch" as const), s, from: r, to: r, create: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant("leave" as const), s, r }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("leaveAll" as const), s }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant("setAttrs" as const), s, r, attrs: fc.constantFrom<Attrs>({ a: "3" }, { c: "4" }), deleteAfter: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant("setMemberAttrs" as const), s, r, target: s, deleteAfter: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant("send" as const), s, r }) },
    // Reaching the per-user cap costs max_rooms_per_user requests: only when that is small.
    { weight: L.maxRoomsPerUser <= 8 ? 1 : 0, arbitrary: fc.record({ k: fc.constant("fill" as const), s }) },
  );
  return fc.record({
    prefix: fc.array(action, { maxLength: 10 }),
    final: fc.record({ s, r, name: fc.constantFrom("gamma", ""), long, attrs, history: hist }),
  });
}

/** A canonical, run-independent text of an event or reply part: no run prefix, no server-chosen message_id/timestamp_ms. */
function canonical(ls: Lockstep, json: unknown): string {
  return ls.u(
    JSON.stringify(json, (key, value: unknown) => (key === "messageId" || key === "timestampMs" || key === "requestId" ? undefined : value)),
  );
}

function canonicalEvents(ls: Lockstep, label: string): string[] {
  return ls.events(label).map((e) => canonical(ls, toJson(EventSchema, e)));
}

function canonicalReply(ls: Lockstep, reply: Reply): string {
  if (reply.result.case === "error") return `error ${codeOf(reply)}(${fieldOf(reply)})`;
  return canonical(ls, toJson(ReplySchema, reply));
}

interface WorldRun {
  ls: Lockstep;
  existed: boolean;
  reply: Reply;
  /** Every session's events of the final request, canonical. */
  events: Map<string, string[]>;
  /** The state probe: one canonical line per probe step (reply and every session's events). */
  probe: string[];
}

/** Runs the prefix, then the final enterRoom ("enter") or the request it stands for ("alt"), then the state probe. */
async function runWorld(t: ScenarioContext, c: EquivalenceCase, mode: "enter" | "alt"): Promise<WorldRun> {
  const world = new World(harnessTarget(t.spec, t.encoding));
  const ls = new Lockstep(world, t.serverInfo);
  try {
    const R = requests(ls);
    const L = t.limits;
    const delay = (long: boolean) => (long ? L.maxRoomDestroyDelaySeconds : 0);
    const sl = (i: number) => SESSIONS[i]!;
    const rl = (i: number) => ROOMS[i]!;
    // Actions inside a room aim at one of the session's own rooms when it has any (so they mostly succeed);
    // the choice depends only on the state, which is the same in both worlds.
    const own = (s: number, i: number): RoomRef => {
      const rooms = (ls.state.sessions.get(sl(s))?.rooms ?? []).filter((id) => ROOMS.some((r) => ls.room(r) === id));
      return rooms.length > 0 ? { raw: rooms[i % rooms.length]! } : rl(i);
    };
    for (const s of SESSIONS) await ls.login(s);
    let fills = 0;
    for (const a of c.prefix) {
      switch (a.k) {
        case "create":
          await ls.request(sl(a.s), R.create(rl(a.r), { name: a.name, delay: delay(a.long), attrs: a.attrs }));
          break;
        case "join":
          await ls.request(sl(a.s), R.join(rl(a.r), a.history));
          break;
        case "enter":
          await ls.request(sl(a.s), R.enter(rl(a.r), { name: a.name, delay: delay(a.long), attrs: a.attrs, history: a.history }));
          break;
        case "switch":
          await ls.request(sl(a.s), R.switch(rl(a.from), rl(a.to), a.create));
          break;
        case "leave":
          await ls.request(sl(a.s), R.leave(rl(a.r)));
          break;
        case "leaveAll":
          await ls.request(sl(a.s), R.leaveAll());
          break;
        case "setAttrs":
          await ls.request(sl(a.s), R.setAttrs(own(a.s, a.r), a.attrs, { deleteAfterOwnerLeft: a.deleteAfter }));
          break;
        case "setMemberAttrs":
          await ls.request(sl(a.s), R.setMemberAttrs(own(a.s, a.r), [sl(a.target)], { m: "1" }, a.deleteAfter));
          break;
        case "send":
          await ls.request(sl(a.s), R.send(own(a.s, a.r), "hi"));
          break;
        case "fill":
          while ((ls.state.sessions.get(sl(a.s))?.rooms.length ?? 0) < L.maxRoomsPerUser) await ls.request(sl(a.s), R.enter(`fill${fills++}`));
          break;
      }
    }
    const f = c.final;
    const caller = sl(f.s);
    const existed = ls.state.rooms.has(ls.room(rl(f.r)));
    const opts = { name: f.name, delay: delay(f.long), attrs: f.attrs, history: f.history };
    const request = mode === "enter" ? R.enter(rl(f.r), opts) : existed ? R.join(rl(f.r), f.history) : R.create(rl(f.r), opts);
    const reply = await ls.request(caller, request);
    const events = new Map(SESSIONS.map((s) => [s as string, canonicalEvents(ls, s)]));

    // The state probe: an observer joins every room (reply: name, delay, seq, history; snapshot: attributes), queries
    // members and member attributes, then everyone leaves all rooms (member events and flagged attribute deletions).
    const probe: string[] = [];
    const labels = [...SESSIONS, "probe"];
    const step = async (label: string, req: RequestInput) => {
      const r = await ls.request(label, req);
      probe.push(`${label}: ${req.case} → ${canonicalReply(ls, r)} | ${labels.map((l) => `${l}: ${canonicalEvents(ls, l).join(" ")}`).join(" | ")}`);
      return r;
    };
    await ls.login("probe");
    const everyone = [...SESSIONS, "probe"];
    for (const room of ROOMS) {
      const joined = await step("probe", R.join(room, L.maxHistoryCount));
      if (joined.result.case === "joinRoom") {
        await step("probe", R.memberList(room));
        await step("probe", R.queryAttrs(room));
        await step("probe", R.queryMemberAttrs(room, everyone));
      }
    }
    for (const s of SESSIONS) await step(s, R.leaveAll());
    await step("probe", R.leaveAll());
    return { ls, existed, reply, events, probe };
  } finally {
    await world.closeAll();
  }
}

async function checkEquivalence(t: ScenarioContext, c: EquivalenceCase): Promise<void> {
  const [e, x] = await Promise.all([runWorld(t, c, "enter"), runWorld(t, c, "alt")]);
  expect(e.existed).toBe(x.existed);
  const caller = SESSIONS[c.final.s]!;
  // [ENTER-EQUIV-1] same failure, same code.
  expect(codeOf(e.reply)).toBe(codeOf(x.reply));
  if (e.reply.result.case === "enterRoom") {
    const er = e.reply.result.value;
    // [ENTER-CREATED-1]
    expect(er.created).toBe(!e.existed);
    const xr = x.existed ? ok(x.reply, "joinRoom") : ok(x.reply, "createRoom");
    // [ENTER-EQUIV-5] the room; [ENTER-EQUIV-6] the history (empty when created).
    const room = (ls: Lockstep, r: typeof er.room) => (r === undefined ? "(none)" : canonical(ls, toJson(RoomFullInfoSchema, r)));
    expect(room(e.ls, er.room)).toBe(room(x.ls, xr.room));
    const xHistory = xr.$typeName === "openroom.v1.JoinRoomResponse" ? xr.history : [];
    expect(er.history.map((m) => canonical(e.ls, toJson(RoomMessageSchema, m)))).toEqual(xHistory.map((m) => canonical(x.ls, toJson(RoomMessageSchema, m))));
  }
  // [ENTER-EQUIV-3, ENTER-EQUIV-4, ENTER-REASON-1] every session's events; only the caller's CONNECTING reason differs.
  const reasonX = x.existed ? "ROOM_STATE_REASON_ACTIVE_JOIN" : "ROOM_STATE_REASON_ACTIVE_CREATE";
  for (const s of SESSIONS) {
    let mine = e.events.get(s) ?? [];
    if (s === caller) {
      const connecting = mine.filter((line) => line.includes('"ROOM_STATE_CONNECTING"'));
      if (e.reply.result.case === "enterRoom") expect(connecting).toHaveLength(1);
      for (const line of connecting) expect(line).toContain('"ROOM_STATE_REASON_ACTIVE_ENTER"');
      mine = mine.map((line) => line.replace('"ROOM_STATE_REASON_ACTIVE_ENTER"', `"${reasonX}"`));
    }
    expect(mine, `events of ${s}`).toEqual(x.events.get(s) ?? []);
  }
  // [ENTER-EQUIV-2] the same state afterwards, as the probe sees it.
  expect(e.probe).toEqual(x.probe);
}
