// FRAME-DECODE-1 — an undecodable message with a readable request ID closes the connection.
// Mistake: every decode failure is treated as fatal (close 1007), instead of
// answering MALFORMED_FRAME when the request ID can be salvaged.
// A naive test sends only well-formed frames, or only garbage without a request ID.
import { decodeClientFrame } from "../../../protocol/index.js";
import { CloseCode } from "../../../reference/server/session.js";
import { Transport } from "../../../reference/server/transport.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

type Args = Parameters<Transport["process"]>;

class StrictDecoderTransport extends Transport {
  override process(conn: Args[0], data: Args[1], isBinary: Args[2]) {
    if (isBinary === (conn.encoding === "binary")) {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const decoded = decodeClientFrame(conn.encoding === "binary" ? bytes : bytes.toString("utf8"), conn.encoding);
      if (!decoded.ok) {
        conn.close(CloseCode.INVALID_PAYLOAD, "undecodable frame");
        return undefined;
      }
    }
    return super.process(conn, data, isBinary);
  }
}

export const mutant: Mutant = {
  name: "malformed-frame-closes",
  requirement: "FRAME-DECODE-1",
  mistake: "any frame that fails to decode closes the connection with 1007, even when its request_id could be read and answered with MALFORMED_FRAME",
  whyNaiveTestMisses: "well-formed frames never fail to decode, and random garbage rarely carries a readable request_id",
  start: (options) => compose({ transport: (o) => new StrictDecoderTransport(o) }, options),
};
