// Sending a request's events: each event is encoded at most once per
// encoding, lazily, and the same bytes go to every recipient of that
// encoding (brief: "a room event encoded once").
import { create } from "@bufbuild/protobuf";
import { encodeServerFrame, ServerFrameSchema, type Encoding, type Event, type Reply, type ServerFrame } from "../../protocol/index.js";
import type { Outbound } from "./effects.js";
import type { Session } from "./state.js";

/** Encodes a ServerFrame to the bytes of one WebSocket message (UTF-8 for JSON text frames). */
export type FrameEncoder = (frame: ServerFrame, encoding: Encoding) => Uint8Array;

export const encodeFrameBytes: FrameEncoder = (frame, encoding) => {
  const wire = encodeServerFrame(frame, encoding);
  // Encode JSON to bytes here once; sending a string would re-encode it per recipient.
  return typeof wire === "string" ? Buffer.from(wire, "utf8") : wire;
};

/** Where a session's frames go. `binary` tells a binary frame from a text frame. */
export interface Recipient {
  readonly encoding: Encoding;
  send(bytes: Uint8Array, binary: boolean): void;
}

export function eventFrame(event: Event): ServerFrame {
  return create(ServerFrameSchema, { frame: { case: "event", value: event } });
}

export function replyFrame(reply: Reply): ServerFrame {
  return create(ServerFrameSchema, { frame: { case: "reply", value: reply } });
}

/** Sends every event in order to its recipients; `resolve` maps a session to its live connection. */
export function fanOut(outbound: readonly Outbound[], resolve: (session: Session) => Recipient | undefined, encode: FrameEncoder = encodeFrameBytes): void {
  for (const { recipients, event } of outbound) {
    let frame: ServerFrame | undefined;
    let binary: Uint8Array | undefined;
    let json: Uint8Array | undefined;
    for (const session of recipients) {
      const recipient = resolve(session);
      if (recipient === undefined) continue;
      frame ??= eventFrame(event);
      if (recipient.encoding === "binary") {
        binary ??= encode(frame, "binary");
        recipient.send(binary, true);
      } else {
        json ??= encode(frame, "json");
        recipient.send(json, false);
      }
    }
  }
}
