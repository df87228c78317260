// The one codec for everything that speaks the OpenRoom wire: a ClientFrame
// or ServerFrame per WebSocket message, binary protobuf under `openroom.v1`,
// canonical protobuf JSON in text frames under `openroom.v1.json`.
// Decoding never throws: malformed input comes back as a typed CodecError.
import {
  fromBinary,
  fromJson,
  toBinary,
  toJsonString,
  type DescMessage,
  type JsonValue,
  type MessageShape,
} from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { ErrorCode } from "./gen/openroom/v1/errors_pb.js";
import {
  ClientFrameSchema,
  ServerFrameSchema,
  type ClientFrame,
  type ServerFrame,
} from "./gen/openroom/v1/frames_pb.js";

/** How frames are written on a connection; chosen by the WebSocket subprotocol. */
export type Encoding = "binary" | "json";

/** The WebSocket subprotocol names, by encoding. */
export const SUBPROTOCOLS = {
  binary: "openroom.v1",
  json: "openroom.v1.json",
} as const satisfies Record<Encoding, string>;

/** The encoding a negotiated subprotocol selects, or undefined for any other name. */
export function encodingOf(subprotocol: string): Encoding | undefined {
  if (subprotocol === SUBPROTOCOLS.binary) return "binary";
  if (subprotocol === SUBPROTOCOLS.json) return "json";
  return undefined;
}

/** One WebSocket message: bytes for a binary frame, a string for a text frame. */
export type WireData = Uint8Array | string;

/** Why a frame could not be decoded. `requestId` is set when it could still be read. */
export class CodecError extends Error {
  override readonly name = "CodecError";
  constructor(
    readonly code: ErrorCode.MALFORMED_FRAME | ErrorCode.FRAME_TOO_LARGE,
    message: string,
    readonly requestId?: number,
  ) {
    super(message);
  }
}

export type DecodeResult<T> = { ok: true; frame: T } | { ok: false; error: CodecError };

export interface DecodeOptions {
  /** Frames larger than this many bytes (UTF-8 bytes for text) are refused. */
  maxBytes?: number;
}

function encode<Desc extends DescMessage>(schema: Desc, frame: MessageShape<Desc>, encoding: Encoding): WireData {
  return encoding === "binary" ? toBinary(schema, frame) : toJsonString(schema, frame);
}

export function encodeClientFrame(frame: ClientFrame, encoding: Encoding): WireData {
  return encode(ClientFrameSchema, frame, encoding);
}

export function encodeServerFrame(frame: ServerFrame, encoding: Encoding): WireData {
  return encode(ServerFrameSchema, frame, encoding);
}

export function decodeClientFrame(data: WireData, encoding: Encoding, options?: DecodeOptions): DecodeResult<ClientFrame> {
  return decode(ClientFrameSchema, data, encoding, options);
}

export function decodeServerFrame(data: WireData, encoding: Encoding, options?: DecodeOptions): DecodeResult<ServerFrame> {
  return decode(ServerFrameSchema, data, encoding, options);
}

const textEncoder = new TextEncoder();

function decode<Desc extends DescMessage>(
  schema: Desc,
  data: WireData,
  encoding: Encoding,
  options: DecodeOptions | undefined,
): DecodeResult<MessageShape<Desc>> {
  const size = typeof data === "string" ? textEncoder.encode(data).byteLength : data.byteLength;
  if (options?.maxBytes !== undefined && size > options.maxBytes) {
    return fail(ErrorCode.FRAME_TOO_LARGE, `frame of ${size} bytes exceeds the limit of ${options.maxBytes} bytes`);
  }
  if (encoding === "binary") {
    if (typeof data === "string") {
      return fail(ErrorCode.MALFORMED_FRAME, "text frame on the binary subprotocol openroom.v1");
    }
    try {
      // Unknown fields are kept, not refused: proto3 forward compatibility.
      return { ok: true, frame: fromBinary(schema, data) };
    } catch (e) {
      return fail(ErrorCode.MALFORMED_FRAME, `invalid protobuf: ${messageOf(e)}`, salvageBinaryRequestId(data));
    }
  }
  if (typeof data !== "string") {
    return fail(ErrorCode.MALFORMED_FRAME, "binary frame on the JSON subprotocol openroom.v1.json");
  }
  let json: JsonValue;
  try {
    json = JSON.parse(data) as JsonValue;
  } catch (e) {
    return fail(ErrorCode.MALFORMED_FRAME, `invalid JSON: ${messageOf(e)}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return fail(ErrorCode.MALFORMED_FRAME, "a frame must be a JSON object");
  }
  try {
    // Unknown fields are ignored, as in binary; a frame left with no known
    // request is the dispatcher's UNSUPPORTED_REQUEST, not a decode error.
    return { ok: true, frame: fromJson(schema, json, { ignoreUnknownFields: true }) };
  } catch (e) {
    return fail(ErrorCode.MALFORMED_FRAME, `invalid frame JSON: ${messageOf(e)}`, salvageJsonRequestId(json));
  }
}

function fail(code: CodecError["code"], message: string, requestId?: number): { ok: false; error: CodecError } {
  return { ok: false, error: new CodecError(code, message, requestId) };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Reads field 1 (`request_id`, varint) from a frame that failed to decode, if the bytes before the damage allow it. */
export function salvageBinaryRequestId(bytes: Uint8Array): number | undefined {
  const reader = new BinaryReader(bytes);
  let found: number | undefined;
  try {
    while (reader.pos < reader.len) {
      const [fieldNo, wireType] = reader.tag();
      if (fieldNo === 1 && wireType === WireType.Varint) {
        found = reader.uint32();
      } else {
        reader.skip(wireType, fieldNo);
      }
    }
  } catch {
    // The damage starts here; keep what was read before it.
  }
  return found;
}

/** Reads `requestId` (or `request_id`) from a JSON frame that failed to decode, if it is a valid uint32. */
export function salvageJsonRequestId(json: { [k: string]: JsonValue }): number | undefined {
  const raw = json["requestId"] ?? json["request_id"];
  const n = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n : undefined;
}
