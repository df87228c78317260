// Building the typed `Error` a failed request replies with. Every failure the
// core produces goes through here, so the shape of `detail` stays uniform.
import { create } from "@bufbuild/protobuf";
import {
  ErrorCode,
  ErrorDetailSchema,
  ErrorSchema,
  KeyFailureSchema,
  type Error as WireError,
  type KeyFailure,
} from "../../protocol/index.js";

export interface FailureDetail {
  field?: string;
  limit?: number;
  actual?: number;
  roomId?: string;
  keyFailures?: KeyFailure[];
  retryAfterMs?: number;
}

/** A failed request's `Error` message. */
export function failure(code: ErrorCode, message: string, detail: FailureDetail = {}): WireError {
  return create(ErrorSchema, {
    code,
    message,
    detail: create(ErrorDetailSchema, {
      field: detail.field ?? "",
      limit: BigInt(detail.limit ?? 0),
      actual: BigInt(detail.actual ?? 0),
      roomId: detail.roomId ?? "",
      keyFailures: detail.keyFailures ?? [],
      retryAfterMs: detail.retryAfterMs ?? 0,
    }),
  });
}

export function invalidArgument(field: string, message: string, limit?: number, actual?: number): WireError {
  return failure(ErrorCode.INVALID_ARGUMENT, message, { field, ...(limit !== undefined && { limit }), ...(actual !== undefined && { actual }) });
}

export function keyFailure(key: string, code: ErrorCode): KeyFailure {
  return create(KeyFailureSchema, { key, code });
}

export function roomNotFound(roomId: string): WireError {
  return failure(ErrorCode.ROOM_NOT_FOUND, `room ${JSON.stringify(roomId)} does not exist`, { roomId });
}

export function notInRoom(roomId: string): WireError {
  return failure(ErrorCode.NOT_IN_ROOM, `the caller is not a member of room ${JSON.stringify(roomId)}`, { roomId });
}

/** Errors raised as exceptions inside the core are bugs; this marks an expected, typed failure instead. */
export function isWireError(value: unknown): value is WireError {
  return typeof value === "object" && value !== null && (value as { $typeName?: string }).$typeName === "openroom.v1.Error";
}
