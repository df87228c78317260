// Room attributes (spec/room-attributes.md): set, delete, query, atomic
// batch, with the ownership model (owner, force, update-owner,
// delete-after-owner-left).
import { create } from "@bufbuild/protobuf";
import {
  BatchRoomAttributesResponseSchema,
  DeleteRoomAttributesResponseSchema,
  ErrorCode,
  KeyFailureSchema,
  QueryRoomAllAttributesResponseSchema,
  RoomAttributesUpdateAction,
  SetRoomAttributesResponseSchema,
  type BatchRoomAttributesRequest,
  type DeleteRoomAttributesRequest,
  type KeyFailure,
  type QueryRoomAllAttributesRequest,
  type Reply,
  type RoomAttributesUpdateInfo,
  type SetRoomAttributesRequest,
} from "../../protocol/index.js";
import type { Draft } from "./draft.js";
import { attributesBatchUpdated, attributesUpdated, deletedKeys, updateInfo } from "./events.js";
import { isReply, roomOfMember } from "./members.js";
import { fail, ok } from "./replies.js";
import type { Room, RoomAttribute, SessionKey } from "./state.js";
import {
  attributesBytes,
  checkId,
  checkRoomAttributeKeys,
  checkRoomAttributeSet,
  invalid,
  sortedKeys,
  type Violation,
} from "./validate.js";

type Attributes = ReadonlyMap<string, RoomAttribute>;
type MutableAttributes = Map<string, RoomAttribute>;

/** The options of a set, shared by setRoomAttributes and a batch's set operation. */
interface SetOptions {
  isForce: boolean;
  isUpdateOwner: boolean;
  isDeleteAfterOwnerLeft: boolean;
}

function keyFailure(key: string, code: ErrorCode): KeyFailure {
  return create(KeyFailureSchema, { key, code });
}

/** A key exists, is owned by another user, and the write is not forced → NOT_OWNER [RATTR-SET-OWNER-1, RATTR-SET-OWNER-2]. */
function refusesSet(attrs: Attributes, key: string, caller: string, opts: SetOptions): boolean {
  const prev = attrs.get(key);
  return prev !== undefined && prev.owner !== caller && !opts.isForce;
}

/**
 * Applies accepted keys to `attrs` in place: the value [RATTR-SET-APPLY-1];
 * owner = caller for a new key [RATTR-SET-APPLY-2] or with is_update_owner,
 * else unchanged [RATTR-SET-APPLY-3]; every accepted key the caller now owns
 * takes is_delete_after_owner_left, the others keep their flag [RATTR-SET-APPLY-4].
 */
function applySet(attrs: MutableAttributes, accepted: readonly string[], values: { readonly [k: string]: string }, caller: string, opts: SetOptions): void {
  for (const key of accepted) {
    const prev = attrs.get(key);
    const owner = prev === undefined || opts.isUpdateOwner ? caller : prev.owner;
    const deleteAfterOwnerLeft = owner === caller ? opts.isDeleteAfterOwnerLeft : prev!.deleteAfterOwnerLeft;
    attrs.set(key, { value: values[key]!, owner, deleteAfterOwnerLeft });
  }
}

/** Capacity of a would-be state: key count, then total size [RATTR-SET-CAP-1, RATTR-SET-CAP-2, RATTR-BATCH-CAP-1, TEXT-4]. */
function checkCapacity(d: Draft, attrs: Attributes): Violation | undefined {
  const limits = d.limits;
  if (attrs.size > limits.maxRoomAttributes) {
    return { code: ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT, limit: limits.maxRoomAttributes, actual: attrs.size };
  }
  const total = attributesBytes([...attrs].map(([k, a]) => [k, a.value] as const));
  if (total > limits.maxRoomAttributesTotalBytes) {
    return { code: ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT, limit: limits.maxRoomAttributesTotalBytes, actual: total };
  }
  return undefined;
}

/** Stores the new attributes, bumps seq once for the one event that follows [SEQ-2], returns the room. */
function commit(d: Draft, room: Room, attributes: MutableAttributes): Room {
  const next: Room = { ...room, attributes, seq: room.seq + 1n };
  d.setRoom(next);
  return next;
}

/** setRoomAttributes. */
export function setRoomAttributes(d: Draft, s: SessionKey, req: SetRoomAttributesRequest): Reply {
  const bad =
    checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id") ?? // [RATTR-VALID-1]
    (Object.keys(req.attributes).length === 0 ? invalid("attributes") : undefined) ?? // [RATTR-SET-VALID-1]
    checkRoomAttributeSet(req.attributes, d.limits, false); // [RATTR-SET-VALID-2..5]
  if (bad) return fail(bad);
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  const caller = d.session(s).user!.userId;

  const failedKeys: KeyFailure[] = [];
  const accepted: string[] = [];
  for (const key of sortedKeys(req.attributes)) {
    if (refusesSet(room.attributes, key, caller, req)) failedKeys.push(keyFailure(key, ErrorCode.ROOM_ATTRIBUTE_NOT_OWNER));
    else accepted.push(key);
  }
  const next = new Map(room.attributes);
  applySet(next, accepted, req.attributes, caller, req);
  // Over capacity: the whole request fails, nothing applied, no event [RATTR-SET-CAP-1, RATTR-SET-CAP-2].
  const over = checkCapacity(d, next);
  if (over) return fail(over);

  if (accepted.length > 0) {
    const after = commit(d, room, next);
    const set = Object.fromEntries(accepted.map((k) => [k, req.attributes[k]!]));
    // [RATTR-SET-EVENT-1, RATTR-SET-EVENT-2] every member, the caller too; none if nothing accepted [RATTR-SET-EVENT-3].
    d.emitToMembers(after, attributesUpdated(room.roomId, after.seq, updateInfo(RoomAttributesUpdateAction.SET, set), caller));
  }
  // [RATTR-SET-REPLY-1, RATTR-REPLY-1] failed_keys in ascending key order.
  return ok({ case: "setRoomAttributes", value: create(SetRoomAttributesResponseSchema, { roomId: room.roomId, failedKeys }) });
}

/** The per-key delete rule: absent → NOT_FOUND [RATTR-DEL-1]; another's key unforced → NOT_OWNER [RATTR-DEL-2]; else deleted [RATTR-DEL-3]. */
function refusesDelete(attrs: Attributes, key: string, caller: string, isForce: boolean): ErrorCode | undefined {
  const prev = attrs.get(key);
  if (prev === undefined) return ErrorCode.ROOM_ATTRIBUTE_NOT_FOUND;
  if (prev.owner !== caller && !isForce) return ErrorCode.ROOM_ATTRIBUTE_NOT_OWNER;
  return undefined;
}

/** deleteRoomAttributes. */
export function deleteRoomAttributes(d: Draft, s: SessionKey, req: DeleteRoomAttributesRequest): Reply {
  const badRoom = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id"); // [RATTR-VALID-1]
  if (badRoom) return fail(badRoom);
  const keys = checkRoomAttributeKeys(req.keys, d.limits, "keys"); // [RATTR-DEL-VALID-1..3]
  if (!Array.isArray(keys)) return fail(keys);
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  const caller = d.session(s).user!.userId;

  const failedKeys: KeyFailure[] = [];
  const deleted: string[] = [];
  const next = new Map(room.attributes);
  for (const key of keys) {
    const refused = refusesDelete(next, key, caller, req.isForce);
    if (refused !== undefined) failedKeys.push(keyFailure(key, refused));
    else {
      next.delete(key);
      deleted.push(key);
    }
  }
  if (deleted.length > 0) {
    // [RATTR-DEL-EVENT-1] every member, the caller too; none if nothing deleted [RATTR-DEL-EVENT-2].
    const after = commit(d, room, next);
    d.emitToMembers(after, attributesUpdated(room.roomId, after.seq, updateInfo(RoomAttributesUpdateAction.DELETE, deletedKeys(deleted)), caller));
  }
  // [RATTR-DEL-REPLY-1] request order, deduplicated.
  return ok({ case: "deleteRoomAttributes", value: create(DeleteRoomAttributesResponseSchema, { roomId: room.roomId, failedKeys }) });
}

/** queryRoomAllAttributes: every key → value [RATTR-QUERY-1]; no change [RATTR-QUERY-2]. */
export function queryRoomAllAttributes(d: Draft, s: SessionKey, req: QueryRoomAllAttributesRequest): Reply {
  const bad = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id");
  if (bad) return fail(bad);
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  const attributes = Object.fromEntries([...room.attributes].map(([k, a]) => [k, a.value]));
  return ok({ case: "queryRoomAllAttributes", value: create(QueryRoomAllAttributesResponseSchema, { roomId: room.roomId, attributes }) });
}

/**
 * Batch validation, after room_id: 1..max_room_attributes operations
 * [RATTR-BATCH-VALID-1]; then each operation in order: a case
 * [RATTR-BATCH-VALID-2], then the validation of its kind, with
 * INVALID_ARGUMENT(operations) in place of (attributes) or (keys)
 * [RATTR-BATCH-VALID-3].
 */
function checkBatch(d: Draft, req: BatchRoomAttributesRequest): Violation | undefined {
  const n = req.operations.length;
  const max = d.limits.maxRoomAttributes;
  if (n === 0) return invalid("operations");
  if (n > max) return invalid("operations", max, n);
  for (const op of req.operations) {
    const o = op.operation;
    if (o.case === undefined) return invalid("operations");
    if (o.case === "set") {
      if (Object.keys(o.value.attributes).length === 0) return invalid("operations");
      const bad = checkRoomAttributeSet(o.value.attributes, d.limits, false);
      if (bad) return bad;
    } else {
      const keys = checkRoomAttributeKeys(o.value.keys, d.limits, "operations");
      if (!Array.isArray(keys)) return keys;
    }
  }
  return undefined;
}

/** batchRoomAttributes: all or nothing, one batch event. */
export function batchRoomAttributes(d: Draft, s: SessionKey, req: BatchRoomAttributesRequest): Reply {
  const bad = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id") ?? checkBatch(d, req);
  if (bad) return fail(bad);
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  const caller = d.session(s).user!.userId;

  // Simulate in order on a copy; ownership and existence are judged against it [RATTR-BATCH-SIM-1].
  const sim = new Map(room.attributes);
  const failures: KeyFailure[] = [];
  const infos: RoomAttributesUpdateInfo[] = [];
  for (const op of req.operations) {
    const o = op.operation;
    if (o.case === "set") {
      const accepted: string[] = [];
      for (const key of sortedKeys(o.value.attributes)) {
        if (refusesSet(sim, key, caller, o.value)) failures.push(keyFailure(key, ErrorCode.ROOM_ATTRIBUTE_NOT_OWNER));
        else accepted.push(key);
      }
      applySet(sim, accepted, o.value.attributes, caller, o.value);
      infos.push(updateInfo(RoomAttributesUpdateAction.SET, Object.fromEntries(accepted.map((k) => [k, o.value.attributes[k]!]))));
    } else if (o.case === "delete") {
      const deleted: string[] = [];
      for (const key of new Set(o.value.keys)) {
        const refused = refusesDelete(sim, key, caller, o.value.isForce);
        if (refused !== undefined) failures.push(keyFailure(key, refused));
        else {
          sim.delete(key);
          deleted.push(key);
        }
      }
      infos.push(updateInfo(RoomAttributesUpdateAction.DELETE, deletedKeys(deleted)));
    }
  }
  // [RATTR-BATCH-FAIL-1, RATTR-BATCH-FAIL-2] the first failure's code, every failure listed, nothing changes.
  if (failures.length > 0) return fail({ code: failures[0]!.code, keyFailures: failures });
  const over = checkCapacity(d, sim); // [RATTR-BATCH-CAP-1]
  if (over) return fail(over);

  const after = commit(d, room, sim); // [RATTR-BATCH-APPLY-1]
  // [RATTR-BATCH-EVENT-1, RATTR-BATCH-EVENT-2] one batch event, seq += 1 once, to every member.
  d.emitToMembers(after, attributesBatchUpdated(room.roomId, after.seq, infos, caller));
  return ok({ case: "batchRoomAttributes", value: create(BatchRoomAttributesResponseSchema, { roomId: room.roomId }) }); // [RATTR-BATCH-REPLY-1]
}
