// Browser entry: the client over the global WebSocket. No Node imports here
// or below (browser-bundle.test.ts bundles this file for the browser to prove it).
import { OpenRoomClient, type OpenRoomClientOptions, type WebSocketConstructor } from "./client.js";

export * from "./index.js";

function globalWebSocket(): WebSocketConstructor {
  const ctor = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!ctor) throw new Error("no global WebSocket in this environment; in Node, import reference/client/node.js");
  return ctor;
}

/** A client for `url` over the global WebSocket, not yet connected. */
export function createClient(url: string, options: OpenRoomClientOptions = {}): OpenRoomClient {
  return new OpenRoomClient({ ...options, url, WebSocket: globalWebSocket() });
}

/** Connects to `url` over the global WebSocket; resolves once the connection is open. */
export async function connect(url: string, options: OpenRoomClientOptions = {}): Promise<OpenRoomClient> {
  const client = createClient(url, options);
  await client.connect();
  return client;
}
