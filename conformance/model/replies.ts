// Builders of the replies the model predicts. request_id is left 0 here and
// filled by step() from StepContext.requestId (or by the caller).
import { create } from "@bufbuild/protobuf";
import {
  ErrorDetailSchema,
  ErrorSchema,
  ReplySchema,
  RoomFullInfoSchema,
  RoomInfoSchema,
  type ErrorCode,
  type Reply,
  type RoomFullInfo,
} from "../../protocol/index.js";
import type { Room } from "./state.js";
import type { Violation } from "./validate.js";

/** The `result` oneof of a Reply. */
export type ReplyResult = Reply["result"];

export function ok(result: Exclude<ReplyResult, { case: undefined } | { case: "error" }>): Reply {
  return create(ReplySchema, { requestId: 0, result });
}

/**
 * An error reply. Error.message is never predicted (compare.ts ignores it);
 * detail carries what the model predicts: field, limit/actual, key_failures.
 */
export function fail(v: Violation | ErrorCode): Reply {
  const violation: Violation = typeof v === "number" ? { code: v } : v;
  const detail =
    violation.field !== undefined || violation.limit !== undefined || violation.keyFailures !== undefined
      ? create(ErrorDetailSchema, {
          field: violation.field ?? "",
          limit: BigInt(violation.limit ?? 0),
          actual: BigInt(violation.actual ?? 0),
          keyFailures: violation.keyFailures ?? [],
        })
      : undefined;
  const error = create(ErrorSchema, { code: violation.code, message: "", ...(detail ? { detail } : {}) });
  return create(ReplySchema, { requestId: 0, result: { case: "error", value: error } });
}

/** The code of an error reply, or undefined for a success. */
export function errorCodeOf(reply: Reply | undefined): ErrorCode | undefined {
  return reply?.result.case === "error" ? reply.result.value.code : undefined;
}

/** RoomFullInfo as every request that puts the caller in a room returns it: the creator's name and delay, which never change [ROOM-NAME-1], and the seq after the request [SEQ-6]. */
export function roomFullInfo(room: Room): RoomFullInfo {
  return create(RoomFullInfoSchema, {
    baseInfo: create(RoomInfoSchema, { roomId: room.roomId, roomName: room.roomName }),
    roomSeq: room.seq,
    roomDestroyDelaySeconds: room.destroyDelaySeconds,
  });
}
