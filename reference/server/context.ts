// What every operation handler receives: the state, the calling session,
// the time, and the effects accumulator. Handlers are synchronous and touch
// no socket, so they can be unit tested directly.
import type { Error as WireError } from "../../protocol/index.js";
import type { Effects, ResultInit } from "./effects.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RoomFullInfoSchema } from "../../protocol/index.js";
import { notInRoom, roomNotFound } from "./errors.js";
import type { Room, ServerState, Session } from "./state.js";

export interface OpContext {
  readonly state: ServerState;
  readonly session: Session;
  /** Wall-clock milliseconds since the Unix epoch (message timestamps, rate windows). */
  readonly now: number;
  readonly fx: Effects;
}

export function errorResult(error: WireError): ResultInit {
  return { case: "error", value: error };
}

/** The room if it exists and the caller is a member; else the ROOM_NOT_FOUND or NOT_IN_ROOM error. */
export function memberRoom(ctx: OpContext, roomId: string): Room | WireError {
  const room = ctx.state.rooms.get(roomId);
  if (room === undefined) return roomNotFound(roomId);
  if (!room.members.has(ctx.session.userId)) return notInRoom(roomId);
  return room;
}

export function isRoom(value: Room | WireError): value is Room {
  return !("$typeName" in value);
}

export function fullInfo(room: Room): MessageInitShape<typeof RoomFullInfoSchema> {
  return {
    baseInfo: { roomId: room.id, roomName: room.name },
    roomSeq: BigInt(room.seq),
    roomDestroyDelaySeconds: room.destroyDelaySeconds,
  };
}
