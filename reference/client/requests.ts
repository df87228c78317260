// Request kinds and their generated request/response types, derived from the
// ClientFrame and Reply oneofs (whose cases mirror each other), plus the pure
// argument shaping the client's convenience signatures need.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { ClientFrame, Reply, RoomMessagePriority } from "../../protocol/index.js";
import { RoomMessageKind } from "../../protocol/index.js";

/** Every request kind: the `ClientFrame.request` oneof case names ("login", "createRoom" …). */
export type RequestKind = NonNullable<ClientFrame["request"]["case"]>;

/** Request kind → generated request message type. */
export type RequestOf<K extends RequestKind> = Extract<ClientFrame["request"], { case: K }>["value"];

/** Request kind → what a caller passes: the request's fields as a plain object (the protobuf-es init shape). */
export type RequestFields<K extends RequestKind> = MessageInitShape<GenMessage<RequestOf<K>>>;

/** Request kind → generated response type of a successful reply. */
export type ResponseOf<K extends RequestKind> = Extract<Reply["result"], { case: K }>["value"];

// Compile-time proof that every request kind has a reply case of the same name.
type MissingReplyCases = Exclude<RequestKind, NonNullable<Reply["result"]["case"]>>;
const everyRequestHasAReply: [MissingReplyCases] extends [never] ? true : MissingReplyCases = true;
void everyRequestHasAReply;

/** Per-request options. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply; overrides the client's `requestTimeoutMs`; 0 waits forever. */
  timeoutMs?: number;
}

/** `sendRoomMessage` arguments: the request's fields, with a payload that may be text. */
export interface SendRoomMessageInit {
  /** The room; the caller must be a member. */
  roomId: string;
  /** The content: a string is sent as UTF-8, bytes as they are. */
  payload?: string | Uint8Array;
  /** How to read the payload; default TEXT for a string, CUSTOM for bytes. */
  kind?: RoomMessageKind;
  /** Delivery priority; unset is delivered as MEDIUM. */
  priority?: RoomMessagePriority;
}

const utf8 = new TextEncoder();

/**
 * The wire request for `sendRoomMessage`: a string payload is encoded as
 * UTF-8, and an unset kind becomes TEXT for a string and CUSTOM for bytes
 * (the server refuses UNSPECIFIED). An explicit kind is kept.
 */
export function sendRoomMessageRequest(init: SendRoomMessageInit): RequestFields<"sendRoomMessage"> {
  const { payload, kind, ...rest } = init;
  const isText = typeof payload === "string";
  return {
    ...rest,
    kind: kind ?? (isText ? RoomMessageKind.TEXT : RoomMessageKind.CUSTOM),
    payload: isText ? utf8.encode(payload) : (payload ?? new Uint8Array(0)),
  };
}

/** Accepts a bare room ID where a request has no other required field. */
export function roomRequest<T extends { roomId?: string }>(roomIdOrInit: string | T): T | { roomId: string } {
  return typeof roomIdOrInit === "string" ? { roomId: roomIdOrInit } : roomIdOrInit;
}

const utf8Decoder = new TextDecoder();

/** A message's payload read as UTF-8 text (invalid bytes become U+FFFD). */
export function roomMessageText(message: { payload: Uint8Array }): string {
  return utf8Decoder.decode(message.payload);
}
