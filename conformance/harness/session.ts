// One WebSocket connection to the target, speaking the wire directly. It
// sends requests and matches replies (checking that replies come in request
// order), collects every event with its receive time, and writes every frame
// to the wire log. Whatever the server sends, the socket handler never
// throws: bad frames become recorded protocol violations.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type WebSocket from "ws";
import {
  ClientFrameSchema,
  ErrorCode,
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  type ClientFrame,
  type Encoding,
  type Event,
  type Reply,
  type ServerInfo,
  type WireData,
} from "../../protocol/index.js";
import { HarnessTimeout, SessionClosedError, UnexpectedReply } from "./errors.js";
import { RatePacer } from "./pacer.js";
import type { WireLog } from "./wire-log.js";

/** A request as accepted by `send`: a oneof case of ClientFrame.request with its (partial) init value. */
export type RequestInput = Exclude<NonNullable<MessageInitShape<typeof ClientFrameSchema>["request"]>, { case: undefined }>;
/** The request kinds: `login`, `createRoom`, … (the same names as the reply's result cases). */
export type RequestKind = RequestInput["case"];
/** The init value of a request kind. */
export type RequestValue<K extends RequestKind> = Extract<RequestInput, { case: K }>["value"];
/** The successful response type for a request kind. */
export type ResponseOf<K extends RequestKind> = Extract<Reply["result"], { case: K }>["value"];

export interface ReceivedEvent {
  event: Event;
  /** Receive time, in ms on the wire log's clock. */
  at: number;
  /** Position among every event this session received (0-based; survives takeEvents). */
  index: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** When the close was seen, on the wire log's clock. */
  at: number;
}

/** One request and its reply, with send and receive times (for linearizability checks and traces). */
export interface Exchange {
  requestId: number;
  request: ClientFrame;
  reply: Reply;
  sentAt: number;
  repliedAt: number;
}

export type ViolationKind =
  /** A frame that is not a ServerFrame of the connection's encoding. */
  | "undecodable-frame"
  /** A text frame on the binary subprotocol, or binary on JSON. */
  | "wrong-frame-type"
  /** A ServerFrame with neither reply nor event. */
  | "empty-frame"
  /** An Event with no case set. */
  | "empty-event"
  /** A reply to a request while an earlier request still awaits its reply. */
  | "reply-out-of-order"
  /** A reply whose request_id matches no outstanding request. */
  | "unexpected-reply";

/** Something the server did that breaks the framing rules, seen by the harness itself. */
export interface ProtocolViolation {
  session: string;
  kind: ViolationKind;
  message: string;
  at: number;
}

/** Scaled timeouts a session uses, in ms. */
export interface SessionTimeouts {
  reply: number;
  event: number;
  close: number;
}

export interface SessionInit {
  label: string;
  /** An open socket; if paused (see openSocket), the session resumes it once its listeners are attached. */
  socket: WebSocket;
  encoding: Encoding;
  wireLog: WireLog;
  timeouts: SessionTimeouts;
  /** Keep under the advertised request_rate / message_rate once logged in. Default true. */
  pace?: boolean;
  /** Called on every successful Login reply on this session. */
  onLogin?: (serverInfo: ServerInfo, session: Session) => void;
  /** Called on every protocol violation. */
  onViolation?: (violation: ProtocolViolation) => void;
}

interface Pending {
  /** The request ID awaited; "raw" matches the next reply whatever its ID. */
  id: number | "raw";
  what: string;
  request: ClientFrame | undefined;
  sentAt: number;
  resolve: (x: Exchange) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** Timed out: the reply is still consumed in order when it comes, silently. */
  abandoned: boolean;
}

interface EventWaiter {
  description: string;
  predicate: (e: ReceivedEvent) => boolean;
  resolve: (e: ReceivedEvent) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Lines of wire log shown in a timeout message. */
const TIMEOUT_LOG_LINES = 12;
const MAX_REQUEST_ID = 0xffffffff;

export class Session {
  readonly label: string;
  readonly encoding: Encoding;
  /** The subprotocol the server selected. */
  readonly protocol: string;
  readonly wireLog: WireLog;
  readonly timeouts: SessionTimeouts;
  /** Events received and not yet taken, in arrival order. */
  readonly events: ReceivedEvent[] = [];
  /** Every protocol violation seen on this session. */
  readonly violations: ProtocolViolation[] = [];
  /** Replies that matched no outstanding request (also recorded as violations). */
  readonly strayReplies: { reply: Reply; at: number }[] = [];
  /** Resolves when the connection has closed; never rejects. */
  readonly closed: Promise<CloseInfo>;
  /** Set once closed. */
  closeInfo: CloseInfo | undefined;
  /** The user ID of the last successful Login on this session. */
  userId: string | undefined;
  /** The ServerInfo of the last successful Login on this session. */
  serverInfo: ServerInfo | undefined;
  /** Whether sends are paced under the advertised rate limits (takes effect once logged in). */
  pace: boolean;

  private readonly socket: WebSocket;
  private readonly onLogin: SessionInit["onLogin"];
  private readonly onViolation: SessionInit["onViolation"];
  private readonly pending = new Fifo<Pending>();
  private readonly waiters = new Set<EventWaiter>();
  private nextRequestId = 1;
  private eventCount = 0;
  private requestPacer = new RatePacer(undefined);
  private messagePacer = new RatePacer(undefined);
  /** Sends waiting behind a paced send; they keep their order. */
  private outbox: Promise<void> = Promise.resolve();
  private backlog = 0;

  constructor(init: SessionInit) {
    this.label = init.label;
    this.socket = init.socket;
    this.encoding = init.encoding;
    this.protocol = init.socket.protocol;
    this.wireLog = init.wireLog;
    this.timeouts = init.timeouts;
    this.pace = init.pace ?? true;
    this.onLogin = init.onLogin;
    this.onViolation = init.onViolation;
    this.wireLog.note(this.label, `opened (${this.protocol === "" ? "no subprotocol" : this.protocol})`, this.encoding);
    this.closed = new Promise((resolve) => {
      this.socket.on("close", (code: number, reason: Buffer) => {
        const info = { code, reason: reason.toString("utf8"), at: this.wireLog.now() };
        this.closeInfo = info;
        this.wireLog.note(this.label, `closed with code ${code}${info.reason === "" ? "" : ` "${info.reason}"`}`, this.encoding);
        this.failEverythingPending(info);
        resolve(info);
      });
    });
    this.socket.on("error", (e: Error) => this.wireLog.note(this.label, `socket error: ${e.message}`, this.encoding));
    this.socket.on("message", (raw: WebSocket.RawData, isBinary: boolean) => {
      // binaryType is the default "nodebuffer": one Buffer per message.
      const data = raw as Buffer;
      try {
        this.receive(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString("utf8"));
      } catch (e) {
        // A bug in the harness, not the server: keep the socket alive, make it visible.
        this.wireLog.note(this.label, `harness fault handling a frame: ${e instanceof Error ? e.stack : String(e)}`);
      }
    });
    if (this.socket.isPaused) this.socket.resume();
  }

  /** True until the connection starts closing. */
  get isOpen(): boolean {
    return this.closeInfo === undefined && this.socket.readyState === this.socket.OPEN;
  }

  /** Sends one request and resolves with its reply (a Reply with an error is still a reply). */
  send(request: RequestInput, options: SendOptions = {}): Promise<Reply> {
    return owed(this.exchange(request, options).then((x) => x.reply));
  }

  /** Like `send`, with the frame sent and the send/receive times. */
  exchange(request: RequestInput, options: SendOptions = {}): Promise<Exchange> {
    return owed(new Promise((resolve, reject) => {
      const counted = request.case !== "ping" && request.case !== "login";
      this.enqueue(counted, request.case === "sendRoomMessage", reject, () => {
        const requestId = options.requestId ?? this.allocateRequestId();
        const frame = create(ClientFrameSchema, { requestId, request });
        const data = encodeClientFrame(frame, this.encoding);
        const what = `reply to request ${requestId} (${request.case})`;
        this.transmit(data, frame, { id: requestId, what, request: frame, resolve, reject }, options.timeoutMs);
      });
    }));
  }

  /** Sends a request that must succeed and resolves with its typed response; an error reply throws UnexpectedReply. */
  call<K extends RequestKind>(kind: K, value: RequestValue<K>, options: SendOptions = {}): Promise<ResponseOf<K>> {
    const expectSuccess = async (): Promise<ResponseOf<K>> => {
      const reply = await this.send({ case: kind, value } as RequestInput, options);
      if (reply.result.case === kind) return reply.result.value as ResponseOf<K>;
      throw new UnexpectedReply(`session "${this.label}": ${kind} expected success, got ${describeResult(reply)}`);
    };
    return owed(expectSuccess());
  }

  /** Logs in (the reply is returned, success or not). */
  login(userId: string, token: string, userName = "", options: SendOptions = {}): Promise<Reply> {
    return this.send({ case: "login", value: { userId, userName, token } }, options);
  }

  /** One Ping round trip: once it resolves, this session has received every event of every request answered before. */
  ping(options: SendOptions = {}): Promise<void> {
    return owed(
      this.send({ case: "ping", value: {} }, options).then((reply) => {
        if (reply.result.case !== "ping") throw new UnexpectedReply(`session "${this.label}": ping answered with ${describeResult(reply)}`);
      }),
    );
  }

  /** Sends arbitrary bytes (binary frame) or text (text frame), expecting no reply. */
  sendRaw(data: WireData): void {
    this.enqueue(false, false, () => {}, () => this.transmit(data, undefined, undefined, undefined));
  }

  /** Sends arbitrary data and resolves with the next reply in order, whatever its request ID. */
  sendRawForReply(data: WireData, options: Pick<SendOptions, "timeoutMs"> = {}): Promise<Reply> {
    return owed(
      new Promise<Exchange>((resolve, reject) => {
        this.enqueue(false, false, reject, () =>
          this.transmit(data, undefined, { id: "raw", what: "reply to a raw frame", request: undefined, resolve, reject }, options.timeoutMs),
        );
      }).then((x) => x.reply),
    );
  }

  /** Removes and returns every event received so far. */
  takeEvents(): ReceivedEvent[] {
    return this.events.splice(0, this.events.length);
  }

  /**
   * Resolves with the first untaken event matching `predicate` (already
   * received or still to come; it stays in `events`). Times out with a
   * HarnessTimeout naming `description`.
   */
  waitForEvent(description: string, predicate: (e: ReceivedEvent) => boolean, options: { timeoutMs?: number } = {}): Promise<ReceivedEvent> {
    const found = this.events.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    const awaited = `event: ${description}`;
    if (this.closeInfo !== undefined) {
      return owed(Promise.reject(new SessionClosedError(this.label, awaited, this.closeInfo.code, this.closeInfo.reason)));
    }
    const timeoutMs = options.timeoutMs ?? this.timeouts.event;
    return owed(new Promise((resolve, reject) => {
      const waiter: EventWaiter = {
        description,
        predicate,
        resolve: (e) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve(e);
        },
        reject: (e) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          reject(e);
        },
        timer: setTimeout(() => waiter.reject(this.timeout(awaited, timeoutMs)), timeoutMs),
      };
      this.waiters.add(waiter);
    }));
  }

  /** Resolves with the close once the server (or anyone) closes the connection; times out with a HarnessTimeout. */
  async waitClosed(options: { timeoutMs?: number } = {}): Promise<CloseInfo> {
    if (this.closeInfo !== undefined) return this.closeInfo;
    const timeoutMs = options.timeoutMs ?? this.timeouts.event;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.timeout("the connection to close", timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection (close handshake; terminated if the server does not answer in time). */
  async close(code = 1000, reason = ""): Promise<CloseInfo> {
    if (this.closeInfo !== undefined) return this.closeInfo;
    if (this.socket.readyState === this.socket.OPEN) {
      this.wireLog.note(this.label, `closing with code ${code}`, this.encoding);
      this.socket.close(code, reason);
    }
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.timeouts.close);
    });
    await Promise.race([this.closed, forced]);
    clearTimeout(timer);
    if (this.closeInfo === undefined) {
      this.wireLog.note(this.label, `no close handshake within ${this.timeouts.close}ms; terminating`, this.encoding);
      this.socket.terminate();
    }
    return this.closed;
  }

  /** Drops the TCP connection without a close handshake. */
  terminate(): void {
    this.socket.terminate();
  }

  /** A HarnessTimeout for this session, with the last frames of the wire log. */
  timeout(awaited: string, timeoutMs: number): HarnessTimeout {
    return new HarnessTimeout(awaited, this.label, timeoutMs, this.wireLog.render({ last: TIMEOUT_LOG_LINES }));
  }

  // --- sending -------------------------------------------------------------

  private allocateRequestId(): number {
    const id = this.nextRequestId;
    this.nextRequestId = id >= MAX_REQUEST_ID ? 1 : id + 1;
    return id;
  }

  /**
   * Runs `go` now if nothing is waiting and no pacing delay applies (so
   * requests fired together leave together), else after the sends before it.
   */
  private enqueue(countsRequest: boolean, countsMessage: boolean, reject: (e: Error) => void, go: () => void): void {
    const paced = () => this.pace && this.serverInfo !== undefined;
    const delay = () =>
      paced() ? Math.max(countsRequest ? this.requestPacer.delay(this.wireLog.now()) : 0, countsMessage ? this.messagePacer.delay(this.wireLog.now()) : 0) : 0;
    const run = () => {
      if (paced()) {
        const now = this.wireLog.now();
        if (countsRequest) this.requestPacer.record(now);
        if (countsMessage) this.messagePacer.record(now);
      }
      try {
        go();
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    };
    if (this.backlog === 0 && delay() === 0) {
      run();
      return;
    }
    this.backlog++;
    this.outbox = this.outbox.then(async () => {
      for (let d = delay(); d > 0; d = delay()) await sleep(d);
      this.backlog--;
      run();
    });
  }

  private transmit(
    data: WireData,
    frame: ClientFrame | undefined,
    awaiting: Omit<Pending, "sentAt" | "timer" | "abandoned"> | undefined,
    timeoutMs: number | undefined,
  ): void {
    if (this.closeInfo !== undefined || this.socket.readyState !== this.socket.OPEN) {
      const info = this.closeInfo;
      this.wireLog.note(this.label, `not sent (connection not open): ${awaiting?.what ?? "raw frame"}`, this.encoding);
      awaiting?.reject(new SessionClosedError(this.label, awaiting.what, info?.code ?? 1006, info?.reason ?? "not open"));
      return;
    }
    const sentAt = this.wireLog.now();
    if (awaiting !== undefined) {
      const pending: Pending = { ...awaiting, sentAt, timer: undefined, abandoned: false };
      const ms = timeoutMs ?? this.timeouts.reply;
      pending.timer = setTimeout(() => {
        pending.abandoned = true;
        pending.reject(this.timeout(pending.what, ms));
      }, ms);
      this.pending.push(pending);
    }
    this.wireLog.frame(this.label, "out", this.encoding, data, frame ?? decodeForLog(data, this.encoding));
    this.socket.send(data, { binary: typeof data !== "string" });
  }

  // --- receiving -----------------------------------------------------------

  private receive(data: WireData): void {
    const at = this.wireLog.now();
    const decoded = decodeServerFrame(data, this.encoding);
    if (!decoded.ok) {
      this.wireLog.frame(this.label, "in", this.encoding, data, undefined);
      const wrongType = (this.encoding === "binary") === (typeof data === "string");
      this.violation(wrongType ? "wrong-frame-type" : "undecodable-frame", decoded.error.message, at);
      return;
    }
    const frame = decoded.frame;
    this.wireLog.frame(this.label, "in", this.encoding, data, frame);
    switch (frame.frame.case) {
      case "reply":
        this.matchReply(frame.frame.value, at);
        return;
      case "event": {
        const event = frame.frame.value;
        if (event.event.case === undefined) this.violation("empty-event", "an Event with no event set", at);
        const received: ReceivedEvent = { event, at, index: this.eventCount++ };
        this.events.push(received);
        for (const w of [...this.waiters]) if (w.predicate(received)) w.resolve(received);
        return;
      }
      default:
        this.violation("empty-frame", "a ServerFrame with neither reply nor event", at);
    }
  }

  private matchReply(reply: Reply, at: number): void {
    const head = this.pending.peek();
    let index = -1;
    if (head !== undefined && (head.id === "raw" || head.id === reply.requestId)) {
      index = 0;
    } else {
      index = this.pending.findIndex((p) => p.id === reply.requestId);
      if (index > 0) {
        this.violation(
          "reply-out-of-order",
          `reply to request ${reply.requestId} arrived while ${head!.what} is still outstanding (replies must come in request order)`,
          at,
        );
      }
    }
    if (index < 0) {
      this.strayReplies.push({ reply, at });
      this.violation("unexpected-reply", `reply with request_id ${reply.requestId} matches no outstanding request: ${describeResult(reply)}`, at);
      return;
    }
    const pending = this.pending.removeAt(index);
    clearTimeout(pending!.timer);
    if (pending!.abandoned) return;
    if (pending!.request?.request.case === "login" && reply.result.case === "login") {
      this.loggedIn(pending!.request.request.value.userId, reply.result.value.serverInfo);
    }
    pending!.resolve({ requestId: reply.requestId, request: pending!.request ?? create(ClientFrameSchema), reply, sentAt: pending!.sentAt, repliedAt: at });
  }

  private loggedIn(userId: string, serverInfo: ServerInfo | undefined): void {
    this.userId = userId;
    if (serverInfo === undefined) return;
    this.serverInfo = serverInfo;
    this.requestPacer = new RatePacer(serverInfo.limits?.requestRate);
    this.messagePacer = new RatePacer(serverInfo.limits?.messageRate);
    this.onLogin?.(serverInfo, this);
  }

  private violation(kind: ViolationKind, message: string, at: number): void {
    const v: ProtocolViolation = { session: this.label, kind, message, at };
    this.violations.push(v);
    this.wireLog.note(this.label, `protocol violation (${kind}): ${message}`, this.encoding);
    this.onViolation?.(v);
  }

  private failEverythingPending(info: CloseInfo): void {
    for (const p of this.pending.drain()) {
      clearTimeout(p.timer);
      if (!p.abandoned) p.reject(new SessionClosedError(this.label, p.what, info.code, info.reason));
    }
    for (const w of [...this.waiters]) w.reject(new SessionClosedError(this.label, `event: ${w.description}`, info.code, info.reason));
  }
}

export interface SendOptions {
  /** Timeout for this reply in ms, used as given (default: the session's scaled reply timeout). */
  timeoutMs?: number;
  /** Use this request ID instead of the next one (robustness tests: 0, reuse). */
  requestId?: number;
}

/** `ok createRoom`, `error ROOM_NOT_FOUND (…)`, for messages. */
export function describeResult(reply: Reply): string {
  const r = reply.result;
  if (r.case === "error") {
    const name = ErrorCode[r.value.code] ?? String(r.value.code);
    return `error ${name}${r.value.message === "" ? "" : ` (${r.value.message})`}`;
  }
  return r.case === undefined ? "a reply with no result" : `ok ${r.case}`;
}

/** Raw frames are shown decoded in the wire log when they happen to be valid. */
function decodeForLog(data: WireData, encoding: Encoding): ClientFrame | undefined {
  const r = decodeClientFrame(data, encoding);
  return r.ok ? r.frame : undefined;
}

/** A queue with O(1) removal at the head (replies usually match the oldest request) and rare removal elsewhere. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  /** Offset from the head of the first item matching `predicate`, or -1. */
  findIndex(predicate: (item: T) => boolean): number {
    for (let i = this.head; i < this.items.length; i++) if (predicate(this.items[i]!)) return i - this.head;
    return -1;
  }

  removeAt(offset: number): T | undefined {
    if (offset !== 0) return this.items.splice(this.head + offset, 1)[0];
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  drain(): T[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }
}

/**
 * A promise handed to a caller, marked as handled: a caller that stopped at
 * an earlier failure (`await a; await b` when `a` rejects) never awaits it,
 * and its rejection (the server closed the connection, or never answered)
 * must not surface as an unhandled error outside any test, which the runner
 * could only count against the harness. A caller that awaits it still gets
 * the rejection.
 */
function owed<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
