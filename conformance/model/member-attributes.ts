// Member attributes (spec/member-attributes.md): per-user results, the users
// limit, keys that survive their user's leaving unless flagged delete_after_left.
import { create } from "@bufbuild/protobuf";
import {
  ErrorCode,
  QueryRoomMemberAttributesListResponseSchema,
  QueryRoomMembersAttributesResponseSchema,
  SetRoomMembersAttributesResponseSchema,
  UserFailureSchema,
  type MemberAttributes,
  type QueryRoomMemberAttributesListRequest,
  type QueryRoomMembersAttributesRequest,
  type Reply,
  type SetRoomMembersAttributesRequest,
  type UserFailure,
} from "../../protocol/index.js";
import type { Draft } from "./draft.js";
import { memberAttributes, memberAttributesUpdated } from "./events.js";
import { isReply, roomOfMember } from "./members.js";
import { checkPageCount, pageSize, resolveToken, takePage } from "./pagination.js";
import type { TokenResolver } from "./placeholders.js";
import { fail, ok } from "./replies.js";
import { isMember } from "./rooms.js";
import type { MemberAttribute, Room, SessionKey } from "./state.js";
import { attributesBytes, checkId, checkMemberAttributeSet, checkUserIds } from "./validate.js";

type UserAttributes = ReadonlyMap<string, MemberAttribute>;

function visible(attrs: UserAttributes | undefined): { [key: string]: string } {
  return Object.fromEntries([...(attrs ?? [])].map(([k, a]) => [k, a.value]));
}

/** Users of the room holding ≥ 1 attribute, retained non-members included [MATTR-RETAIN-4]. */
function holders(all: ReadonlyMap<string, UserAttributes>): number {
  let n = 0;
  for (const attrs of all.values()) if (attrs.size > 0) n++;
  return n;
}

function userFailure(userId: string, code: ErrorCode): UserFailure {
  return create(UserFailureSchema, { userId, code });
}

/** setRoomMembersAttributes. */
export function setRoomMembersAttributes(d: Draft, s: SessionKey, req: SetRoomMembersAttributesRequest): Reply {
  const badRoom = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id"); // [MATTR-VALID-1]
  if (badRoom) return fail(badRoom);
  const targets = checkUserIds(req.userIds, d.limits); // [MATTR-USERS-VALID-1..3]
  if (!Array.isArray(targets)) return fail(targets);
  const badAttrs = checkMemberAttributeSet(req.attributes, d.limits); // [MATTR-SET-VALID-1..5]
  if (badAttrs) return fail(badAttrs);
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  const caller = d.session(s).user!.userId;
  const limits = d.limits;
  // [MATTR-SET-APPLY-2] is_delete_after_owner_left defaults to true when unset.
  const deleteAfterLeft = req.isDeleteAfterOwnerLeft ?? true;

  // Per target in request order, first applicable failure wins; the users
  // count is progressive, so successes go into the working map as decided.
  const all = new Map(room.memberAttributes);
  const failedUsers: UserFailure[] = [];
  const changed: string[] = [];
  for (const userId of targets) {
    if (!isMember(room, userId)) { // [MATTR-SET-TARGET-1]
      failedUsers.push(userFailure(userId, ErrorCode.NOT_IN_ROOM));
      continue;
    }
    const before = all.get(userId) ?? new Map<string, MemberAttribute>();
    const merged = new Map(before);
    // [MATTR-SET-APPLY-1] the request's keys over the current ones.
    for (const [key, value] of Object.entries(req.attributes)) merged.set(key, { value, deleteAfterLeft });
    if (merged.size > limits.maxMemberAttributesPerUser) { // [MATTR-SET-TARGET-2]
      failedUsers.push(userFailure(userId, ErrorCode.MEMBER_ATTRIBUTE_COUNT_LIMIT));
      continue;
    }
    if (attributesBytes([...merged].map(([k, a]) => [k, a.value] as const)) > limits.maxMemberAttributesTotalBytes) { // [MATTR-SET-TARGET-3]
      failedUsers.push(userFailure(userId, ErrorCode.MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT));
      continue;
    }
    if (before.size === 0 && holders(all) >= limits.maxMemberAttributeUsers) { // [MATTR-SET-TARGET-4]
      failedUsers.push(userFailure(userId, ErrorCode.MEMBER_ATTRIBUTE_USERS_LIMIT));
      continue;
    }
    all.set(userId, merged); // [MATTR-SET-TARGET-5]; failed targets untouched [MATTR-SET-APPLY-3]
    changed.push(userId);
  }

  const infos: MemberAttributes[] = changed.map((userId) => memberAttributes(userId, visible(all.get(userId))));
  if (changed.length > 0) {
    const after: Room = { ...room, memberAttributes: all, seq: room.seq + 1n };
    d.setRoom(after);
    // [MATTR-SET-EVENT-1] every member, the caller too; none when nobody succeeded [MATTR-SET-EVENT-2].
    d.emitToMembers(after, memberAttributesUpdated(room.roomId, after.seq, infos, caller));
  }
  // [MATTR-SET-REPLY-1, MATTR-SET-REPLY-2, MATTR-REPLY-1]
  return ok({
    case: "setRoomMembersAttributes",
    value: create(SetRoomMembersAttributesResponseSchema, { roomId: room.roomId, infos, failedUsers }),
  });
}

/**
 * queryRoomMembersAttributes: requested members in request order, once each,
 * maybe with an empty map [MATTR-QUERY-1]; non-members left out
 * [MATTR-QUERY-2, MATTR-RETAIN-2]; no change [MATTR-QUERY-3].
 */
export function queryRoomMembersAttributes(d: Draft, s: SessionKey, req: QueryRoomMembersAttributesRequest): Reply {
  const badRoom = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id");
  if (badRoom) return fail(badRoom);
  const ids = checkUserIds(req.userIds, d.limits);
  if (!Array.isArray(ids)) return fail(ids);
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  const infos = ids.filter((id) => isMember(room, id)).map((id) => memberAttributes(id, visible(room.memberAttributes.get(id))));
  return ok({
    case: "queryRoomMembersAttributes",
    value: create(QueryRoomMembersAttributesResponseSchema, { roomId: room.roomId, infos }),
  });
}

/**
 * queryRoomMemberAttributesList: validation room_id, count, next_token
 * [MATTR-LIST-VALID-1, MEMBERS-TOKEN-1..4]; the member list's rules over the
 * members holding attributes [MATTR-LIST-1..6].
 */
export function queryRoomMemberAttributesList(
  d: Draft,
  s: SessionKey,
  req: QueryRoomMemberAttributesListRequest,
  tokens: TokenResolver | undefined,
): Reply {
  const bad = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id") ?? checkPageCount(d, req.count);
  if (bad) return fail(bad);
  const start = resolveToken(d, req.nextToken, req.roomId, "memberAttributes", tokens);
  if ("code" in start) return fail(start);
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  const { entries, nextToken } = takePage(d, room, "memberAttributes", start, pageSize(d, req.count));
  return ok({
    case: "queryRoomMemberAttributesList",
    value: create(QueryRoomMemberAttributesListResponseSchema, {
      roomId: room.roomId,
      infos: entries.map((e) => memberAttributes(e.userId, visible(room.memberAttributes.get(e.userId)))),
      nextToken,
    }),
  });
}
