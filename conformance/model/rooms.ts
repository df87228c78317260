// Rooms: create, join, enter, switch, leave, leaveAll (spec/rooms.md,
// spec/switch.md), the leave effects they share with logout, kick and
// disconnect, and the lifecycle of an empty room (spec/lifecycle.md).
import { create } from "@bufbuild/protobuf";
import {
  CreateRoomResponseSchema,
  EnterRoomResponseSchema,
  ErrorCode,
  Feature,
  JoinRoomResponseSchema,
  LeaveAllRoomsResponseSchema,
  LeaveRoomResponseSchema,
  RoomAttributesUpdateAction,
  RoomStateReason,
  SwitchRoomResponseSchema,
  type CreateRoomRequest,
  type EnterRoomRequest,
  type JoinRoomRequest,
  type LeaveAllRoomsRequest,
  type LeaveRoomRequest,
  type Reply,
  type RoomConfig,
  type RoomInfo,
  type RoomMessage,
  type SwitchRoomRequest,
} from "../../protocol/index.js";
import type { Draft } from "./draft.js";
import {
  attributesUpdated,
  connected,
  connecting,
  deletedKeys,
  disconnected,
  memberJoined,
  memberLeft,
  roomMember,
  updateInfo,
} from "./events.js";
import { fail, ok, roomFullInfo } from "./replies.js";
import { hasFeature, type MemberAttribute, type Room, type RoomAttribute, type SessionKey } from "./state.js";
import { checkId, checkName, checkRoomAttributeSet, invalid, type Violation } from "./validate.js";

// ---- Argument validation shared by create, enter and switch -----------------

/**
 * room_info and config of a request that may create a room, in order:
 * room_id [CREATE-VALID-1, ENTER-VALID-1, SWITCH-VALID-2], room_name
 * [CREATE-VALID-2, SWITCH-VALID-3], then the config: destroy delay
 * [CREATE-VALID-3], attributes key by key in ascending order, count, total
 * size [CREATE-VALID-4..8] (also [ENTER-VALID-2, SWITCH-VALID-4]). A missing
 * room_info has an empty, invalid room ID; a missing config is empty.
 * `prefix` is the request's field name for the RoomInfo ("room_info" or
 * "to_room_info").
 */
function checkCreateArguments(d: Draft, info: RoomInfo | undefined, config: RoomConfig | undefined, prefix: string): Violation | undefined {
  const limits = d.limits;
  return (
    checkId(info?.roomId ?? "", limits.maxRoomIdBytes, `${prefix}.room_id`) ??
    checkName(info?.roomName ?? "", limits.maxRoomNameBytes, `${prefix}.room_name`) ??
    checkDestroyDelay(d, config) ??
    checkRoomAttributeSet(config?.roomAttributes ?? {}, limits, true)
  );
}

function checkDestroyDelay(d: Draft, config: RoomConfig | undefined): Violation | undefined {
  const delay = config?.roomDestroyDelaySeconds ?? 0;
  const max = d.limits.maxRoomDestroyDelaySeconds;
  return delay > max ? invalid("config.room_destroy_delay_seconds", max, delay) : undefined;
}

/**
 * history_count of join and enter: > 0 needs FEATURE_MESSAGE_HISTORY
 * [JOIN-VALID-2], then at most max_history_count [JOIN-VALID-3]; an argument
 * check inside step 6, not step 5 (transport.md note) [ENTER-VALID-3].
 */
function checkHistoryCount(d: Draft, count: number): Violation | ErrorCode | undefined {
  if (count > 0 && !hasFeature(d.config, Feature.MESSAGE_HISTORY)) return ErrorCode.FEATURE_NOT_SUPPORTED;
  const max = d.limits.maxHistoryCount;
  return count > max ? invalid("history_count", max, count) : undefined;
}

// ---- State checks -------------------------------------------------------------

function callerOf(d: Draft, s: SessionKey): { userId: string; userName: string } {
  const user = d.session(s).user;
  if (user === undefined) throw new Error(`model: session ${s} is not logged in`);
  return user;
}

export function isMember(room: Room, userId: string): boolean {
  return room.members.some((m) => m.userId === userId);
}

/** USER_ROOM_LIMIT when the caller's room count ≥ max_rooms_per_user [CREATE-CHECK-2, JOIN-CHECK-3]. */
function atUserRoomCap(d: Draft, s: SessionKey): boolean {
  return d.session(s).rooms.length >= d.limits.maxRoomsPerUser;
}

/** SERVER_ROOM_LIMIT when max_rooms_per_server ≠ 0 and existing rooms (pending included) ≥ it [CREATE-CHECK-3, DESTROY-PENDING-3]. */
function atServerRoomCap(d: Draft): boolean {
  const max = d.limits.maxRoomsPerServer;
  return max !== 0 && d.rooms.size >= max;
}

/** ROOM_FULL when max_members_per_room ≠ 0 and members ≥ it [JOIN-CHECK-4]. */
function isFull(d: Draft, room: Room): boolean {
  const max = d.limits.maxMembersPerRoom;
  return max !== 0 && room.members.length >= max;
}

// ---- Entering a room: the effects shared by create, join, enter, switch ------

/**
 * The snapshot a member gets right after its (room, CONNECTED, SUCCESS) when
 * the room has ≥ 1 attribute: SET of every key, current seq, no operator
 * [SNAPSHOT-1, SNAPSHOT-2]; only to the entering session [SNAPSHOT-3]; the
 * seq does not move [SEQ-5].
 */
function sendSnapshot(d: Draft, s: SessionKey, room: Room): void {
  if (room.attributes.size === 0) return;
  const all = Object.fromEntries([...room.attributes].map(([k, a]) => [k, a.value]));
  d.emit(s, attributesUpdated(room.roomId, room.seq, updateInfo(RoomAttributesUpdateAction.SET, all), ""));
}

function appendRoomToSession(d: Draft, s: SessionKey, roomId: string): void {
  const session = d.session(s);
  // [ROOM-ORDER-2] create, join, enter and a switch's target append the room.
  d.setSession({ ...session, rooms: [...session.rooms, roomId] });
}

/**
 * Creates the room with the caller as its only member: the request's name
 * and delay, seq 0 [CREATE-EFFECT-1, SEQ-1, SEQ-8, SWITCH-CREATE-1]; config
 * attributes owned by the caller with delete_after_owner_left false
 * [CREATE-EFFECT-2]. Sends the caller CONNECTED [CREATE-EVENT-1] and the
 * snapshot [CREATE-EVENT-2]; the caller's CONNECTING is the handler's.
 */
function createAndEnter(d: Draft, s: SessionKey, info: RoomInfo | undefined, config: RoomConfig | undefined): Room {
  const caller = callerOf(d, s);
  const attributes = new Map<string, RoomAttribute>(
    Object.entries(config?.roomAttributes ?? {}).map(([key, value]) => [key, { value, owner: caller.userId, deleteAfterOwnerLeft: false }]),
  );
  const room: Room = {
    roomId: info?.roomId ?? "",
    roomName: info?.roomName ?? "",
    destroyDelaySeconds: config?.roomDestroyDelaySeconds ?? 0,
    incarnation: d.nextCounter("incarnations"),
    seq: 0n,
    members: [{ userId: caller.userId, userName: caller.userName, joinIndex: 1 }],
    nextJoinIndex: 2,
    attributes,
    memberAttributes: new Map(),
    history: [],
    destroyTimer: undefined,
  };
  d.setRoom(room);
  appendRoomToSession(d, s, room.roomId);
  d.emit(s, connected(room.roomId));
  sendSnapshot(d, s, room);
  return room;
}

/**
 * Adds the caller to an existing room: appended to members [ROOM-ORDER-1],
 * pending destruction cancelled [DESTROY-CANCEL-1], seq += 1 [JOIN-EFFECT-1,
 * SWITCH-JOIN-1]; RoomMemberJoined to the others [JOIN-EVENT-1,
 * SWITCH-OTHERS-1], not to the caller [JOIN-EVENT-4]; the caller gets
 * CONNECTED [JOIN-EVENT-2] and the snapshot with the new seq [JOIN-EVENT-3].
 */
function joinExisting(d: Draft, s: SessionKey, room: Room): Room {
  const caller = callerOf(d, s);
  const member = { userId: caller.userId, userName: caller.userName, joinIndex: room.nextJoinIndex };
  const joined: Room = {
    ...room,
    members: [...room.members, member],
    nextJoinIndex: room.nextJoinIndex + 1,
    // [DESTROY-CANCEL-1, DESTROY-PENDING-1] joining a destroy-pending room cancels its destruction.
    destroyTimer: undefined,
    seq: room.seq + 1n,
  };
  d.setRoom(joined);
  d.emitToMembers(joined, memberJoined(room.roomId, joined.seq, [roomMember(member)]), caller.userId);
  appendRoomToSession(d, s, room.roomId);
  d.emit(s, connected(room.roomId));
  sendSnapshot(d, s, joined);
  return joined;
}

/** The last min(count, kept) messages, oldest first [JOIN-REPLY-2, HISTORY-QUERY-1]. */
export function lastMessages(room: Room, count: number): RoomMessage[] {
  if (count <= 0) return [];
  return room.history.slice(Math.max(0, room.history.length - count));
}

// ---- Leaving a room: shared by leave, leaveAll, logout, kick, disconnect, switch

/**
 * The leave effects (rooms.md), in order: the user is removed from the room
 * and the room from its session [LEAVE-EFFECT-1]; seq += 1 and the remaining
 * members get RoomMemberLeft [LEAVE-EFFECT-2]; the user's room attributes
 * flagged delete_after_owner_left are deleted with seq += 1 and one DELETE
 * event, operator = the user [LEAVE-EFFECT-4], the unflagged ones stay its
 * own [LEAVE-EFFECT-5]; its member attribute keys flagged delete_after_left
 * vanish silently, the others are retained [LEAVE-EFFECT-6]; an emptied room
 * is destroyed or becomes destroy-pending [LEAVE-EFFECT-7]. The increments
 * happen with no recipient too [LEAVE-EFFECT-3, SEQ-4]. The leaver gets
 * nothing from here [LEAVE-EFFECT-8]; its state event is the cause's business.
 */
export function leaveEffects(d: Draft, roomId: string, userId: string): void {
  const room = d.room(roomId);
  if (room === undefined) throw new Error(`model: leaving absent room ${roomId}`);
  const leaver = room.members.find((m) => m.userId === userId);
  if (leaver === undefined) throw new Error(`model: ${userId} is not in ${roomId}`);

  let r: Room = { ...room, members: room.members.filter((m) => m.userId !== userId), seq: room.seq + 1n };
  d.emitToMembers(r, memberLeft(roomId, r.seq, [roomMember(leaver)]));

  const doomed = [...r.attributes].filter(([, a]) => a.owner === userId && a.deleteAfterOwnerLeft).map(([k]) => k);
  if (doomed.length > 0) {
    const attributes = new Map(r.attributes);
    for (const k of doomed) attributes.delete(k);
    r = { ...r, attributes, seq: r.seq + 1n };
    d.emitToMembers(r, attributesUpdated(roomId, r.seq, updateInfo(RoomAttributesUpdateAction.DELETE, deletedKeys(doomed)), userId));
  }

  const own = r.memberAttributes.get(userId);
  if (own !== undefined) {
    // [LEAVE-EFFECT-6, MATTR-RETAIN-1] flagged keys go; the others stay, invisible [MATTR-RETAIN-2].
    const kept = new Map<string, MemberAttribute>([...own].filter(([, a]) => !a.deleteAfterLeft));
    const memberAttributes = new Map(r.memberAttributes);
    if (kept.size === 0) memberAttributes.delete(userId);
    else memberAttributes.set(userId, kept);
    r = { ...r, memberAttributes };
  }

  const s = d.sessionOfUser(userId);
  const session = d.session(s);
  d.setSession({ ...session, rooms: session.rooms.filter((id) => id !== roomId) });

  d.setRoom(r);
  if (r.members.length === 0) emptied(d, r);
}

/**
 * An empty room is destroyed at once with delay 0, within the request
 * [DESTROY-ZERO-1], else becomes destroy-pending, due `delay` seconds after
 * it became empty on the model's clock [DESTROY-DELAY-1, CLOCK-4].
 * Destruction is silent and forgets everything [DESTROY-SILENT-1,
 * DESTROY-FORGET-1, MATTR-RETAIN-1, HISTORY-KEEP-2].
 */
function emptied(d: Draft, room: Room): void {
  if (room.destroyDelaySeconds === 0) {
    d.rooms.delete(room.roomId);
    return;
  }
  d.setRoom({ ...room, destroyTimer: { dueMs: d.nowMs + room.destroyDelaySeconds * 1000, order: d.nextCounter("timers") } });
}

/**
 * Moves the clock to `nowMs` (never backwards) and destroys every room whose
 * timer is due at or before it [CLOCK-5], not those due later
 * [DESTROY-DELAY-2, CLOCK-6]; in due-time order, ties in scheduling order
 * (test-clock.md note). Destruction sends no event [DESTROY-SILENT-1, CLOCK-9].
 */
export function fireDueTimers(d: Draft, nowMs: number): void {
  d.nowMs = Math.max(d.nowMs, nowMs);
  const due = [...d.rooms.values()]
    .filter((r) => r.destroyTimer !== undefined && r.destroyTimer.dueMs <= d.nowMs)
    .sort((a, b) => a.destroyTimer!.dueMs - b.destroyTimer!.dueMs || a.destroyTimer!.order - b.destroyTimer!.order);
  for (const r of due) d.rooms.delete(r.roomId);
}

/**
 * Leaves every room of a session in its join order, room by room, sending
 * the session `stateReason` for each room when given: SUCCESS after each
 * room's effects for leaveAll and Logout [LEAVEALL-1, LOGOUT-1];
 * KICKED_OUT_BY_OTHER_DEVICE for a kick [KICK-ROOMS-1, KICK-ROOMS-2]. A
 * disconnect passes undefined: nothing is sent to a closed connection
 * [DISCONNECT-1]. Returns the rooms left.
 */
export function leaveEveryRoom(d: Draft, s: SessionKey, stateReason: RoomStateReason | undefined): string[] {
  const session = d.session(s);
  const userId = session.user?.userId;
  if (userId === undefined) return [];
  const left = [...session.rooms];
  for (const roomId of left) {
    if (stateReason === RoomStateReason.KICKED_OUT_BY_OTHER_DEVICE) {
      // session.md kick table: the kicked session's state event, then the room's leave effects.
      d.emit(s, disconnected(roomId, stateReason));
      leaveEffects(d, roomId, userId);
    } else {
      leaveEffects(d, roomId, userId);
      if (stateReason !== undefined) d.emit(s, disconnected(roomId, stateReason));
    }
  }
  return left;
}

// ---- Handlers -----------------------------------------------------------------

/** createRoom (rooms.md). */
export function createRoom(d: Draft, s: SessionKey, req: CreateRoomRequest): Reply {
  const bad = checkCreateArguments(d, req.roomInfo, req.config, "room_info");
  if (bad) return fail(bad);
  const roomId = req.roomInfo!.roomId;
  // [CREATE-CHECK-1, DESTROY-PENDING-2] wins over being a member: the room exists either way.
  if (d.rooms.has(roomId)) return fail(ErrorCode.ROOM_ALREADY_EXISTS);
  if (atUserRoomCap(d, s)) return fail(ErrorCode.USER_ROOM_LIMIT); // [CREATE-CHECK-2]
  if (atServerRoomCap(d)) return fail(ErrorCode.SERVER_ROOM_LIMIT); // [CREATE-CHECK-3]
  d.emit(s, connecting(roomId, RoomStateReason.ACTIVE_CREATE)); // [CREATE-EVENT-1]; nobody else hears of it [CREATE-EVENT-3]
  const room = createAndEnter(d, s, req.roomInfo, req.config);
  // [CREATE-REPLY-1, CREATE-REPLY-2]
  return ok({ case: "createRoom", value: create(CreateRoomResponseSchema, { room: roomFullInfo(room) }) });
}

/** joinRoom's state checks after the room is found; shared with enterRoom of an existing room. */
function joinChecks(d: Draft, s: SessionKey, room: Room): ErrorCode | undefined {
  const userId = callerOf(d, s).userId;
  if (isMember(room, userId)) return ErrorCode.ALREADY_IN_ROOM; // [JOIN-CHECK-2, ENTER-EXISTING-2]
  if (atUserRoomCap(d, s)) return ErrorCode.USER_ROOM_LIMIT; // [JOIN-CHECK-3]
  if (isFull(d, room)) return ErrorCode.ROOM_FULL; // [JOIN-CHECK-4]
  return undefined;
}

/** joinRoom (rooms.md). */
export function joinRoom(d: Draft, s: SessionKey, req: JoinRoomRequest): Reply {
  // [JOIN-VALID-1] then [JOIN-VALID-2, JOIN-VALID-3]
  const bad = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id") ?? checkHistoryCount(d, req.historyCount);
  if (bad !== undefined) return fail(bad);
  const room = d.room(req.roomId);
  if (room === undefined) return fail(ErrorCode.ROOM_NOT_FOUND); // [JOIN-CHECK-1, DESTROY-FORGET-1]
  const refused = joinChecks(d, s, room);
  if (refused !== undefined) return fail(refused);
  d.emit(s, connecting(room.roomId, RoomStateReason.ACTIVE_JOIN)); // [JOIN-EVENT-2]
  const joined = joinExisting(d, s, room);
  // [JOIN-REPLY-1, JOIN-REPLY-2, SEQ-6]
  return ok({
    case: "joinRoom",
    value: create(JoinRoomResponseSchema, { room: roomFullInfo(joined), history: lastMessages(joined, req.historyCount) }),
  });
}

/**
 * enterRoom ≡ (exists ? joinRoom : createRoom) after the argument validation
 * of both, whether or not the room exists [ENTER-VALID-1..4]; the only
 * observable differences are the ACTIVE_ENTER reason [ENTER-REASON-1] and
 * `created` [ENTER-CREATED-1] ([ENTER-EQUIV-1..6]).
 */
export function enterRoom(d: Draft, s: SessionKey, req: EnterRoomRequest): Reply {
  const bad = checkCreateArguments(d, req.roomInfo, req.config, "room_info") ?? checkHistoryCount(d, req.historyCount);
  if (bad !== undefined) return fail(bad);
  const roomId = req.roomInfo!.roomId;
  const existing = d.room(roomId);
  if (existing !== undefined) {
    // As joinRoom; the request's name and config are ignored [ENTER-EXISTING-1].
    const refused = joinChecks(d, s, existing);
    if (refused !== undefined) return fail(refused);
    d.emit(s, connecting(roomId, RoomStateReason.ACTIVE_ENTER));
    const joined = joinExisting(d, s, existing);
    return ok({
      case: "enterRoom",
      value: create(EnterRoomResponseSchema, {
        room: roomFullInfo(joined),
        created: false,
        history: lastMessages(joined, req.historyCount),
      }),
    });
  }
  // As createRoom from CREATE-CHECK-2 (the room is absent, so CREATE-CHECK-1 passes).
  if (atUserRoomCap(d, s)) return fail(ErrorCode.USER_ROOM_LIMIT);
  if (atServerRoomCap(d)) return fail(ErrorCode.SERVER_ROOM_LIMIT);
  d.emit(s, connecting(roomId, RoomStateReason.ACTIVE_ENTER));
  const room = createAndEnter(d, s, req.roomInfo, req.config);
  return ok({ case: "enterRoom", value: create(EnterRoomResponseSchema, { room: roomFullInfo(room), created: true, history: [] }) });
}

/** switchRoom (switch.md). */
export function switchRoom(d: Draft, s: SessionKey, req: SwitchRoomRequest): Reply {
  // Validation and checks: plain error replies, no event, no change [SWITCH-QUIET-1].
  // [SWITCH-VALID-1] then [SWITCH-VALID-2..5] (name and config whatever create_if_absent says).
  const bad =
    checkId(req.fromRoomId, d.limits.maxRoomIdBytes, "from_room_id") ?? checkCreateArguments(d, req.toRoomInfo, req.config, "to_room_info");
  if (bad) return fail(bad);
  const fromId = req.fromRoomId;
  const toId = req.toRoomInfo!.roomId;
  if (fromId === toId) return fail(ErrorCode.SWITCH_TO_SAME_ROOM); // [SWITCH-SAME-1]
  const userId = callerOf(d, s).userId;
  const from = d.room(fromId);
  if (from === undefined) return fail(ErrorCode.ROOM_NOT_FOUND); // [SWITCH-CHECK-1]
  if (!isMember(from, userId)) return fail(ErrorCode.NOT_IN_ROOM); // [SWITCH-CHECK-2]
  const target = d.room(toId);
  if (target !== undefined && isMember(target, userId)) return fail(ErrorCode.ALREADY_IN_ROOM); // [SWITCH-CHECK-3]
  // [SWITCH-NOLIMIT-1] never USER_ROOM_LIMIT: a switch does not change the caller's room count.

  d.emit(s, connecting(toId, RoomStateReason.ACTIVE_SWITCH)); // [SWITCH-CONNECTING-1]
  // Cases A, B, C: SWITCH_FAILED, nothing else changes [SWITCH-FAIL-STATE-1, SWITCH-FAIL-QUIET-1].
  const switchFailed = (code: ErrorCode): Reply => {
    d.emit(s, disconnected(toId, RoomStateReason.SWITCH_FAILED));
    return fail(code);
  };
  let created = false;
  if (target === undefined) {
    if (!req.createIfAbsent) return switchFailed(ErrorCode.ROOM_NOT_FOUND); // A [SWITCH-FAIL-ABSENT-1]
    // B: tested before the source is left, so a source destroyed at once does
    // not free a place for its own target [SWITCH-FAIL-LIMIT-1, SWITCH-FAIL-LIMIT-2].
    if (atServerRoomCap(d)) return switchFailed(ErrorCode.SERVER_ROOM_LIMIT);
    createAndEnter(d, s, req.toRoomInfo, req.config); // E [SWITCH-CREATE-1]
    created = true;
  } else {
    if (isFull(d, target)) return switchFailed(ErrorCode.ROOM_FULL); // C [SWITCH-FAIL-FULL-1]
    joinExisting(d, s, target); // D [SWITCH-JOIN-1, SWITCH-NAME-1]; CONNECTED [SWITCH-ORDER-1], snapshot [SWITCH-ORDER-2]
  }
  // Then the source [SWITCH-LEAVE-1]: its members get Left after the target's Joined [SWITCH-OTHERS-2, SWITCH-OTHERS-3].
  leaveEffects(d, fromId, userId);
  d.emit(s, disconnected(fromId)); // [SWITCH-ORDER-3]
  // [SWITCH-ROOMS-1] by appendRoomToSession / leaveEffects; [SWITCH-REPLY-1, SWITCH-REPLY-2]
  return ok({ case: "switchRoom", value: create(SwitchRoomResponseSchema, { room: roomFullInfo(d.room(toId)!), created }) });
}

/** leaveRoom (rooms.md). */
export function leaveRoom(d: Draft, s: SessionKey, req: LeaveRoomRequest): Reply {
  const bad = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id"); // [LEAVE-VALID-1]
  if (bad) return fail(bad);
  const room = d.room(req.roomId);
  if (room === undefined) return fail(ErrorCode.ROOM_NOT_FOUND); // [LEAVE-CHECK-1]
  const userId = callerOf(d, s).userId;
  if (!isMember(room, userId)) return fail(ErrorCode.NOT_IN_ROOM); // [LEAVE-CHECK-2]
  leaveEffects(d, room.roomId, userId); // [LEAVE-OK-1]
  d.emit(s, disconnected(room.roomId)); // [LEAVE-EVENT-1]
  // [LEAVE-REPLY-1]
  return ok({ case: "leaveRoom", value: create(LeaveRoomResponseSchema, { roomId: room.roomId }) });
}

/** leaveAllRooms: no check of its own [LEAVEALL-4]; rooms in join order, room by room [LEAVEALL-1..3]. */
export function leaveAllRooms(d: Draft, s: SessionKey, _req: LeaveAllRoomsRequest): Reply {
  const roomIds = leaveEveryRoom(d, s, RoomStateReason.SUCCESS);
  return ok({ case: "leaveAllRooms", value: create(LeaveAllRoomsResponseSchema, { roomIds }) });
}
