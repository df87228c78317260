// switchRoom, every row of the outcome table: spec/switch.md.
//
// Every step runs in lockstep with the model, which compares the reply and
// every session's events (and that nothing else arrived); the explicit
// assertions restate the sentence each test checks. The server room limit
// (case B) is server-wide state the per-test model cannot see (other tests
// create rooms on the same server), so that test fills the server with raw
// sessions and checks the switch itself explicitly.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { expect } from "vitest";
import {
  ErrorCode,
  RoomAttributesUpdateAction,
  RoomMessageKind,
  RoomState,
  RoomStateReason,
  type Event,
  type Reply,
  type RoomConfigSchema,
  type RoomInfoSchema,
} from "../../protocol/index.js";
import type { Lockstep } from "../driver/lockstep.js";
import { conformanceSuite } from "../driver/suite.js";
import type { Session } from "../harness/index.js";

type InfoInit = MessageInitShape<typeof RoomInfoSchema>;
type ConfigInit = MessageInitShape<typeof RoomConfigSchema>;

/** Beyond this many rooms or members to set up, a limit is "too large to reach cheaply". */
const REACHABLE = 50;

// ---- Helpers -------------------------------------------------------------------

interface SwitchArgs {
  from: string;
  to?: string;
  name?: string;
  create?: boolean;
  config?: ConfigInit;
  /** Replaces to_room_info entirely (undefined: omitted from the request). */
  toInfo?: InfoInit | undefined;
}

function switchRequest(a: SwitchArgs) {
  const toRoomInfo = "toInfo" in a ? a.toInfo : { roomId: a.to ?? "", roomName: a.name ?? "" };
  return {
    case: "switchRoom" as const,
    value: {
      fromRoomId: a.from,
      ...(toRoomInfo !== undefined ? { toRoomInfo } : {}),
      createIfAbsent: a.create ?? false,
      ...(a.config !== undefined ? { config: a.config } : {}),
    },
  };
}

function sw(ls: Lockstep, label: string, a: SwitchArgs): Promise<Reply> {
  return ls.request(label, switchRequest(a));
}

/** One line per event, run prefix removed: `r2 CONNECTING ACTIVE_SWITCH`, `joined r2 #3 alice`. */
function show(ls: Lockstep, events: readonly Event[]): string[] {
  const u = ls.u;
  return events.map((e) => {
    const x = e.event;
    switch (x.case) {
      case "roomStateChanged":
        return `${u(x.value.roomId)} ${RoomState[x.value.state]} ${RoomStateReason[x.value.reason]}`;
      case "roomMemberJoined":
      case "roomMemberLeft":
        return `${x.case === "roomMemberJoined" ? "joined" : "left"} ${u(x.value.roomId)} #${x.value.roomSeq} ${x.value.members.map((m) => u(m.userId)).join(",")}`;
      case "roomAttributesUpdated": {
        const attrs = Object.entries(x.value.info?.attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
        const action = RoomAttributesUpdateAction[x.value.info?.action ?? 0];
        return `attrs ${u(x.value.roomId)} #${x.value.roomSeq} ${action} ${attrs.map(([k, v]) => `${k}=${v}`).join(",")} by ${u(x.value.operatorUserId) || "-"}`;
      }
      case "roomMessageReceived":
        return `message ${u(x.value.roomId)} #${x.value.roomSeq} from ${u(x.value.message?.senderUserId ?? "")}`;
      default:
        return String(x.case);
    }
  });
}

function errorOf(reply: Reply | undefined): { code: string; field: string } | undefined {
  if (reply?.result.case !== "error") return undefined;
  return { code: ErrorCode[reply.result.value.code] ?? String(reply.result.value.code), field: reply.result.value.detail?.field ?? "" };
}

function switched(reply: Reply | undefined) {
  if (reply?.result.case !== "switchRoom") throw new Error(`expected a SwitchRoomResponse, got ${reply?.result.case}`);
  return reply.result.value;
}

/** Every lockstep session received nothing in the last action. */
function expectSilence(ls: Lockstep, labels: readonly string[]): void {
  for (const l of labels) expect(show(ls, ls.events(l)), `events of ${l}`).toEqual([]);
}

/** `n` distinct room attribute keys of exactly `bytes` bytes (1 ≤ bytes). */
function keysOf(n: number, bytes: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = i.toString(36);
    keys.push(id.length >= bytes ? id.slice(-bytes) : id.padStart(bytes, "_"));
  }
  if (new Set(keys).size !== n) throw new Error(`cannot make ${n} distinct keys of ${bytes} bytes`);
  return keys;
}

/** A byte string of `bytes` UTF-8 bytes made of 2-byte characters (plus one ASCII if odd), so bytes ≠ characters. */
function utf8OfBytes(bytes: number): string {
  return "é".repeat(Math.floor(bytes / 2)) + (bytes % 2 ? "e" : "");
}

interface Needs {
  members?: number;
  roomsPerUser?: number;
  roomAttributes?: number;
  roomAttributeBytes?: number;
  memberAttributes?: number;
  memberAttributeBytes?: number;
}

/** Skips (with the reason) when the server's limits are too small for what the test sets up. */
function need(ls: Lockstep, skip: (reason: string) => never, n: Needs): void {
  const l = ls.limits;
  const why: string[] = [];
  if (n.members !== undefined && l.maxMembersPerRoom !== 0 && l.maxMembersPerRoom < n.members) why.push(`max_members_per_room ${l.maxMembersPerRoom} < ${n.members}`);
  if (n.roomsPerUser !== undefined && l.maxRoomsPerUser < n.roomsPerUser) why.push(`max_rooms_per_user ${l.maxRoomsPerUser} < ${n.roomsPerUser}`);
  if (n.roomAttributes !== undefined && l.maxRoomAttributes < n.roomAttributes) why.push(`max_room_attributes ${l.maxRoomAttributes} < ${n.roomAttributes}`);
  if (n.roomAttributeBytes !== undefined && l.maxRoomAttributesTotalBytes < n.roomAttributeBytes) why.push(`max_room_attributes_total_bytes ${l.maxRoomAttributesTotalBytes} < ${n.roomAttributeBytes}`);
  if (n.memberAttributes !== undefined && l.maxMemberAttributesPerUser < n.memberAttributes) why.push(`max_member_attributes_per_user ${l.maxMemberAttributesPerUser} < ${n.memberAttributes}`);
  if (n.memberAttributeBytes !== undefined && l.maxMemberAttributesTotalBytes < n.memberAttributeBytes) why.push(`max_member_attributes_total_bytes ${l.maxMemberAttributesTotalBytes} < ${n.memberAttributeBytes}`);
  if (why.length > 0) skip(`this server's limits are too small for the test: ${why.join("; ")}`);
}

/** A room name cut to max_room_name_bytes (ASCII, so bytes = characters). */
function nm(ls: Lockstep, name: string): string {
  return name.slice(0, ls.limits.maxRoomNameBytes);
}

// ---- Setup shared by the validation and state-check tables ----------------------

/**
 * alice and bob in r1; carol alone in r2; alice alone in r3. Nothing else
 * exists among this test's rooms.
 */
async function baseline(ls: Lockstep): Promise<void> {
  await ls.login("alice");
  await ls.login("bob");
  await ls.login("carol");
  await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r1"), roomName: nm(ls, "one") } } });
  await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
  await ls.request("carol", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r2"), roomName: nm(ls, "two") } } });
  if (ls.limits.maxRoomsPerUser >= 2) await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r3"), roomName: nm(ls, "three") } } });
}

/**
 * After a failed switch: every room, membership and room_seq is as the
 * baseline left it (each step is compared with the model, which holds the
 * baseline's state) and no room r4/r9 was created.
 */
async function probeUnchanged(ls: Lockstep): Promise<void> {
  await ls.request("alice", { case: "sendRoomMessage", value: { roomId: ls.room("r1"), kind: RoomMessageKind.TEXT, payload: new TextEncoder().encode("still here") } });
  expect(show(ls, ls.events("bob"))).toEqual(["message r1 #2 from alice"]);
  await ls.request("carol", { case: "queryRoomOnlineMemberCount", value: { roomId: ls.room("r2") } });
  for (const r of ["r4", "r9"]) {
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room(r) } });
    expect(errorOf(ls.reply)?.code).toBe("ROOM_NOT_FOUND");
  }
}

// ---- The suite --------------------------------------------------------------------

conformanceSuite("switchRoom", (test) => {
  // ---- Validation: plain error replies, no event, no change ----------------------
  interface ValidationCase {
    title: string;
    /** The bracket group of requirement IDs the case checks (literal, so the traceability check sees it). */
    ids: string;
    /** Builds the request; `ls` gives IDs and limits. Returns undefined to skip (with the reason in `skipWhy`). */
    args: (ls: Lockstep) => SwitchArgs | undefined;
    code: ErrorCode;
    field?: string;
    skipWhy?: string;
  }
  const L = (ls: Lockstep) => ls.limits;
  const validation: ValidationCase[] = [
    { title: "an empty from_room_id", ids: "[SWITCH-VALID-1, SWITCH-QUIET-1]", args: (ls) => ({ from: "", to: ls.room("r4"), create: true }), code: ErrorCode.INVALID_ARGUMENT, field: "from_room_id" },
    { title: "a from_room_id outside the ID alphabet", ids: "[SWITCH-VALID-1, SWITCH-QUIET-1]", args: (ls) => ({ from: `${ls.room("r1")} x`, to: ls.room("r4"), create: true }), code: ErrorCode.INVALID_ARGUMENT, field: "from_room_id" },
    { title: "a from_room_id one byte over max_room_id_bytes", ids: "[SWITCH-VALID-1, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.world.idOfLength("long", L(ls).maxRoomIdBytes + 1), to: ls.room("r4"), create: true }), code: ErrorCode.INVALID_ARGUMENT, field: "from_room_id" },
    { title: "an invalid from_room_id wins over an invalid target ID", ids: "[SWITCH-VALID-1, SWITCH-VALID-2, SWITCH-QUIET-1]", args: () => ({ from: "", to: "" }), code: ErrorCode.INVALID_ARGUMENT, field: "from_room_id" },
    { title: "an empty target room ID", ids: "[SWITCH-VALID-2, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: "", create: true }), code: ErrorCode.INVALID_ARGUMENT, field: "to_room_info.room_id" },
    { title: "a missing to_room_info (an empty target ID)", ids: "[SWITCH-VALID-2, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), toInfo: undefined, create: true }), code: ErrorCode.INVALID_ARGUMENT, field: "to_room_info.room_id" },
    { title: "a target ID outside the ID alphabet", ids: "[SWITCH-VALID-2, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: `${ls.room("r4")}/é`, create: true }), code: ErrorCode.INVALID_ARGUMENT, field: "to_room_info.room_id" },
    { title: "a target ID one byte over max_room_id_bytes", ids: "[SWITCH-VALID-2, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.world.idOfLength("long", L(ls).maxRoomIdBytes + 1), create: true }), code: ErrorCode.INVALID_ARGUMENT, field: "to_room_info.room_id" },
    { title: "an invalid target ID wins over a too-long name", ids: "[SWITCH-VALID-2, SWITCH-VALID-3, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: "", name: utf8OfBytes(L(ls).maxRoomNameBytes + 1), create: true }), code: ErrorCode.INVALID_ARGUMENT, field: "to_room_info.room_id" },
    { title: "a target name one byte over max_room_name_bytes (UTF-8 bytes)", ids: "[SWITCH-VALID-3, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r4"), name: utf8OfBytes(L(ls).maxRoomNameBytes + 1), create: true }), code: ErrorCode.INVALID_ARGUMENT, field: "to_room_info.room_name" },
    { title: "a too-long name wins over an invalid config", ids: "[SWITCH-VALID-3, SWITCH-VALID-4, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r4"), name: utf8OfBytes(L(ls).maxRoomNameBytes + 1), create: true, config: { roomDestroyDelaySeconds: L(ls).maxRoomDestroyDelaySeconds + 1 } }), code: ErrorCode.INVALID_ARGUMENT, field: "to_room_info.room_name" },
    { title: "a destroy delay over max_room_destroy_delay_seconds", ids: "[SWITCH-VALID-4, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r4"), create: true, config: { roomDestroyDelaySeconds: L(ls).maxRoomDestroyDelaySeconds + 1 } }), code: ErrorCode.INVALID_ARGUMENT, field: "config.room_destroy_delay_seconds" },
    { title: "a bad destroy delay wins over a bad attribute key", ids: "[SWITCH-VALID-4, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r4"), create: true, config: { roomDestroyDelaySeconds: L(ls).maxRoomDestroyDelaySeconds + 1, roomAttributes: { "": "v" } } }), code: ErrorCode.INVALID_ARGUMENT, field: "config.room_destroy_delay_seconds" },
    { title: "an empty config attribute key", ids: "[SWITCH-VALID-4, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r4"), create: true, config: { roomAttributes: { "": "v" } } }), code: ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG },
    { title: "a config attribute key one byte over max_room_attribute_key_bytes", ids: "[SWITCH-VALID-4, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r4"), create: true, config: { roomAttributes: { ["k".repeat(L(ls).maxRoomAttributeKeyBytes + 1)]: "v" } } }), code: ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG },
    { title: "a config attribute value one byte over max_room_attribute_value_bytes", ids: "[SWITCH-VALID-4, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r4"), create: true, config: { roomAttributes: { a: "v".repeat(L(ls).maxRoomAttributeValueBytes + 1) } } }), code: ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG },
    {
      title: "config attributes are checked in ascending key order, key before value (a's long value wins over b's long key)",
      ids: "[SWITCH-VALID-4, SWITCH-QUIET-1]",
      args: (ls) => ({ from: ls.room("r1"), to: ls.room("r4"), create: true, config: { roomAttributes: { ["b".repeat(L(ls).maxRoomAttributeKeyBytes + 1)]: "v", a: "v".repeat(L(ls).maxRoomAttributeValueBytes + 1) } } }),
      code: ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG,
    },
    {
      title: "more config attributes than max_room_attributes",
      ids: "[SWITCH-VALID-4, SWITCH-QUIET-1]",
      args: (ls) => ({ from: ls.room("r1"), to: ls.room("r4"), create: true, config: { roomAttributes: Object.fromEntries(keysOf(L(ls).maxRoomAttributes + 1, Math.min(4, L(ls).maxRoomAttributeKeyBytes)).map((k) => [k, ""])) } }),
      code: ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT,
    },
    {
      title: "a too-long value wins over the key count",
      ids: "[SWITCH-VALID-4, SWITCH-QUIET-1]",
      args: (ls) => {
        const keys = keysOf(L(ls).maxRoomAttributes + 1, Math.min(4, L(ls).maxRoomAttributeKeyBytes));
        const attrs = Object.fromEntries(keys.map((k) => [k, ""]));
        attrs[keys.at(-1)!] = "v".repeat(L(ls).maxRoomAttributeValueBytes + 1);
        return { from: ls.room("r1"), to: ls.room("r4"), create: true, config: { roomAttributes: attrs } };
      },
      code: ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG,
    },
    {
      title: "config attributes over max_room_attributes_total_bytes",
      ids: "[SWITCH-VALID-4, SWITCH-QUIET-1]",
      args: (ls) => {
        const l = L(ls);
        const per = l.maxRoomAttributeKeyBytes + l.maxRoomAttributeValueBytes;
        const n = Math.floor(l.maxRoomAttributesTotalBytes / per) + 1;
        if (n > l.maxRoomAttributes) return undefined;
        const attrs = Object.fromEntries(keysOf(n, l.maxRoomAttributeKeyBytes).map((k) => [k, "v".repeat(l.maxRoomAttributeValueBytes)]));
        return { from: ls.room("r1"), to: ls.room("r4"), create: true, config: { roomAttributes: attrs } };
      },
      code: ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT,
      skipWhy: "max_room_attributes keys of maximal size cannot exceed max_room_attributes_total_bytes on this server",
    },
    // SWITCH-VALID-5: the name and config are validated whatever create_if_absent says and whether or not the target exists.
    { title: "a too-long name for an existing target without create_if_absent", ids: "[SWITCH-VALID-5, SWITCH-VALID-3, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r2"), name: utf8OfBytes(L(ls).maxRoomNameBytes + 1), create: false }), code: ErrorCode.INVALID_ARGUMENT, field: "to_room_info.room_name" },
    { title: "a bad destroy delay for an existing target without create_if_absent", ids: "[SWITCH-VALID-5, SWITCH-VALID-4, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r2"), create: false, config: { roomDestroyDelaySeconds: L(ls).maxRoomDestroyDelaySeconds + 1 } }), code: ErrorCode.INVALID_ARGUMENT, field: "config.room_destroy_delay_seconds" },
    { title: "a bad config key for an existing target with create_if_absent", ids: "[SWITCH-VALID-5, SWITCH-VALID-4, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r2"), create: true, config: { roomAttributes: { "": "x" } } }), code: ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG },
    { title: "a bad config for a missing target without create_if_absent", ids: "[SWITCH-VALID-5, SWITCH-VALID-4, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r9"), create: false, config: { roomAttributes: { a: "v".repeat(L(ls).maxRoomAttributeValueBytes + 1) } } }), code: ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG },
    // Validation precedes every state check.
    { title: "validation comes before SWITCH_TO_SAME_ROOM", ids: "[SWITCH-VALID-3, SWITCH-SAME-1, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r1"), name: utf8OfBytes(L(ls).maxRoomNameBytes + 1) }), code: ErrorCode.INVALID_ARGUMENT, field: "to_room_info.room_name" },
    { title: "validation comes before ROOM_NOT_FOUND for the source", ids: "[SWITCH-VALID-4, SWITCH-CHECK-1, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r9"), to: ls.room("r4"), create: true, config: { roomDestroyDelaySeconds: L(ls).maxRoomDestroyDelaySeconds + 1 } }), code: ErrorCode.INVALID_ARGUMENT, field: "config.room_destroy_delay_seconds" },
  ];

  for (const c of validation) {
    test(`validation: ${c.title} → ${ErrorCode[c.code]}${c.field ? `(${c.field})` : ""}, no event, nothing changes ${c.ids}`, async ({ ls, skip }) => {
      need(ls, skip, { members: 2 });
      await baseline(ls);
      const args = c.args(ls);
      if (args === undefined) return skip(c.skipWhy ?? "not reachable with this server's limits");
      await sw(ls, "alice", args);
      expect(errorOf(ls.reply)).toEqual({ code: ErrorCode[c.code], field: c.field ?? expect.any(String) });
      expectSilence(ls, ["alice", "bob", "carol"]);
      await probeUnchanged(ls);
    });
  }

  // ---- State checks, in order ------------------------------------------------------
  interface StateCase {
    title: string;
    /** The bracket group of requirement IDs the case checks. */
    ids: string;
    args: (ls: Lockstep) => SwitchArgs;
    code: ErrorCode;
    /** Needs alice in r3 (max_rooms_per_user ≥ 2). */
    needsR3?: boolean;
  }
  const stateCases: StateCase[] = [
    { title: "from = to, a room the caller is in", ids: "[SWITCH-SAME-1, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r1"), create: true }), code: ErrorCode.SWITCH_TO_SAME_ROOM },
    { title: "from = to, a room that does not exist (wins over ROOM_NOT_FOUND)", ids: "[SWITCH-SAME-1, SWITCH-CHECK-1, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r9"), to: ls.room("r9"), create: true }), code: ErrorCode.SWITCH_TO_SAME_ROOM },
    { title: "from = to, a room the caller is not in (wins over NOT_IN_ROOM)", ids: "[SWITCH-SAME-1, SWITCH-CHECK-2, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r2"), to: ls.room("r2") }), code: ErrorCode.SWITCH_TO_SAME_ROOM },
    { title: "the source does not exist", ids: "[SWITCH-CHECK-1, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r9"), to: ls.room("r2") }), code: ErrorCode.ROOM_NOT_FOUND },
    { title: "the source does not exist and the target would be created (no CONNECTING)", ids: "[SWITCH-CHECK-1, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r9"), to: ls.room("r4"), create: true }), code: ErrorCode.ROOM_NOT_FOUND },
    { title: "the source does not exist and the caller is in the target (wins over ALREADY_IN_ROOM)", ids: "[SWITCH-CHECK-1, SWITCH-CHECK-3, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r9"), to: ls.room("r1") }), code: ErrorCode.ROOM_NOT_FOUND },
    { title: "the caller is not in the source", ids: "[SWITCH-CHECK-2, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r2"), to: ls.room("r4"), create: true }), code: ErrorCode.NOT_IN_ROOM },
    { title: "the caller is not in the source but is in the target (wins over ALREADY_IN_ROOM)", ids: "[SWITCH-CHECK-2, SWITCH-CHECK-3, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r2"), to: ls.room("r1") }), code: ErrorCode.NOT_IN_ROOM },
    { title: "the caller is already in the target", ids: "[SWITCH-CHECK-3, SWITCH-QUIET-1]", args: (ls) => ({ from: ls.room("r1"), to: ls.room("r3"), create: true }), code: ErrorCode.ALREADY_IN_ROOM, needsR3: true },
  ];
  for (const c of stateCases) {
    test(`state check: ${c.title} → ${ErrorCode[c.code]}, no event, nothing changes ${c.ids}`, async ({ ls, skip }) => {
      need(ls, skip, { members: 2, roomsPerUser: c.needsR3 ? 2 : 1 });
      await baseline(ls);
      await sw(ls, "alice", c.args(ls));
      expect(errorOf(ls.reply)?.code).toBe(ErrorCode[c.code]);
      expectSilence(ls, ["alice", "bob", "carol"]);
      await probeUnchanged(ls);
    });
  }

  // ---- Case A: target missing, create_if_absent false ---------------------------------
  test("A: missing target without create_if_absent: caller gets CONNECTING(to) then DISCONNECTED(to, SWITCH_FAILED), reply ROOM_NOT_FOUND, nobody else hears anything, nothing changes [SWITCH-CONNECTING-1, SWITCH-FAIL-ABSENT-1, SWITCH-FAIL-QUIET-1, SWITCH-FAIL-STATE-1]", async ({ ls, skip }) => {
    need(ls, skip, { members: 2 });
    await baseline(ls);
    // A name and a valid config do not make a difference without create_if_absent.
    await sw(ls, "alice", { from: ls.room("r1"), to: ls.room("r9"), name: nm(ls, "nine"), create: false, config: { roomAttributes: { a: "1" } } });
    expect(errorOf(ls.reply)?.code).toBe("ROOM_NOT_FOUND");
    expect(show(ls, ls.events("alice"))).toEqual(["r9 CONNECTING ACTIVE_SWITCH", "r9 DISCONNECTED SWITCH_FAILED"]);
    expectSilence(ls, ["bob", "carol"]);
    await probeUnchanged(ls);
    // alice is still in r1 (and r3), in that order.
    await ls.request("alice", { case: "leaveAllRooms", value: {} });
    const left = ls.reply?.result.case === "leaveAllRooms" ? ls.reply.result.value.roomIds.map(ls.u) : [];
    expect(left).toEqual(ls.limits.maxRoomsPerUser >= 2 ? ["r1", "r3"] : ["r1"]);
  });

  test("A: the sole member of a delay-0 source stays in it when the target is missing (the source is not left first) [SWITCH-FAIL-ABSENT-1, SWITCH-FAIL-STATE-1, SWITCH-FAIL-QUIET-1]", async ({ ls, skip }) => {
    need(ls, skip, { members: 2 });
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("solo") } } });
    await sw(ls, "alice", { from: ls.room("solo"), to: ls.room("r9") });
    expect(show(ls, ls.events("alice"))).toEqual(["r9 CONNECTING ACTIVE_SWITCH", "r9 DISCONNECTED SWITCH_FAILED"]);
    expect(errorOf(ls.reply)?.code).toBe("ROOM_NOT_FOUND");
    // The source still exists with alice in it: bob's join makes it seq 1 with alice told.
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("solo") } });
    expect(show(ls, ls.events("alice"))).toEqual(["joined solo #1 bob"]);
  });

  // ---- Case B: the server is at max_rooms_per_server --------------------------------
  test("B: server at max_rooms_per_server: SWITCH_FAILED and SERVER_ROOM_LIMIT even when leaving the source would free a place; a missing target without create is still ROOM_NOT_FOUND; nothing changes [SWITCH-CONNECTING-1, SWITCH-FAIL-LIMIT-1, SWITCH-FAIL-LIMIT-2, SWITCH-FAIL-ABSENT-1, SWITCH-FAIL-STATE-1, SWITCH-FAIL-QUIET-1]", async ({ ls, world, skip }) => {
    const cap = ls.limits.maxRoomsPerServer;
    if (cap === 0) skip("max_rooms_per_server is 0 (no limit): case B cannot happen");
    if (cap > REACHABLE) skip(`max_rooms_per_server is ${cap}: too many rooms to fill; run against a server advertising max_rooms_per_server ≤ ${REACHABLE} (this test fills the whole server, so run it alone)`);
    need(ls, skip, { members: 2 });
    await ls.login("alice");
    await ls.login("bob");
    await ls.login("carol");
    // alice alone in a delay-0 room (leaving it would destroy it); carol with bob in another.
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("rA") } } });
    await ls.request("carol", { case: "createRoom", value: { roomInfo: { roomId: ls.room("rB") } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("rB") } });

    // Fill the server with raw sessions (the model does not know about rooms of other tests).
    const fillers: Session[] = [];
    try {
      let full = false;
      for (let made = 0; !full && made <= cap; ) {
        const s = await world.session(`filler${fillers.length}`);
        fillers.push(s);
        for (let k = 0; k < ls.limits.maxRoomsPerUser && !full && made <= cap; k++, made++) {
          const r = await s.send({ case: "createRoom", value: { roomInfo: { roomId: ls.room(`fill${made}`) } } });
          if (r.result.case === "error" && r.result.value.code === ErrorCode.SERVER_ROOM_LIMIT) full = true;
          else if (r.result.case !== "createRoom") throw new Error(`filling the server: createRoom answered ${errorOf(r)?.code ?? r.result.case}`);
        }
      }
      expect(full, `the server accepted more than max_rooms_per_server = ${cap} rooms (CREATE-CHECK-3)`).toBe(true);
      await world.quiesce();
      for (const l of ["alice", "bob", "carol"]) ls.session(l).takeEvents();

      // Raw switches, checked explicitly: the model cannot know the server is full.
      const rawSwitch = async (label: string, a: SwitchArgs, requestId: number) => {
        const reply = await ls.session(label).send(switchRequest(a), { requestId });
        await world.quiesce();
        const events = Object.fromEntries(["alice", "bob", "carol"].map((l) => [l, show(ls, ls.session(l).takeEvents().map((e) => e.event))]));
        return { error: errorOf(reply), events };
      };
      // SWITCH-FAIL-LIMIT-2: alice's source would be destroyed by leaving it, yet no place is freed.
      const a = await rawSwitch("alice", { from: ls.room("rA"), to: ls.room("rNew"), name: nm(ls, "new"), create: true }, 9001);
      expect(a.error?.code).toBe("SERVER_ROOM_LIMIT");
      expect(a.events).toEqual({ alice: ["rNew CONNECTING ACTIVE_SWITCH", "rNew DISCONNECTED SWITCH_FAILED"], bob: [], carol: [] });
      const c = await rawSwitch("carol", { from: ls.room("rB"), to: ls.room("rNew"), create: true }, 9001);
      expect(c.error?.code).toBe("SERVER_ROOM_LIMIT");
      expect(c.events).toEqual({ alice: [], bob: [], carol: ["rNew CONNECTING ACTIVE_SWITCH", "rNew DISCONNECTED SWITCH_FAILED"] });
      // Case A is decided before the room count: ROOM_NOT_FOUND whatever the count.
      const absent = await rawSwitch("alice", { from: ls.room("rA"), to: ls.room("rNew"), create: false }, 9002);
      expect(absent.error?.code).toBe("ROOM_NOT_FOUND");
      expect(absent.events).toEqual({ alice: ["rNew CONNECTING ACTIVE_SWITCH", "rNew DISCONNECTED SWITCH_FAILED"], bob: [], carol: [] });

      // Nothing changed (the model still holds the state from before the failures):
      // rB's seq did not move, alice is still in rA, rNew does not exist.
      await ls.request("carol", { case: "sendRoomMessage", value: { roomId: ls.room("rB"), kind: RoomMessageKind.TEXT, payload: new Uint8Array() } });
      expect(show(ls, ls.events("bob"))).toEqual(["message rB #2 from carol"]);
      await ls.request("alice", { case: "queryRoomOnlineMemberCount", value: { roomId: ls.room("rA") } });
      await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("rNew") } });
      expect(errorOf(ls.reply)?.code).toBe("ROOM_NOT_FOUND");
      // Joining an existing room needs no free place: case D still works at the cap.
      await sw(ls, "alice", { from: ls.room("rA"), to: ls.room("rB") });
      expect(switched(ls.reply).created).toBe(false);
    } finally {
      // Free the server for whoever comes next (delay-0 rooms go before the reply).
      await Promise.all(fillers.map((s) => s.send({ case: "leaveAllRooms", value: {} }).catch(() => undefined)));
    }
  }, { target: "constrained" });

  // ---- Case C: the target is full ---------------------------------------------------
  test("C: full target: SWITCH_FAILED and ROOM_FULL (with or without create_if_absent), its members and the source's hear nothing, nothing changes; with one place free the switch succeeds [SWITCH-CONNECTING-1, SWITCH-FAIL-FULL-1, SWITCH-FAIL-STATE-1, SWITCH-FAIL-QUIET-1, SWITCH-OTHERS-1]", async ({ ls, skip }) => {
    const max = ls.limits.maxMembersPerRoom;
    if (max === 0) skip("max_members_per_room is 0 (no limit): case C cannot happen");
    if (max > REACHABLE) skip(`max_members_per_room is ${max}: too many members to fill a room; run against a server advertising max_members_per_room ≤ ${REACHABLE}`);
    // bob shares the source with alice when rooms hold two (he must hear nothing).
    const withBob = max >= 2;
    await ls.login("alice");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r1") } } });
    if (withBob) {
      await ls.login("bob");
      await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    }
    const members = Array.from({ length: max }, (_, i) => `m${i}`);
    for (const [i, m] of members.entries()) {
      await ls.login(m);
      await ls.request(m, i === 0 ? { case: "createRoom", value: { roomInfo: { roomId: ls.room("full"), roomName: nm(ls, "full") } } } : { case: "joinRoom", value: { roomId: ls.room("full") } });
    }
    const seqBefore = BigInt(max - 1);
    for (const create of [false, true]) {
      await sw(ls, "alice", { from: ls.room("r1"), to: ls.room("full"), create });
      expect(errorOf(ls.reply)?.code).toBe("ROOM_FULL");
      expect(show(ls, ls.events("alice"))).toEqual(["full CONNECTING ACTIVE_SWITCH", "full DISCONNECTED SWITCH_FAILED"]);
      expectSilence(ls, [...(withBob ? ["bob"] : []), ...members]);
    }
    // Nothing moved: the full room's next event is seq max (after max-1 joins), r1's is 2.
    await ls.request("m0", { case: "sendRoomMessage", value: { roomId: ls.room("full"), kind: RoomMessageKind.TEXT, payload: new Uint8Array() } });
    expect(show(ls, ls.events(members[members.length - 1]!))).toEqual(max > 1 ? [`message full #${seqBefore + 1n} from m0`] : []);
    await ls.request("alice", { case: "sendRoomMessage", value: { roomId: ls.room("r1"), kind: RoomMessageKind.TEXT, payload: new Uint8Array() } });
    if (withBob) expect(show(ls, ls.events("bob"))).toEqual(["message r1 #2 from alice"]);
    // One place frees up: at max - 1 members the switch is accepted (with max 1 the room would be destroyed instead).
    if (max === 1) return;
    const leaver = members[members.length - 1]!;
    await ls.request(leaver, { case: "leaveRoom", value: { roomId: ls.room("full") } });
    await sw(ls, "alice", { from: ls.room("r1"), to: ls.room("full") });
    expect(switched(ls.reply).created).toBe(false);
    for (const m of members.slice(0, -1)) expect(show(ls, ls.events(m))).toEqual([`joined full #${seqBefore + 3n} alice`]);
  }, { target: "constrained" });

  // ---- Case D: the target exists --------------------------------------------------------
  test("D: switch into an existing room: caller CONNECTING, CONNECTED, snapshot, DISCONNECTED(from); target's members get MemberJoined, source's get MemberLeft (not swapped); a member of both gets Joined before Left; reply is the target as created, created=false [SWITCH-CONNECTING-1, SWITCH-ORDER-1, SWITCH-ORDER-2, SWITCH-ORDER-3, SWITCH-OTHERS-1, SWITCH-OTHERS-2, SWITCH-OTHERS-3, SWITCH-JOIN-1, SWITCH-NAME-1, SWITCH-REPLY-1, SWITCH-REPLY-2]", async ({ ls, skip }) => {
    need(ls, skip, { members: 3, roomsPerUser: 2, roomAttributes: 2, roomAttributeBytes: 4 });
    for (const l of ["alice", "bob", "carol", "dave"]) await ls.login(l);
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("from"), roomName: nm(ls, "From") } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("from") } }); // from #1
    await ls.request("carol", { case: "createRoom", value: { roomInfo: { roomId: ls.room("to"), roomName: nm(ls, "To") }, config: { roomAttributes: { t: "c" } } } });
    await ls.request("carol", { case: "setRoomAttributes", value: { roomId: ls.room("to"), attributes: { m: "k" } } }); // to #1
    await ls.request("dave", { case: "joinRoom", value: { roomId: ls.room("to") } }); // to #2
    await ls.request("dave", { case: "joinRoom", value: { roomId: ls.room("from") } }); // from #2
    // The request's name and config are ignored for an existing target.
    await sw(ls, "alice", { from: ls.room("from"), to: ls.room("to"), name: nm(ls, "Other"), create: true, config: { roomDestroyDelaySeconds: ls.limits.maxRoomDestroyDelaySeconds, roomAttributes: { t: "d" } } });
    expect(show(ls, ls.events("alice"))).toEqual([
      "to CONNECTING ACTIVE_SWITCH",
      "to CONNECTED SUCCESS",
      "attrs to #3 SET m=k,t=c by -",
      "from DISCONNECTED SUCCESS",
    ]);
    expect(show(ls, ls.events("carol"))).toEqual(["joined to #3 alice"]);
    expect(show(ls, ls.events("bob"))).toEqual(["left from #3 alice"]);
    expect(show(ls, ls.events("dave"))).toEqual(["joined to #3 alice", "left from #3 alice"]);
    const res = switched(ls.reply);
    expect(res.created).toBe(false);
    expect(res.room?.baseInfo?.roomId).toBe(ls.room("to"));
    expect(res.room?.baseInfo?.roomName).toBe(nm(ls, "To"));
    expect(res.room?.roomSeq).toBe(3n);
    expect(res.room?.roomDestroyDelaySeconds).toBe(0);
    // Appended last to the target's members; the target kept its attributes.
    await ls.request("carol", { case: "queryRoomMemberList", value: { roomId: ls.room("to") } });
    const list = ls.reply?.result.case === "queryRoomMemberList" ? ls.reply.result.value.members.map((m) => ls.u(m.userId)) : [];
    expect(list).toEqual(["carol", "dave", "alice"]);
    await ls.request("alice", { case: "queryRoomAllAttributes", value: { roomId: ls.room("to") } });
  });

  test("D: target without attributes: no snapshot, exactly CONNECTING, CONNECTED, DISCONNECTED(from) [SWITCH-ORDER-1, SWITCH-ORDER-2, SWITCH-ORDER-3, SWITCH-OTHERS-1, SWITCH-OTHERS-2, SWITCH-REPLY-2]", async ({ ls, skip }) => {
    need(ls, skip, { members: 2 });
    for (const l of ["alice", "bob", "carol"]) await ls.login(l);
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("from") } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("from") } });
    await ls.request("carol", { case: "createRoom", value: { roomInfo: { roomId: ls.room("to") } } });
    await sw(ls, "alice", { from: ls.room("from"), to: ls.room("to") });
    expect(show(ls, ls.events("alice"))).toEqual(["to CONNECTING ACTIVE_SWITCH", "to CONNECTED SUCCESS", "from DISCONNECTED SUCCESS"]);
    expect(show(ls, ls.events("carol"))).toEqual(["joined to #1 alice"]);
    expect(show(ls, ls.events("bob"))).toEqual(["left from #2 alice"]);
    expect(switched(ls.reply).created).toBe(false);
  });

  test("D: a destroy-pending target is joined (create_if_absent false), keeps its name, delay, attributes and room_seq [SWITCH-JOIN-1, SWITCH-NAME-1, SWITCH-REPLY-1, SWITCH-REPLY-2, SWITCH-ORDER-2]", async ({ ls }) => {
    const delay = ls.limits.maxRoomDestroyDelaySeconds;
    await ls.login("alice");
    await ls.login("carol");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("from") } } });
    await ls.request("carol", { case: "createRoom", value: { roomInfo: { roomId: ls.room("pending"), roomName: "P" }, config: { roomDestroyDelaySeconds: delay, roomAttributes: { k: "v" } } } });
    await ls.request("carol", { case: "leaveRoom", value: { roomId: ls.room("pending") } }); // pending, seq 1
    await sw(ls, "alice", { from: ls.room("from"), to: ls.room("pending"), name: "Q" });
    expect(show(ls, ls.events("alice"))).toEqual(["pending CONNECTING ACTIVE_SWITCH", "pending CONNECTED SUCCESS", "attrs pending #2 SET k=v by -", "from DISCONNECTED SUCCESS"]);
    const res = switched(ls.reply);
    expect([res.created, res.room?.baseInfo?.roomName, res.room?.roomSeq, res.room?.roomDestroyDelaySeconds]).toEqual([false, "P", 2n, delay]);
  });

  // ---- Case E: the target is created -------------------------------------------------------
  test("E: switch creating the target: CONNECTING, CONNECTED, snapshot of the config attributes at seq 0, DISCONNECTED(from); the source's members get MemberLeft; reply seq 0, created=true; config attributes owned by the caller, not deleted when it leaves [SWITCH-CREATE-1, SWITCH-CONNECTING-1, SWITCH-ORDER-1, SWITCH-ORDER-2, SWITCH-ORDER-3, SWITCH-OTHERS-2, SWITCH-REPLY-1, SWITCH-REPLY-2]", async ({ ls, skip }) => {
    need(ls, skip, { members: 2, roomAttributes: 2, roomAttributeBytes: 4 });
    const delay = ls.limits.maxRoomDestroyDelaySeconds;
    for (const l of ["alice", "bob"]) await ls.login(l);
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("from") } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("from") } });
    await sw(ls, "alice", { from: ls.room("from"), to: ls.room("new"), name: nm(ls, "Brand new"), create: true, config: { roomDestroyDelaySeconds: delay, roomAttributes: { a: "1", b: "2" } } });
    expect(show(ls, ls.events("alice"))).toEqual(["new CONNECTING ACTIVE_SWITCH", "new CONNECTED SUCCESS", "attrs new #0 SET a=1,b=2 by -", "from DISCONNECTED SUCCESS"]);
    expect(show(ls, ls.events("bob"))).toEqual(["left from #2 alice"]);
    const res = switched(ls.reply);
    expect([res.created, res.room?.baseInfo?.roomId, res.room?.baseInfo?.roomName, res.room?.roomSeq, res.room?.roomDestroyDelaySeconds]).toEqual([true, ls.room("new"), nm(ls, "Brand new"), 0n, delay]);
    // alice is the only member; the attributes are hers, flagged to stay.
    await ls.request("alice", { case: "queryRoomMemberList", value: { roomId: ls.room("new") } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("new") } });
    expect(show(ls, ls.events("bob"))).toEqual(["new CONNECTING ACTIVE_JOIN", "new CONNECTED SUCCESS", "attrs new #1 SET a=1,b=2 by -"]);
    await ls.request("bob", { case: "deleteRoomAttributes", value: { roomId: ls.room("new"), keys: ["a"] } });
    const failed = ls.reply?.result.case === "deleteRoomAttributes" ? ls.reply.result.value.failedKeys.map((f) => [f.key, ErrorCode[f.code]]) : [];
    expect(failed).toEqual([["a", "ROOM_ATTRIBUTE_NOT_OWNER"]]);
    await ls.request("alice", { case: "leaveRoom", value: { roomId: ls.room("new") } });
    expect(show(ls, ls.events("bob"))).toEqual(["left new #2 alice"]);
    await ls.request("bob", { case: "leaveRoom", value: { roomId: ls.room("new") } });
  });

  test("E: created target without config attributes: no snapshot; created=true [SWITCH-CREATE-1, SWITCH-ORDER-2, SWITCH-ORDER-3, SWITCH-REPLY-2]", async ({ ls }) => {
    await ls.login("alice");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("from") } } });
    await sw(ls, "alice", { from: ls.room("from"), to: ls.room("new"), create: true });
    expect(show(ls, ls.events("alice"))).toEqual(["new CONNECTING ACTIVE_SWITCH", "new CONNECTED SUCCESS", "from DISCONNECTED SUCCESS"]);
    const res = switched(ls.reply);
    expect([res.created, res.room?.roomSeq, res.room?.baseInfo?.roomName]).toEqual([true, 0n, ""]);
  });

  // ---- The source after the switch -------------------------------------------------------
  test("source emptied with delay 0 is destroyed before the reply: its ID is free at once [SWITCH-LEAVE-1]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("from"), roomName: nm(ls, "old") }, config: { roomAttributes: { a: "1" } } } });
    await sw(ls, "alice", { from: ls.room("from"), to: ls.room("to"), create: true });
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("from") } });
    expect(errorOf(ls.reply)?.code).toBe("ROOM_NOT_FOUND");
    await ls.request("bob", { case: "createRoom", value: { roomInfo: { roomId: ls.room("from"), roomName: nm(ls, "new") } } });
    expect(ls.reply?.result.case).toBe("createRoom");
  });

  test("source emptied with a delay becomes destroy-pending: it still exists with its name and an incremented room_seq [SWITCH-LEAVE-1]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("from"), roomName: nm(ls, "old") }, config: { roomDestroyDelaySeconds: ls.limits.maxRoomDestroyDelaySeconds } } });
    await sw(ls, "alice", { from: ls.room("from"), to: ls.room("to"), create: true });
    await ls.request("bob", { case: "createRoom", value: { roomInfo: { roomId: ls.room("from") } } });
    expect(errorOf(ls.reply)?.code).toBe("ROOM_ALREADY_EXISTS");
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("from") } });
    expect(ls.reply?.result.case === "joinRoom" && [ls.reply.result.value.room?.baseInfo?.roomName, ls.reply.result.value.room?.roomSeq]).toEqual([nm(ls, "old"), 2n]);
  });

  test("leaving the source deletes the caller's delete_after_owner_left room attributes (MemberLeft then DELETE to the remaining members) and its delete_after_left member attributes, keeping the others [SWITCH-LEAVE-1, SWITCH-OTHERS-2]", async ({ ls, skip }) => {
    // alice switches back from a second room; 3 room attributes of 2 bytes, 2 member attributes of 2 bytes.
    need(ls, skip, { members: 2, roomsPerUser: 2, roomAttributes: 3, roomAttributeBytes: 6, memberAttributes: 2, memberAttributeBytes: 4 });
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("bob", { case: "createRoom", value: { roomInfo: { roomId: ls.room("from") } } });
    await ls.request("alice", { case: "joinRoom", value: { roomId: ls.room("from") } }); // #1
    await ls.request("alice", { case: "setRoomAttributes", value: { roomId: ls.room("from"), attributes: { g: "1", a: "2" }, isDeleteAfterOwnerLeft: true } }); // #2
    await ls.request("alice", { case: "setRoomAttributes", value: { roomId: ls.room("from"), attributes: { k: "3" } } }); // #3
    await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: ls.room("from"), userIds: [ls.user("alice")], attributes: { m: "x" } } }); // #4, flagged (default)
    await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: ls.room("from"), userIds: [ls.user("alice")], attributes: { n: "y" }, isDeleteAfterOwnerLeft: false } }); // #5
    await sw(ls, "alice", { from: ls.room("from"), to: ls.room("to"), create: true });
    expect(show(ls, ls.events("bob"))).toEqual(["left from #6 alice", "attrs from #7 DELETE a=,g= by alice"]);
    expect(show(ls, ls.events("alice"))).toEqual(["to CONNECTING ACTIVE_SWITCH", "to CONNECTED SUCCESS", "from DISCONNECTED SUCCESS"]);
    await ls.request("bob", { case: "queryRoomAllAttributes", value: { roomId: ls.room("from") } });
    // Back in the source: only the unflagged member attribute survived.
    await sw(ls, "alice", { from: ls.room("to"), to: ls.room("from") });
    await ls.request("bob", { case: "queryRoomMembersAttributes", value: { roomId: ls.room("from"), userIds: [ls.user("alice")] } });
    const infos = ls.reply?.result.case === "queryRoomMembersAttributes" ? ls.reply.result.value.infos : [];
    expect(infos.map((i) => i.attributes)).toEqual([{ n: "y" }]);
  });

  // ---- Room counts and order --------------------------------------------------------------
  test("a user at max_rooms_per_user can switch (to a new room and to an existing one); its room count is unchanged afterwards [SWITCH-NOLIMIT-1, SWITCH-ROOMS-1]", async ({ ls, skip }) => {
    const cap = ls.limits.maxRoomsPerUser;
    if (cap > REACHABLE) skip(`max_rooms_per_user is ${cap}: too many rooms to reach the per-user cap cheaply`);
    need(ls, skip, { members: 2 });
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("bob", { case: "createRoom", value: { roomInfo: { roomId: ls.room("bobs") } } });
    const mine = Array.from({ length: cap }, (_, i) => `a${i}`);
    for (const r of mine) await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room(r) } } });
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("extra") } } });
    expect(errorOf(ls.reply)?.code).toBe("USER_ROOM_LIMIT");
    await sw(ls, "alice", { from: ls.room(mine[0]!), to: ls.room("new"), create: true });
    expect(switched(ls.reply).created).toBe(true);
    await sw(ls, "alice", { from: ls.room("new"), to: ls.room("bobs") });
    expect(switched(ls.reply).created).toBe(false);
    // Still at the cap: one more room is refused.
    await ls.request("alice", { case: "joinRoom", value: { roomId: ls.room("extra") } });
    expect(errorOf(ls.reply)?.code).toBe("ROOM_NOT_FOUND");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("extra") } } });
    expect(errorOf(ls.reply)?.code).toBe("USER_ROOM_LIMIT");
    // A failing switch at the cap is never USER_ROOM_LIMIT either.
    await sw(ls, "alice", { from: ls.room("bobs"), to: ls.room("missing") });
    expect(errorOf(ls.reply)?.code).toBe("ROOM_NOT_FOUND");
  });

  test("after a successful switch the source is gone from the caller's rooms and the target is last in its join order [SWITCH-ROOMS-1]", async ({ ls }) => {
    const k = Math.min(3, ls.limits.maxRoomsPerUser);
    await ls.login("alice");
    const rooms = Array.from({ length: k }, (_, i) => `r${i + 1}`);
    for (const r of rooms) await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room(r) } } });
    await sw(ls, "alice", { from: ls.room(rooms[0]!), to: ls.room("target"), create: true });
    await ls.request("alice", { case: "leaveAllRooms", value: {} });
    const left = ls.reply?.result.case === "leaveAllRooms" ? ls.reply.result.value.roomIds.map(ls.u) : [];
    expect(left).toEqual([...rooms.slice(1), "target"]);
  });
});
