// Member attributes (brief §7): per-user results, a per-key
// delete-after-left flag (default true), kept for users who left unless
// flagged, invisible while the user is not a member.
import {
  ErrorCode,
  type Error as WireError,
  type QueryRoomMemberAttributesListRequest,
  type QueryRoomMembersAttributesRequest,
  type SetRoomMembersAttributesRequest,
  type UserFailure,
  UserFailureSchema,
} from "../../protocol/index.js";
import { create } from "@bufbuild/protobuf";
import { errorResult, isRoom, memberRoom, type OpContext } from "./context.js";
import type { ResultInit } from "./effects.js";
import { checkPageArgs, isPageArgs, pageOf } from "./members.js";
import type { MemberAttribute } from "./state.js";
import { checkId, checkMemberAttributePairs, checkUserIds, compareUtf8, utf8Bytes } from "./validation.js";

function plain(attrs: ReadonlyMap<string, MemberAttribute> | undefined): { [k: string]: string } {
  const out: { [k: string]: string } = {};
  if (attrs === undefined) return out;
  for (const key of [...attrs.keys()].sort(compareUtf8)) out[key] = attrs.get(key)?.value ?? "";
  return out;
}

export function setRoomMembersAttributes(ctx: OpContext, req: SetRoomMembersAttributesRequest): ResultInit {
  const limits = ctx.state.limits;
  const idError = checkId("room_id", req.roomId, limits.maxRoomIdBytes);
  if (idError) return errorResult(idError);
  const ids = checkUserIds("user_ids", req.userIds, limits);
  if ("error" in ids) return errorResult(ids.error);
  const pairsError = checkMemberAttributePairs("attributes", req.attributes, limits);
  if (pairsError) return errorResult(pairsError);
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);

  const deleteAfterLeft = req.isDeleteAfterOwnerLeft ?? true;
  const failedUsers: UserFailure[] = [];
  const infos: { userId: string; attributes: { [k: string]: string } }[] = [];
  for (const userId of ids.ids) {
    const code = checkTarget(ctx, room.memberAttributes.size, req.attributes, room.members.has(userId), room.memberAttributes.get(userId));
    if (code !== undefined) {
      failedUsers.push(create(UserFailureSchema, { userId, code }));
      continue;
    }
    // Applied at once: later targets count this one among the holders.
    const merged = new Map(room.memberAttributes.get(userId));
    for (const [key, value] of Object.entries(req.attributes)) merged.set(key, { value, deleteAfterLeft });
    room.memberAttributes.set(userId, merged);
    infos.push({ userId, attributes: plain(merged) });
  }
  if (infos.length > 0) {
    room.seq++;
    ctx.fx.toMembers(room, {
      case: "roomMemberAttributesUpdated",
      value: { roomId: room.id, roomSeq: BigInt(room.seq), infos, operatorUserId: ctx.session.userId },
    });
  }
  return { case: "setRoomMembersAttributes", value: { roomId: room.id, infos, failedUsers } };
}

/** Step 3 for one target: membership, merged count, merged bytes, then the holders limit. */
function checkTarget(
  ctx: OpContext,
  holders: number,
  attributes: { [k: string]: string },
  isMember: boolean,
  current: ReadonlyMap<string, MemberAttribute> | undefined,
): ErrorCode | undefined {
  const limits = ctx.state.limits;
  if (!isMember) return ErrorCode.NOT_IN_ROOM;
  const merged = new Map<string, string>();
  for (const [key, a] of current ?? []) merged.set(key, a.value);
  for (const [key, value] of Object.entries(attributes)) merged.set(key, value);
  if (merged.size > limits.maxMemberAttributesPerUser) return ErrorCode.MEMBER_ATTRIBUTE_COUNT_LIMIT;
  let total = 0;
  for (const [key, value] of merged) total += utf8Bytes(key) + utf8Bytes(value);
  if (total > limits.maxMemberAttributesTotalBytes) return ErrorCode.MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT;
  if ((current === undefined || current.size === 0) && holders + 1 > limits.maxMemberAttributeUsers) {
    return ErrorCode.MEMBER_ATTRIBUTE_USERS_LIMIT;
  }
  return undefined;
}

export function queryRoomMembersAttributes(ctx: OpContext, req: QueryRoomMembersAttributesRequest): ResultInit {
  const limits = ctx.state.limits;
  const bad: WireError | undefined = checkId("room_id", req.roomId, limits.maxRoomIdBytes);
  if (bad) return errorResult(bad);
  const ids = checkUserIds("user_ids", req.userIds, limits);
  if ("error" in ids) return errorResult(ids.error);
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);
  const infos = ids.ids.filter((userId) => room.members.has(userId)).map((userId) => ({ userId, attributes: plain(room.memberAttributes.get(userId)) }));
  return { case: "queryRoomMembersAttributes", value: { roomId: room.id, infos } };
}

export function queryRoomMemberAttributesList(ctx: OpContext, req: QueryRoomMemberAttributesListRequest): ResultInit {
  const args = checkPageArgs(ctx, "member-attributes", req);
  if (!isPageArgs(args)) return errorResult(args);
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);
  const page = pageOf(ctx, "member-attributes", room, args, (userId) => {
    const attrs = room.memberAttributes.get(userId);
    return attrs !== undefined && attrs.size > 0 ? { userId, attributes: plain(attrs) } : undefined;
  });
  return { case: "queryRoomMemberAttributesList", value: { roomId: room.id, infos: page.items, nextToken: page.nextToken } };
}
