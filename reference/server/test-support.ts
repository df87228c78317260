// Test-only wire client for the server's integration tests: connects with a
// subprotocol, sends ClientFrames, matches replies by request ID, records
// every frame it receives in order. It deliberately does not use
// reference/client: these tests judge the server by its raw wire.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { SignJWT } from "jose";
import { WebSocket } from "ws";
import {
  ClientFrameSchema,
  decodeServerFrame,
  encodeClientFrame,
  ErrorCode,
  SUBPROTOCOLS,
  type ClientFrame,
  type Encoding,
  type Event,
  type Reply,
  type ServerFrame,
} from "../../protocol/index.js";
import { startServer, type RunningServer, type ServerBlocks, type ServerOptions } from "./index.js";

export type RequestInit = NonNullable<MessageInitShape<typeof ClientFrameSchema>["request"]>;
export type RequestCase = Exclude<RequestInit["case"], undefined>;
type ResultOf<C extends string> = Extract<Reply["result"], { case: C }>["value"];

export interface Closed {
  code: number;
  reason: string;
}

export async function mintToken(secret: string, sub: string, opts: { expiresInSeconds?: number; alg?: string; nbf?: number; noExp?: boolean } = {}) {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: opts.alg ?? "HS256" }).setSubject(sub);
  if (!opts.noExp) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (opts.expiresInSeconds ?? 3600));
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** An unsigned token with `alg: none`. */
export function unsecuredToken(sub: string): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
}

export class WireClient {
  /** Every frame received, in order. */
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<Closed>;
  private nextId = 1;
  private readonly waiters = new Map<number, (r: Reply) => void>();
  private readonly frameListeners = new Set<() => void>();

  private constructor(
    readonly ws: WebSocket,
    readonly encoding: Encoding,
  ) {
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on("message", (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const decoded = decodeServerFrame(isBinary ? new Uint8Array(bytes) : bytes.toString("utf8"), encoding);
      if (!decoded.ok) throw new Error(`undecodable server frame: ${decoded.error.message}`);
      const frame = decoded.frame;
      this.frames.push(frame);
      if (frame.frame.case === "reply") {
        const waiter = this.waiters.get(frame.frame.value.requestId);
        this.waiters.delete(frame.frame.value.requestId);
        waiter?.(frame.frame.value);
      }
      for (const l of this.frameListeners) l();
    });
  }

  static async connect(url: string, encoding: Encoding = "binary", protocols: string[] = [SUBPROTOCOLS[encoding]]): Promise<WireClient> {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    const client = new WireClient(ws, encoding);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return client;
  }

  /** Events received so far (in order). */
  get events(): Event[] {
    return this.frames.flatMap((f) => (f.frame.case === "event" ? [f.frame.value] : []));
  }

  /** Forgets the frames received so far. */
  clear(): void {
    this.frames.length = 0;
  }

  sendRaw(data: Uint8Array | string): void {
    this.ws.send(data, { binary: typeof data !== "string" });
  }

  /** Sends a frame with the given request and resolves to its reply. */
  request(request: RequestInit | undefined, requestId = this.nextId++): Promise<Reply> {
    const frame: ClientFrame = create(ClientFrameSchema, request ? { requestId, request } : { requestId });
    return this.sendFrame(frame);
  }

  sendFrame(frame: ClientFrame): Promise<Reply> {
    const reply = this.awaitReply(frame.requestId);
    this.sendRaw(encodeClientFrame(frame, this.encoding));
    return reply;
  }

  awaitReply(requestId: number): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      this.waiters.set(requestId, resolve);
      void this.closed.then((c) => {
        if (this.waiters.delete(requestId)) reject(new Error(`connection closed (${c.code} ${c.reason}) before reply ${requestId}`));
      });
    });
  }

  /** Sends a request that must succeed; returns the response. */
  async ok<C extends RequestCase>(c: C, value: Extract<RequestInit, { case: C }>["value"]): Promise<ResultOf<C>> {
    const reply = await this.request({ case: c, value } as RequestInit);
    if (reply.result.case !== c) {
      const err = reply.result.case === "error" ? `${ErrorCode[reply.result.value.code]}: ${reply.result.value.message}` : reply.result.case;
      throw new Error(`${c} failed: ${err}`);
    }
    return reply.result.value as ResultOf<C>;
  }

  /** Sends a request that must fail; returns the error. */
  async fails<C extends RequestCase>(c: C, value: Extract<RequestInit, { case: C }>["value"]) {
    const reply = await this.request({ case: c, value } as RequestInit);
    if (reply.result.case !== "error") throw new Error(`${c} succeeded, expected an error`);
    return reply.result.value;
  }

  async login(userId: string, token: string, userName = userId) {
    return this.ok("login", { userId, userName, token });
  }

  /** The barrier: after it resolves, every event of every completed request has arrived. */
  async ping(): Promise<void> {
    await this.ok("ping", {});
  }

  /** Resolves once `predicate` holds for the frames received (checked on every frame). */
  waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.frameListeners.delete(check);
        reject(new Error("waitFor timed out"));
      }, timeoutMs);
      const check = () => {
        if (predicate()) {
          clearTimeout(timer);
          this.frameListeners.delete(check);
          resolve();
        }
      };
      this.frameListeners.add(check);
    });
  }

  close(): Promise<Closed> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

/** A server on a free loopback port plus the clients a test opened; `close` ends them all. */
export interface TestServer {
  readonly server: RunningServer;
  readonly tokenSecret: string;
  /** A connected, not logged-in client. */
  connect(encoding?: Encoding, protocols?: string[]): Promise<WireClient>;
  /** A client logged in as `userId`. */
  user(userId: string, encoding?: Encoding): Promise<WireClient>;
  close(): Promise<void>;
}

let secretCounter = 0;

export async function startTestServer(options: Omit<ServerOptions, "tokenSecret" | "insecureDevAuth"> = {}, blocks: ServerBlocks = {}): Promise<TestServer> {
  const tokenSecret = `test-secret-${process.pid}-${++secretCounter}`;
  const server = await startServer({ tokenSecret, ...options }, blocks);
  const clients: WireClient[] = [];
  const connect = async (encoding: Encoding = "binary", protocols?: string[]) => {
    const c = await WireClient.connect(server.url, encoding, protocols);
    clients.push(c);
    return c;
  };
  return {
    server,
    tokenSecret,
    connect,
    async user(userId, encoding = "binary") {
      const c = await connect(encoding);
      await c.login(userId, await mintToken(tokenSecret, userId));
      return c;
    },
    async close() {
      for (const c of clients) c.ws.terminate();
      await server.close();
    },
  };
}
