// Member queries (spec/members.md). Common order: INVALID_ARGUMENT (room_id,
// then the query's own arguments); ROOM_NOT_FOUND; NOT_IN_ROOM (caller).
// Queries change nothing and send nothing [MEMBERS-QUIET-1].
import { create } from "@bufbuild/protobuf";
import {
  ErrorCode,
  QueryRoomMemberListResponseSchema,
  QueryRoomMembersResponseSchema,
  QueryRoomOnlineMemberCountResponseSchema,
  UserFailureSchema,
  type QueryRoomMemberListRequest,
  type QueryRoomMembersRequest,
  type QueryRoomOnlineMemberCountRequest,
  type Reply,
} from "../../protocol/index.js";
import type { Draft } from "./draft.js";
import { roomMember } from "./events.js";
import { checkPageCount, pageSize, resolveToken, takePage } from "./pagination.js";
import type { TokenResolver } from "./placeholders.js";
import { fail, ok } from "./replies.js";
import { isMember } from "./rooms.js";
import type { Room, SessionKey } from "./state.js";
import { checkId, checkUserIds } from "./validate.js";

/**
 * The state checks every room query shares: ROOM_NOT_FOUND (a
 * destroy-pending room exists), then NOT_IN_ROOM for the caller
 * [MEMBERS-CHECK-1, MEMBERS-CHECK-2; RATTR-CHECK-1, RATTR-CHECK-2;
 * MATTR-CHECK-1, MATTR-CHECK-2; MSG-CHECK-1, MSG-CHECK-2;
 * HISTORY-QUERY-CHECK-1, HISTORY-QUERY-CHECK-2]. Returns the room or the
 * error reply.
 */
export function roomOfMember(d: Draft, s: SessionKey, roomId: string): Room | Reply {
  const room = d.room(roomId);
  if (room === undefined) return fail(ErrorCode.ROOM_NOT_FOUND);
  const userId = d.session(s).user!.userId;
  if (!isMember(room, userId)) return fail(ErrorCode.NOT_IN_ROOM);
  return room;
}

export function isReply(x: Room | Reply): x is Reply {
  return "$typeName" in x;
}

/** queryRoomMemberList. Validation: room_id [MEMBERS-VALID-1], count [MEMBERS-LIST-VALID-1], next_token [MEMBERS-TOKEN-1]. */
export function queryRoomMemberList(d: Draft, s: SessionKey, req: QueryRoomMemberListRequest, tokens: TokenResolver | undefined): Reply {
  const bad = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id") ?? checkPageCount(d, req.count);
  if (bad) return fail(bad);
  const start = resolveToken(d, req.nextToken, req.roomId, "members", tokens);
  if ("code" in start) return fail(start);
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  const { entries, nextToken } = takePage(d, room, "members", start, pageSize(d, req.count));
  const byUser = new Map(room.members.map((m) => [m.userId, m]));
  // [MEMBERS-LIST-7, MEMBERS-REPLY-1]
  return ok({
    case: "queryRoomMemberList",
    value: create(QueryRoomMemberListResponseSchema, {
      roomId: room.roomId,
      members: entries.map((e) => roomMember(byUser.get(e.userId)!)),
      nextToken,
    }),
  });
}

/**
 * queryRoomMembers: room_id, then user_ids deduplicated [TEXT-3]: non-empty,
 * at most max_query_user_ids, valid IDs [MEMBERS-BYID-VALID-1..3]; members
 * and not_found in request order, once each [MEMBERS-BYID-1, MEMBERS-BYID-2].
 */
export function queryRoomMembers(d: Draft, s: SessionKey, req: QueryRoomMembersRequest): Reply {
  const badRoom = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id");
  if (badRoom) return fail(badRoom);
  const ids = checkUserIds(req.userIds, d.limits);
  if (!Array.isArray(ids)) return fail(ids);
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  const byUser = new Map(room.members.map((m) => [m.userId, m]));
  return ok({
    case: "queryRoomMembers",
    value: create(QueryRoomMembersResponseSchema, {
      roomId: room.roomId,
      members: ids.filter((id) => byUser.has(id)).map((id) => roomMember(byUser.get(id)!)),
      notFound: ids.filter((id) => !byUser.has(id)).map((userId) => create(UserFailureSchema, { userId, code: ErrorCode.NOT_IN_ROOM })),
    }),
  });
}

/** queryRoomOnlineMemberCount: the number of members, the caller included [MEMBERS-COUNT-1]. */
export function queryRoomOnlineMemberCount(d: Draft, s: SessionKey, req: QueryRoomOnlineMemberCountRequest): Reply {
  const bad = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id");
  if (bad) return fail(bad);
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  return ok({
    case: "queryRoomOnlineMemberCount",
    value: create(QueryRoomOnlineMemberCountResponseSchema, { roomId: room.roomId, count: room.members.length }),
  });
}
