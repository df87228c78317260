// Node entry: the client over `ws`.
import WebSocket from "ws";
import { OpenRoomClient, type OpenRoomClientOptions, type WebSocketConstructor } from "./client.js";

export * from "./index.js";

/** `ws` with permessage-deflate not offered: OpenRoom servers run without it (one encoding per frame, no compression state). */
class NodeWebSocket extends WebSocket {
  constructor(url: string, protocols: string[]) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

/** The WebSocket constructor the Node entry uses. */
export const nodeWebSocket: WebSocketConstructor = NodeWebSocket;

/** A client for `url` over `ws`, not yet connected. */
export function createClient(url: string, options: OpenRoomClientOptions = {}): OpenRoomClient {
  return new OpenRoomClient({ ...options, url, WebSocket: nodeWebSocket });
}

/** Connects to `url` over `ws`; resolves once the connection is open. */
export async function connect(url: string, options: OpenRoomClientOptions = {}): Promise<OpenRoomClient> {
  const client = createClient(url, options);
  await client.connect();
  return client;
}
