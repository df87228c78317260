// Room attributes (brief §6): ZIM's ownership model — owner, force,
// update-owner, delete-after-owner-left — with per-key partial failure for
// set and delete, and an all-or-nothing batch.
import {
  ErrorCode,
  RoomAttributesUpdateAction,
  type BatchRoomAttributesRequest,
  type DeleteRoomAttributesRequest,
  type Error as WireError,
  type KeyFailure,
  type QueryRoomAllAttributesRequest,
  type SetRoomAttributesRequest,
} from "../../protocol/index.js";
import { errorResult, isRoom, memberRoom, type OpContext } from "./context.js";
import type { ResultInit } from "./effects.js";
import { failure, invalidArgument, keyFailure } from "./errors.js";
import type { LimitValues } from "./limits.js";
import type { Room, RoomAttribute } from "./state.js";
import { checkId, checkRoomAttributeKeys, checkRoomAttributePairs, compareUtf8, sortedKeys, utf8Bytes } from "./validation.js";

type Attributes = Map<string, RoomAttribute>;

interface SetOptions {
  attributes: { [k: string]: string };
  isForce: boolean;
  isUpdateOwner: boolean;
  isDeleteAfterOwnerLeft: boolean;
}

/**
 * Applies a set to `attrs` (a working copy) key by key in UTF-8 order.
 * Returns the keys refused (another owner, not forced) and the accepted ones.
 * Entries are replaced, never mutated, so a shallow Map copy is a safe snapshot.
 */
function applySet(attrs: Attributes, caller: string, op: SetOptions): { failed: KeyFailure[]; accepted: string[] } {
  const failed: KeyFailure[] = [];
  const accepted: string[] = [];
  for (const key of sortedKeys(op.attributes)) {
    const existing = attrs.get(key);
    if (existing !== undefined && existing.owner !== caller && !op.isForce) {
      failed.push(keyFailure(key, ErrorCode.ROOM_ATTRIBUTE_NOT_OWNER));
      continue;
    }
    const owner = existing === undefined || op.isUpdateOwner ? caller : existing.owner;
    const deleteAfterOwnerLeft = owner === caller ? op.isDeleteAfterOwnerLeft : (existing?.deleteAfterOwnerLeft ?? false);
    attrs.set(key, { value: op.attributes[key] ?? "", owner, deleteAfterOwnerLeft });
    accepted.push(key);
  }
  return { failed, accepted };
}

/** Applies a delete to `attrs` in the keys' order; returns the refused and the deleted keys. */
function applyDelete(attrs: Attributes, caller: string, keys: readonly string[], isForce: boolean): { failed: KeyFailure[]; deleted: string[] } {
  const failed: KeyFailure[] = [];
  const deleted: string[] = [];
  for (const key of keys) {
    const existing = attrs.get(key);
    if (existing === undefined) failed.push(keyFailure(key, ErrorCode.ROOM_ATTRIBUTE_NOT_FOUND));
    else if (existing.owner !== caller && !isForce) failed.push(keyFailure(key, ErrorCode.ROOM_ATTRIBUTE_NOT_OWNER));
    else {
      attrs.delete(key);
      deleted.push(key);
    }
  }
  return { failed, deleted };
}

/** The room's capacity after a change: key count, then total bytes. */
function checkCapacity(attrs: Attributes, limits: LimitValues): WireError | undefined {
  if (attrs.size > limits.maxRoomAttributes) {
    return failure(ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT, `the room would hold ${attrs.size} attributes, more than ${limits.maxRoomAttributes}`, {
      limit: limits.maxRoomAttributes,
      actual: attrs.size,
    });
  }
  let total = 0;
  for (const [key, a] of attrs) total += utf8Bytes(key) + utf8Bytes(a.value);
  if (total > limits.maxRoomAttributesTotalBytes) {
    return failure(
      ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT,
      `the room's attributes would take ${total} bytes, more than ${limits.maxRoomAttributesTotalBytes}`,
      { limit: limits.maxRoomAttributesTotalBytes, actual: total },
    );
  }
  return undefined;
}

function valuesOf(attrs: Attributes, keys: readonly string[]): { [k: string]: string } {
  const out: { [k: string]: string } = {};
  for (const key of keys) out[key] = attrs.get(key)?.value ?? "";
  return out;
}

function emptyValues(keys: readonly string[]): { [k: string]: string } {
  const out: { [k: string]: string } = {};
  for (const key of keys) out[key] = "";
  return out;
}

/** Validation of a set's pairs: non-empty, per key KEY/VALUE, then count. */
function checkSetPairs(field: string, attributes: { [k: string]: string }, limits: LimitValues): WireError | undefined {
  if (Object.keys(attributes).length === 0) return invalidArgument(field, `${field} must hold at least one pair`);
  return checkRoomAttributePairs(field, attributes, limits);
}

function roomOf(ctx: OpContext, roomId: string): Room | WireError {
  return checkId("room_id", roomId, ctx.state.limits.maxRoomIdBytes) ?? memberRoom(ctx, roomId);
}

export function setRoomAttributes(ctx: OpContext, req: SetRoomAttributesRequest): ResultInit {
  const limits = ctx.state.limits;
  const bad = checkId("room_id", req.roomId, limits.maxRoomIdBytes) ?? checkSetPairs("attributes", req.attributes, limits);
  if (bad) return errorResult(bad);
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);
  const caller = ctx.session.userId;
  const next = new Map(room.attributes);
  const { failed, accepted } = applySet(next, caller, req);
  if (accepted.length > 0) {
    const capacity = checkCapacity(next, limits);
    if (capacity) return errorResult(capacity);
    room.attributes = next;
    room.seq++;
    ctx.fx.toMembers(room, {
      case: "roomAttributesUpdated",
      value: {
        roomId: room.id,
        roomSeq: BigInt(room.seq),
        info: { action: RoomAttributesUpdateAction.SET, attributes: valuesOf(next, accepted) },
        operatorUserId: caller,
      },
    });
  }
  return { case: "setRoomAttributes", value: { roomId: room.id, failedKeys: failed } };
}

export function deleteRoomAttributes(ctx: OpContext, req: DeleteRoomAttributesRequest): ResultInit {
  const limits = ctx.state.limits;
  const bad = checkId("room_id", req.roomId, limits.maxRoomIdBytes);
  if (bad) return errorResult(bad);
  const keys = checkRoomAttributeKeys("keys", req.keys, limits);
  if ("error" in keys) return errorResult(keys.error);
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);
  const caller = ctx.session.userId;
  const next = new Map(room.attributes);
  const { failed, deleted } = applyDelete(next, caller, keys.keys, req.isForce);
  if (deleted.length > 0) {
    room.attributes = next;
    room.seq++;
    ctx.fx.toMembers(room, {
      case: "roomAttributesUpdated",
      value: {
        roomId: room.id,
        roomSeq: BigInt(room.seq),
        info: { action: RoomAttributesUpdateAction.DELETE, attributes: emptyValues(deleted) },
        operatorUserId: caller,
      },
    });
  }
  return { case: "deleteRoomAttributes", value: { roomId: room.id, failedKeys: failed } };
}

export function queryRoomAllAttributes(ctx: OpContext, req: QueryRoomAllAttributesRequest): ResultInit {
  const room = roomOf(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);
  return {
    case: "queryRoomAllAttributes",
    value: { roomId: room.id, attributes: valuesOf(room.attributes, [...room.attributes.keys()].sort(compareUtf8)) },
  };
}

type BatchOp = { kind: "set"; op: SetOptions } | { kind: "delete"; keys: string[]; isForce: boolean };

export function batchRoomAttributes(ctx: OpContext, req: BatchRoomAttributesRequest): ResultInit {
  const limits = ctx.state.limits;
  const idError = checkId("room_id", req.roomId, limits.maxRoomIdBytes);
  if (idError) return errorResult(idError);
  const count = req.operations.length;
  if (count === 0 || count > limits.maxRoomAttributes) {
    return errorResult(
      invalidArgument("operations", `a batch holds 1 to ${limits.maxRoomAttributes} operations, not ${count}`, limits.maxRoomAttributes, count),
    );
  }
  const ops: BatchOp[] = [];
  for (const [i, operation] of req.operations.entries()) {
    const o = operation.operation;
    if (o.case === "set") {
      const bad = checkSetPairs("operations", o.value.attributes, limits);
      if (bad) return errorResult(bad);
      ops.push({ kind: "set", op: o.value });
    } else if (o.case === "delete") {
      const keys = checkRoomAttributeKeys("operations", o.value.keys, limits);
      if ("error" in keys) return errorResult(keys.error);
      ops.push({ kind: "delete", keys: keys.keys, isForce: o.value.isForce });
    } else {
      return errorResult(invalidArgument("operations", `operation ${i} is neither a set nor a delete`));
    }
  }
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);

  // Simulate on a copy, in order: ownership is judged against the simulated
  // state, so a key the caller set earlier in the batch is the caller's.
  const caller = ctx.session.userId;
  const next = new Map(room.attributes);
  const failures: KeyFailure[] = [];
  const infos = [];
  for (const op of ops) {
    if (op.kind === "set") {
      const { failed } = applySet(next, caller, op.op);
      failures.push(...failed);
      infos.push({ action: RoomAttributesUpdateAction.SET, attributes: valuesOf(next, sortedKeys(op.op.attributes)) });
    } else {
      const { failed } = applyDelete(next, caller, op.keys, op.isForce);
      failures.push(...failed);
      infos.push({ action: RoomAttributesUpdateAction.DELETE, attributes: emptyValues(op.keys) });
    }
  }
  const first = failures[0];
  if (first !== undefined) {
    return errorResult(
      failure(first.code, `${failures.length} key(s) of the batch failed; nothing was applied`, { roomId: room.id, keyFailures: failures }),
    );
  }
  const capacity = checkCapacity(next, limits);
  if (capacity) return errorResult(capacity);
  room.attributes = next;
  room.seq++;
  ctx.fx.toMembers(room, {
    case: "roomAttributesBatchUpdated",
    value: { roomId: room.id, roomSeq: BigInt(room.seq), infos, operatorUserId: caller },
  });
  return { case: "batchRoomAttributes", value: { roomId: room.id } };
}
