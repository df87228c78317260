// The OpenRoom wire package: generated types of proto/openroom/v1 and the
// frame codec. Everything that speaks the wire imports from here.
export * from "./gen/openroom/v1/errors_pb.js";
export * from "./gen/openroom/v1/events_pb.js";
export * from "./gen/openroom/v1/frames_pb.js";
export * from "./gen/openroom/v1/member_attributes_pb.js";
export * from "./gen/openroom/v1/members_pb.js";
export * from "./gen/openroom/v1/messages_pb.js";
export * from "./gen/openroom/v1/room_attributes_pb.js";
export * from "./gen/openroom/v1/rooms_pb.js";
export * from "./gen/openroom/v1/session_pb.js";
export * from "./codec.js";
