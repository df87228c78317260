// Bad input of every kind: handshakes without an OpenRoom subprotocol, frames
// too large, of the wrong type, undecodable (with and without a readable
// request ID), of unknown kinds, with request_id 0, requests before login,
// random bytes and random JSON; after each, the server still serves every
// other session: spec/transport.md (frames, close codes), spec/errors.md.
import { create, fromJson, toBinary, type JsonValue } from "@bufbuild/protobuf";
import fc from "fast-check";
import { expect } from "vitest";
import {
  ClientFrameSchema,
  ErrorCode,
  RoomMessageKind,
  SUBPROTOCOLS,
  encodeClientFrame,
  type Encoding,
  type Reply,
  type WireData,
} from "../../protocol/index.js";
import type { Lockstep } from "../driver/lockstep.js";
import { conformanceSuite } from "../driver/suite.js";
import { HarnessError, SessionClosedError, rawConnect, type RequestInput, type Session } from "../harness/index.js";

const utf8 = new TextEncoder();
const byteLength = (d: WireData) => (typeof d === "string" ? utf8.encode(d).byteLength : d.byteLength);

/**
 * Two logged-in sessions sharing a room, set up before the bad input; the
 * returned check proves afterwards that they were neither closed nor sent
 * anything (the lockstep compares every session's events and closes with
 * the model at each action) and that both still work [FRAME-ROBUST-1].
 */
async function bystanders(ls: Lockstep): Promise<() => Promise<void>> {
  await ls.login("by1");
  await ls.login("by2");
  const room = ls.room("by-room");
  await ls.request("by1", { case: "createRoom", value: { roomInfo: { roomId: room } } });
  await ls.request("by2", { case: "joinRoom", value: { roomId: room } });
  return async () => {
    await ls.request("by1", { case: "sendRoomMessage", value: { roomId: room, kind: RoomMessageKind.CUSTOM, payload: new Uint8Array([7]) } });
    expect(ls.events("by2").map((e) => e.event.case)).toEqual(["roomMessageReceived"]);
    await ls.request("by2", { case: "setRoomAttributes", value: { roomId: room, attributes: { still: "here" } } });
    expect(ls.events("by1").map((e) => e.event.case)).toEqual(["roomAttributesUpdated"]);
    expect([ls.session("by1").isOpen, ls.session("by2").isOpen]).toEqual([true, true]);
  };
}

/**
 * After the server closed `label`'s logged-in connection: waits until the
 * witness has seen `label` leave (a server learns of its own close
 * asynchronously, and the Ping barrier covers a disconnect only once
 * something after it was observed), then lets the lockstep check the leave.
 */
async function disconnectSeenBy(ls: Lockstep, label: string, witness: string | undefined): Promise<void> {
  if (witness !== undefined) {
    const user = ls.user(label);
    await ls.session(witness).waitForEvent(`${label} leaving`, (e) => e.event.event.case === "roomMemberLeft" && e.event.event.value.members.some((m) => m.userId === user));
  }
  await ls.disconnect(label);
}

/** A valid frame of `encoding` (for the wrong-type and pipelined-after-close cases). */
function frameOf(encoding: Encoding, requestId: number, request: RequestInput): WireData {
  return encodeClientFrame(create(ClientFrameSchema, { requestId, request }), encoding);
}

/**
 * A Login frame of exactly `size` bytes, padded through its token. In JSON
 * the padding is `pad` (a multi-byte character, so bytes and characters
 * differ); undefined if that size cannot be reached.
 */
function loginFrameOfSize(encoding: Encoding, requestId: number, userId: string, size: number, pad = "€"): WireData | undefined {
  if (encoding === "binary") {
    const frame = (k: number, n: number) =>
      toBinary(ClientFrameSchema, create(ClientFrameSchema, { requestId, request: { case: "login", value: { userId, userName: "n".repeat(n), token: "t".repeat(k) } } }));
    const base = frame(0, 0).byteLength;
    for (let n = 0; n < 4; n++) {
      for (let k = Math.max(0, size - base - 8); k <= size - base; k++) {
        const f = frame(k, n);
        if (f.byteLength === size) return f;
      }
    }
    return undefined;
  }
  const text = (token: string) => JSON.stringify({ requestId, login: { userId, token } });
  const room = size - byteLength(text(""));
  if (room < 0) return undefined;
  const b = byteLength(pad);
  const out = text(pad.repeat(Math.floor(room / b)) + "t".repeat(room % b));
  return byteLength(out) === size ? out : undefined;
}

/** Sends `data` and resolves with the reply, or with the close if the server closes instead. */
async function replyOrClose(session: Session, data: WireData): Promise<{ reply: Reply } | { closed: number }> {
  try {
    return { reply: await session.sendRawForReply(data) };
  } catch (e) {
    if (e instanceof SessionClosedError) return { closed: e.code };
    throw e;
  }
}

/**
 * The request ID of an undecodable message as transport.md defines
 * "readable": binary, the last varint field 1 read before the first field
 * that cannot be read completely (mod 2^32); JSON, `requestId` (else
 * `request_id`) as an integer 0..2^32-1, a number or a string of digits.
 */
function readableRequestId(data: WireData): number | undefined {
  if (typeof data === "string") {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return undefined;
    }
    if (json === null || typeof json !== "object" || Array.isArray(json)) return undefined;
    const o = json as Record<string, unknown>;
    const raw = "requestId" in o ? o["requestId"] : o["request_id"];
    const n = typeof raw === "string" && /^[0-9]+$/.test(raw) ? Number(raw) : raw;
    return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n : undefined;
  }
  let pos = 0;
  let found: number | undefined;
  const varint = (): bigint | undefined => {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= data.length) return undefined;
      const b = data[pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
    return undefined;
  };
  for (;;) {
    if (pos >= data.length) return found;
    const tag = varint();
    if (tag === undefined) return found;
    const field = tag >> 3n;
    const wire = Number(tag & 7n);
    if (field === 0n) return found;
    if (wire === 0) {
      const v = varint();
      if (v === undefined) return found;
      if (field === 1n) found = Number(v & 0xffffffffn);
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > data.length) return found;
      pos += n;
    } else if (wire === 2) {
      const len = varint();
      if (len === undefined || BigInt(pos) + len > BigInt(data.length)) return found;
      pos += Number(len);
    } else {
      // Groups and the invalid wire types 6 and 7: not read completely here.
      return found;
    }
  }
}

const bytes = (...b: number[]) => Uint8Array.from(b);

/** Undecodable messages whose request ID is readable, per encoding: [what, message, the ID]. */
const READABLE: Record<Encoding, [string, WireData, number][]> = {
  binary: [
    ["a nested message cut short", bytes(0x08, 0x2a, 0x52, 0x05, 0x01), 42],
    ["the last of two request_id fields", bytes(0x08, 0x05, 0x08, 0x07, 0x52, 0x05, 0x01), 7],
    ["a request_id above 2^32, taken modulo 2^32", bytes(0x08, 0x85, 0x80, 0x80, 0x80, 0x10, 0x52, 0x05, 0x01), 5],
    ["a readable request_id 0", bytes(0x08, 0x00, 0x52, 0x05, 0x01), 0],
    ["a ping, then a tag cut short", bytes(0x08, 0x09, 0x62, 0x00, 0xff), 9],
    ["an invalid wire type after the ID", bytes(0x08, 0x0b, 0x0e), 11],
    ["a length beyond the end after the ID", bytes(0x08, 0x0c, 0x62, 0x7f, 0x00), 12],
  ],
  json: [
    ["a request that is not an object", JSON.stringify({ requestId: 21, ping: "x" }), 21],
    ["request_id as a string of digits, a field of the wrong type", JSON.stringify({ request_id: "22", createRoom: { roomInfo: { roomId: 5 } } }), 22],
    ["requestId wins over request_id", JSON.stringify({ requestId: 23, request_id: 99, ping: [] }), 23],
    ["a negative uint32", JSON.stringify({ requestId: "24", joinRoom: { historyCount: -1 } }), 24],
    ["a fractional uint32", JSON.stringify({ requestId: 25, joinRoom: { historyCount: 1.5 } }), 25],
    ["a map value that is not a string", JSON.stringify({ requestId: 26, setRoomAttributes: { roomId: "r", attributes: { a: 1 } } }), 26],
    ["an enum given as an object", JSON.stringify({ requestId: 27, sendRoomMessage: { roomId: "r", kind: { x: 1 } } }), 27],
    ["a readable requestId 0", JSON.stringify({ requestId: 0, ping: 1 }), 0],
    ["the largest requestId", JSON.stringify({ requestId: 4294967295, ping: 1 }), 4294967295],
  ],
};

/** Undecodable messages whose request ID cannot be read, per encoding. */
const UNREADABLE: Record<Encoding, [string, WireData][]> = {
  binary: [
    ["a tag cut short", bytes(0xff)],
    ["damage before any request_id", bytes(0x52, 0x05, 0x0a)],
    ["a request_id field without its value", bytes(0x08)],
    ["request_id with the wrong wire type, then damage", bytes(0x0a, 0x01, 0x05, 0xff)],
    ["a request_id hidden inside a length that runs past the end", bytes(0x62, 0x00, 0x52, 0x7f, 0x08, 0x05)],
  ],
  json: [
    ["text that is not JSON", "hello, server"],
    ["an empty text message", ""],
    ["a JSON array", "[1, 2, 3]"],
    ["a JSON string", '"ping"'],
    ["a JSON number", "42"],
    ["JSON null", "null"],
    ["no requestId", JSON.stringify({ ping: 5 })],
    ["a negative requestId", JSON.stringify({ requestId: -1, ping: 5 })],
    ["a requestId above 2^32-1", JSON.stringify({ requestId: 4294967296, ping: 5 })],
    ["a fractional requestId", JSON.stringify({ requestId: 1.5, ping: 5 })],
    ["a requestId string that is not digits", JSON.stringify({ requestId: "12a", ping: 5 })],
    ["a boolean requestId", JSON.stringify({ requestId: true, ping: 5 })],
    ["JSON cut short", '{"requestId": 5, "ping": {'],
  ],
};

/** Request kinds and arguments a random JSON frame may name (never logout or AdvanceClock: the clock is server-wide). */
const FUZZ_KINDS = [
  "login",
  "ping",
  "createRoom",
  "joinRoom",
  "enterRoom",
  "switchRoom",
  "leaveRoom",
  "leaveAllRooms",
  "queryRoomMemberList",
  "queryRoomMembers",
  "queryRoomOnlineMemberCount",
  "setRoomAttributes",
  "deleteRoomAttributes",
  "queryRoomAllAttributes",
  "batchRoomAttributes",
  "setRoomMembersAttributes",
  "queryRoomMembersAttributes",
  "queryRoomMemberAttributesList",
  "sendRoomMessage",
  "queryRoomMessageHistory",
  "someFutureRequest",
];

/** What a server may answer to anything a client sends: a defined code, never INTERNAL, never the reserved FRAME_TOO_LARGE. */
function expectSaneReply(reply: Reply, what: string): void {
  if (reply.result.case !== "error") return;
  const code = reply.result.value.code;
  expect(ErrorCode[code], `${what}: code ${code}`).toBeDefined();
  expect([ErrorCode.UNSPECIFIED, ErrorCode.INTERNAL, ErrorCode.FRAME_TOO_LARGE], what).not.toContain(code);
}

conformanceSuite("robustness", (test) => {
  // ---- Handshakes ----------------------------------------------------------------------

  test("a handshake offering openroom.v1 but not openroom.v1.json gets openroom.v1 [WS-SUBPROTOCOL-1]", async ({ world }) => {
    for (const offer of [["openroom.v1"], ["chat", "openroom.v1"], ["openroom.v1", "openroom.v2"]]) {
      const s = await world.connect(`b-${offer.length}-${offer[0]}`, { protocols: offer });
      expect(s.protocol, offer.join(",")).toBe(SUBPROTOCOLS.binary);
      await s.ping();
    }
  });

  test("a handshake offering openroom.v1.json but not openroom.v1 gets openroom.v1.json [WS-SUBPROTOCOL-2]", async ({ world }) => {
    for (const offer of [["openroom.v1.json"], ["chat", "openroom.v1.json"], ["openroom.v1.json", "openroom.v1.xml"]]) {
      const s = await world.connect(`j-${offer.length}-${offer[0]}`, { protocols: offer });
      expect(s.protocol, offer.join(",")).toBe(SUBPROTOCOLS.json);
      await s.ping();
    }
  });

  test("a handshake offering both gets the one the client lists first; other names are ignored [WS-SUBPROTOCOL-3]", async ({ world }) => {
    const cases: [string[], string][] = [
      [["openroom.v1", "openroom.v1.json"], SUBPROTOCOLS.binary],
      [["openroom.v1.json", "openroom.v1"], SUBPROTOCOLS.json],
      [["chat", "openroom.v1.json", "superchat", "openroom.v1"], SUBPROTOCOLS.json],
      [["openroom.v2", "openroom.v1", "x-openroom", "openroom.v1.json"], SUBPROTOCOLS.binary],
    ];
    for (const [i, [offer, chosen]] of cases.entries()) {
      const s = await world.connect(`both${i}`, { protocols: offer });
      expect(s.protocol, offer.join(",")).toBe(chosen);
      // The connection speaks the chosen encoding.
      await s.ping();
    }
  });

  test("a handshake offering neither subprotocol is refused with HTTP 400, and other sessions carry on [WS-SUBPROTOCOL-4, FRAME-ROBUST-1]", async ({ ls, world }) => {
    const check = await bystanders(ls);
    for (const offer of [[], ["chat"], ["openroom.v2", "openroom"], ["openroom.v1.xml", "openroom.json"]]) {
      const r = await rawConnect(world.target.url, offer, world.timeouts.connect);
      if (r.outcome === "open") r.socket.terminate();
      expect(r.outcome === "refused" ? r.status : r.outcome, `offering [${offer.join(", ")}]`).toBe(400);
    }
    await check();
  });

  // ---- Size -----------------------------------------------------------------------------

  test("a message of exactly max_frame_bytes is not refused for its size [FRAME-SIZE-2, LIMIT-EXACT-1]", async ({ ls, limits, encoding }) => {
    const check = await bystanders(ls);
    const s = await ls.connect("big");
    const frame = loginFrameOfSize(encoding, 31, ls.user("big"), limits.maxFrameBytes);
    if (frame === undefined) throw new HarnessError(`cannot build a frame of ${limits.maxFrameBytes} bytes`);
    expect(byteLength(frame)).toBe(limits.maxFrameBytes);
    const reply = await s.sendRawForReply(frame);
    // The token is garbage, so Login fails on it: the frame was read and handled.
    expect(reply.requestId).toBe(31);
    expect(reply.result).toMatchObject({ case: "error", value: { code: ErrorCode.INVALID_TOKEN } });
    await ls.request("big", { case: "ping", value: {} });
    await check();
  });

  for (const loggedIn of [true, false]) {
    test(`a message one byte over max_frame_bytes closes the connection with 1009, with no reply and nothing handled after it${loggedIn ? "" : " (before login)"} [FRAME-SIZE-1, ERROR-FRAME-1, CLOSE-CODES-1, CLOSE-AFTER-1, FRAME-ROBUST-1, TEXT-1]`, async ({ ls, limits, encoding }) => {
      const check = await bystanders(ls);
      if (loggedIn) {
        await ls.login("alice");
        await ls.login("bob");
        await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r1") } } });
        await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
      } else {
        await ls.connect("alice");
        await ls.login("bob");
      }
      const s = ls.session("alice");
      // In JSON the padding is 3-byte characters: a server counting characters would let it through.
      const big = loginFrameOfSize(encoding, 41, ls.user("alice"), limits.maxFrameBytes + 1);
      if (big === undefined) throw new HarnessError(`cannot build a frame of ${limits.maxFrameBytes + 1} bytes`);
      s.sendRaw(big);
      // Pipelined behind it: must not be handled (CLOSE-AFTER-1); a reply would be a stray reply (a violation).
      s.sendRaw(frameOf(encoding, 42, { case: "createRoom", value: { roomInfo: { roomId: ls.room("after-close") } } }));
      const close = await s.waitClosed();
      expect(close.code).toBe(1009);
      expect(s.strayReplies).toEqual([]);
      // The close ends the session as a disconnect: bob sees alice leave (the model predicts it).
      await disconnectSeenBy(ls, "alice", loggedIn ? "bob" : undefined);
      if (loggedIn) expect(ls.events("bob").map((e) => e.event.case)).toEqual(["roomMemberLeft"]);
      const join = await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("after-close") } });
      expect(join.result).toMatchObject({ case: "error", value: { code: ErrorCode.ROOM_NOT_FOUND } });
      await check();
    });
  }

  // ---- Wrong frame type ---------------------------------------------------------------------

  /** A well-formed frame of the other encoding (only its message type is wrong), then a request that must not be handled. */
  async function wrongType(ls: Lockstep, encoding: Encoding): Promise<void> {
    const check = await bystanders(ls);
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r1") } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    const s = ls.session("alice");
    const other: Encoding = encoding === "binary" ? "json" : "binary";
    s.sendRaw(frameOf(other, 51, { case: "ping", value: {} }));
    s.sendRaw(frameOf(encoding, 52, { case: "createRoom", value: { roomInfo: { roomId: ls.room("after-close") } } }));
    expect((await s.waitClosed()).code).toBe(1003);
    expect(s.strayReplies).toEqual([]);
    await disconnectSeenBy(ls, "alice", "bob");
    expect(ls.events("bob").map((e) => e.event.case)).toEqual(["roomMemberLeft"]);
    const join = await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("after-close") } });
    expect(join.result).toMatchObject({ case: "error", value: { code: ErrorCode.ROOM_NOT_FOUND } });
    await check();
  }

  test("a text message on openroom.v1 closes the connection with 1003, with no reply and nothing handled after it [FRAME-WRONGTYPE-1, CLOSE-CODES-1, CLOSE-AFTER-1, FRAME-ROBUST-1]", async ({ ls, encoding, skip }) => {
    await wrongType(ls, encoding);
  }, { encodings: ["binary"] });

  test("a binary message on openroom.v1.json closes the connection with 1003, with no reply and nothing handled after it [FRAME-WRONGTYPE-2, CLOSE-CODES-1, CLOSE-AFTER-1, FRAME-ROBUST-1]", async ({ ls, encoding, skip }) => {
    await wrongType(ls, encoding);
  }, { encodings: ["json"] });

  // ---- Undecodable messages -------------------------------------------------------------------

  test("an undecodable message with a readable request ID gets MALFORMED_FRAME under that ID and has no other effect [FRAME-DECODE-1, FRAME-DECODE-4, ORDER-1, FRAME-ROBUST-1]", async ({ ls, encoding }) => {
    const check = await bystanders(ls);
    await ls.login("alice");
    await ls.login("bob");
    const room = ls.room("r1");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: room } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: room } });
    const s = ls.session("alice");
    for (const [what, data, id] of READABLE[encoding]) {
      expect(readableRequestId(data), `test data: ${what}`).toBe(id);
      const reply = await s.sendRawForReply(data);
      expect(reply.requestId, what).toBe(id);
      expect(reply.result, what).toMatchObject({ case: "error", value: { code: ErrorCode.MALFORMED_FRAME } });
    }
    // Still logged in, still in the room, nothing sent to anyone (the lockstep checks bob's events).
    await ls.request("alice", { case: "setRoomAttributes", value: { roomId: room, attributes: { after: "malformed" } } });
    expect(ls.events("bob").map((e) => e.event.case)).toEqual(["roomAttributesUpdated"]);
    const members = await ls.request("alice", { case: "queryRoomMemberList", value: { roomId: room } });
    expect(members.result.case === "queryRoomMemberList" && members.result.value.members.map((m) => m.userId)).toEqual([ls.user("alice"), ls.user("bob")]);
    await check();
  });

  test("a binary message with a string that is not valid UTF-8 is undecodable: MALFORMED_FRAME, no effect [FRAME-DECODE-3, FRAME-DECODE-1, FRAME-DECODE-4]", async ({ ls, encoding, skip }) => {
    await ls.connect("anon");
    await ls.login("alice");
    await ls.login("bob");
    const room = ls.room("r1");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: room } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: room } });
    const valid = (requestId: number, request: RequestInput) => frameOf("binary", requestId, request) as Uint8Array;
    /** Replaces the bytes of `marker` (ASCII) in a valid frame by bytes that are not UTF-8 of the same length. */
    const corrupt = (frame: Uint8Array, marker: string): Uint8Array => {
      const m = utf8.encode(marker);
      const at = Buffer.from(frame).indexOf(Buffer.from(m));
      if (at < 0) throw new HarnessError(`marker ${marker} not in frame`);
      const out = Uint8Array.from(frame);
      out.set([0xc3, 0x28, 0xff, 0xfe].slice(0, m.length), at);
      return out;
    };
    const cases: [string, Session, Uint8Array, number][] = [
      ["a Login user_id", ls.session("anon"), corrupt(valid(61, { case: "login", value: { userId: "XXXX", token: "t" } }), "XXXX"), 61],
      ["an attribute key", ls.session("alice"), corrupt(valid(62, { case: "setRoomAttributes", value: { roomId: room, attributes: { QQQQ: "v" } } }), "QQQQ"), 62],
      ["an attribute value", ls.session("alice"), corrupt(valid(63, { case: "setRoomAttributes", value: { roomId: room, attributes: { k: "VVVV" } } }), "VVVV"), 63],
      ["a room name", ls.session("alice"), corrupt(valid(64, { case: "createRoom", value: { roomInfo: { roomId: ls.room("r2"), roomName: "NNNN" } } }), "NNNN"), 64],
    ];
    for (const [what, session, data, id] of cases) {
      const reply = await session.sendRawForReply(data);
      expect(reply.requestId, what).toBe(id);
      expect(reply.result, what).toMatchObject({ case: "error", value: { code: ErrorCode.MALFORMED_FRAME } });
    }
    // Nothing happened: anon is not logged in, no attribute set, no room r2 (the lockstep checks events too).
    const anon = await ls.request("anon", { case: "leaveAllRooms", value: {} });
    expect(anon.result).toMatchObject({ case: "error", value: { code: ErrorCode.UNAUTHENTICATED } });
    const attrs = await ls.request("alice", { case: "queryRoomAllAttributes", value: { roomId: room } });
    expect(attrs.result.case === "queryRoomAllAttributes" && attrs.result.value.attributes).toEqual({});
    const r2 = await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r2") } });
    expect(r2.result).toMatchObject({ case: "error", value: { code: ErrorCode.ROOM_NOT_FOUND } });
  }, { encodings: ["binary"] });

  test("a JSON frame setting two members of a oneof is undecodable: MALFORMED_FRAME, no effect [FRAME-JSON-3, FRAME-DECODE-1, FRAME-DECODE-4]", async ({ ls, encoding, skip }) => {
    await ls.login("alice");
    await ls.login("bob");
    const room = ls.room("r1");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: room } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: room } });
    const s = ls.session("alice");
    const cases: [string, string, number][] = [
      ["two requests", JSON.stringify({ requestId: 71, setRoomAttributes: { roomId: room, attributes: { a: "1" } }, leaveAllRooms: {} }), 71],
      ["two requests, snake_case", JSON.stringify({ request_id: 72, leave_room: { room_id: room }, ping: {} }), 72],
      [
        "a batch operation that is both set and delete",
        JSON.stringify({ requestId: 73, batchRoomAttributes: { roomId: room, operations: [{ set: { attributes: { a: "1" } }, delete: { keys: ["a"] } }] } }),
        73,
      ],
    ];
    for (const [what, data, id] of cases) {
      const reply = await s.sendRawForReply(data);
      expect(reply.requestId, what).toBe(id);
      expect(reply.result, what).toMatchObject({ case: "error", value: { code: ErrorCode.MALFORMED_FRAME } });
    }
    // alice is still in the room with no attribute set (and bob got nothing).
    const attrs = await ls.request("alice", { case: "queryRoomAllAttributes", value: { roomId: room } });
    expect(attrs.result.case === "queryRoomAllAttributes" && attrs.result.value.attributes).toEqual({});
  }, { encodings: ["json"] });

  test("an undecodable message without a readable request ID closes the connection with 1007, with no reply and nothing handled after it [FRAME-DECODE-2, CLOSE-CODES-1, CLOSE-AFTER-1, FRAME-ROBUST-1]", async ({ ls, encoding }) => {
    const check = await bystanders(ls);
    await ls.login("bob");
    const cases = UNREADABLE[encoding];
    for (const [i, [what, data]] of cases.entries()) {
      expect(readableRequestId(data), `test data: ${what}`).toBeUndefined();
      const label = `c${i}`;
      // Half the cases on a logged-in session in a room with bob (its close is a disconnect bob sees), half before login.
      const loggedIn = i % 2 === 0;
      const room = ls.room(`room${i}`);
      if (loggedIn) {
        await ls.login(label);
        await ls.request(label, { case: "createRoom", value: { roomInfo: { roomId: room } } });
        await ls.request("bob", { case: "joinRoom", value: { roomId: room } });
      } else {
        await ls.connect(label);
      }
      const s = ls.session(label);
      s.sendRaw(data);
      s.sendRaw(frameOf(encoding, 81, { case: "createRoom", value: { roomInfo: { roomId: ls.room(`after${i}`) } } }));
      expect((await s.waitClosed()).code, what).toBe(1007);
      expect(s.strayReplies, what).toEqual([]);
      await disconnectSeenBy(ls, label, loggedIn ? "bob" : undefined);
      if (loggedIn) await ls.request("bob", { case: "leaveRoom", value: { roomId: room } });
    }
    for (let i = 0; i < cases.length; i++) {
      const join = await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room(`after${i}`) } });
      expect(join.result).toMatchObject({ case: "error", value: { code: ErrorCode.ROOM_NOT_FOUND } });
    }
    await check();
  });

  // ---- Decodable but unusable --------------------------------------------------------------------

  test("a frame with no request, or only a request kind the server does not know, gets UNSUPPORTED_REQUEST under its ID, logged in or not [FRAME-EMPTY-1, REQUEST-CHECK-2]", async ({ ls, encoding }) => {
    await ls.connect("anon");
    await ls.login("alice");
    await ls.login("bob");
    const room = ls.room("r1");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: room } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: room } });
    const unknownKind: [string, WireData, number][] =
      encoding === "binary"
        ? [
            ["no request at all", bytes(0x08, 0x05), 5],
            ["a request of field number 99 (a future kind)", bytes(0x08, 0x06, 0x9a, 0x06, 0x02, 0x08, 0x01), 6],
            ["an unknown varint field 14", bytes(0x08, 0x07, 0x70, 0x01), 7],
          ]
        : [
            ["no request at all", JSON.stringify({ requestId: 5 }), 5],
            ["a future request kind", JSON.stringify({ requestId: 6, fetchTheMoon: { phase: "full" } }), 6],
            ["a future request kind, snake_case", JSON.stringify({ request_id: "7", fetch_the_moon: {} }), 7],
          ];
    for (const who of ["anon", "alice"]) {
      for (const [what, data, id] of unknownKind) {
        const reply = await ls.session(who).sendRawForReply(data);
        expect(reply.requestId, `${who}: ${what}`).toBe(id);
        expect(reply.result, `${who}: ${what}`).toMatchObject({ case: "error", value: { code: ErrorCode.UNSUPPORTED_REQUEST } });
      }
    }
    // No effect: anon still not logged in; alice still in her room; bob got nothing (lockstep).
    const anon = await ls.request("anon", { case: "leaveAllRooms", value: {} });
    expect(anon.result).toMatchObject({ case: "error", value: { code: ErrorCode.UNAUTHENTICATED } });
    await ls.request("alice", { case: "queryRoomOnlineMemberCount", value: { roomId: room } });
  });

  test("request_id 0 is refused with INVALID_ARGUMENT(request_id) under ID 0 and has no effect, also with an empty request [REQUEST-ID-2, REQUEST-CHECK-1, ERROR-FIELD-1]", async ({ ls, encoding }) => {
    await ls.connect("anon");
    await ls.login("alice");
    await ls.login("bob");
    const room = ls.room("r1");
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: room } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: room } });
    const zero: [string, RequestInput][] = [
      ["alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("r0") } } }],
      ["alice", { case: "sendRoomMessage", value: { roomId: room, kind: RoomMessageKind.CUSTOM, payload: new Uint8Array([1]) } }],
      ["alice", { case: "leaveRoom", value: { roomId: room } }],
      ["alice", { case: "logout", value: {} }],
      ["alice", { case: "ping", value: {} }],
      ["anon", { case: "login", value: { userId: ls.user("anon"), token: await ls.world.target.token.token(ls.user("anon")) } }],
    ];
    const expectZero = (reply: Reply, what: string) => {
      expect(reply.requestId, what).toBe(0);
      expect(reply.result, what).toMatchObject({ case: "error", value: { code: ErrorCode.INVALID_ARGUMENT, detail: { field: "request_id" } } });
    };
    for (const [who, request] of zero) expectZero(await ls.session(who).send(request, { requestId: 0 }), `${who}: ${request.case}`);
    // An empty message decodes to request_id 0 with no request: step 1 comes before step 2.
    const empty: WireData = encoding === "binary" ? new Uint8Array(0) : "{}";
    for (const who of ["anon", "alice"]) expectZero(await ls.session(who).sendRawForReply(empty), `${who}: empty frame`);
    // Nothing happened: alice is still in r1, logged in and connected; r0 does not exist; anon is not logged in.
    const count = await ls.request("alice", { case: "queryRoomOnlineMemberCount", value: { roomId: room } });
    expect(count.result.case === "queryRoomOnlineMemberCount" && count.result.value.count).toBe(2);
    const r0 = await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r0") } });
    expect(r0.result).toMatchObject({ case: "error", value: { code: ErrorCode.ROOM_NOT_FOUND } });
    const anon = await ls.request("anon", { case: "leaveAllRooms", value: {} });
    expect(anon.result).toMatchObject({ case: "error", value: { code: ErrorCode.UNAUTHENTICATED } });
  });

  test("before login every request but Login and Ping fails UNAUTHENTICATED and has no effect; Ping is answered [REQUEST-AUTH-1, PING-1]", async ({ ls }) => {
    await ls.login("bob");
    const bobRoom = ls.room("bobs");
    await ls.request("bob", { case: "createRoom", value: { roomInfo: { roomId: bobRoom } } });
    await ls.connect("anon");
    const r = ls.room("r1");
    const u = ls.user("bob");
    const requests: RequestInput[] = [
      { case: "logout", value: {} },
      // advance_ms 0 is invalid anyway: even a server that wrongly handled it could not move the shared clock.
      { case: "advanceClock", value: { advanceMs: 0 } },
      { case: "createRoom", value: { roomInfo: { roomId: r } } },
      { case: "joinRoom", value: { roomId: bobRoom } },
      { case: "enterRoom", value: { roomInfo: { roomId: r } } },
      { case: "switchRoom", value: { fromRoomId: bobRoom, toRoomInfo: { roomId: r }, createIfAbsent: true } },
      { case: "leaveRoom", value: { roomId: bobRoom } },
      { case: "leaveAllRooms", value: {} },
      { case: "queryRoomMemberList", value: { roomId: bobRoom } },
      { case: "queryRoomMembers", value: { roomId: bobRoom, userIds: [u] } },
      { case: "queryRoomOnlineMemberCount", value: { roomId: bobRoom } },
      { case: "setRoomAttributes", value: { roomId: bobRoom, attributes: { a: "1" } } },
      { case: "deleteRoomAttributes", value: { roomId: bobRoom, keys: ["a"] } },
      { case: "queryRoomAllAttributes", value: { roomId: bobRoom } },
      { case: "batchRoomAttributes", value: { roomId: bobRoom, operations: [{ operation: { case: "set", value: { attributes: { a: "1" } } } }] } },
      { case: "setRoomMembersAttributes", value: { roomId: bobRoom, userIds: [u], attributes: { a: "1" } } },
      { case: "queryRoomMembersAttributes", value: { roomId: bobRoom, userIds: [u] } },
      { case: "queryRoomMemberAttributesList", value: { roomId: bobRoom } },
      { case: "sendRoomMessage", value: { roomId: bobRoom, kind: RoomMessageKind.CUSTOM, payload: new Uint8Array([1]) } },
      { case: "queryRoomMessageHistory", value: { roomId: bobRoom, count: 1 } },
      // Invalid arguments too: step 3 comes before validation.
      { case: "createRoom", value: { roomInfo: { roomId: "" } } },
    ];
    for (const request of requests) {
      const reply = await ls.request("anon", request);
      expect(reply.result, request.case).toMatchObject({ case: "error", value: { code: ErrorCode.UNAUTHENTICATED } });
    }
    const ping = await ls.request("anon", { case: "ping", value: {} });
    expect(ping.result.case).toBe("ping");
    // No effect: the room was not created, bob's room has bob alone and no attribute.
    const members = await ls.request("bob", { case: "queryRoomMemberList", value: { roomId: bobRoom } });
    expect(members.result.case === "queryRoomMemberList" && members.result.value.members.map((m) => m.userId)).toEqual([u]);
    const none = await ls.request("bob", { case: "joinRoom", value: { roomId: r } });
    expect(none.result).toMatchObject({ case: "error", value: { code: ErrorCode.ROOM_NOT_FOUND } });
    // And the connection can still log in.
    await ls.login("anon");
  });

  test("after the Logout reply nothing more is handled on the connection: pipelined requests get no reply and no effect [CLOSE-AFTER-1, CLOSE-CODES-1]", async ({ world, encoding }) => {
    // Plain harness sessions: the three frames must leave back to back, which the lockstep's own pacing of a request does not promise.
    const alice = await world.session("alice");
    const bob = await world.session("bob");
    const room = world.roomId("r1");
    await alice.call("createRoom", { roomInfo: { roomId: room } });
    await bob.call("joinRoom", { roomId: room });
    await world.quiesce();
    alice.takeEvents();
    bob.takeEvents();
    const logout = alice.send({ case: "logout", value: {} });
    alice.sendRaw(frameOf(encoding, 901, { case: "createRoom", value: { roomInfo: { roomId: world.roomId("after-logout") } } }));
    alice.sendRaw(frameOf(encoding, 902, { case: "ping", value: {} }));
    const reply = await logout;
    expect(reply.result.case === "logout" && reply.result.value.roomIds).toEqual([room]);
    expect((await alice.waitClosed()).code).toBe(1000);
    expect(alice.takeEvents().map((e) => e.event.event.case)).toEqual(["roomStateChanged"]);
    await bob.ping();
    expect(alice.strayReplies).toEqual([]);
    // bob saw alice leave, and nothing else: the room created after the Logout does not exist.
    expect(bob.takeEvents().map((e) => e.event.event.case)).toEqual(["roomMemberLeft"]);
    const join = await bob.send({ case: "joinRoom", value: { roomId: world.roomId("after-logout") } });
    expect(join.result).toMatchObject({ case: "error", value: { code: ErrorCode.ROOM_NOT_FOUND } });
  });

  // ---- Random input ----------------------------------------------------------------------------------

  test("random messages before login get a sane reply or a close with 1007, never INTERNAL, and never disturb anyone else [FRAME-ROBUST-1, ERROR-INTERNAL-1, ERROR-1, ERROR-FRAME-1, CLOSE-CODES-1, FRAME-DECODE-1, FRAME-DECODE-2]", async ({ ls, world, encoding, spec }) => {
    const check = await bystanders(ls);
    const runs = spec.quick ? 15 : 60;
    const jsonFrame = fc.record({
      requestId: fc.oneof(fc.integer({ min: -2, max: 2 ** 32 + 1 }), fc.constant("17"), fc.jsonValue()),
      kind: fc.constantFrom(...FUZZ_KINDS),
      value: fc.jsonValue({ maxDepth: 3 }),
    });
    const data: fc.Arbitrary<WireData> =
      encoding === "binary"
        ? fc.uint8Array({ minLength: 0, maxLength: 96 })
        : fc.oneof(
            jsonFrame.map((f) => JSON.stringify({ requestId: f.requestId, [f.kind]: f.value })),
            fc.jsonValue().map((v) => JSON.stringify(v)),
            fc.string({ maxLength: 40 }),
          );
    let closes = 0;
    let replies = 0;
    await fc.assert(
      fc.asyncProperty(data, async (d) => {
        if (byteLength(d) > world.limits.maxFrameBytes) return;
        const s = await world.connect("fuzz");
        try {
          const outcome = await replyOrClose(s, d);
          const id = readableRequestId(d);
          if ("closed" in outcome) {
            closes++;
            // Only an unreadable, undecodable message may close the connection, and only with 1007.
            expect(outcome.closed, `closed after ${JSON.stringify(typeof d === "string" ? d : [...d])}`).toBe(1007);
            expect(id, "a readable request ID must be answered, not closed").toBeUndefined();
          } else {
            replies++;
            expectSaneReply(outcome.reply, JSON.stringify(typeof d === "string" ? d : [...d]));
            await s.ping();
          }
        } finally {
          await s.close();
        }
      }),
      { numRuns: runs, ...(spec.seed !== undefined ? { seed: spec.seed } : {}) },
    );
    expect(closes + replies).toBeGreaterThan(0);
    await check();
  });

  test("random requests from a logged-in session get exactly one sane reply each and leave other sessions alone [FRAME-ROBUST-1, ERROR-INTERNAL-1, ERROR-1, ORDER-1]", async ({ ls, world, encoding, spec }) => {
    const check = await bystanders(ls);
    const runs = spec.quick ? 15 : 50;
    const s = await world.session("fuzzer");
    const room = world.roomId("fz");
    await s.call("createRoom", { roomInfo: { roomId: room } });
    const ids = fc.constantFrom(room, world.roomId("fz2"), "", "bad id", "x".repeat(300));
    const value = fc.jsonValue({ maxDepth: 3 });
    // Random JSON shapes around real room IDs, so requests reach the state checks too.
    const requestJson = fc.record({
      kind: fc.constantFrom(...FUZZ_KINDS),
      roomId: ids,
      extra: fc.dictionary(fc.constantFrom("roomInfo", "toRoomInfo", "fromRoomId", "attributes", "keys", "userIds", "count", "historyCount", "kind", "payload", "priority", "operations", "config", "nextToken", "isForce", "createIfAbsent"), value, { maxKeys: 4 }),
    });
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(requestJson, fc.integer({ min: 1, max: 2 ** 32 - 1 }), async (r, requestId) => {
        const body = { roomId: r.roomId, ...r.extra } as Record<string, JsonValue>;
        const json = { requestId, [r.kind]: body };
        let data: WireData = JSON.stringify(json);
        if (encoding === "binary") {
          // Binary frames are the protobuf form of the random JSON when it has one.
          let frame;
          try {
            frame = fromJson(ClientFrameSchema, json, { ignoreUnknownFields: true });
          } catch {
            return;
          }
          data = toBinary(ClientFrameSchema, frame);
        }
        if (byteLength(data) > world.limits.maxFrameBytes) return;
        sent++;
        const reply = await s.sendRawForReply(data);
        const expectedId = readableRequestId(data);
        expect(reply.requestId).toBe(expectedId);
        expectSaneReply(reply, String(data));
      }),
      { numRuns: runs, ...(spec.seed !== undefined ? { seed: spec.seed } : {}) },
    );
    expect(s.isOpen).toBe(true);
    await s.ping();
    expect(s.strayReplies).toEqual([]);
    expect(sent).toBeGreaterThan(0);
    await check();
  });
});
