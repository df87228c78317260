// Member queries (brief §5): the paginated member list, members by ID and
// the member count. Pagination is shared with the member-attribute list.
import {
  ErrorCode,
  type Error as WireError,
  type QueryRoomMemberListRequest,
  type QueryRoomMembersRequest,
  type QueryRoomOnlineMemberCountRequest,
} from "../../protocol/index.js";
import { errorResult, isRoom, memberRoom, type OpContext } from "./context.js";
import type { ResultInit } from "./effects.js";
import { invalidArgument } from "./errors.js";
import type { PageKind } from "./page-token.js";
import type { Member, Room } from "./state.js";
import { checkId, checkPageCount, checkUserIds } from "./validation.js";

export interface PageArgs {
  roomId: string;
  count: number;
  /** The join index to continue after; 0 for the first page. */
  after: number;
}

/** room_id, count and next_token of a paginated query, in that order. */
export function checkPageArgs(ctx: OpContext, kind: PageKind, req: { roomId: string; nextToken: string; count: number }): PageArgs | WireError {
  const bad = checkId("room_id", req.roomId, ctx.state.limits.maxRoomIdBytes);
  if (bad) return bad;
  const count = checkPageCount(req.count, ctx.state.limits);
  if ("error" in count) return count.error;
  let after = 0;
  if (req.nextToken !== "") {
    const read = ctx.state.pageTokens.read(kind, req.roomId, req.nextToken);
    if (read === undefined) return invalidArgument("next_token", "next_token is not a token this server issued for this room and query");
    after = read;
  }
  return { roomId: req.roomId, count: count.count, after };
}

export function isPageArgs(v: PageArgs | WireError): v is PageArgs {
  return !("$typeName" in v);
}

/**
 * One page of the members `include` accepts, in join order, after a join
 * index. The token is empty exactly when no accepted member follows the page.
 * Costs O(members of the room), never more.
 */
export function pageOf<T>(
  ctx: OpContext,
  kind: PageKind,
  room: Room,
  args: PageArgs,
  include: (userId: string, member: Member) => T | undefined,
): { items: T[]; nextToken: string } {
  const items: T[] = [];
  let lastIndex = 0;
  for (const [userId, member] of room.members) {
    if (member.joinIndex <= args.after) continue;
    const item = include(userId, member);
    if (item === undefined) continue;
    if (items.length === args.count) {
      return { items, nextToken: ctx.state.pageTokens.issue(kind, room.id, lastIndex) };
    }
    items.push(item);
    lastIndex = member.joinIndex;
  }
  return { items, nextToken: "" };
}

export function queryRoomMemberList(ctx: OpContext, req: QueryRoomMemberListRequest): ResultInit {
  const args = checkPageArgs(ctx, "members", req);
  if (!isPageArgs(args)) return errorResult(args);
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);
  const page = pageOf(ctx, "members", room, args, (userId, member) => ({ userId, userName: member.userName }));
  return { case: "queryRoomMemberList", value: { roomId: room.id, members: page.items, nextToken: page.nextToken } };
}

export function queryRoomMembers(ctx: OpContext, req: QueryRoomMembersRequest): ResultInit {
  const bad = checkId("room_id", req.roomId, ctx.state.limits.maxRoomIdBytes);
  if (bad) return errorResult(bad);
  const ids = checkUserIds("user_ids", req.userIds, ctx.state.limits);
  if ("error" in ids) return errorResult(ids.error);
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);
  const members = [];
  const notFound = [];
  for (const userId of ids.ids) {
    const member = room.members.get(userId);
    if (member !== undefined) members.push({ userId, userName: member.userName });
    else notFound.push({ userId, code: ErrorCode.NOT_IN_ROOM });
  }
  return { case: "queryRoomMembers", value: { roomId: room.id, members, notFound } };
}

export function queryRoomOnlineMemberCount(ctx: OpContext, req: QueryRoomOnlineMemberCountRequest): ResultInit {
  const bad = checkId("room_id", req.roomId, ctx.state.limits.maxRoomIdBytes);
  if (bad) return errorResult(bad);
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);
  return { case: "queryRoomOnlineMemberCount", value: { roomId: room.id, count: room.members.size } };
}
