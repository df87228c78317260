// The OpenRoom client, environment-neutral: the core (give it a WebSocket
// constructor), its types and errors. Applications usually import
// `./node.js` (Node, `ws`) or `./browser.js` (global WebSocket), which add
// `connect()`. Nothing here imports Node modules.
export {
  OpenRoomClient,
  type ClientState,
  type CloseInfo,
  type OpenRoomClientInit,
  type OpenRoomClientOptions,
  type ReconnectInfo,
  type ReconnectOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./client.js";
export { RoomAttributesBatch, type DeleteRoomAttributesOperationInit, type SetRoomAttributesOperationInit } from "./batch.js";
export { errorCodeName, isOpenRoomError, OpenRoomConnectionError, OpenRoomError, OpenRoomProtocolError, OpenRoomTimeoutError } from "./errors.js";
export { EVENT_KINDS, type EventKind, type EventMap, type KnownEvent } from "./events.js";
export type { Unsubscribe } from "./listeners.js";
export { MAX_REQUEST_ID, nextRequestId } from "./request-id.js";
export {
  roomMessageText,
  type RequestFields,
  type RequestKind,
  type RequestOf,
  type RequestOptions,
  type ResponseOf,
  type SendRoomMessageInit,
} from "./requests.js";
// The generated types and enums a client application needs (ErrorCode, RoomState, RoomMessageKind …).
export * from "../../protocol/index.js";
