// Room lifecycle operations (brief §3, §4): create, join, enter, switch,
// leave, leave all, plus the shared join and leave effects that kicks,
// logouts and disconnects reuse.
import {
  ErrorCode,
  RoomAttributesUpdateAction,
  RoomState,
  RoomStateReason,
  type CreateRoomRequest,
  type EnterRoomRequest,
  type Error as WireError,
  type JoinRoomRequest,
  type LeaveRoomRequest,
  type RoomConfig,
  type RoomInfo,
  type SwitchRoomRequest,
} from "../../protocol/index.js";
import { errorResult, fullInfo, memberRoom, isRoom, type OpContext } from "./context.js";
import type { ResultInit } from "./effects.js";
import { failure, invalidArgument, notInRoom, roomNotFound } from "./errors.js";
import { Room, type ServerState, type Session } from "./state.js";
import { checkId, checkName, checkRoomAttributePairs, compareUtf8, pairsBytes } from "./validation.js";

// ---- argument validation -------------------------------------------------

/** room_info (id, name) and config (delay, attributes) of a request that may create a room. */
function checkCreateArgs(ctx: OpContext, infoField: string, info: RoomInfo | undefined, config: RoomConfig | undefined): WireError | undefined {
  const limits = ctx.state.limits;
  return (
    checkId(`${infoField}.room_id`, info?.roomId ?? "", limits.maxRoomIdBytes) ??
    checkName(`${infoField}.room_name`, info?.roomName ?? "", limits.maxRoomNameBytes) ??
    checkConfig(ctx, config)
  );
}

function checkConfig(ctx: OpContext, config: RoomConfig | undefined): WireError | undefined {
  const limits = ctx.state.limits;
  const delay = config?.roomDestroyDelaySeconds ?? 0;
  if (delay > limits.maxRoomDestroyDelaySeconds) {
    return invalidArgument(
      "config.room_destroy_delay_seconds",
      `room_destroy_delay_seconds ${delay} is more than ${limits.maxRoomDestroyDelaySeconds}`,
      limits.maxRoomDestroyDelaySeconds,
      delay,
    );
  }
  const attributes = config?.roomAttributes ?? {};
  const pairsError = checkRoomAttributePairs("config.room_attributes", attributes, limits);
  if (pairsError) return pairsError;
  const total = pairsBytes(attributes);
  if (total > limits.maxRoomAttributesTotalBytes) {
    return failure(
      ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT,
      `room attributes of ${total} bytes, more than ${limits.maxRoomAttributesTotalBytes}`,
      { field: "config.room_attributes", limit: limits.maxRoomAttributesTotalBytes, actual: total },
    );
  }
  return undefined;
}

/** history_count of join and enter: the feature first, then the bound. */
function checkHistoryCount(ctx: OpContext, count: number): WireError | undefined {
  if (count === 0) return undefined;
  if (!ctx.state.features.messageHistory) {
    return failure(ErrorCode.FEATURE_NOT_SUPPORTED, "history_count needs FEATURE_MESSAGE_HISTORY, which this server does not offer", {
      field: "history_count",
    });
  }
  const max = ctx.state.limits.maxHistoryCount;
  if (count > max) return invalidArgument("history_count", `history_count ${count} is more than ${max}`, max, count);
  return undefined;
}

// ---- state checks shared by several operations ---------------------------

function userRoomLimit(ctx: OpContext): WireError | undefined {
  const max = ctx.state.limits.maxRoomsPerUser;
  const count = ctx.session.rooms.size;
  if (count >= max) {
    return failure(ErrorCode.USER_ROOM_LIMIT, `the caller is already in ${count} rooms, the most allowed`, { limit: max, actual: count });
  }
  return undefined;
}

function serverRoomLimit(state: ServerState): WireError | undefined {
  const max = state.limits.maxRoomsPerServer;
  if (max !== 0 && state.rooms.size >= max) {
    return failure(ErrorCode.SERVER_ROOM_LIMIT, `the server already holds ${state.rooms.size} rooms, the most allowed`, {
      limit: max,
      actual: state.rooms.size,
    });
  }
  return undefined;
}

function roomFull(state: ServerState, room: Room): WireError | undefined {
  const max = state.limits.maxMembersPerRoom;
  if (max !== 0 && room.members.size >= max) {
    return failure(ErrorCode.ROOM_FULL, `room ${JSON.stringify(room.id)} already holds ${room.members.size} members`, {
      roomId: room.id,
      limit: max,
      actual: room.members.size,
    });
  }
  return undefined;
}

function alreadyInRoom(roomId: string): WireError {
  return failure(ErrorCode.ALREADY_IN_ROOM, `the caller is already a member of room ${JSON.stringify(roomId)}`, { roomId });
}

// ---- effects shared by every way in and out of a room --------------------

function roomStateEvent(ctx: OpContext, session: Session, roomId: string, state: RoomState, reason: RoomStateReason): void {
  ctx.fx.toSession(session, { case: "roomStateChanged", value: { roomId, state, reason } });
}

/** (r, CONNECTED, SUCCESS) and, if the room has attributes, the snapshot, to the session that just entered. */
function connectedEvents(ctx: OpContext, room: Room): void {
  roomStateEvent(ctx, ctx.session, room.id, RoomState.CONNECTED, RoomStateReason.SUCCESS);
  if (room.attributes.size === 0) return;
  const attributes: { [k: string]: string } = {};
  for (const key of [...room.attributes.keys()].sort(compareUtf8)) attributes[key] = room.attributes.get(key)?.value ?? "";
  ctx.fx.toSession(ctx.session, {
    case: "roomAttributesUpdated",
    value: {
      roomId: room.id,
      roomSeq: BigInt(room.seq),
      info: { action: RoomAttributesUpdateAction.SET, attributes },
      operatorUserId: "",
    },
  });
}

function addMember(state: ServerState, room: Room, session: Session): void {
  room.members.set(session.userId, { session, userName: session.userName, joinIndex: state.takeJoinIndex() });
  session.rooms.add(room.id);
}

/** Creates a room with the caller as its only member (no room event: seq stays 0). */
function createEffects(ctx: OpContext, info: RoomInfo | undefined, config: RoomConfig | undefined): Room {
  const room = new Room(info?.roomId ?? "", info?.roomName ?? "", config?.roomDestroyDelaySeconds ?? 0);
  for (const key of Object.keys(config?.roomAttributes ?? {}).sort(compareUtf8)) {
    room.attributes.set(key, { value: config?.roomAttributes[key] ?? "", owner: ctx.session.userId, deleteAfterOwnerLeft: false });
  }
  ctx.state.rooms.set(room.id, room);
  addMember(ctx.state, room, ctx.session);
  return room;
}

/** Adds the caller to an existing room: cancels a pending destruction, MemberJoined to the others. */
function joinEffects(ctx: OpContext, room: Room): void {
  cancelDestroy(ctx.state, room);
  addMember(ctx.state, room, ctx.session);
  room.seq++;
  ctx.fx.toMembers(
    room,
    { case: "roomMemberJoined", value: { roomId: room.id, roomSeq: BigInt(room.seq), members: [{ userId: ctx.session.userId, userName: ctx.session.userName }] } },
    ctx.session.userId,
  );
}

/**
 * The leave effects shared by leave, leave-all, logout, kick, disconnect and
 * switch-away (brief §4): MemberLeft to the others, then deletion of the
 * leaver's delete-after-owner-left attributes, silent removal of its flagged
 * member attributes, and destruction of an emptied room per its delay.
 * The caller's own state event is the caller's business.
 */
export function leaveEffects(ctx: OpContext, room: Room, session: Session): void {
  const member = room.members.get(session.userId);
  if (member === undefined) return;
  room.members.delete(session.userId);
  session.rooms.delete(room.id);
  room.seq++;
  ctx.fx.toMembers(room, {
    case: "roomMemberLeft",
    value: { roomId: room.id, roomSeq: BigInt(room.seq), members: [{ userId: session.userId, userName: member.userName }] },
  });

  const deleted: string[] = [];
  for (const [key, attribute] of room.attributes) {
    if (attribute.owner === session.userId && attribute.deleteAfterOwnerLeft) deleted.push(key);
  }
  if (deleted.length > 0) {
    deleted.sort(compareUtf8);
    const attributes: { [k: string]: string } = {};
    for (const key of deleted) {
      room.attributes.delete(key);
      attributes[key] = "";
    }
    room.seq++;
    ctx.fx.toMembers(room, {
      case: "roomAttributesUpdated",
      value: { roomId: room.id, roomSeq: BigInt(room.seq), info: { action: RoomAttributesUpdateAction.DELETE, attributes }, operatorUserId: session.userId },
    });
  }

  const own = room.memberAttributes.get(session.userId);
  if (own !== undefined) {
    for (const [key, attribute] of own) if (attribute.deleteAfterLeft) own.delete(key);
    if (own.size === 0) room.memberAttributes.delete(session.userId);
  }

  if (room.members.size === 0) scheduleDestroy(ctx.state, room);
}

/** Leaves one room with the caller's (r, DISCONNECTED, reason) event. */
export function leaveWithEvent(ctx: OpContext, room: Room, session: Session, reason: RoomStateReason): void {
  roomStateEvent(ctx, session, room.id, RoomState.DISCONNECTED, reason);
  leaveEffects(ctx, room, session);
}

/** Leaves every room of `session` in join order, each with its state event; returns the room IDs. */
export function leaveAll(ctx: OpContext, session: Session, reason: RoomStateReason): string[] {
  const roomIds = [...session.rooms];
  for (const roomId of roomIds) {
    const room = ctx.state.rooms.get(roomId);
    if (room !== undefined) leaveWithEvent(ctx, room, session, reason);
  }
  return roomIds;
}

/** Leaves every room without telling the session (it is gone: a dropped connection). */
export function leaveAllSilently(ctx: OpContext, session: Session): void {
  for (const roomId of [...session.rooms]) {
    const room = ctx.state.rooms.get(roomId);
    if (room !== undefined) leaveEffects(ctx, room, session);
  }
}

function scheduleDestroy(state: ServerState, room: Room): void {
  if (room.destroyDelaySeconds === 0) {
    destroyRoom(state, room);
    return;
  }
  room.destroyTimer = state.scheduler.schedule(room.destroyDelaySeconds * 1000, () => {
    room.destroyTimer = undefined;
    if (room.members.size === 0) destroyRoom(state, room);
  });
}

function cancelDestroy(state: ServerState, room: Room): void {
  if (room.destroyTimer !== undefined) {
    state.scheduler.cancel(room.destroyTimer);
    room.destroyTimer = undefined;
  }
}

/** Forgets a room entirely; no event (brief §3). */
function destroyRoom(state: ServerState, room: Room): void {
  cancelDestroy(state, room);
  if (state.rooms.get(room.id) === room) state.rooms.delete(room.id);
}

function historyOf(room: Room, count: number) {
  return count === 0 ? [] : room.history.slice(-count);
}

// ---- operations ----------------------------------------------------------

export function createRoom(ctx: OpContext, req: CreateRoomRequest): ResultInit {
  const bad = checkCreateArgs(ctx, "room_info", req.roomInfo, req.config);
  if (bad) return errorResult(bad);
  const roomId = req.roomInfo?.roomId ?? "";
  if (ctx.state.rooms.has(roomId)) {
    return errorResult(failure(ErrorCode.ROOM_ALREADY_EXISTS, `room ${JSON.stringify(roomId)} already exists`, { roomId }));
  }
  const capError = userRoomLimit(ctx) ?? serverRoomLimit(ctx.state);
  if (capError) return errorResult(capError);
  roomStateEvent(ctx, ctx.session, roomId, RoomState.CONNECTING, RoomStateReason.ACTIVE_CREATE);
  const room = createEffects(ctx, req.roomInfo, req.config);
  connectedEvents(ctx, room);
  return { case: "createRoom", value: { room: fullInfo(room) } };
}

export function joinRoom(ctx: OpContext, req: JoinRoomRequest): ResultInit {
  const bad = checkId("room_id", req.roomId, ctx.state.limits.maxRoomIdBytes) ?? checkHistoryCount(ctx, req.historyCount);
  if (bad) return errorResult(bad);
  const room = ctx.state.rooms.get(req.roomId);
  if (room === undefined) return errorResult(roomNotFound(req.roomId));
  const joinError = joinStateChecks(ctx, room);
  if (joinError) return errorResult(joinError);
  roomStateEvent(ctx, ctx.session, room.id, RoomState.CONNECTING, RoomStateReason.ACTIVE_JOIN);
  joinEffects(ctx, room);
  connectedEvents(ctx, room);
  return { case: "joinRoom", value: { room: fullInfo(room), history: historyOf(room, req.historyCount) } };
}

/** joinRoom from step 3: ALREADY_IN_ROOM, USER_ROOM_LIMIT, ROOM_FULL. */
function joinStateChecks(ctx: OpContext, room: Room): WireError | undefined {
  if (room.members.has(ctx.session.userId)) return alreadyInRoom(room.id);
  return userRoomLimit(ctx) ?? roomFull(ctx.state, room);
}

export function enterRoom(ctx: OpContext, req: EnterRoomRequest): ResultInit {
  const bad = checkCreateArgs(ctx, "room_info", req.roomInfo, req.config) ?? checkHistoryCount(ctx, req.historyCount);
  if (bad) return errorResult(bad);
  const roomId = req.roomInfo?.roomId ?? "";
  const existing = ctx.state.rooms.get(roomId);
  if (existing !== undefined) {
    const joinError = joinStateChecks(ctx, existing);
    if (joinError) return errorResult(joinError);
    roomStateEvent(ctx, ctx.session, roomId, RoomState.CONNECTING, RoomStateReason.ACTIVE_ENTER);
    joinEffects(ctx, existing);
    connectedEvents(ctx, existing);
    return { case: "enterRoom", value: { room: fullInfo(existing), created: false, history: historyOf(existing, req.historyCount) } };
  }
  const capError = userRoomLimit(ctx) ?? serverRoomLimit(ctx.state);
  if (capError) return errorResult(capError);
  roomStateEvent(ctx, ctx.session, roomId, RoomState.CONNECTING, RoomStateReason.ACTIVE_ENTER);
  const room = createEffects(ctx, req.roomInfo, req.config);
  connectedEvents(ctx, room);
  return { case: "enterRoom", value: { room: fullInfo(room), created: true, history: [] } };
}

export function switchRoom(ctx: OpContext, req: SwitchRoomRequest): ResultInit {
  const limits = ctx.state.limits;
  const bad =
    checkId("from_room_id", req.fromRoomId, limits.maxRoomIdBytes) ?? checkCreateArgs(ctx, "to_room_info", req.toRoomInfo, req.config);
  if (bad) return errorResult(bad);
  const toId = req.toRoomInfo?.roomId ?? "";
  if (req.fromRoomId === toId) {
    return errorResult(failure(ErrorCode.SWITCH_TO_SAME_ROOM, "from_room_id and to_room_info.room_id name the same room", { roomId: toId }));
  }
  const from = ctx.state.rooms.get(req.fromRoomId);
  if (from === undefined) return errorResult(roomNotFound(req.fromRoomId));
  if (!from.members.has(ctx.session.userId)) return errorResult(notInRoom(req.fromRoomId));
  const existing = ctx.state.rooms.get(toId);
  if (existing?.members.has(ctx.session.userId)) return errorResult(alreadyInRoom(toId));

  roomStateEvent(ctx, ctx.session, toId, RoomState.CONNECTING, RoomStateReason.ACTIVE_SWITCH);
  // The target is checked (and created) before the source is left, so a
  // source destroyed at once does not free a slot for its own switch.
  const targetError =
    existing !== undefined
      ? roomFull(ctx.state, existing)
      : !req.createIfAbsent
        ? roomNotFound(toId)
        : serverRoomLimit(ctx.state);
  if (targetError) {
    roomStateEvent(ctx, ctx.session, toId, RoomState.DISCONNECTED, RoomStateReason.SWITCH_FAILED);
    return errorResult(targetError);
  }
  let to: Room;
  if (existing !== undefined) {
    to = existing;
    joinEffects(ctx, to);
  } else {
    to = createEffects(ctx, req.toRoomInfo, req.config);
  }
  connectedEvents(ctx, to);
  leaveWithEvent(ctx, from, ctx.session, RoomStateReason.SUCCESS);
  return { case: "switchRoom", value: { room: fullInfo(to), created: existing === undefined } };
}

export function leaveRoom(ctx: OpContext, req: LeaveRoomRequest): ResultInit {
  const bad = checkId("room_id", req.roomId, ctx.state.limits.maxRoomIdBytes);
  if (bad) return errorResult(bad);
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);
  leaveWithEvent(ctx, room, ctx.session, RoomStateReason.SUCCESS);
  return { case: "leaveRoom", value: { roomId: req.roomId } };
}

export function leaveAllRooms(ctx: OpContext): ResultInit {
  const roomIds = leaveAll(ctx, ctx.session, RoomStateReason.SUCCESS);
  return { case: "leaveAllRooms", value: { roomIds } };
}
