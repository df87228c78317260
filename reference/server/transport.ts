// The WebSocket edge: handshake and subprotocol choice, framing rules and
// close codes (brief §1), one request at a time per connection, events
// before replies, slow-consumer protection and keep-alive pings. All
// protocol decisions are the engine's; this module moves bytes.
import { createServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import {
  ConnectionState,
  ConnectionStateReason,
  decodeClientFrame,
  encodingOf,
  ErrorCode,
  EventSchema,
  ReplySchema,
  SUBPROTOCOLS,
  type Encoding,
} from "../../protocol/index.js";
import { create } from "@bufbuild/protobuf";
import type { TokenVerifier } from "./auth.js";
import { errorResult } from "./context.js";
import { isPendingLogin, type Engine, type Outcome, type PendingLogin } from "./engine.js";
import { failure } from "./errors.js";
import { encodeFrameBytes, eventFrame, fanOut, replyFrame, type Recipient } from "./fanout.js";
import type { Logger } from "./logger.js";
import { CloseCode } from "./session.js";
import type { Session } from "./state.js";

export interface TransportOptions {
  host: string;
  port: number;
  engine: Engine;
  verifier: TokenVerifier;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  heartbeatIntervalMs: number;
  logger: Logger;
}

const REFUSAL_BODY = `OpenRoom needs a WebSocket subprotocol: offer "${SUBPROTOCOLS.binary}" (binary protobuf) or "${SUBPROTOCOLS.json}" (protobuf JSON).\n`;
// Stop reading a connection that queues this many frames while one waits (a Login's token check).
const MAX_QUEUED_FRAMES = 256;
// How long shutdown waits for clients to answer the close handshake.
const SHUTDOWN_GRACE_MS = 1000;

/** One WebSocket connection and its session. */
class Connection implements Recipient {
  private readonly queue: Array<{ data: RawData; isBinary: boolean }> = [];
  private busy = false;
  /** No more frames are read or sent once the connection is closing. */
  closing = false;
  alive = true;
  private disconnected = false;

  constructor(
    readonly ws: WebSocket,
    readonly encoding: Encoding,
    readonly session: Session,
    private readonly transport: Transport,
  ) {}

  send(bytes: Uint8Array, binary: boolean): void {
    if (this.closing) return;
    this.ws.send(bytes, { binary });
    if (this.ws.bufferedAmount > this.transport.options.maxBufferedBytes) this.slowConsumer();
  }

  sendFrame(bytes: Uint8Array): void {
    this.send(bytes, this.encoding === "binary");
  }

  /** Closes with a code (no more frames either way) and ends the session. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.ws.close(code, reason);
    this.disconnect();
  }

  /** The session leaves its rooms (once), as for a dropped connection. */
  disconnect(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.transport.deliver(this.transport.options.engine.disconnect(this.session, Date.now()), undefined);
  }

  private slowConsumer(): void {
    this.transport.options.logger.warn({ session: this.session.id, user: this.session.userId, buffered: this.ws.bufferedAmount }, "slow consumer: closing with 4002");
    this.closing = true;
    this.ws.close(CloseCode.SLOW_CONSUMER, "slow consumer");
    // Not now: we may be in the middle of sending one event to many
    // recipients, and the leave events must come after it for everyone.
    queueMicrotask(() => this.disconnect());
  }

  enqueue(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    this.queue.push({ data, isBinary });
    if (this.queue.length >= MAX_QUEUED_FRAMES) this.ws.pause();
    if (!this.busy) void this.pump();
  }

  /** Handles queued frames one at a time, in arrival order; only a Login's token check awaits. */
  private async pump(): Promise<void> {
    this.busy = true;
    try {
      let item;
      while (!this.closing && (item = this.queue.shift()) !== undefined) {
        const pending = this.transport.process(this, item.data, item.isBinary);
        if (pending !== undefined) await pending;
        if (this.ws.isPaused && this.queue.length < MAX_QUEUED_FRAMES / 2) this.ws.resume();
      }
    } finally {
      this.busy = false;
    }
  }
}

export class Transport {
  private readonly http: HttpServer;
  private readonly wss: WebSocketServer;
  private readonly connections = new Map<number, Connection>();
  private heartbeat: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  private readonly resolve = (session: Session): Recipient | undefined => this.connections.get(session.id);

  constructor(readonly options: TransportOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes, // ws closes larger frames with 1009 itself
      perMessageDeflate: false,
      // The first OpenRoom subprotocol in the client's order (the Set keeps it).
      handleProtocols: (protocols) => [...protocols].find((p) => encodingOf(p) !== undefined) ?? false,
    });
    this.wss.on("connection", (ws: WebSocket) => this.onConnection(ws));
    this.http = createServer((_req, res) => {
      res.writeHead(426, { "Content-Type": "text/plain; charset=utf-8", Upgrade: "websocket" });
      res.end(REFUSAL_BODY);
    });
    this.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.options.port, this.options.host, () => {
        this.http.off("error", reject);
        resolve();
      });
    });
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatIntervalMs);
    this.heartbeat.unref();
    const address = this.http.address();
    if (address === null || typeof address === "string") throw new Error("the server has no TCP address");
    return { host: address.address, port: address.port };
  }

  /** Refuses handshakes that offer no OpenRoom subprotocol, with HTTP 400 and a body naming both. */
  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.shuttingDown) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
    if (!offered.some((p) => encodingOf(p) !== undefined)) {
      const body = Buffer.from(REFUSAL_BODY);
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n${REFUSAL_BODY}`,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit("connection", ws, req));
  }

  private onConnection(ws: WebSocket): void {
    const encoding = encodingOf(ws.protocol);
    if (encoding === undefined) {
      ws.close(CloseCode.UNSUPPORTED_DATA, "no OpenRoom subprotocol");
      return;
    }
    const session = this.options.engine.openSession();
    const conn = new Connection(ws, encoding, session, this);
    this.connections.set(session.id, conn);
    this.options.logger.debug({ session: session.id, encoding }, "connection opened");
    ws.on("message", (data, isBinary) => conn.enqueue(data, isBinary));
    ws.on("pong", () => {
      conn.alive = true;
    });
    ws.on("error", (e) => this.options.logger.debug({ session: session.id, err: e.message }, "connection error"));
    ws.on("close", (code) => {
      conn.closing = true;
      this.connections.delete(session.id);
      this.options.logger.debug({ session: session.id, code }, "connection closed");
      try {
        conn.disconnect();
      } catch (e) {
        this.options.logger.error({ err: e }, "internal error while disconnecting a session");
      }
    });
  }

  /** One frame: framing checks, decode, the engine, then delivery. Returns a promise only while a Login's token is checked. */
  process(conn: Connection, data: RawData, isBinary: boolean): Promise<void> | undefined {
    try {
      if (isBinary !== (conn.encoding === "binary")) {
        conn.close(CloseCode.UNSUPPORTED_DATA, isBinary ? "binary frame on openroom.v1.json" : "text frame on openroom.v1");
        return undefined;
      }
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const decoded = decodeClientFrame(conn.encoding === "binary" ? bytes : bytes.toString("utf8"), conn.encoding);
      if (!decoded.ok) {
        if (decoded.error.requestId === undefined) {
          conn.close(CloseCode.INVALID_PAYLOAD, "undecodable frame");
        } else {
          const reply = create(ReplySchema, {
            requestId: decoded.error.requestId,
            result: errorResult(failure(ErrorCode.MALFORMED_FRAME, decoded.error.message)),
          });
          conn.sendFrame(encodeFrameBytes(replyFrame(reply), conn.encoding));
        }
        return undefined;
      }
      const result = this.options.engine.handle(conn.session, decoded.frame, Date.now());
      if (!isPendingLogin(result)) {
        this.deliver(result, conn);
        return undefined;
      }
      return this.login(conn, result);
    } catch (e) {
      this.internalError(conn, e);
      return undefined;
    }
  }

  private async login(conn: Connection, pending: PendingLogin): Promise<void> {
    try {
      const verdict = await this.options.verifier.verify(pending.request.token, pending.request.userId);
      // Synchronous from here: the login and its kick are one atomic step.
      this.deliver(this.options.engine.finishLogin(conn.session, pending, verdict, Date.now()), conn);
    } catch (e) {
      this.internalError(conn, e);
    }
  }

  /** Events to every recipient, then closes of other sessions, then the reply, then the requester's own close. */
  deliver(outcome: Outcome, requester: Connection | undefined): void {
    fanOut(outcome.outbound, this.resolve);
    for (const { session, code, reason } of outcome.closes) this.connections.get(session.id)?.close(code, reason);
    if (requester === undefined || outcome.reply === undefined) return;
    requester.sendFrame(encodeFrameBytes(replyFrame(outcome.reply), requester.encoding));
    if (outcome.closeAfterReply) requester.close(outcome.closeAfterReply.code, outcome.closeAfterReply.reason);
  }

  /** A bug: log it and close the connection with 1011 (its request's effects are unknown). */
  private internalError(conn: Connection, e: unknown): void {
    this.options.logger.error({ err: e, session: conn.session.id }, "internal error");
    conn.close(CloseCode.INTERNAL_ERROR, "internal error");
  }

  private beat(): void {
    for (const conn of this.connections.values()) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  /** Graceful shutdown: SERVER_SHUTDOWN to every session, close 1001 to every connection, wait briefly, then stop listening. */
  async close(): Promise<void> {
    this.shuttingDown = true;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    const conns = [...this.connections.values()];
    const closed = conns.map((c) => new Promise<void>((resolve) => (c.ws.readyState === c.ws.CLOSED ? resolve() : c.ws.once("close", () => resolve()))));
    const event = create(EventSchema, {
      event: { case: "connectionStateChanged", value: { state: ConnectionState.DISCONNECTED, reason: ConnectionStateReason.SERVER_SHUTDOWN } },
    });
    const frames = { binary: encodeFrameBytes(eventFrame(event), "binary"), json: encodeFrameBytes(eventFrame(event), "json") };
    // Every connection gets its last event and stops sending before any
    // session leaves its rooms, so no one hears of the others leaving.
    for (const conn of conns) {
      // Only sessions hear why; connections not logged in just close (SHUTDOWN-2).
      if (conn.session.loggedIn && !conn.session.ended) conn.sendFrame(frames[conn.encoding]);
      conn.closing = true;
    }
    for (const conn of conns) {
      conn.ws.close(CloseCode.GOING_AWAY, "server shutdown");
      conn.disconnect();
    }
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (grace = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
    clearTimeout(grace);
    for (const conn of conns) conn.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}
