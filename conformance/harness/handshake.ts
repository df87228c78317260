// Opening WebSocket connections to the target: the plain path for sessions
// (any failure is a HarnessError: the suite cannot judge what it cannot
// reach) and `rawConnect` for robustness tests of the handshake itself,
// which reports a refusal's HTTP status and body instead of failing.
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import WebSocket from "ws";
import { HarnessError } from "./errors.js";

export type RawHandshake =
  /** The server answered the upgrade with an HTTP response other than 101. */
  | { outcome: "refused"; status: number; headers: IncomingHttpHeaders; body: string }
  /** The connection is open; `protocol` is the subprotocol the server selected ("" for none). The caller closes `socket`. */
  | { outcome: "open"; socket: WebSocket; protocol: string }
  /** The server answered 101 but the handshake is invalid (e.g. it selected a subprotocol that was not offered). */
  | { outcome: "invalid"; message: string };

const MAX_BODY_BYTES = 64 * 1024;

export interface RawConnectOptions {
  /**
   * Pause the socket as it opens, so no message is emitted before the caller
   * attaches its listeners; the caller must call `socket.resume()`.
   */
  paused?: boolean;
}

/** Opens a WebSocket offering `protocols` (in order; [] offers none). Network failures and timeouts are HarnessErrors. */
export function rawConnect(url: string, protocols: readonly string[], timeoutMs: number, options: RawConnectOptions = {}): Promise<RawHandshake> {
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, [...protocols], { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    } catch (e) {
      reject(new HarnessError(`cannot open a WebSocket to ${url} offering [${protocols.join(", ")}]: ${messageOf(e)}`));
      return;
    }
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      socket.removeAllListeners("open");
      // Errors after the outcome (e.g. our own abort of a refused handshake) are expected.
      socket.on("error", () => {});
      fn();
    };
    let refusing = false;
    socket.on("unexpected-response", (req, res: IncomingMessage) => {
      refusing = true;
      readBody(res).then((body) => {
        settle(() => resolve({ outcome: "refused", status: res.statusCode ?? 0, headers: res.headers, body }));
        req.destroy();
      });
    });
    socket.once("open", () => {
      if (options.paused === true) socket.pause();
      settle(() => resolve({ outcome: "open", socket, protocol: socket.protocol }));
    });
    socket.on("error", (e: Error & { code?: string }) => {
      // A handshake timeout while reading a refusal's body: the body read ends on its own when the request is torn down.
      if (refusing) return;
      if (e.code !== undefined || /timed out/i.test(e.message)) {
        settle(() => reject(new HarnessError(`cannot connect to ${url}: ${e.message}`)));
      } else {
        settle(() => resolve({ outcome: "invalid", message: e.message }));
      }
    });
  });
}

/** Opens a paused socket that must succeed with one of `protocols`; anything else is a HarnessError. */
export async function openSocket(url: string, protocols: readonly string[], timeoutMs: number): Promise<WebSocket> {
  const result = await rawConnect(url, protocols, timeoutMs, { paused: true });
  switch (result.outcome) {
    case "open":
      return result.socket;
    case "refused":
      throw new HarnessError(
        `handshake with ${url} offering [${protocols.join(", ")}] refused: HTTP ${result.status}` +
          (result.body === "" ? "" : ` ${JSON.stringify(result.body.slice(0, 300))}`),
      );
    case "invalid":
      throw new HarnessError(`handshake with ${url} offering [${protocols.join(", ")}] failed: ${result.message}`);
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => resolve(Buffer.concat(chunks).toString("utf8"));
    res.on("data", (chunk: Buffer) => {
      if (size < MAX_BODY_BYTES) chunks.push(chunk.subarray(0, MAX_BODY_BYTES - size));
      size += chunk.byteLength;
    });
    res.once("end", done);
    res.once("error", done);
    res.once("close", done);
  });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
