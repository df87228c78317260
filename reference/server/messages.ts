// Room messages and history (brief §8).
import {
  ErrorCode,
  RoomMessageKind,
  RoomMessagePriority,
  RoomMessageSchema,
  type QueryRoomMessageHistoryRequest,
  type SendRoomMessageRequest,
} from "../../protocol/index.js";
import { create } from "@bufbuild/protobuf";
import { errorResult, isRoom, memberRoom, type OpContext } from "./context.js";
import type { ResultInit } from "./effects.js";
import { failure, invalidArgument } from "./errors.js";
import { checkId, isValidUtf8 } from "./validation.js";

const KINDS = new Set<number>([RoomMessageKind.TEXT, RoomMessageKind.CUSTOM]);
const PRIORITIES = new Set<number>([
  RoomMessagePriority.UNSPECIFIED,
  RoomMessagePriority.LOW,
  RoomMessagePriority.MEDIUM,
  RoomMessagePriority.HIGH,
]);

export function sendRoomMessage(ctx: OpContext, req: SendRoomMessageRequest): ResultInit {
  const limits = ctx.state.limits;
  const bad = checkId("room_id", req.roomId, limits.maxRoomIdBytes);
  if (bad) return errorResult(bad);
  if (!KINDS.has(req.kind)) return errorResult(invalidArgument("kind", `kind ${req.kind} is not TEXT or CUSTOM`));
  if (!PRIORITIES.has(req.priority)) return errorResult(invalidArgument("priority", `priority ${req.priority} is not a known priority`));
  const size = req.payload.byteLength;
  if (size > limits.maxMessagePayloadBytes) {
    return errorResult(
      failure(ErrorCode.MESSAGE_TOO_LARGE, `payload of ${size} bytes, more than ${limits.maxMessagePayloadBytes}`, {
        field: "payload",
        limit: limits.maxMessagePayloadBytes,
        actual: size,
      }),
    );
  }
  if (req.kind === RoomMessageKind.TEXT && !isValidUtf8(req.payload)) {
    return errorResult(invalidArgument("payload", "a TEXT payload must be valid UTF-8"));
  }
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);

  room.seq++;
  const message = create(RoomMessageSchema, {
    messageId: ctx.state.takeMessageId(),
    roomId: room.id,
    senderUserId: ctx.session.userId,
    kind: req.kind,
    payload: req.payload,
    priority: req.priority === RoomMessagePriority.UNSPECIFIED ? RoomMessagePriority.MEDIUM : req.priority,
    timestampMs: BigInt(ctx.now),
    roomSeq: BigInt(room.seq),
  });
  if (ctx.state.features.messageHistory && limits.maxHistoryCount > 0) {
    room.history.push(message);
    if (room.history.length > limits.maxHistoryCount) room.history.shift();
  }
  ctx.fx.toMembers(room, { case: "roomMessageReceived", value: { roomId: room.id, roomSeq: message.roomSeq, message } }, ctx.session.userId);
  return { case: "sendRoomMessage", value: { message } };
}

export function queryRoomMessageHistory(ctx: OpContext, req: QueryRoomMessageHistoryRequest): ResultInit {
  const limits = ctx.state.limits;
  if (!ctx.state.features.messageHistory) {
    return errorResult(failure(ErrorCode.FEATURE_NOT_SUPPORTED, "message history needs FEATURE_MESSAGE_HISTORY, which this server does not offer"));
  }
  const bad = checkId("room_id", req.roomId, limits.maxRoomIdBytes);
  if (bad) return errorResult(bad);
  if (req.count === 0 || req.count > limits.maxHistoryCount) {
    return errorResult(invalidArgument("count", `count must be 1 to ${limits.maxHistoryCount}, not ${req.count}`, limits.maxHistoryCount, req.count));
  }
  const room = memberRoom(ctx, req.roomId);
  if (!isRoom(room)) return errorResult(room);
  return { case: "queryRoomMessageHistory", value: { roomId: room.id, messages: room.history.slice(-req.count) } };
}
