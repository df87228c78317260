// Every message and enum of the v1 contract, found by reflection over the
// generated file descriptors, so tests and tools iterate the whole contract.
import { createRegistry, type DescEnum, type DescMessage } from "@bufbuild/protobuf";
import { file_openroom_v1_errors } from "./gen/openroom/v1/errors_pb.js";
import { file_openroom_v1_events } from "./gen/openroom/v1/events_pb.js";
import { file_openroom_v1_frames } from "./gen/openroom/v1/frames_pb.js";
import { file_openroom_v1_member_attributes } from "./gen/openroom/v1/member_attributes_pb.js";
import { file_openroom_v1_members } from "./gen/openroom/v1/members_pb.js";
import { file_openroom_v1_messages } from "./gen/openroom/v1/messages_pb.js";
import { file_openroom_v1_room_attributes } from "./gen/openroom/v1/room_attributes_pb.js";
import { file_openroom_v1_rooms } from "./gen/openroom/v1/rooms_pb.js";
import { file_openroom_v1_session } from "./gen/openroom/v1/session_pb.js";

/** The v1 files, one per concern. */
export const contractFiles = [
  file_openroom_v1_errors,
  file_openroom_v1_events,
  file_openroom_v1_frames,
  file_openroom_v1_member_attributes,
  file_openroom_v1_members,
  file_openroom_v1_messages,
  file_openroom_v1_room_attributes,
  file_openroom_v1_rooms,
  file_openroom_v1_session,
] as const;

/** A registry of the whole contract (for JSON `Any` resolution and lookups by name). */
export const contractRegistry = createRegistry(...contractFiles);

/** Every message type of the contract, nested ones included, sorted by full name. */
export function allMessages(): DescMessage[] {
  const out: DescMessage[] = [];
  const visit = (m: DescMessage) => {
    out.push(m);
    m.nestedMessages.forEach(visit);
  };
  for (const f of contractFiles) f.messages.forEach(visit);
  return out.sort((a, b) => a.typeName.localeCompare(b.typeName));
}

/** Every enum type of the contract, sorted by full name. */
export function allEnums(): DescEnum[] {
  const out: DescEnum[] = [];
  const visit = (m: DescMessage) => {
    out.push(...m.nestedEnums);
    m.nestedMessages.forEach(visit);
  };
  for (const f of contractFiles) {
    out.push(...f.enums);
    f.messages.forEach(visit);
  }
  return out.sort((a, b) => a.typeName.localeCompare(b.typeName));
}
