// Helpers for integration tests over real sockets: a reference server on a
// free loopback port, HS256 tokens minted with jose, unique IDs, and clients
// that are closed after each test.
import { SignJWT } from "jose";
import { startServer, type RunningServer, type ServerOptions } from "../../server/index.js";
import type { Encoding } from "../../../protocol/index.js";
import type { OpenRoomClient, OpenRoomClientOptions } from "../client.js";
import type { KnownEvent } from "../events.js";
import { createClient } from "../node.js";

export const TOKEN_SECRET = "openroom-client-test-secret";

export type TestServer = RunningServer;

/** A reference server on 127.0.0.1, a free port, verifying tokens signed with TOKEN_SECRET. */
export function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  return startServer({ host: "127.0.0.1", port: 0, tokenSecret: TOKEN_SECRET, logLevel: "silent", ...options });
}

/** An HS256 JWT for `userId`; `expiresInSeconds` may be negative for an expired token. */
export function mintToken(userId: string, { expiresInSeconds = 3600, secret = TOKEN_SECRET } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(new TextEncoder().encode(secret));
}

let counter = 0;
/** An ID no other test of this run uses (tests share one server). */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** Makes clients for one test file and closes them all afterwards. */
export class ClientPool {
  private readonly clients: OpenRoomClient[] = [];

  constructor(private readonly url: () => string) {}

  /** A connected client (not logged in). */
  async connect(options: OpenRoomClientOptions = {}): Promise<OpenRoomClient> {
    const client = createClient(this.url(), options);
    this.clients.push(client);
    await client.connect();
    return client;
  }

  /** A connected client logged in as a fresh user (or `userId`). */
  async user(encoding: Encoding, userId = uniqueId("user"), options: OpenRoomClientOptions = {}): Promise<OpenRoomClient> {
    const client = await this.connect({ ...options, encoding });
    await client.login({ userId, userName: `name of ${userId}`, token: await mintToken(userId) });
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close()));
  }
}

/** Records every event a client receives, in order. */
export function recordEvents(client: OpenRoomClient): { events: KnownEvent[]; take(): KnownEvent[] } {
  const events: KnownEvent[] = [];
  client.on("event", (e) => events.push(e));
  return {
    events,
    take: () => events.splice(0),
  };
}
