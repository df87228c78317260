// The OpenRoom client core: one WebSocket connection, requests matched to
// replies by request ID, events dispatched to typed listeners. It takes the
// WebSocket constructor as an argument and imports nothing from Node, so the
// same core runs in browsers (browser.ts) and in Node with `ws` (node.ts).
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ClientFrameSchema,
  decodeServerFrame,
  encodeClientFrame,
  SUBPROTOCOLS,
  type BatchRoomAttributesRequest,
  type Encoding,
  type LoginResponse,
  type Reply,
  type ServerInfo,
  type WireData,
} from "../../protocol/index.js";
import { RoomAttributesBatch } from "./batch.js";
import { OpenRoomConnectionError, OpenRoomError, OpenRoomProtocolError, OpenRoomTimeoutError } from "./errors.js";
import { knownEvent, type EventKind, type EventMap, type KnownEvent } from "./events.js";
import { Listeners, type Unsubscribe } from "./listeners.js";
import { RequestIdAllocator } from "./request-id.js";
import {
  roomRequest,
  sendRoomMessageRequest,
  type RequestFields,
  type RequestKind,
  type RequestOptions,
  type ResponseOf,
  type SendRoomMessageInit,
} from "./requests.js";

/**
 * The part of the WebSocket API the client uses; both the browser's
 * `WebSocket` and `ws`'s class fit it. Handler parameters are `any` so both
 * libraries' event types are accepted; the client reads them through
 * MessageEventLike and CloseEventLike.
 */
export interface WebSocketLike {
  readonly protocol: string;
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  /* eslint-disable @typescript-eslint/no-explicit-any */
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws` in Node. */
export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

interface MessageEventLike {
  data: unknown;
}
interface CloseEventLike {
  code: number;
  reason: string;
}

/** Options shared by every way of making a client. */
export interface OpenRoomClientOptions {
  /** Wire encoding: "binary" (subprotocol openroom.v1, the default) or "json" (openroom.v1.json). */
  encoding?: Encoding;
  /** Milliseconds to wait for each reply before rejecting with OpenRoomTimeoutError; 0 waits forever. Default 10 000. */
  requestTimeoutMs?: number;
  /** Milliseconds to wait for the WebSocket handshake. Default 10 000. */
  connectTimeoutMs?: number;
  /** Milliseconds to wait for the closing handshake after the client closes, before treating the connection as dropped. Default 5 000. */
  closeTimeoutMs?: number;
}

/** Everything the core needs: where to connect and with which WebSocket implementation. */
export interface OpenRoomClientInit extends OpenRoomClientOptions {
  /** The server's URL, e.g. `ws://127.0.0.1:7480`. */
  url: string;
  /** The WebSocket constructor to use. */
  WebSocket: WebSocketConstructor;
}

/** Where the client's connection stands. */
export type ClientState = "idle" | "connecting" | "open" | "closing" | "closed";

/** Facts about a close beyond the WebSocket code and reason. */
export interface CloseInfo {
  /** True when this client asked for the close: close(), logout(), or reconnect() replacing the connection. */
  initiatedByClient: boolean;
}

/** What onReconnect listeners receive. */
export interface ReconnectInfo {
  /** The Login reply when reconnect() logged in again; undefined when it did not. */
  login: LoginResponse | undefined;
}

/** Options of reconnect(). */
export interface ReconnectOptions {
  /** Log in again with the last successful login's credentials (default true; nothing happens without credentials). */
  login?: boolean;
  /** A fresh token to log in with instead of the last one (tokens expire; the server checks expiry only at login). */
  token?: string;
}

type LoginInit = RequestFields<"login">;

interface Pending {
  kind: RequestKind;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** One WebSocket and what belongs to it; a reconnect makes a new one. */
class Connection {
  readonly pending = new Map<number, Pending>();
  /** Timed-out request IDs: their late replies are dropped silently. */
  readonly abandoned = new Set<number>();
  opened = false;
  finished = false;
  initiatedByClient = false;
  /** A Logout is outstanding: the server's close that follows it counts as asked for by the client. */
  loggingOut = false;
  /** Set when a Login succeeded on this connection. */
  userId: string | undefined;
  closeCode: number | undefined;
  closeReason = "";
  readonly opening: Promise<void>;
  readonly closed: Promise<void>;
  settleOpen!: (error?: Error) => void;
  resolveClosed!: () => void;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly socket: WebSocketLike) {
    this.opening = new Promise<void>((resolve, reject) => {
      this.settleOpen = (error) => (error ? reject(error) : resolve());
    });
    // Callers that never await opening (a reconnect racing a failure) must not see an unhandled rejection.
    this.opening.catch(() => {});
    this.closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
  }
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/**
 * A typed, promise-based OpenRoom client. Every request method resolves to
 * the generated response type or rejects with OpenRoomError (the server's
 * ErrorCode), OpenRoomTimeoutError or OpenRoomConnectionError.
 *
 * Ordering: the server queues every event a request causes before its
 * reply, and the client dispatches frames in arrival order, so by the time a
 * request's promise settles, every listener has seen the events it caused on
 * this session.
 */
export class OpenRoomClient {
  readonly url: string;
  readonly encoding: Encoding;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly closeTimeoutMs: number;
  private readonly ids = new RequestIdAllocator();
  private conn: Connection | undefined;
  private credentials: { userId: string; userName: string; token: string } | undefined;
  private info: ServerInfo | undefined;
  private reconnecting: Promise<LoginResponse | undefined> | undefined;
  private readonly eventListeners = new Listeners<[KnownEvent]>();
  private readonly kindListeners = new Map<EventKind, Listeners<[EventMap[EventKind]]>>();
  private readonly closeListeners = new Listeners<[number, string, CloseInfo]>();
  private readonly reconnectListeners = new Listeners<[ReconnectInfo]>();
  private readonly protocolErrorListeners = new Listeners<[OpenRoomProtocolError]>();

  constructor(init: OpenRoomClientInit) {
    this.url = init.url;
    this.encoding = init.encoding ?? "binary";
    this.WebSocketImpl = init.WebSocket;
    this.requestTimeoutMs = init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.connectTimeoutMs = init.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.closeTimeoutMs = init.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  }

  // ---- connection --------------------------------------------------------

  /** Where the connection stands. */
  get state(): ClientState {
    const conn = this.conn;
    if (!conn) return "idle";
    if (conn.finished) return "closed";
    if (!conn.opened) return "connecting";
    return conn.initiatedByClient ? "closing" : "open";
  }

  /** The user logged in on the current connection; undefined before login and once it closes. */
  get userId(): string | undefined {
    return this.state === "open" ? this.conn?.userId : undefined;
  }

  /** Limits and features from the last successful Login reply. */
  get serverInfo(): ServerInfo | undefined {
    return this.info;
  }

  /**
   * Opens the WebSocket, offering the subprotocol of the chosen encoding.
   * Resolves once open; rejects with OpenRoomConnectionError (refused, failed,
   * wrong subprotocol) or OpenRoomTimeoutError. Already open: resolves at once;
   * connecting: the same attempt; closing: opens a new connection once closed.
   */
  connect(): Promise<void> {
    const current = this.conn;
    if (current && !current.finished) {
      // While a close is under way, wait for it and open a fresh connection.
      return current.initiatedByClient && current.opened ? current.closed.then(() => this.connect()) : current.opening;
    }
    const subprotocol = SUBPROTOCOLS[this.encoding];
    let socket: WebSocketLike;
    try {
      socket = new this.WebSocketImpl(this.url, [subprotocol]);
    } catch (e) {
      // Browsers throw synchronously on a malformed URL.
      return Promise.reject(new OpenRoomConnectionError("connect", 0, undefined, "", `cannot connect to ${this.url}: ${messageOf(e)}`));
    }
    socket.binaryType = "arraybuffer";
    const conn = new Connection(socket);
    this.conn = conn;
    socket.onopen = () => {
      if (conn.finished) return;
      clearTimeout(conn.timer);
      if (socket.protocol !== subprotocol) {
        this.abort(conn, new OpenRoomConnectionError("connect", 0, undefined, "", `${this.url} selected subprotocol "${socket.protocol}", not ${subprotocol}`));
        return;
      }
      conn.opened = true;
      conn.settleOpen();
    };
    socket.onmessage = (event: MessageEventLike) => this.receive(conn, event.data);
    // `ws` throws on an error event nobody listens to; the close event that follows carries the outcome.
    socket.onerror = () => {};
    socket.onclose = (event: CloseEventLike) => this.finish(conn, event.code, event.reason);
    if (this.connectTimeoutMs > 0) {
      conn.timer = setTimeout(() => this.abort(conn, new OpenRoomTimeoutError("connect", 0, this.connectTimeoutMs)), this.connectTimeoutMs);
    }
    return conn.opening;
  }

  /**
   * Closes the connection (code 1000 unless given; browsers accept only 1000
   * and 3000–4999) and resolves once it is closed. Outstanding requests reject
   * with OpenRoomConnectionError. The last login's credentials are kept for
   * reconnect(). Closing without Logout still removes the user from every
   * room on the server (as leaveRoom, room by room).
   */
  close(code = 1000, reason = ""): Promise<void> {
    const conn = this.conn;
    if (!conn || conn.finished) return Promise.resolve();
    return this.closeConnection(conn, code, reason);
  }

  /**
   * Replaces the connection: closes the current one if open, opens a new one,
   * and logs in again with the last credentials (unless `login: false` or no
   * login succeeded yet). Rooms are NOT re-entered: the server left them all
   * when the old connection closed; re-enter them in an onReconnect listener.
   * Resolves with the new Login reply (undefined when it did not log in);
   * rejects when connecting or logging in fails (then, if the socket opened,
   * it stays open and not logged in). Concurrent calls share one reconnect
   * (with the first call's options).
   */
  reconnect(options: ReconnectOptions = {}): Promise<LoginResponse | undefined> {
    this.reconnecting ??= (async () => {
      try {
        const current = this.conn;
        if (current && !current.finished) await this.closeConnection(current, 1000, "reconnect");
        await this.connect();
        const credentials = this.credentials;
        let login: LoginResponse | undefined;
        if (options.login !== false && credentials) {
          login = await this.login(options.token === undefined ? credentials : { ...credentials, token: options.token });
        }
        this.reconnectListeners.emit({ login });
        return login;
      } finally {
        this.reconnecting = undefined;
      }
    })();
    return this.reconnecting;
  }

  // ---- subscriptions -----------------------------------------------------

  /**
   * Listens to one event kind (`"roomStateChanged"`, `"roomMessageReceived"` …)
   * with its generated type, or to every event with `"event"` (the generated
   * oneof `{ case, value }`). Returns a function that removes the listener.
   */
  on<K extends EventKind>(kind: K, listener: (event: EventMap[K]) => void): Unsubscribe;
  on(kind: "event", listener: (event: KnownEvent) => void): Unsubscribe;
  on(kind: EventKind | "event", listener: (event: never) => void): Unsubscribe {
    if (kind === "event") return this.eventListeners.add(listener as (event: KnownEvent) => void);
    let set = this.kindListeners.get(kind);
    if (!set) this.kindListeners.set(kind, (set = new Listeners()));
    return set.add(listener as (event: EventMap[EventKind]) => void);
  }

  /**
   * Called once per connection that had opened, when it closes: the WebSocket
   * close code (1000 logout, 1001 server shutdown, 4001 kicked by a newer
   * login, 4002 slow consumer, 1006 dropped …) and reason.
   */
  onClose(listener: (code: number, reason: string, info: CloseInfo) => void): Unsubscribe {
    return this.closeListeners.add(listener);
  }

  /** Called after each successful reconnect(), once it has logged in again (if it did). */
  onReconnect(listener: (info: ReconnectInfo) => void): Unsubscribe {
    return this.reconnectListeners.add(listener);
  }

  /** Called when the server sends something the protocol does not allow and no request can be blamed for it. */
  onProtocolError(listener: (error: OpenRoomProtocolError) => void): Unsubscribe {
    return this.protocolErrorListeners.add(listener);
  }

  // ---- requests ----------------------------------------------------------

  /**
   * Sends any request and resolves to its response: the building block every
   * named method uses. `init` is the request's fields as a plain object.
   */
  request<K extends RequestKind>(kind: K, init: RequestFields<K>, options?: RequestOptions): Promise<ResponseOf<K>> {
    const conn = this.conn;
    if (!conn || !conn.opened || conn.finished || conn.initiatedByClient) {
      const why = !conn || !conn.opened ? "not connected (call connect() first)" : "the connection is closed";
      return Promise.reject(new OpenRoomConnectionError(kind, 0, conn?.closeCode, conn?.closeReason ?? "", `${kind}: ${why}`));
    }
    const requestId = this.ids.next((id) => conn.pending.has(id) || conn.abandoned.has(id));
    let data: WireData;
    try {
      // The generic kind/value pair is the oneof case TypeScript cannot correlate by itself.
      const request = { case: kind, value: init } as MessageInitShape<typeof ClientFrameSchema>["request"];
      data = encodeClientFrame(create(ClientFrameSchema, { requestId, request }), this.encoding);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const timeoutMs = options?.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<ResponseOf<K>>((resolve, reject) => {
      const pending: Pending = { kind, resolve: resolve as (value: unknown) => void, reject, timer: undefined };
      if (timeoutMs > 0) {
        pending.timer = setTimeout(() => {
          conn.pending.delete(requestId);
          conn.abandoned.add(requestId);
          reject(new OpenRoomTimeoutError(kind, requestId, timeoutMs));
        }, timeoutMs);
      }
      conn.pending.set(requestId, pending);
      try {
        conn.socket.send(data);
      } catch (e) {
        conn.pending.delete(requestId);
        clearTimeout(pending.timer);
        reject(new OpenRoomConnectionError(kind, requestId, undefined, "", `${kind}: send failed: ${messageOf(e)}`));
      }
    });
  }

  /** Logs in; must be the first request (Ping aside). The credentials are kept for reconnect(). */
  async login(init: LoginInit, options?: RequestOptions): Promise<ResponseOf<"login">> {
    const conn = this.conn;
    const response = await this.request("login", init, options);
    if (conn) conn.userId = init.userId ?? "";
    this.credentials = { userId: init.userId ?? "", userName: init.userName ?? "", token: init.token ?? "" };
    this.info = response.serverInfo;
    return response;
  }

  /**
   * Logs out: the server leaves every room (as leaveAllRooms), replies, and
   * closes the connection with 1000. Resolves once closed. Forgets the
   * credentials, so a later reconnect() does not log in.
   */
  async logout(options?: RequestOptions): Promise<ResponseOf<"logout">> {
    const conn = this.conn;
    const sent = this.request("logout", {}, options);
    if (conn) conn.loggingOut = true;
    let response: ResponseOf<"logout">;
    try {
      response = await sent;
    } finally {
      if (conn) conn.loggingOut = false;
    }
    this.credentials = undefined;
    this.info = undefined;
    // The server closes right after the reply; closing from this side too is legal and bounds the wait.
    if (conn) await this.closeConnection(conn, 1000, "logout");
    return response;
  }

  /** Ordering barrier: once it resolves, this session has received every event of every request completed before it on any session. Allowed before login. */
  ping(options?: RequestOptions): Promise<ResponseOf<"ping">> {
    return this.request("ping", {}, options);
  }

  /** Advances the server's test clock (servers advertising FEATURE_TEST_CLOCK only). */
  advanceClock(advanceMsOrInit: number | RequestFields<"advanceClock">, options?: RequestOptions): Promise<ResponseOf<"advanceClock">> {
    return this.request("advanceClock", typeof advanceMsOrInit === "number" ? { advanceMs: advanceMsOrInit } : advanceMsOrInit, options);
  }

  /** Creates a room and joins it: `{ roomInfo: { roomId, roomName }, config?: { roomAttributes, roomDestroyDelaySeconds } }`. */
  createRoom(init: RequestFields<"createRoom">, options?: RequestOptions): Promise<ResponseOf<"createRoom">> {
    return this.request("createRoom", init, options);
  }

  /** Joins an existing room: a room ID, or `{ roomId, historyCount }`. */
  joinRoom(roomIdOrInit: string | RequestFields<"joinRoom">, options?: RequestOptions): Promise<ResponseOf<"joinRoom">> {
    return this.request("joinRoom", roomRequest(roomIdOrInit), options);
  }

  /** Joins a room, creating it if absent: `{ roomInfo, config?, historyCount? }`; the reply says whether it was created. */
  enterRoom(init: RequestFields<"enterRoom">, options?: RequestOptions): Promise<ResponseOf<"enterRoom">> {
    return this.request("enterRoom", init, options);
  }

  /** Moves from one room to another: `{ fromRoomId, toRoomInfo, createIfAbsent?, config? }`. */
  switchRoom(init: RequestFields<"switchRoom">, options?: RequestOptions): Promise<ResponseOf<"switchRoom">> {
    return this.request("switchRoom", init, options);
  }

  /** Leaves a room: a room ID or `{ roomId }`. */
  leaveRoom(roomIdOrInit: string | RequestFields<"leaveRoom">, options?: RequestOptions): Promise<ResponseOf<"leaveRoom">> {
    return this.request("leaveRoom", roomRequest(roomIdOrInit), options);
  }

  /** Leaves every room; the reply lists them in join order. */
  leaveAllRooms(options?: RequestOptions): Promise<ResponseOf<"leaveAllRooms">> {
    return this.request("leaveAllRooms", {}, options);
  }

  /** One page of members in join order: a room ID (first page, server's page size) or `{ roomId, nextToken, count }`. */
  queryRoomMemberList(roomIdOrInit: string | RequestFields<"queryRoomMemberList">, options?: RequestOptions): Promise<ResponseOf<"queryRoomMemberList">> {
    return this.request("queryRoomMemberList", roomRequest(roomIdOrInit), options);
  }

  /** Looks up members by ID: `{ roomId, userIds }`. */
  queryRoomMembers(init: RequestFields<"queryRoomMembers">, options?: RequestOptions): Promise<ResponseOf<"queryRoomMembers">> {
    return this.request("queryRoomMembers", init, options);
  }

  /** Counts a room's members: a room ID or `{ roomId }`. */
  queryRoomOnlineMemberCount(
    roomIdOrInit: string | RequestFields<"queryRoomOnlineMemberCount">,
    options?: RequestOptions,
  ): Promise<ResponseOf<"queryRoomOnlineMemberCount">> {
    return this.request("queryRoomOnlineMemberCount", roomRequest(roomIdOrInit), options);
  }

  /** Sets room attributes: `{ roomId, attributes, isForce?, isUpdateOwner?, isDeleteAfterOwnerLeft? }`; refused keys are in `failedKeys`. */
  setRoomAttributes(init: RequestFields<"setRoomAttributes">, options?: RequestOptions): Promise<ResponseOf<"setRoomAttributes">> {
    return this.request("setRoomAttributes", init, options);
  }

  /** Deletes room attributes: `{ roomId, keys, isForce? }`; refused keys are in `failedKeys`. */
  deleteRoomAttributes(init: RequestFields<"deleteRoomAttributes">, options?: RequestOptions): Promise<ResponseOf<"deleteRoomAttributes">> {
    return this.request("deleteRoomAttributes", init, options);
  }

  /** Reads every attribute of a room: a room ID or `{ roomId }`. */
  queryRoomAllAttributes(
    roomIdOrInit: string | RequestFields<"queryRoomAllAttributes">,
    options?: RequestOptions,
  ): Promise<ResponseOf<"queryRoomAllAttributes">> {
    return this.request("queryRoomAllAttributes", roomRequest(roomIdOrInit), options);
  }

  /** Starts an attribute batch for a room; queue operations on it, then end it (one atomic request). Sends nothing yet. */
  beginRoomAttributesBatchOperation(roomId: string): RoomAttributesBatch {
    return new RoomAttributesBatch(roomId, (request: BatchRoomAttributesRequest, options?: RequestOptions) =>
      this.request("batchRoomAttributes", request, options),
    );
  }

  /** Ends a batch and sends it (same as `batch.commit()`): all operations apply, or none and the error lists every failed key. */
  endRoomAttributesBatchOperation(batch: RoomAttributesBatch, options?: RequestOptions): Promise<ResponseOf<"batchRoomAttributes">> {
    return batch.commit(options);
  }

  /** Sets attributes on members: `{ roomId, userIds, attributes, isDeleteAfterOwnerLeft? }` (default true); refused users are in `failedUsers`. */
  setRoomMembersAttributes(
    init: RequestFields<"setRoomMembersAttributes">,
    options?: RequestOptions,
  ): Promise<ResponseOf<"setRoomMembersAttributes">> {
    return this.request("setRoomMembersAttributes", init, options);
  }

  /** Reads the attributes of specific members: `{ roomId, userIds }`. */
  queryRoomMembersAttributes(
    init: RequestFields<"queryRoomMembersAttributes">,
    options?: RequestOptions,
  ): Promise<ResponseOf<"queryRoomMembersAttributes">> {
    return this.request("queryRoomMembersAttributes", init, options);
  }

  /** One page of members holding attributes: a room ID or `{ roomId, nextToken, count }`. */
  queryRoomMemberAttributesList(
    roomIdOrInit: string | RequestFields<"queryRoomMemberAttributesList">,
    options?: RequestOptions,
  ): Promise<ResponseOf<"queryRoomMemberAttributesList">> {
    return this.request("queryRoomMemberAttributesList", roomRequest(roomIdOrInit), options);
  }

  /**
   * Sends a message to the room's other members: `{ roomId, payload, kind?, priority? }`.
   * A string payload is sent as UTF-8 with kind TEXT; bytes default to kind CUSTOM.
   */
  sendRoomMessage(init: SendRoomMessageInit, options?: RequestOptions): Promise<ResponseOf<"sendRoomMessage">> {
    return this.request("sendRoomMessage", sendRoomMessageRequest(init), options);
  }

  /** The room's most recent messages, oldest first: `{ roomId, count }` (FEATURE_MESSAGE_HISTORY). */
  queryRoomMessageHistory(init: RequestFields<"queryRoomMessageHistory">, options?: RequestOptions): Promise<ResponseOf<"queryRoomMessageHistory">> {
    return this.request("queryRoomMessageHistory", init, options);
  }

  // ---- internals ---------------------------------------------------------

  private receive(conn: Connection, data: unknown): void {
    if (conn.finished) return;
    const wire = wireDataOf(data);
    if (wire === undefined) {
      this.protocolErrorListeners.emit(new OpenRoomProtocolError(`unreadable WebSocket message (${Object.prototype.toString.call(data)})`));
      return;
    }
    const decoded = decodeServerFrame(wire, this.encoding);
    if (!decoded.ok) {
      // The request whose reply this was (if any) will time out; nothing else can be blamed.
      this.protocolErrorListeners.emit(new OpenRoomProtocolError(`undecodable server frame: ${decoded.error.message}`));
      return;
    }
    const frame = decoded.frame.frame;
    if (frame.case === "reply") this.settle(conn, frame.value);
    else if (frame.case === "event") this.dispatch(knownEvent(frame.value));
    // A frame of a kind added by a later version carries nothing this client understands.
  }

  private settle(conn: Connection, reply: Reply): void {
    const pending = conn.pending.get(reply.requestId);
    if (!pending) {
      if (!conn.abandoned.delete(reply.requestId)) {
        this.protocolErrorListeners.emit(new OpenRoomProtocolError(`reply to request ${reply.requestId}, which is not outstanding`, undefined, reply.requestId));
      }
      return;
    }
    conn.pending.delete(reply.requestId);
    clearTimeout(pending.timer);
    const result = reply.result;
    if (result.case === "error") pending.reject(new OpenRoomError(pending.kind, reply.requestId, result.value));
    else if (result.case === pending.kind) pending.resolve(result.value);
    else {
      pending.reject(
        new OpenRoomProtocolError(`${pending.kind} got a reply of kind ${result.case ?? "(none)"}`, pending.kind, reply.requestId),
      );
    }
  }

  private dispatch(event: KnownEvent | undefined): void {
    if (!event) return;
    this.kindListeners.get(event.case)?.emit(event.value);
    this.eventListeners.emit(event);
  }

  /** Starts the closing handshake and resolves once closed (or after closeTimeoutMs, treating it as dropped). */
  private closeConnection(conn: Connection, code: number, reason: string): Promise<void> {
    if (conn.finished) return conn.closed;
    if (!conn.initiatedByClient) {
      conn.initiatedByClient = true;
      clearTimeout(conn.timer);
      try {
        conn.socket.close(code, reason);
      } catch {
        // Already closing, or a code the implementation refuses: the guard below still ends it.
      }
      if (this.closeTimeoutMs > 0) conn.timer = setTimeout(() => this.finish(conn, 1006, "close timed out"), this.closeTimeoutMs);
    }
    return conn.closed;
  }

  /** Fails a connection that has not opened, with the given error. */
  private abort(conn: Connection, error: Error): void {
    this.finish(conn, 1006, "", error);
    try {
      conn.socket.close(1000);
    } catch {
      // A socket still in the handshake may refuse; it is detached either way.
    }
  }

  /** The end of a connection, exactly once: settles everything that waits on it. */
  private finish(conn: Connection, code: number, reason: string, openError?: Error): void {
    if (conn.finished) return;
    conn.finished = true;
    conn.closeCode = code;
    conn.closeReason = reason;
    clearTimeout(conn.timer);
    if (!conn.opened) {
      conn.settleOpen(openError ?? new OpenRoomConnectionError("connect", 0, code, reason, `cannot connect to ${this.url} (close code ${code}${reason ? `: ${reason}` : ""})`));
      conn.resolveClosed();
      return;
    }
    for (const [requestId, pending] of conn.pending) {
      clearTimeout(pending.timer);
      pending.reject(
        new OpenRoomConnectionError(pending.kind, requestId, code, reason, `${pending.kind}: connection closed (code ${code}${reason ? `: ${reason}` : ""}) before the reply`),
      );
    }
    conn.pending.clear();
    conn.abandoned.clear();
    conn.resolveClosed();
    this.closeListeners.emit(code, reason, { initiatedByClient: conn.initiatedByClient || conn.loggingOut });
  }
}

/** A WebSocket message as the codec takes it: text stays a string, binary becomes bytes. */
function wireDataOf(data: unknown): WireData | undefined {
  if (typeof data === "string") return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Checked by tag, not instanceof: the buffer may come from another realm.
  if (Object.prototype.toString.call(data) === "[object ArrayBuffer]") return new Uint8Array(data as ArrayBuffer);
  return undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
