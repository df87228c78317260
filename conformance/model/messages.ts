// Room messages and history (spec/messages.md).
import { create } from "@bufbuild/protobuf";
import {
  ErrorCode,
  Feature,
  QueryRoomMessageHistoryResponseSchema,
  RoomMessageKind,
  RoomMessagePriority,
  RoomMessageSchema,
  SendRoomMessageResponseSchema,
  type QueryRoomMessageHistoryRequest,
  type Reply,
  type SendRoomMessageRequest,
} from "../../protocol/index.js";
import type { Draft } from "./draft.js";
import { messageReceived } from "./events.js";
import { isReply, roomOfMember } from "./members.js";
import { messagePlaceholder } from "./placeholders.js";
import { fail, ok } from "./replies.js";
import { lastMessages } from "./rooms.js";
import { hasFeature, type Room, type SessionKey } from "./state.js";
import { checkId, invalid, isValidUtf8, type Violation } from "./validate.js";

const KINDS = new Set<number>([RoomMessageKind.TEXT, RoomMessageKind.CUSTOM]);
const PRIORITIES = new Set<number>([
  RoomMessagePriority.UNSPECIFIED,
  RoomMessagePriority.LOW,
  RoomMessagePriority.MEDIUM,
  RoomMessagePriority.HIGH,
]);

/** sendRoomMessage validation, in order (the message rate, RATE-6, is not modeled). */
function checkMessage(d: Draft, req: SendRoomMessageRequest): Violation | undefined {
  const bad = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id"); // [MSG-VALID-1]
  if (bad) return bad;
  if (!KINDS.has(req.kind)) return invalid("kind"); // [MSG-VALID-2]
  if (!PRIORITIES.has(req.priority)) return invalid("priority"); // [MSG-VALID-3]
  const max = d.limits.maxMessagePayloadBytes;
  if (req.payload.length > max) return { code: ErrorCode.MESSAGE_TOO_LARGE, limit: max, actual: req.payload.length }; // [MSG-VALID-4]
  if (req.kind === RoomMessageKind.TEXT && !isValidUtf8(req.payload)) return invalid("payload"); // [MSG-VALID-5]
  return undefined;
}

/**
 * sendRoomMessage: seq += 1 and one RoomMessage [MSG-FIELDS-2, MSG-FIELDS-3,
 * MSG-FIELDS-5]; message_id and timestamp_ms are the server's to choose
 * (placeholders bound by compare.ts) [MSG-FIELDS-1, MSG-FIELDS-4]; kept in
 * history when the feature is on [HISTORY-KEEP-1]; every other member gets
 * it exactly once [MSG-DELIVER-1, MSG-DELIVER-3], the sender only in its
 * reply [MSG-DELIVER-2, MSG-REPLY-1].
 */
export function sendRoomMessage(d: Draft, s: SessionKey, req: SendRoomMessageRequest): Reply {
  const bad = checkMessage(d, req);
  if (bad) return fail(bad);
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  const sender = d.session(s).user!.userId;

  const seq = room.seq + 1n;
  const message = create(RoomMessageSchema, {
    messageId: messagePlaceholder(d.nextCounter("messages")),
    roomId: room.roomId,
    senderUserId: sender,
    kind: req.kind,
    payload: req.payload,
    priority: req.priority === RoomMessagePriority.UNSPECIFIED ? RoomMessagePriority.MEDIUM : req.priority,
    timestampMs: 0n,
    roomSeq: seq,
  });
  // Kept and numbered in acceptance order [MSG-ORDER-1]; priority is only carried [MSG-PRIORITY-1].
  const keep = hasFeature(d.config, Feature.MESSAGE_HISTORY) ? d.limits.maxHistoryCount : 0;
  const history = keep > 0 ? [...room.history, message].slice(-keep) : room.history;
  const after: Room = { ...room, seq, history };
  d.setRoom(after);
  // [MSG-DELIVER-2] not to the sender.
  d.emitToMembers(after, messageReceived(message), sender);
  return ok({ case: "sendRoomMessage", value: create(SendRoomMessageResponseSchema, { message }) }); // [MSG-REPLY-1]
}

/** queryRoomMessageHistory (the feature check is step.ts's, REQUEST-CHECK-4). */
export function queryRoomMessageHistory(d: Draft, s: SessionKey, req: QueryRoomMessageHistoryRequest): Reply {
  const bad = checkId(req.roomId, d.limits.maxRoomIdBytes, "room_id"); // [HISTORY-QUERY-VALID-1]
  if (bad) return fail(bad);
  const max = d.limits.maxHistoryCount;
  if (req.count === 0 || req.count > max) return fail(invalid("count", max, req.count)); // [HISTORY-QUERY-VALID-2]
  const room = roomOfMember(d, s, req.roomId);
  if (isReply(room)) return room;
  // [HISTORY-QUERY-1, HISTORY-QUERY-2]
  return ok({
    case: "queryRoomMessageHistory",
    value: create(QueryRoomMessageHistoryResponseSchema, { roomId: room.roomId, messages: lastMessages(room, req.count) }),
  });
}
