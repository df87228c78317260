// A scripted stand-in for a WebSocket, for protocol-level unit tests of the
// client only (integration tests use real sockets against a real server).
// The test plays the server: it opens the socket, reads what the client
// sent, and feeds frames and closes back.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  decodeClientFrame,
  encodeServerFrame,
  ServerFrameSchema,
  type ClientFrame,
  type Encoding,
} from "../../../protocol/index.js";
import type { WebSocketLike } from "../client.js";

export class FakeSocket implements WebSocketLike {
  /** Every socket made, in order. */
  static readonly made: FakeSocket[] = [];
  static latest(): FakeSocket {
    const s = FakeSocket.made.at(-1);
    if (!s) throw new Error("no socket made yet");
    return s;
  }

  protocol = "";
  binaryType = "blob";
  readonly sent: (string | Uint8Array)[] = [];
  readonly closeCalls: { code: number | undefined; reason: string | undefined }[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.made.push(this);
  }

  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closeCalls.push({ code, reason });
  }

  // ---- the test's side ----

  /** Completes the handshake, selecting `protocol` (default: the first offered). */
  open(protocol = this.protocols[0] ?? ""): void {
    this.protocol = protocol;
    this.onopen?.({ type: "open" });
  }

  /** The client frames sent so far, decoded with `encoding`. */
  frames(encoding: Encoding): ClientFrame[] {
    return this.sent.map((data) => {
      const r = decodeClientFrame(data, encoding);
      if (!r.ok) throw r.error;
      return r.frame;
    });
  }

  lastFrame(encoding: Encoding): ClientFrame {
    const f = this.frames(encoding).at(-1);
    if (!f) throw new Error("nothing sent");
    return f;
  }

  /** Delivers a server frame as the browser would with binaryType "arraybuffer" (text stays a string). */
  deliver(frame: MessageInitShape<typeof ServerFrameSchema>, encoding: Encoding): void {
    const data = encodeServerFrame(create(ServerFrameSchema, frame), encoding);
    this.onmessage?.({ data: typeof data === "string" ? data : data.slice().buffer });
  }

  /** Delivers raw message data. */
  deliverRaw(data: unknown): void {
    this.onmessage?.({ data });
  }

  /** The connection ends with `code` (as after a close frame, or 1006 for a drop). */
  end(code: number, reason = ""): void {
    this.onerror?.({ type: "error" });
    this.onclose?.({ code, reason });
  }
}
