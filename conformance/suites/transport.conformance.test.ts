// WebSocket transport, frames, request IDs, ordering, the visibility rule and
// the Ping barrier, and the common check order: spec/transport.md. Handshake
// refusals, bad frames and close codes are in robustness.conformance.test.ts;
// rate limits in limits.conformance.test.ts.
import { clone, create, fromJson, toJson, type JsonObject, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { IncomingMessage } from "node:http";
import WebSocket from "ws";
import { afterEach, expect } from "vitest";
import {
  ClientFrameSchema,
  ErrorCode,
  EventSchema,
  Feature,
  ReplySchema,
  RoomMessageKind,
  RoomMessagePriority,
  RoomState,
  RoomStateReason,
  SUBPROTOCOLS,
  ServerFrameSchema,
  decodeServerFrame,
  encodeClientFrame,
  encodingOf,
  type ClientFrame,
  type Encoding,
  type Event,
  type Reply,
  type ServerFrame,
  type WireData,
} from "../../protocol/index.js";
import { conformanceSuite } from "../driver/suite.js";
import { HarnessError, HarnessTimeout, rawConnect, type RequestInput, type Session, type World } from "../harness/index.js";

type ClientFrameInit = MessageInitShape<typeof ClientFrameSchema>;

// ---- A raw connection that records every message in arrival order -----------

interface Received {
  data: WireData;
  binary: boolean;
  /** The decoded frame, undefined when the message is not a ServerFrame of the connection's encoding. */
  frame: ServerFrame | undefined;
}

const openPeers = new Set<RawPeer>();
afterEach(async () => {
  await Promise.all([...openPeers].map((p) => p.close()));
  openPeers.clear();
});

/**
 * One WebSocket connection below the harness Session: it keeps replies and
 * events in one list, in the order they arrived, with the raw message, which
 * the ordering and JSON-shape tests need.
 */
class RawPeer {
  readonly received: Received[] = [];
  closeInfo: { code: number; reason: string } | undefined;
  private readonly wakers = new Set<() => void>();

  private constructor(
    readonly label: string,
    readonly socket: WebSocket,
    readonly encoding: Encoding,
    private readonly timeoutMs: number,
  ) {
    socket.on("message", (message: WebSocket.RawData, isBinary: boolean) => {
      const raw = message as Buffer; // binaryType "nodebuffer": one Buffer per message
      const data: WireData = isBinary ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : raw.toString("utf8");
      const decoded = decodeServerFrame(data, encoding);
      this.received.push({ data, binary: isBinary, frame: decoded.ok ? decoded.frame : undefined });
      this.wake();
    });
    socket.on("close", (code: number, reason: Buffer) => {
      this.closeInfo = { code, reason: reason.toString("utf8") };
      this.wake();
    });
    socket.on("error", () => {});
    socket.resume();
  }

  static async open(world: World, label: string, protocols: readonly string[] = [SUBPROTOCOLS[world.target.encoding]]): Promise<RawPeer> {
    const r = await rawConnect(world.target.url, protocols, world.timeouts.connect, { paused: true });
    if (r.outcome !== "open") {
      throw new HarnessError(`raw connection offering [${protocols.join(", ")}] failed: ${r.outcome === "refused" ? `HTTP ${r.status}` : r.message}`);
    }
    const encoding = encodingOf(r.protocol);
    if (encoding === undefined) throw new HarnessError(`the server selected "${r.protocol}"`);
    const peer = new RawPeer(label, r.socket, encoding, world.timeouts.reply);
    openPeers.add(peer);
    return peer;
  }

  /** Opens a peer and logs it in as `world.userId(label)`. */
  static async session(world: World, label: string): Promise<RawPeer> {
    const peer = await RawPeer.open(world, label);
    const userId = world.userId(label);
    const reply = await peer.request({ requestId: 1, request: { case: "login", value: { userId, userName: label, token: await world.target.token.token(userId) } } });
    if (reply.result.case !== "login") throw new HarnessError(`login of ${userId} failed: ${ErrorCode[reply.result.case === "error" ? reply.result.value.code : 0]}`);
    return peer;
  }

  send(frame: ClientFrameInit): void {
    this.sendData(encodeClientFrame(create(ClientFrameSchema, frame), this.encoding));
  }

  sendData(data: WireData): void {
    this.socket.send(data, { binary: typeof data !== "string" });
  }

  frames(): ServerFrame[] {
    return this.received.map((r) => r.frame).filter((f): f is ServerFrame => f !== undefined);
  }

  replies(): Reply[] {
    return this.frames().flatMap((f) => (f.frame.case === "reply" ? [f.frame.value] : []));
  }

  events(): Event[] {
    return this.frames().flatMap((f) => (f.frame.case === "event" ? [f.frame.value] : []));
  }

  /** Waits until `done()` holds; a timeout is the server's failure (something owed did not arrive). */
  async until(what: string, done: () => boolean): Promise<void> {
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wakers.delete(check);
        reject(new HarnessTimeout(what, this.label, this.timeoutMs, ""));
      }, this.timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.wakers.delete(check);
        resolve();
      };
      this.wakers.add(check);
    });
  }

  /** Sends one frame and resolves with the next reply (for non-pipelined use). */
  async request(frame: ClientFrameInit): Promise<Reply> {
    const before = this.replies().length;
    this.send(frame);
    await this.until(`reply to request ${String(frame.requestId)}`, () => this.replies().length > before);
    return this.replies()[before]!;
  }

  /** A Ping round trip with a request ID of its own: afterwards every event owed so far has arrived (VISIBILITY-2). */
  async ping(requestId: number): Promise<void> {
    const reply = await this.request({ requestId, request: { case: "ping", value: {} } });
    expect(reply.result.case).toBe("ping");
  }

  async close(): Promise<void> {
    openPeers.delete(this);
    if (this.closeInfo !== undefined) return;
    this.socket.close();
    await this.until("the close handshake", () => this.closeInfo !== undefined).catch(() => this.socket.terminate());
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}

// ---- Comparing runs of one script (the twin technique) -----------------------

/**
 * One protobuf JSON rendering with the run's side tag and the server-chosen
 * values (message_id, timestamp_ms) taken out, so two runs of one script on
 * two sets of users and rooms can be compared for equality.
 */
function normalized(json: JsonValue, world: World): string {
  const strip = (v: JsonValue): JsonValue => {
    if (Array.isArray(v)) return v.map(strip);
    if (v !== null && typeof v === "object") {
      const out: JsonObject = {};
      for (const [k, x] of Object.entries(v)) if (k !== "messageId" && k !== "timestampMs") out[k] = strip(x);
      return out;
    }
    return v;
  };
  return JSON.stringify(strip(json)).replaceAll(`${world.prefix}.A-`, `${world.prefix}.X-`).replaceAll(`${world.prefix}.B-`, `${world.prefix}.X-`);
}

interface ScriptStep {
  who: string;
  /** The frame, from the side's users and rooms. */
  frame: (side: Side) => ClientFrameInit;
}

/** One side of a twin run: its own users (labels `A-alice` …) and rooms. */
class Side {
  readonly sessions = new Map<string, Session>();
  constructor(
    readonly world: World,
    readonly tag: "A" | "B",
  ) {}
  user(label: string): string {
    return this.world.userId(`${this.tag}-${label}`);
  }
  room(label: string): string {
    return this.world.roomId(`${this.tag}-${label}`);
  }
  async connect(labels: string[]): Promise<void> {
    for (const l of labels) this.sessions.set(l, await this.world.connect(`${this.tag}-${l}`));
  }
  session(who: string): Session {
    const s = this.sessions.get(who);
    if (s === undefined) throw new HarnessError(`no session ${who}`);
    return s;
  }
  async loginFrame(who: string, requestId: number): Promise<ClientFrameInit> {
    const userId = this.user(who);
    return { requestId, request: { case: "login", value: { userId, userName: who, token: await this.world.target.token.token(userId) } } };
  }
}

interface RunResult {
  replies: string[];
  events: Map<string, string[]>;
}

/**
 * Runs `steps` on one side, each step's frame transformed by `encode` into
 * the bytes or text sent. "sequential" awaits each reply before the next
 * step; "pipelined" sends every frame at once (then all steps must be one
 * session's). Returns the normalized replies and every session's events.
 */
async function runScript(side: Side, steps: ScriptStep[], encode: (frame: ClientFrame, side: Side) => WireData, mode: "sequential" | "pipelined"): Promise<RunResult> {
  const replies: Reply[] = [];
  const frames = steps.map((s) => ({ who: s.who, data: encode(create(ClientFrameSchema, s.frame(side)), side) }));
  if (mode === "sequential") {
    for (const f of frames) replies.push(await side.session(f.who).sendRawForReply(f.data));
  } else {
    if (new Set(frames.map((f) => f.who)).size > 1) throw new HarnessError("a pipelined script is one session's");
    replies.push(...(await Promise.all(frames.map((f) => side.session(f.who).sendRawForReply(f.data)))));
  }
  await side.world.quiesce();
  const events = new Map<string, string[]>();
  for (const [who, s] of side.sessions) {
    events.set(
      who,
      s.takeEvents().map((e) => normalized(toJson(EventSchema, e.event), side.world)),
    );
  }
  return { replies: replies.map((r) => normalized(toJson(ReplySchema, r), side.world)), events };
}

const plain = (frame: ClientFrame, side: Side): WireData => encodeClientFrame(frame, side.world.target.encoding);

/** A script touching most request kinds, for two users `alice` and `bob` (login included). */
function richScript(): ScriptStep[] {
  return [
    { who: "alice", frame: () => ({ requestId: 10, request: { case: "ping", value: {} } }) },
    {
      who: "alice",
      frame: (s) => ({
        requestId: 11,
        request: { case: "createRoom", value: { roomInfo: { roomId: s.room("r1"), roomName: "Room one" }, config: { roomAttributes: { topic: "t" }, roomDestroyDelaySeconds: 0 } } },
      }),
    },
    { who: "bob", frame: (s) => ({ requestId: 12, request: { case: "joinRoom", value: { roomId: s.room("r1"), historyCount: 0 } } }) },
    {
      who: "alice",
      frame: (s) => ({ requestId: 13, request: { case: "setRoomAttributes", value: { roomId: s.room("r1"), attributes: { a: "1", b: "2" }, isDeleteAfterOwnerLeft: true } } }),
    },
    {
      who: "alice",
      frame: (s) => ({
        requestId: 14,
        request: { case: "sendRoomMessage", value: { roomId: s.room("r1"), kind: RoomMessageKind.CUSTOM, payload: new Uint8Array([0, 1, 2, 255]), priority: RoomMessagePriority.HIGH } },
      }),
    },
    {
      who: "bob",
      frame: (s) => ({ requestId: 15, request: { case: "setRoomMembersAttributes", value: { roomId: s.room("r1"), userIds: [s.user("alice"), s.user("bob")], attributes: { seat: "3" } } } }),
    },
    { who: "bob", frame: (s) => ({ requestId: 16, request: { case: "queryRoomMemberList", value: { roomId: s.room("r1"), count: 10 } } }) },
    {
      who: "alice",
      frame: (s) => ({
        requestId: 17,
        request: {
          case: "batchRoomAttributes",
          value: { roomId: s.room("r1"), operations: [{ operation: { case: "set", value: { attributes: { c: "3" } } } }, { operation: { case: "delete", value: { keys: ["a"] } } }] },
        },
      }),
    },
    {
      who: "bob",
      frame: (s) => ({ requestId: 18, request: { case: "switchRoom", value: { fromRoomId: s.room("r1"), toRoomInfo: { roomId: s.room("r2"), roomName: "two" }, createIfAbsent: true } } }),
    },
    { who: "alice", frame: (s) => ({ requestId: 19, request: { case: "enterRoom", value: { roomInfo: { roomId: s.room("r2") }, historyCount: 0 } } }) },
    { who: "alice", frame: (s) => ({ requestId: 20, request: { case: "joinRoom", value: { roomId: s.room("nowhere") } } }) },
    { who: "alice", frame: () => ({ requestId: 21, request: { case: "leaveAllRooms", value: {} } }) },
  ];
}

/** The script with its two logins first. */
function withLogins(steps: ScriptStep[]): { logins: (side: Side) => Promise<ScriptStep[]>; steps: ScriptStep[] } {
  return {
    logins: async (side) => {
      const a = await side.loginFrame("alice", 1);
      const b = await side.loginFrame("bob", 2);
      return [
        { who: "alice", frame: () => a },
        { who: "bob", frame: () => b },
      ];
    },
    steps,
  };
}

/** Runs a script plainly on side A and through `variant` on side B, and expects identical results. */
async function expectVariantEquivalent(world: World, steps: ScriptStep[], variant: (frame: ClientFrame, side: Side) => WireData): Promise<RunResult> {
  const script = withLogins(steps);
  const results: RunResult[] = [];
  for (const [tag, encode] of [
    ["A", plain],
    ["B", variant],
  ] as const) {
    const side = new Side(world, tag);
    await side.connect(["alice", "bob"]);
    results.push(await runScript(side, [...(await script.logins(side)), ...script.steps], encode, "sequential"));
  }
  const [a, b] = results as [RunResult, RunResult];
  expect(b.replies).toEqual(a.replies);
  expect(Object.fromEntries(b.events)).toEqual(Object.fromEntries(a.events));
  return a;
}

// ---- Variants of a frame -------------------------------------------------------

/** Unknown fields of every wire type, numbered far above any field OpenRoom uses. */
function unknownFields(): { no: number; wireType: WireType; data: Uint8Array }[] {
  const w = (f: (x: BinaryWriter) => BinaryWriter) => f(new BinaryWriter()).finish();
  return [
    { no: 9001, wireType: WireType.Varint, data: w((x) => x.uint64(123456789012n)) },
    { no: 9002, wireType: WireType.LengthDelimited, data: w((x) => x.bytes(new Uint8Array([0x0a, 0x03, 0x61, 0x62, 0x63]))) },
    { no: 9003, wireType: WireType.Bit32, data: w((x) => x.fixed32(7)) },
    { no: 9004, wireType: WireType.Bit64, data: w((x) => x.fixed64(8n)) },
  ];
}

/** Adds unknown fields to the frame and to every message nested in it (a copy). */
function withUnknownFields(frame: ClientFrame): ClientFrame {
  const copy = clone(ClientFrameSchema, frame);
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== "object" || v instanceof Uint8Array) return;
    if (Array.isArray(v)) {
      v.forEach(visit);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o["$typeName"] === "string") o["$unknown"] = unknownFields();
    for (const [k, x] of Object.entries(o)) if (k !== "$unknown") visit(x);
  };
  visit(copy);
  return copy;
}

/** JSON objects of a frame that are messages (not maps), by their path of member names. */
const MESSAGE_PATHS = [[], ["$request"], ["$request", "roomInfo"], ["$request", "toRoomInfo"], ["$request", "config"], ["$request", "operations", "*"], ["$request", "operations", "*", "$op"]];

/** Applies `f` to each message object of a canonical-JSON frame (maps like `attributes` are left alone). */
function forEachMessageObject(json: JsonObject, f: (o: JsonObject) => void): void {
  const requestKey = Object.keys(json).find((k) => k !== "requestId" && k !== "request_id");
  const walk = (o: JsonValue | undefined, path: string[]): void => {
    if (o === undefined || o === null || typeof o !== "object") return;
    if (path.length === 0) {
      if (!Array.isArray(o)) f(o);
      return;
    }
    const [head, ...rest] = path;
    if (head === "*") {
      if (Array.isArray(o)) for (const x of o) walk(x, rest);
      return;
    }
    if (Array.isArray(o)) return;
    if (head === "$request") walk(requestKey === undefined ? undefined : o[requestKey], rest);
    else if (head === "$op") walk(o["set"] ?? o["delete"], rest);
    else walk(o[head!], rest);
  };
  for (const p of MESSAGE_PATHS) walk(json, p);
}

/** Canonical JSON of the frame with unknown members in every message and unknown enum names in place of unset enums. */
function withUnknownJsonMembers(frame: ClientFrame): string {
  const json = toJson(ClientFrameSchema, frame) as JsonObject;
  forEachMessageObject(json, (o) => {
    o["zzFutureField"] = { nested: [1, "two", { three: 3 }], flag: true };
    o["future_snake_field"] = "x";
    o["zzNull"] = null;
  });
  const r = frame.request;
  if (r.case === "sendRoomMessage") {
    const body = json["sendRoomMessage"] as JsonObject;
    // Unknown enum names leave the field at its default value (FRAME-UNKNOWN-2).
    if (r.value.priority === RoomMessagePriority.UNSPECIFIED) body["priority"] = "ROOM_MESSAGE_PRIORITY_FROM_THE_FUTURE";
    if (r.value.kind === RoomMessageKind.UNSPECIFIED) body["kind"] = "ROOM_MESSAGE_KIND_HOLOGRAM";
  }
  return JSON.stringify(json);
}

/** Field names as in the .proto, enums as numbers, 32-bit integers as decimal strings: all accepted forms (FRAME-JSON-1). */
function withAlternativeJsonForms(frame: ClientFrame): string {
  const json = toJson(ClientFrameSchema, frame, { useProtoFieldName: true, enumAsInteger: true }) as JsonObject;
  const numeric = new Set(["request_id", "history_count", "count", "room_destroy_delay_seconds"]);
  const maps = new Set(["attributes", "room_attributes"]);
  const walk = (v: JsonValue): void => {
    if (v === null || typeof v !== "object") return;
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      if (maps.has(k)) continue;
      if (numeric.has(k) && typeof x === "number") v[k] = String(x);
      else walk(x);
    }
  };
  walk(json);
  return JSON.stringify(json);
}

/** The room and room_seq of a room-stream event. */
function roomSeqOf(e: Event["event"]): [string, bigint] | undefined {
  switch (e.case) {
    case "roomMemberJoined":
    case "roomMemberLeft":
    case "roomAttributesUpdated":
    case "roomAttributesBatchUpdated":
    case "roomMemberAttributesUpdated":
    case "roomMessageReceived":
      return [e.value.roomId, e.value.roomSeq];
    default:
      return undefined;
  }
}

// ---- Canonical JSON shape of server frames --------------------------------------

/**
 * Differences between a server's JSON text and the canonical protobuf JSON
 * of the frame it decodes to (with every default written out, since a
 * server may write or omit defaults, FRAME-JSON-2): every member the server
 * wrote must be a canonical one (lowerCamelCase) with the canonical value
 * (enum names, 64-bit integers as strings).
 */
function jsonShapeProblems(text: string): string[] {
  const parsed = JSON.parse(text) as JsonValue;
  const canonical = toJson(ServerFrameSchema, fromJson(ServerFrameSchema, parsed), { alwaysEmitImplicit: true });
  const problems: string[] = [];
  const cmp = (a: JsonValue, c: JsonValue | undefined, path: string): void => {
    if (c === undefined) {
      problems.push(`${path}: not a canonical member name`);
      return;
    }
    if (Array.isArray(a)) {
      if (!Array.isArray(c) || c.length !== a.length) problems.push(`${path}: list differs`);
      else a.forEach((x, i) => cmp(x, c[i], `${path}[${i}]`));
      return;
    }
    if (a !== null && typeof a === "object") {
      if (c === null || typeof c !== "object" || Array.isArray(c)) problems.push(`${path}: object where canonical JSON has ${JSON.stringify(c)}`);
      else for (const [k, x] of Object.entries(a)) cmp(x, c[k], `${path}.${k}`);
      return;
    }
    if (a !== c && !sameBase64(a, c)) problems.push(`${path}: ${JSON.stringify(a)} where canonical JSON has ${JSON.stringify(c)}`);
  };
  cmp(parsed, canonical, "$");
  return problems;
}

/** Both base64 strings (padded or not, URL-safe or not) of the same bytes: protobuf JSON readers accept either. */
function sameBase64(a: JsonValue, c: JsonValue): boolean {
  if (typeof a !== "string" || typeof c !== "string" || !/^[A-Za-z0-9+/_-]*=*$/.test(a)) return false;
  return Buffer.from(a, "base64").equals(Buffer.from(c, "base64")) && Buffer.from(a, "base64").length > 0;
}

/**
 * Traffic touching every kind of server frame (login reply with limits and
 * features, room state events, member events with room_seq, attribute
 * events, messages with timestamps and bytes, error replies with details) on
 * two raw peers. Returns the peers after a Ping barrier on both.
 */
async function mixedTraffic(world: World, history: boolean): Promise<{ alice: RawPeer; bob: RawPeer; requests: { alice: number; bob: number } }> {
  const alice = await RawPeer.session(world, "alice");
  const bob = await RawPeer.session(world, "bob");
  const r1 = world.roomId("r1");
  const aliceFrames: ClientFrameInit[] = [
    { requestId: 2, request: { case: "createRoom", value: { roomInfo: { roomId: r1, roomName: "Salle ☕" }, config: { roomAttributes: { topic: "t" } } } } },
    { requestId: 3, request: { case: "createRoom", value: { roomInfo: { roomId: r1 } } } },
    { requestId: 4, request: { case: "setRoomAttributes", value: { roomId: r1, attributes: { k: "v" } } } },
    { requestId: 5, request: { case: "ping", value: {} } },
  ];
  for (const f of aliceFrames) alice.send(f);
  await alice.until("alice's replies", () => alice.replies().length >= 1 + aliceFrames.length);
  const bobFrames: ClientFrameInit[] = [
    { requestId: 2, request: { case: "joinRoom", value: { roomId: r1, historyCount: history ? 1 : 0 } } },
    { requestId: 3, request: { case: "sendRoomMessage", value: { roomId: r1, kind: RoomMessageKind.TEXT, payload: new TextEncoder().encode("héllo"), priority: RoomMessagePriority.LOW } } },
    { requestId: 4, request: { case: "setRoomMembersAttributes", value: { roomId: r1, userIds: [world.userId("bob")], attributes: { s: "1" } } } },
    { requestId: 5, request: { case: "batchRoomAttributes", value: { roomId: r1, operations: [{ operation: { case: "set", value: { attributes: { b: "1" } } } }] } } },
    // A failing batch: an error reply with key_failures.
    { requestId: 6, request: { case: "batchRoomAttributes", value: { roomId: r1, operations: [{ operation: { case: "delete", value: { keys: ["zz"] } } }] } } },
    { requestId: 7, request: { case: "queryRoomMemberList", value: { roomId: r1, count: 1 } } },
    { requestId: 8, request: { case: "leaveRoom", value: { roomId: r1 } } },
  ];
  for (const f of bobFrames) bob.send(f);
  await bob.until("bob's replies", () => bob.replies().length >= 1 + bobFrames.length);
  await alice.ping(90);
  await bob.ping(90);
  // Login + the frames + the barrier Ping.
  return { alice, bob, requests: { alice: 2 + aliceFrames.length, bob: 2 + bobFrames.length } };
}

conformanceSuite("transport", (test) => {
  // ---- Handshake extras (the subprotocol choice is in robustness) ----------------

  test("a handshake offering permessage-deflate is answered without any extension [WS-EXTENSION-1]", async ({ world }) => {
    const socket = new WebSocket(world.target.url, [SUBPROTOCOLS[world.target.encoding]], { perMessageDeflate: true, handshakeTimeout: world.timeouts.connect });
    socket.on("error", () => {});
    const headers = await new Promise<IncomingMessage["headers"]>((resolve, reject) => {
      socket.once("upgrade", (res: IncomingMessage) => resolve(res.headers));
      socket.once("unexpected-response", (_req, res: IncomingMessage) => reject(new HarnessError(`handshake refused: HTTP ${res.statusCode}`)));
      socket.once("error", reject);
    });
    await new Promise<void>((resolve) => (socket.readyState === WebSocket.OPEN ? resolve() : socket.once("open", () => resolve())));
    try {
      expect(headers["sec-websocket-extensions"]).toBeUndefined();
      expect(socket.extensions).toBe("");
    } finally {
      socket.terminate();
    }
  });

  test("WebSocket Ping control frames are answered with Pong, before and after login [WS-KEEPALIVE-1]", async ({ world }) => {
    const peer = await RawPeer.open(world, "alice");
    const pong = (payload: string) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new HarnessTimeout(`a Pong to Ping "${payload}"`, "alice", world.timeouts.reply, "")), world.timeouts.reply);
        peer.socket.once("pong", (data: Buffer) => {
          clearTimeout(timer);
          resolve(data.toString("utf8"));
        });
        peer.socket.ping(Buffer.from(payload));
      });
    expect(await pong("before-login")).toBe("before-login");
    const userId = world.userId("alice");
    const reply = await peer.request({ requestId: 1, request: { case: "login", value: { userId, token: await world.target.token.token(userId) } } });
    expect(reply.result.case).toBe("login");
    expect(await pong("after-login")).toBe("after-login");
  });

  // ---- Frames ------------------------------------------------------------------------

  test("every server message holds exactly one ServerFrame: one reply per request, every message decodes [FRAME-ONE-1]", async ({ world, serverInfo }) => {
    const { alice, bob, requests } = await mixedTraffic(world, serverInfo.features.includes(Feature.MESSAGE_HISTORY));
    for (const peer of [alice, bob]) {
      expect(peer.received.filter((r) => r.frame === undefined).map((r) => r.data)).toEqual([]);
      // Two frames in one message would drop or merge a reply; one frame over two messages would not decode.
      expect(peer.replies().length).toBe(requests[peer.label as "alice" | "bob"]);
      expect(peer.frames().every((f) => f.frame.case !== undefined)).toBe(true);
    }
    // bob's join, message, attribute events reached alice one per message.
    expect(alice.events().map((e) => e.event.case)).toEqual([
      "roomStateChanged",
      "roomStateChanged",
      "roomAttributesUpdated",
      "roomAttributesUpdated",
      "roomMemberJoined",
      "roomMessageReceived",
      "roomMemberAttributesUpdated",
      "roomAttributesBatchUpdated",
      "roomMemberLeft",
    ]);
  });

  test("on openroom.v1 the server sends only binary messages, each a protobuf ServerFrame [FRAME-TYPE-1]", async ({ world, encoding, serverInfo, skip }) => {
    const { alice, bob } = await mixedTraffic(world, serverInfo.features.includes(Feature.MESSAGE_HISTORY));
    for (const peer of [alice, bob]) {
      expect(peer.received.length).toBeGreaterThan(0);
      expect(peer.received.filter((r) => !r.binary || typeof r.data === "string")).toEqual([]);
      expect(peer.received.filter((r) => r.frame === undefined)).toEqual([]);
    }
  }, { encodings: ["binary"] });

  test("on openroom.v1.json the server sends only text messages in canonical protobuf JSON: lowerCamelCase names, enum names, 64-bit integers as strings, defaults written or omitted [FRAME-TYPE-2, FRAME-JSON-2]", async ({ world, encoding, serverInfo, skip }) => {
    const { alice, bob } = await mixedTraffic(world, serverInfo.features.includes(Feature.MESSAGE_HISTORY));
    for (const peer of [alice, bob]) {
      expect(peer.received.filter((r) => r.binary)).toEqual([]);
      const problems = peer.received.flatMap((r) => jsonShapeProblems(r.data as string).map((p) => `${peer.label}: ${p} in ${String(r.data)}`));
      expect(problems).toEqual([]);
    }
    // The frames above do carry 64-bit integers (room_seq, timestamp_ms): each was checked to be a string.
    const withSeq = alice.received.filter((r) => /"roomSeq":/.test(r.data as string));
    expect(withSeq.length).toBeGreaterThan(0);
    expect(withSeq.every((r) => /"roomSeq":"\d+"/.test(r.data as string))).toBe(true);
    const message = bob.received.find((r) => /"timestampMs"/.test(r.data as string));
    expect(message?.data).toMatch(/"timestampMs":"\d+"/);
    expect(alice.received.some((r) => /"ROOM_STATE_CONNECTED"/.test(r.data as string))).toBe(true);
  }, { encodings: ["json"] });

  test("JSON client frames may use proto field names, enum numbers and integers as decimal strings [FRAME-JSON-1]", async ({ world, encoding, skip }) => {
    const a = await expectVariantEquivalent(world, richScript(), (frame) => withAlternativeJsonForms(frame));
    // The plain run did what the script asks: it is no vacuous comparison of two failures.
    expect(a.replies.filter((r) => r.includes('"error"')).length).toBe(1);
  }, { encodings: ["json"] });

  test("unknown fields of a binary client frame, at any depth and of every wire type, are ignored [FRAME-UNKNOWN-1]", async ({ world, encoding, skip }) => {
    const a = await expectVariantEquivalent(world, richScript(), (frame) => encodeClientFrame(withUnknownFields(frame), "binary"));
    expect(a.replies.filter((r) => r.includes('"error"')).length).toBe(1);
  }, { encodings: ["binary"] });

  test("unknown members of a JSON client frame and unknown enum value names are ignored [FRAME-UNKNOWN-2]", async ({ world, encoding, skip }) => {
    const steps: ScriptStep[] = [
      ...richScript(),
      // Unknown priority name: the field keeps its default (UNSPECIFIED, delivered as MEDIUM); unknown kind name: UNSPECIFIED → INVALID_ARGUMENT(kind).
      { who: "alice", frame: (s) => ({ requestId: 30, request: { case: "createRoom", value: { roomInfo: { roomId: s.room("r3") } } } }) },
      { who: "bob", frame: (s) => ({ requestId: 31, request: { case: "joinRoom", value: { roomId: s.room("r3") } } }) },
      { who: "alice", frame: (s) => ({ requestId: 32, request: { case: "sendRoomMessage", value: { roomId: s.room("r3"), kind: RoomMessageKind.TEXT, payload: new Uint8Array([104, 105]) } } }) },
      { who: "alice", frame: (s) => ({ requestId: 33, request: { case: "sendRoomMessage", value: { roomId: s.room("r3"), payload: new Uint8Array([104, 105]) } } }) },
    ];
    const a = await expectVariantEquivalent(world, steps, (frame) => withUnknownJsonMembers(frame));
    expect(a.replies.at(-2)).toMatch(/"priority":"ROOM_MESSAGE_PRIORITY_MEDIUM"/);
    expect(a.replies.at(-1)).toMatch(/INVALID_ARGUMENT/);
  }, { encodings: ["json"] });

  // ---- Request IDs and replies -------------------------------------------------------

  test("each reply carries its request's request_id, across the whole uint32 range [REQUEST-ID-1]", async ({ world }) => {
    const peer = await RawPeer.open(world, "alice");
    const ids = [1, 2, 127, 128, 16_383, 16_384, 2_147_483_647, 2_147_483_648, 4_294_967_294, 4_294_967_295];
    for (const id of ids) peer.send({ requestId: id, request: { case: "ping", value: {} } });
    // Failed requests carry their ID too.
    peer.send({ requestId: 77, request: { case: "leaveAllRooms", value: {} } });
    await peer.until("every reply", () => peer.replies().length === ids.length + 1);
    expect(peer.replies().map((r) => r.requestId)).toEqual([...ids, 77]);
    expect(peer.replies().at(-1)?.result).toMatchObject({ case: "error", value: { code: ErrorCode.UNAUTHENTICATED } });
  });

  test("a request_id used again is a request of its own: neither refused, merged nor reordered [REQUEST-ID-3]", async ({ world }) => {
    const peer = await RawPeer.session(world, "alice");
    const r = world.roomId("r1");
    peer.send({ requestId: 7, request: { case: "createRoom", value: { roomInfo: { roomId: r } } } });
    peer.send({ requestId: 7, request: { case: "createRoom", value: { roomInfo: { roomId: r } } } });
    peer.send({ requestId: 7, request: { case: "queryRoomOnlineMemberCount", value: { roomId: r } } });
    peer.send({ requestId: 7, request: { case: "ping", value: {} } });
    await peer.until("four replies", () => peer.replies().length === 5);
    const replies = peer.replies().slice(1);
    expect(replies.map((x) => x.requestId)).toEqual([7, 7, 7, 7]);
    expect(replies.map((x) => (x.result.case === "error" ? ErrorCode[x.result.value.code] : x.result.case))).toEqual([
      "createRoom",
      "ROOM_ALREADY_EXISTS",
      "queryRoomOnlineMemberCount",
      "ping",
    ]);
  });

  test("every request kind is answered, on success, with the response of the same field number [REQUEST-REPLY-1]", async ({ ls, serverInfo }) => {
    const r1 = ls.room("r1");
    const r2 = ls.room("r2");
    const history = serverInfo.features.includes(Feature.MESSAGE_HISTORY);
    const requests: [string, RequestInput][] = [
      ["alice", { case: "ping", value: {} }],
      ["alice", { case: "createRoom", value: { roomInfo: { roomId: r1 } } }],
      ["bob", { case: "joinRoom", value: { roomId: r1 } }],
      ["bob", { case: "enterRoom", value: { roomInfo: { roomId: r2 } } }],
      ["bob", { case: "leaveRoom", value: { roomId: r2 } }],
      ["alice", { case: "switchRoom", value: { fromRoomId: r1, toRoomInfo: { roomId: r2 }, createIfAbsent: true } }],
      ["alice", { case: "joinRoom", value: { roomId: r1 } }],
      ["alice", { case: "queryRoomMemberList", value: { roomId: r1 } }],
      ["alice", { case: "queryRoomMembers", value: { roomId: r1, userIds: [ls.user("bob")] } }],
      ["alice", { case: "queryRoomOnlineMemberCount", value: { roomId: r1 } }],
      ["alice", { case: "setRoomAttributes", value: { roomId: r1, attributes: { a: "1" } } }],
      ["alice", { case: "deleteRoomAttributes", value: { roomId: r1, keys: ["a"] } }],
      ["alice", { case: "queryRoomAllAttributes", value: { roomId: r1 } }],
      ["alice", { case: "batchRoomAttributes", value: { roomId: r1, operations: [{ operation: { case: "set", value: { attributes: { b: "2" } } } }] } }],
      ["alice", { case: "setRoomMembersAttributes", value: { roomId: r1, userIds: [ls.user("bob")], attributes: { s: "1" } } }],
      ["alice", { case: "queryRoomMembersAttributes", value: { roomId: r1, userIds: [ls.user("bob")] } }],
      ["alice", { case: "queryRoomMemberAttributesList", value: { roomId: r1 } }],
      ["alice", { case: "sendRoomMessage", value: { roomId: r1, kind: RoomMessageKind.CUSTOM, payload: new Uint8Array([1]) } }],
      ...(history ? ([["alice", { case: "queryRoomMessageHistory", value: { roomId: r1, count: 1 } }]] as [string, RequestInput][]) : []),
      ["alice", { case: "leaveAllRooms", value: {} }],
      ["bob", { case: "logout", value: {} }],
    ];
    const loginReply = await ls.login("alice");
    expect(loginReply.result.case).toBe("login");
    await ls.login("bob");
    const seen: string[] = [];
    for (const [who, request] of requests) {
      const reply = await ls.request(who, request);
      expect(reply.result.case, `${request.case} answered with ${reply.result.case}`).toBe(request.case);
      seen.push(request.case);
    }
    // AdvanceClock is left to the test-clock suite (the clock is server-wide).
    expect(seen.length).toBe(requests.length);
  });

  // ---- Ordering -------------------------------------------------------------------------

  test("pipelined requests are handled one at a time in arrival order, exactly as if each waited for the previous reply [ORDER-2, ORDER-6]", async ({ world }) => {
    const steps: ScriptStep[] = [
      { who: "alice", frame: (s) => ({ requestId: 10, request: { case: "createRoom", value: { roomInfo: { roomId: s.room("x") } } } }) },
      { who: "alice", frame: (s) => ({ requestId: 11, request: { case: "createRoom", value: { roomInfo: { roomId: s.room("x") } } } }) },
      { who: "alice", frame: (s) => ({ requestId: 12, request: { case: "setRoomAttributes", value: { roomId: s.room("x"), attributes: { a: "1" } } } }) },
      { who: "alice", frame: (s) => ({ requestId: 13, request: { case: "joinRoom", value: { roomId: s.room("y") } } }) },
      { who: "alice", frame: (s) => ({ requestId: 14, request: { case: "setRoomAttributes", value: { roomId: s.room("y"), attributes: { b: "2" } } } }) },
      { who: "alice", frame: (s) => ({ requestId: 15, request: { case: "queryRoomMemberList", value: { roomId: s.room("y") } } }) },
      { who: "alice", frame: (s) => ({ requestId: 16, request: { case: "leaveRoom", value: { roomId: s.room("x") } } }) },
      { who: "alice", frame: (s) => ({ requestId: 17, request: { case: "joinRoom", value: { roomId: s.room("x") } } }) },
      { who: "alice", frame: (s) => ({ requestId: 18, request: { case: "enterRoom", value: { roomInfo: { roomId: s.room("x") } } } }) },
      { who: "alice", frame: (s) => ({ requestId: 19, request: { case: "switchRoom", value: { fromRoomId: s.room("x"), toRoomInfo: { roomId: s.room("z") }, createIfAbsent: true } } }) },
      { who: "alice", frame: () => ({ requestId: 20, request: { case: "leaveAllRooms", value: {} } }) },
      { who: "alice", frame: (s) => ({ requestId: 21, request: { case: "leaveRoom", value: { roomId: s.room("y") } } }) },
    ];
    const results: RunResult[] = [];
    for (const [tag, mode] of [
      ["A", "sequential"],
      ["B", "pipelined"],
    ] as const) {
      const side = new Side(world, tag);
      await side.connect(["alice", "bob"]);
      const setup = [
        { who: "alice", frame: await side.loginFrame("alice", 1).then((f) => () => f) },
        { who: "bob", frame: await side.loginFrame("bob", 1).then((f) => () => f) },
        { who: "bob", frame: (s: Side) => ({ requestId: 2, request: { case: "createRoom" as const, value: { roomInfo: { roomId: s.room("y") } } } }) },
      ];
      await runScript(side, setup, plain, "sequential");
      results.push(await runScript(side, steps, plain, mode));
    }
    const [a, b] = results as [RunResult, RunResult];
    expect(b.replies).toEqual(a.replies);
    expect(Object.fromEntries(b.events)).toEqual(Object.fromEntries(a.events));
    // Each check saw the effects of the requests before it.
    const outcome = (r: string) => (JSON.parse(r) as { error?: { code: string } }).error?.code ?? Object.keys(JSON.parse(r) as object).find((k) => k !== "requestId");
    expect(b.replies.map(outcome)).toEqual([
      "createRoom",
      "ERROR_CODE_ROOM_ALREADY_EXISTS",
      "setRoomAttributes",
      "joinRoom",
      "setRoomAttributes",
      "queryRoomMemberList",
      "leaveRoom",
      "ERROR_CODE_ROOM_NOT_FOUND",
      "enterRoom",
      "switchRoom",
      "leaveAllRooms",
      "ERROR_CODE_NOT_IN_ROOM",
    ]);
  });

  test("replies come in request order, exactly one per request (a MALFORMED_FRAME answer included) and none for anything else [ORDER-1, ORDER-3]", async ({ world }) => {
    const peer = await RawPeer.session(world, "alice");
    const room = world.roomId("r1");
    const sent: number[] = [];
    const kinds: ((id: number) => ClientFrameInit)[] = [
      (id) => ({ requestId: id, request: { case: "ping", value: {} } }),
      (id) => ({ requestId: id, request: { case: "enterRoom", value: { roomInfo: { roomId: room } } } }),
      (id) => ({ requestId: id, request: { case: "joinRoom", value: { roomId: world.roomId("absent") } } }),
      (id) => ({ requestId: id, request: { case: "setRoomAttributes", value: { roomId: room, attributes: { [`k${id % 5}`]: String(id) } } } }),
      (id) => ({ requestId: id, request: { case: "queryRoomAllAttributes", value: { roomId: room } } }),
      (id) => ({ requestId: id, request: { case: "leaveRoom", value: { roomId: room } } }),
      (id) => ({ requestId: id }),
    ];
    // A frame that is undecodable but whose request ID is readable gets one reply too.
    const malformed = (id: number): WireData =>
      world.target.encoding === "binary" ? Uint8Array.from([0x08, id, 0x52, 0x05, 0x01]) : JSON.stringify({ requestId: id, ping: "not an object" });
    for (let i = 0; i < 120; i++) {
      const id = 2 + ((i * 37) % 100); // IDs out of numeric order: replies must follow arrival order, not ID order.
      sent.push(id);
      if (i % 11 === 10) peer.sendData(malformed(id));
      else peer.send(kinds[i % kinds.length]!(id));
    }
    await peer.until("120 replies", () => peer.replies().length >= 121);
    await peer.ping(999);
    const ids = peer.replies().map((r) => r.requestId);
    expect(ids).toEqual([1, ...sent, 999]);
    expect(peer.received.filter((r) => r.frame === undefined)).toEqual([]);
  });

  test("requests are atomic: no other request's events come between a request's first effect and its reply [ORDER-4]", async ({ world, limits, skip }) => {
    if (limits.maxMembersPerRoom !== 0 && limits.maxMembersPerRoom < 3) skip(`max_members_per_room ${limits.maxMembersPerRoom}: the test needs rooms of 3`);
    const rooms = Math.min(limits.maxRoomsPerUser, 4);
    const alice = await RawPeer.session(world, "alice");
    const bob = await world.session("bob");
    const carol = await world.session("carol");
    const ids = Array.from({ length: rooms }, (_, i) => world.roomId(`r${i}`));
    for (const [i, id] of ids.entries()) {
      await alice.request({ requestId: 10 + i, request: { case: "createRoom", value: { roomInfo: { roomId: id } } } });
      await bob.call("joinRoom", { roomId: id });
      await carol.call("joinRoom", { roomId: id });
    }
    await world.quiesce();
    await alice.ping(50);
    carol.takeEvents();
    const aliceBefore = alice.frames().length;
    // bob floods the rooms with messages while alice leaves all of them in one request.
    const floods = Array.from({ length: 200 }, (_, i) =>
      bob.send({ case: "sendRoomMessage", value: { roomId: ids[i % rooms]!, kind: RoomMessageKind.CUSTOM, payload: new Uint8Array([i % 256]) } }),
    );
    await new Promise((r) => setTimeout(r, 2));
    alice.send({ requestId: 60, request: { case: "leaveAllRooms", value: {} } });
    await Promise.all(floods);
    await alice.until("the leaveAllRooms reply", () => alice.replies().some((r) => r.requestId === 60));
    await world.quiesce();
    await alice.ping(61);

    // On alice's connection, nothing comes between her first DISCONNECTED event and her reply.
    const after = alice.frames().slice(aliceBefore);
    const first = after.findIndex((f) => f.frame.case === "event" && f.frame.value.event.case === "roomStateChanged");
    const reply = after.findIndex((f) => f.frame.case === "reply" && f.frame.value.requestId === 60);
    expect(first).toBeGreaterThanOrEqual(0);
    const inside = after.slice(first, reply).map((f) => (f.frame.case === "event" ? f.frame.value.event.case : f.frame.case));
    expect(inside).toEqual(Array(rooms).fill("roomStateChanged"));
    // And no message of a room arrives after she left it.
    expect(after.slice(reply + 1).filter((f) => f.frame.case === "event")).toEqual([]);

    // On carol's connection, the MemberLeft events of that one request are contiguous.
    const carolEvents = carol.takeEvents().map((e) => e.event.event);
    const lefts = carolEvents.map((e, i) => (e.case === "roomMemberLeft" ? i : -1)).filter((i) => i >= 0);
    expect(lefts.length).toBe(rooms);
    expect(lefts.at(-1)! - lefts[0]!).toBe(rooms - 1);
    // Per room, carol saw one gapless room_seq sequence (one total order).
    for (const id of ids) {
      const seqs = carolEvents.flatMap((e) => {
        const x = roomSeqOf(e);
        return x !== undefined && x[0] === id ? [x[1]] : [];
      });
      expect(seqs.length).toBeGreaterThan(0);
      expect(seqs.slice(1)).toEqual(seqs.slice(0, -1).map((s) => s + 1n));
    }
  });

  test("a connection is first in, first out: the caller's events, then its reply, request after request [ORDER-5, VISIBILITY-1]", async ({ world }) => {
    const peer = await RawPeer.session(world, "alice");
    const [r1, r2] = [world.roomId("r1"), world.roomId("r2")];
    peer.send({ requestId: 2, request: { case: "createRoom", value: { roomInfo: { roomId: r1 } } } });
    peer.send({ requestId: 3, request: { case: "createRoom", value: { roomInfo: { roomId: r2 } } } });
    peer.send({ requestId: 4, request: { case: "switchRoom", value: { fromRoomId: r1, toRoomInfo: { roomId: world.roomId("r3") }, createIfAbsent: true } } });
    peer.send({ requestId: 5, request: { case: "leaveAllRooms", value: {} } });
    await peer.until("four replies", () => peer.replies().length === 5);
    const u = (s: string) => s.replace(`${world.prefix}.`, "");
    const trace = peer
      .frames()
      .slice(1)
      .map((f) => {
        if (f.frame.case === "reply") return `reply ${f.frame.value.requestId}`;
        const e = f.frame.value?.event;
        return e?.case === "roomStateChanged" ? `${u(e.value.roomId)} ${RoomState[e.value.state]} ${RoomStateReason[e.value.reason]}` : String(e?.case);
      });
    expect(trace).toEqual([
      "r1 CONNECTING ACTIVE_CREATE",
      "r1 CONNECTED SUCCESS",
      "reply 2",
      "r2 CONNECTING ACTIVE_CREATE",
      "r2 CONNECTED SUCCESS",
      "reply 3",
      "r3 CONNECTING ACTIVE_SWITCH",
      "r3 CONNECTED SUCCESS",
      "r1 DISCONNECTED SUCCESS",
      "reply 4",
      "r2 DISCONNECTED SUCCESS",
      "r3 DISCONNECTED SUCCESS",
      "reply 5",
    ]);
  });

  test("once a request's reply has arrived, a Ping on any other member returns only after that request's events for it [VISIBILITY-2, VISIBILITY-1, ORDER-5]", async ({ world, limits, skip }) => {
    if (limits.maxMembersPerRoom !== 0 && limits.maxMembersPerRoom < 4) skip(`max_members_per_room ${limits.maxMembersPerRoom}: the test needs a room of 4`);
    const alice = await world.session("alice");
    const others = [await world.session("bob"), await world.session("carol"), await world.session("dave")];
    const room = world.roomId("r1");
    await alice.call("createRoom", { roomInfo: { roomId: room } });
    for (const o of others) await o.call("joinRoom", { roomId: room });
    await world.quiesce();
    for (const s of [alice, ...others]) s.takeEvents();
    for (let i = 0; i < 30; i++) {
      // No barrier on alice's side: the reply alone must order what the others' Pings see.
      const reply = await alice.call("sendRoomMessage", { roomId: room, kind: RoomMessageKind.CUSTOM, payload: new Uint8Array([i]) });
      const seq = reply.message!.roomSeq;
      await Promise.all(others.map((o) => o.ping()));
      for (const o of others) {
        const got = o.takeEvents().map((e) => e.event.event);
        expect(got.map((e) => e.case === "roomMessageReceived" && e.value.roomSeq), `${o.label} after Ping #${i}`).toEqual([seq]);
      }
      // An attribute change: every member, the caller included, gets the event before the reply.
      const set = await alice.exchange({ case: "setRoomAttributes", value: { roomId: room, attributes: { n: String(i) } } });
      const own = alice.takeEvents();
      expect(own.map((e) => e.event.event.case)).toEqual(["roomAttributesUpdated"]);
      expect(own[0]!.at).toBeLessThanOrEqual(set.repliedAt);
      await Promise.all(others.map((o) => o.ping()));
      for (const o of others) expect(o.takeEvents().map((e) => e.event.event.case)).toEqual(["roomAttributesUpdated"]);
    }
  });

  // ---- The common check order ---------------------------------------------------------------

  test("Ping is answered before login, and leaves the connection not logged in [PING-1, REQUEST-AUTH-1]", async ({ ls }) => {
    await ls.connect("alice");
    const reply = await ls.request("alice", { case: "ping", value: {} });
    expect(reply.result.case).toBe("ping");
    const after = await ls.request("alice", { case: "leaveAllRooms", value: {} });
    expect(after.result).toMatchObject({ case: "error", value: { code: ErrorCode.UNAUTHENTICATED } });
    await ls.login("alice");
    expect((await ls.request("alice", { case: "leaveAllRooms", value: {} })).result.case).toBe("leaveAllRooms");
  });

  test("a request needing an unadvertised feature fails FEATURE_NOT_SUPPORTED even with invalid arguments [REQUEST-CHECK-4]", async ({ ls, serverInfo, skip }) => {
    const cases: [Feature, RequestInput][] = [
      [Feature.TEST_CLOCK, { case: "advanceClock", value: { advanceMs: 0 } }],
      [Feature.MESSAGE_HISTORY, { case: "queryRoomMessageHistory", value: { roomId: "", count: 0 } }],
    ];
    const applicable = cases.filter(([f]) => !serverInfo.features.includes(f));
    if (applicable.length === 0) skip("the server advertises FEATURE_TEST_CLOCK and FEATURE_MESSAGE_HISTORY: no request kind needs an unadvertised feature");
    await ls.login("alice");
    for (const [, request] of applicable) {
      const reply = await ls.request("alice", request);
      expect(reply.result).toMatchObject({ case: "error", value: { code: ErrorCode.FEATURE_NOT_SUPPORTED } });
    }
  }, { target: "constrained" });

  test("argument validation never depends on state: an invalid argument wins over every state error [REQUEST-CHECK-5]", async ({ ls, limits }) => {
    await ls.login("alice");
    await ls.login("bob");
    const mine = ls.room("mine");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: mine } } });
    const tooLongName = "n".repeat(limits.maxRoomNameBytes + 1);
    const cases: [string, RequestInput, string][] = [
      // The room exists (ROOM_ALREADY_EXISTS otherwise) but the name is invalid.
      ["alice", { case: "createRoom", value: { roomInfo: { roomId: mine, roomName: tooLongName } } }, "room_info.room_name"],
      // Already a member (ALREADY_IN_ROOM otherwise), bad history_count.
      ["alice", { case: "joinRoom", value: { roomId: mine, historyCount: limits.maxHistoryCount + 1 } }, "history_count"],
      // Room absent (ROOM_NOT_FOUND otherwise), bad kind.
      ["bob", { case: "sendRoomMessage", value: { roomId: ls.room("absent"), kind: RoomMessageKind.UNSPECIFIED } }, "kind"],
      // Not a member (NOT_IN_ROOM otherwise), empty attributes.
      ["bob", { case: "setRoomAttributes", value: { roomId: mine, attributes: {} } }, "attributes"],
      // Not a member, bad page size.
      ["bob", { case: "queryRoomMemberList", value: { roomId: mine, count: limits.maxPageSize + 1 } }, "count"],
      // Switch from a room bob is not in to itself: the invalid config is reported first.
      ["bob", { case: "switchRoom", value: { fromRoomId: mine, toRoomInfo: { roomId: mine }, config: { roomDestroyDelaySeconds: limits.maxRoomDestroyDelaySeconds + 1 } } }, "config.room_destroy_delay_seconds"],
      // Leaving a room one is not in, with an invalid ID.
      ["bob", { case: "leaveRoom", value: { roomId: `${mine}/` } }, "room_id"],
    ];
    for (const [who, request, field] of cases) {
      const reply = await ls.request(who, request);
      const r = reply.result;
      // history_count > 0 without the feature is refused as FEATURE_NOT_SUPPORTED, itself an argument check (JOIN-VALID-2).
      if (field === "history_count" && limits.maxHistoryCount === 0) expect(r).toMatchObject({ case: "error", value: { code: ErrorCode.FEATURE_NOT_SUPPORTED } });
      else expect(r, `${request.case}`).toMatchObject({ case: "error", value: { code: ErrorCode.INVALID_ARGUMENT, detail: { field } } });
    }
    // At the room limit, a create with an invalid delay still fails on the delay (when the limit is cheap to reach).
    if (limits.maxRoomsPerUser > 100) return;
    for (let i = 1; i < limits.maxRoomsPerUser; i++) await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room(`cap${i}`) } } });
    const capped = await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("over") }, config: { roomDestroyDelaySeconds: limits.maxRoomDestroyDelaySeconds + 1 } } });
    expect(capped.result).toMatchObject({ case: "error", value: { code: ErrorCode.INVALID_ARGUMENT, detail: { field: "config.room_destroy_delay_seconds" } } });
  });
});
