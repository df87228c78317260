// Builders of the events the model predicts, one per Event case (events.proto).
// Member events always carry exactly one member [EVENT-MEMBER-1]; the model
// only ever builds room states and reasons the spec allows [EVENT-STATE-2],
// connection events only {DISCONNECTED, KICKED_OUT} [EVENT-CONN-1,
// EVENT-CONN-2], attribute infos only SET or DELETE with "" values in a
// DELETE [EVENT-ATTR-1]; room state events go only to the session concerned
// [EVENT-STATE-1].
import { create } from "@bufbuild/protobuf";
import {
  ConnectionState,
  ConnectionStateChangedEventSchema,
  ConnectionStateReason,
  EventSchema,
  MemberAttributesSchema,
  RoomAttributesBatchUpdatedEventSchema,
  RoomAttributesUpdateAction,
  RoomAttributesUpdateInfoSchema,
  RoomAttributesUpdatedEventSchema,
  RoomMemberAttributesUpdatedEventSchema,
  RoomMemberJoinedEventSchema,
  RoomMemberLeftEventSchema,
  RoomMemberSchema,
  RoomMessageReceivedEventSchema,
  RoomState,
  RoomStateChangedEventSchema,
  type Event,
  type MemberAttributes,
  type RoomAttributesUpdateInfo,
  type RoomMember,
  type RoomMessage,
  RoomStateReason,
} from "../../protocol/index.js";
import type { Member } from "./state.js";

export function roomMember(m: Pick<Member, "userId" | "userName">): RoomMember {
  return create(RoomMemberSchema, { userId: m.userId, userName: m.userName });
}

export function memberAttributes(userId: string, attributes: { [key: string]: string }): MemberAttributes {
  return create(MemberAttributesSchema, { userId, attributes });
}

export function connectionStateChanged(state: ConnectionState, reason: ConnectionStateReason): Event {
  return create(EventSchema, {
    event: { case: "connectionStateChanged", value: create(ConnectionStateChangedEventSchema, { state, reason }) },
  });
}

export function roomStateChanged(roomId: string, state: RoomState, reason: RoomStateReason): Event {
  return create(EventSchema, {
    event: { case: "roomStateChanged", value: create(RoomStateChangedEventSchema, { roomId, state, reason }) },
  });
}

export const connecting = (roomId: string, reason: RoomStateReason) => roomStateChanged(roomId, RoomState.CONNECTING, reason);
export const connected = (roomId: string) => roomStateChanged(roomId, RoomState.CONNECTED, RoomStateReason.SUCCESS);
export const disconnected = (roomId: string, reason: RoomStateReason = RoomStateReason.SUCCESS) =>
  roomStateChanged(roomId, RoomState.DISCONNECTED, reason);

export function memberJoined(roomId: string, roomSeq: bigint, members: RoomMember[]): Event {
  return create(EventSchema, {
    event: { case: "roomMemberJoined", value: create(RoomMemberJoinedEventSchema, { roomId, roomSeq, members }) },
  });
}

export function memberLeft(roomId: string, roomSeq: bigint, members: RoomMember[]): Event {
  return create(EventSchema, {
    event: { case: "roomMemberLeft", value: create(RoomMemberLeftEventSchema, { roomId, roomSeq, members }) },
  });
}

export function updateInfo(action: RoomAttributesUpdateAction, attributes: { [key: string]: string }): RoomAttributesUpdateInfo {
  return create(RoomAttributesUpdateInfoSchema, { action, attributes });
}

export function attributesUpdated(roomId: string, roomSeq: bigint, info: RoomAttributesUpdateInfo, operatorUserId: string): Event {
  return create(EventSchema, {
    event: {
      case: "roomAttributesUpdated",
      value: create(RoomAttributesUpdatedEventSchema, { roomId, roomSeq, info, operatorUserId }),
    },
  });
}

export function attributesBatchUpdated(roomId: string, roomSeq: bigint, infos: RoomAttributesUpdateInfo[], operatorUserId: string): Event {
  return create(EventSchema, {
    event: {
      case: "roomAttributesBatchUpdated",
      value: create(RoomAttributesBatchUpdatedEventSchema, { roomId, roomSeq, infos, operatorUserId }),
    },
  });
}

export function memberAttributesUpdated(roomId: string, roomSeq: bigint, infos: MemberAttributes[], operatorUserId: string): Event {
  return create(EventSchema, {
    event: {
      case: "roomMemberAttributesUpdated",
      value: create(RoomMemberAttributesUpdatedEventSchema, { roomId, roomSeq, infos, operatorUserId }),
    },
  });
}

export function messageReceived(message: RoomMessage): Event {
  return create(EventSchema, {
    event: {
      case: "roomMessageReceived",
      value: create(RoomMessageReceivedEventSchema, { roomId: message.roomId, roomSeq: message.roomSeq, message }),
    },
  });
}

/** Keys → "" for a DELETE info (events.proto: "the deleted keys with empty values"). */
export function deletedKeys(keys: readonly string[]): { [key: string]: string } {
  return Object.fromEntries(keys.map((k) => [k, ""]));
}
