// Room messages and history: spec/messages.md (with the history parts of
// joinRoom, spec/rooms.md).
//
// Every step runs in lockstep with the model, which binds each server-chosen
// message_id and timestamp_ms to the first value seen and then holds the
// server to it wherever the message appears again (other members' events,
// history); the explicit assertions restate the sentence each test checks.
// The rate test goes below the model (the model does not model rates).
import { equals } from "@bufbuild/protobuf";
import fc from "fast-check";
import { expect } from "vitest";
import {
  ErrorCode,
  Feature,
  RoomMessageKind,
  RoomMessagePriority,
  RoomMessageSchema,
  type Event,
  type Reply,
  type RoomMessage,
} from "../../protocol/index.js";
import { Lockstep } from "../driver/lockstep.js";
import { lockstepProperty } from "../driver/property.js";
import { conformanceSuite } from "../driver/suite.js";
import type { Session } from "../harness/index.js";

const TEXT = RoomMessageKind.TEXT;
const CUSTOM = RoomMessageKind.CUSTOM;
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Beyond this many messages to send for one history test, the limit is "too large to reach cheaply". */
const REACHABLE_HISTORY = 500;
/** Beyond this message_rate.max_count, the rate test is too costly. */
const REACHABLE_RATE = 5000;

// ---- Helpers -------------------------------------------------------------------

function errorOf(reply: Reply | undefined): { code: string; field: string } | undefined {
  if (reply?.result.case !== "error") return undefined;
  return { code: ErrorCode[reply.result.value.code] ?? String(reply.result.value.code), field: reply.result.value.detail?.field ?? "" };
}

interface SendArgs {
  kind?: number;
  payload?: Uint8Array;
  priority?: number;
}

function send(ls: Lockstep, label: string, room: string, a: SendArgs = {}): Promise<Reply> {
  return ls.request(label, {
    case: "sendRoomMessage",
    value: { roomId: room, kind: a.kind ?? TEXT, payload: a.payload ?? utf8("hi"), priority: a.priority ?? RoomMessagePriority.UNSPECIFIED },
  });
}

function sent(ls: Lockstep): RoomMessage {
  const r = ls.reply?.result;
  if (r?.case !== "sendRoomMessage" || r.value.message === undefined) throw new Error(`expected a SendRoomMessageResponse, got ${r?.case} ${JSON.stringify(errorOf(ls.reply))}`);
  return r.value.message;
}

/** The RoomMessageReceived events of a session in the last action. */
function received(ls: Lockstep, label: string): { roomSeq: bigint; message: RoomMessage }[] {
  return ls.events(label).flatMap((e: Event) => (e.event.case === "roomMessageReceived" ? [{ roomSeq: e.event.value.roomSeq, message: e.event.value.message! }] : []));
}

function history(reply: Reply | undefined): RoomMessage[] {
  const r = reply?.result;
  if (r?.case === "queryRoomMessageHistory") return r.value.messages;
  if (r?.case === "joinRoom" || r?.case === "enterRoom") return r.value.history;
  throw new Error(`expected a reply with history, got ${r?.case} ${JSON.stringify(errorOf(reply))}`);
}

/** The two lists hold the same messages, field by field, in the same order. */
function expectSameMessages(actual: readonly RoomMessage[], expected: readonly RoomMessage[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((m, i) => expect(equals(RoomMessageSchema, m, expected[i]!), `message ${i} as delivered`).toBe(true));
}

function needMembers(ls: Lockstep, skip: (reason: string) => never, n: number): void {
  const max = ls.limits.maxMembersPerRoom;
  if (max !== 0 && max < n) skip(`max_members_per_room is ${max}; the test needs ${n} members in one room`);
}

/** Logs in `labels` (if needed) and puts them in `room` in order (the first creates it, delay 0). */
async function populate(ls: Lockstep, room: string, labels: readonly string[], delay = 0): Promise<void> {
  for (const [i, l] of labels.entries()) {
    if (!ls.state.sessions.has(l)) await ls.login(l);
    await ls.request(l, i === 0 ? { case: "createRoom", value: { roomInfo: { roomId: ls.room(room) }, config: { roomDestroyDelaySeconds: delay } } } : { case: "joinRoom", value: { roomId: ls.room(room) } });
  }
}

/** Bytes of the JSON frame carrying a payload of `n` bytes (base64) with some margin for the rest. */
function jsonFrameBytes(n: number): number {
  return Math.ceil(n / 3) * 4 + 512;
}

/** A lockstep property with a fresh world per run (driver/property.ts). */
const property = lockstepProperty;

// ---- The suite --------------------------------------------------------------------

conformanceSuite("messages", (test) => {
  // ---- sendRoomMessage validation, in order -------------------------------------------
  interface ValidationCase {
    title: string;
    /** The bracket group of requirement IDs the case checks (literal, so the traceability check sees it). */
    ids: string;
    /** The request; `r1` is alice's room. */
    args: (ls: Lockstep) => { room: string } & SendArgs;
    code: ErrorCode;
    field?: string;
    /** Payload bytes, for the JSON frame size check. */
    payloadBytes?: (ls: Lockstep) => number;
  }
  const max = (ls: Lockstep) => ls.limits.maxMessagePayloadBytes;
  const bytes = (n: number, fill = 0x61) => new Uint8Array(n).fill(fill);
  const tooLongInvalid = (n: number) => {
    const b = bytes(n);
    b[0] = 0xff;
    return b;
  };
  const validation: ValidationCase[] = [
    { title: "an empty room_id (wins over a bad kind)", ids: "[MSG-VALID-1, MSG-VALID-2]", args: () => ({ room: "", kind: RoomMessageKind.UNSPECIFIED }), code: ErrorCode.INVALID_ARGUMENT, field: "room_id" },
    { title: "a room_id outside the alphabet", ids: "[MSG-VALID-1]", args: (ls) => ({ room: `${ls.room("r1")}!` }), code: ErrorCode.INVALID_ARGUMENT, field: "room_id" },
    { title: "a room_id one byte too long", ids: "[MSG-VALID-1]", args: (ls) => ({ room: ls.world.idOfLength("long", ls.limits.maxRoomIdBytes + 1) }), code: ErrorCode.INVALID_ARGUMENT, field: "room_id" },
    { title: "kind UNSPECIFIED", ids: "[MSG-VALID-2]", args: (ls) => ({ room: ls.room("r1"), kind: RoomMessageKind.UNSPECIFIED }), code: ErrorCode.INVALID_ARGUMENT, field: "kind" },
    { title: "a kind that is not a RoomMessageKind value (wins over a bad priority)", ids: "[MSG-VALID-2, MSG-VALID-3]", args: (ls) => ({ room: ls.room("r1"), kind: 7, priority: 9 }), code: ErrorCode.INVALID_ARGUMENT, field: "kind" },
    { title: "a priority that is not a RoomMessagePriority value", ids: "[MSG-VALID-3]", args: (ls) => ({ room: ls.room("r1"), priority: 4 }), code: ErrorCode.INVALID_ARGUMENT, field: "priority" },
    { title: "a bad priority wins over a too-large payload", ids: "[MSG-VALID-3, MSG-VALID-4]", args: (ls) => ({ room: ls.room("r1"), priority: 99, payload: bytes(max(ls) + 1) }), code: ErrorCode.INVALID_ARGUMENT, field: "priority", payloadBytes: (ls) => max(ls) + 1 },
    { title: "a payload one byte over max_message_payload_bytes", ids: "[MSG-VALID-4]", args: (ls) => ({ room: ls.room("r1"), kind: CUSTOM, payload: bytes(max(ls) + 1) }), code: ErrorCode.MESSAGE_TOO_LARGE, payloadBytes: (ls) => max(ls) + 1 },
    { title: "a too-large TEXT payload that is also invalid UTF-8 (size first)", ids: "[MSG-VALID-4, MSG-VALID-5]", args: (ls) => ({ room: ls.room("r1"), kind: TEXT, payload: tooLongInvalid(max(ls) + 1) }), code: ErrorCode.MESSAGE_TOO_LARGE, payloadBytes: (ls) => max(ls) + 1 },
    { title: "a TEXT payload with a byte 0xFF", ids: "[MSG-VALID-5]", args: (ls) => ({ room: ls.room("r1"), payload: new Uint8Array([0x68, 0xff, 0x69]) }), code: ErrorCode.INVALID_ARGUMENT, field: "payload" },
    { title: "a TEXT payload with an overlong encoding (C0 80)", ids: "[MSG-VALID-5]", args: (ls) => ({ room: ls.room("r1"), payload: new Uint8Array([0xc0, 0x80]) }), code: ErrorCode.INVALID_ARGUMENT, field: "payload" },
    { title: "a TEXT payload with an encoded surrogate (ED A0 80)", ids: "[MSG-VALID-5]", args: (ls) => ({ room: ls.room("r1"), payload: new Uint8Array([0xed, 0xa0, 0x80]) }), code: ErrorCode.INVALID_ARGUMENT, field: "payload" },
    { title: "a TEXT payload with a truncated sequence (E2 82)", ids: "[MSG-VALID-5]", args: (ls) => ({ room: ls.room("r1"), payload: new Uint8Array([0x61, 0xe2, 0x82]) }), code: ErrorCode.INVALID_ARGUMENT, field: "payload" },
    { title: "a TEXT payload above U+10FFFF (F4 90 80 80)", ids: "[MSG-VALID-5]", args: (ls) => ({ room: ls.room("r1"), payload: new Uint8Array([0xf4, 0x90, 0x80, 0x80]) }), code: ErrorCode.INVALID_ARGUMENT, field: "payload" },
    { title: "a bad kind to a room that does not exist (validation first)", ids: "[MSG-VALID-2, MSG-CHECK-1]", args: (ls) => ({ room: ls.room("nowhere"), kind: RoomMessageKind.UNSPECIFIED }), code: ErrorCode.INVALID_ARGUMENT, field: "kind" },
    { title: "a too-large payload to a room the caller is not in (validation first)", ids: "[MSG-VALID-4, MSG-CHECK-2]", args: (ls) => ({ room: ls.room("other"), kind: CUSTOM, payload: bytes(max(ls) + 1) }), code: ErrorCode.MESSAGE_TOO_LARGE, payloadBytes: (ls) => max(ls) + 1 },
  ];
  for (const c of validation) {
    test(`validation: ${c.title} → ${ErrorCode[c.code]}${c.field ? `(${c.field})` : ""}; nothing delivered, room_seq unchanged ${c.ids}`, async ({ ls, skip, encoding }) => {
      needMembers(ls, skip, 2);
      const n = c.payloadBytes?.(ls) ?? 0;
      if (encoding === "json" && jsonFrameBytes(n) > ls.limits.maxFrameBytes) skip(`a ${n}-byte payload does not fit max_frame_bytes ${ls.limits.maxFrameBytes} in JSON (base64)`);
      if (encoding === "binary" && n + 256 > ls.limits.maxFrameBytes) skip(`a ${n}-byte payload does not fit max_frame_bytes ${ls.limits.maxFrameBytes}`);
      await populate(ls, "r1", ["alice", "bob"]);
      await populate(ls, "other", ["carol"]);
      const a = c.args(ls);
      await send(ls, "alice", a.room, a);
      expect(errorOf(ls.reply)).toEqual({ code: ErrorCode[c.code], field: c.field ?? expect.any(String) });
      for (const l of ["alice", "bob", "carol"]) expect(ls.events(l), `events of ${l}`).toEqual([]);
      // Nothing moved: the next message in r1 is seq 2 (create 0, bob's join 1).
      await send(ls, "alice", ls.room("r1"));
      expect(received(ls, "bob").map((r) => r.roomSeq)).toEqual([2n]);
    });
  }

  test("accepted payloads: an empty TEXT, multi-byte UTF-8 TEXT, non-UTF-8 and empty CUSTOM; kind and payload delivered exactly as sent [MSG-VALID-5, MSG-FIELDS-2, MSG-REPLY-1]", async ({ ls, skip }) => {
    needMembers(ls, skip, 2);
    await populate(ls, "r1", ["alice", "bob"]);
    const cases: { kind: number; payload: Uint8Array }[] = [
      { kind: TEXT, payload: new Uint8Array() },
      { kind: TEXT, payload: utf8("héllo wörld ✓ 😀 \u0000 end") },
      { kind: CUSTOM, payload: new Uint8Array([0xff, 0x00, 0xc0, 0x80, 0xed, 0xa0, 0x80]) },
      { kind: CUSTOM, payload: new Uint8Array() },
    ].filter((c) => c.payload.length <= ls.limits.maxMessagePayloadBytes);
    for (const c of cases) {
      await send(ls, "alice", ls.room("r1"), c);
      const msg = sent(ls);
      expect([msg.kind, [...msg.payload]]).toEqual([c.kind, [...c.payload]]);
      const got = received(ls, "bob");
      expect(got).toHaveLength(1);
      expect(equals(RoomMessageSchema, got[0]!.message, msg)).toBe(true);
    }
  });

  test("a payload of exactly max_message_payload_bytes is accepted and delivered intact (CUSTOM, and TEXT ending in a 2-byte character) [MSG-VALID-4, MSG-VALID-5, MSG-FIELDS-2]", async ({ ls, skip, encoding }) => {
    needMembers(ls, skip, 2);
    const m = ls.limits.maxMessagePayloadBytes;
    const fits = encoding === "json" ? jsonFrameBytes(m) <= ls.limits.maxFrameBytes : m + 256 <= ls.limits.maxFrameBytes;
    if (!fits) skip(`a ${m}-byte payload does not fit max_frame_bytes ${ls.limits.maxFrameBytes} in ${encoding}`);
    await populate(ls, "r1", ["alice", "bob"]);
    const text = m >= 2 ? "a".repeat(m - 2) + "é" : "a".repeat(m);
    for (const c of [{ kind: CUSTOM, payload: Uint8Array.from({ length: m }, (_, i) => (i * 7) & 0xff) }, { kind: TEXT, payload: utf8(text) }]) {
      expect(c.payload.length).toBe(m);
      await send(ls, "alice", ls.room("r1"), c);
      const msg = sent(ls);
      expect(equals(RoomMessageSchema, received(ls, "bob")[0]!.message, msg)).toBe(true);
      expect(Buffer.from(msg.payload).equals(Buffer.from(c.payload))).toBe(true);
    }
  });

  // ---- State checks -------------------------------------------------------------------
  test("a room that does not exist (never created, or destroyed) → ROOM_NOT_FOUND, nothing delivered [MSG-CHECK-1]", async ({ ls }) => {
    await populate(ls, "gone", ["alice"]);
    await ls.request("alice", { case: "leaveRoom", value: { roomId: ls.room("gone") } });
    for (const r of ["never", "gone"]) {
      await send(ls, "alice", ls.room(r));
      expect(errorOf(ls.reply)?.code).toBe("ROOM_NOT_FOUND");
      expect(ls.events("alice")).toEqual([]);
    }
  });

  test("a caller who is not a member (never was, left, or the room is destroy-pending) → NOT_IN_ROOM; the members receive nothing [MSG-CHECK-2, MSG-DELIVER-3]", async ({ ls, skip }) => {
    needMembers(ls, skip, 2);
    await populate(ls, "r1", ["alice", "carol"]);
    await ls.login("bob");
    await send(ls, "bob", ls.room("r1"));
    expect(errorOf(ls.reply)?.code).toBe("NOT_IN_ROOM");
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    await ls.request("bob", { case: "leaveRoom", value: { roomId: ls.room("r1") } });
    await send(ls, "bob", ls.room("r1"));
    expect(errorOf(ls.reply)?.code).toBe("NOT_IN_ROOM");
    expect([received(ls, "alice"), received(ls, "carol")]).toEqual([[], []]);
    await populate(ls, "pending", ["bob"], ls.limits.maxRoomDestroyDelaySeconds);
    await ls.request("bob", { case: "leaveRoom", value: { roomId: ls.room("pending") } });
    await send(ls, "bob", ls.room("pending"));
    expect(errorOf(ls.reply)?.code).toBe("NOT_IN_ROOM");
  });

  // ---- The message and its delivery -----------------------------------------------------
  test("every other member receives the message exactly once with room_seq = message.room_seq; never the sender, a member of another room or a former member; the reply's message is identical field by field [MSG-DELIVER-1, MSG-DELIVER-2, MSG-DELIVER-3, MSG-REPLY-1, MSG-FIELDS-2, MSG-FIELDS-5]", async ({ ls, skip }) => {
    needMembers(ls, skip, 4);
    await populate(ls, "r1", ["alice", "bob", "carol", "erin"]); // seq 3
    await ls.request("erin", { case: "leaveRoom", value: { roomId: ls.room("r1") } }); // seq 4
    await populate(ls, "r2", ["dave"]);
    await send(ls, "alice", ls.room("r1"), { payload: utf8("hello") });
    const msg = sent(ls);
    expect([msg.roomId, ls.u(msg.senderUserId), msg.kind, new TextDecoder().decode(msg.payload), msg.roomSeq]).toEqual([ls.room("r1"), "alice", TEXT, "hello", 5n]);
    for (const l of ["bob", "carol"]) {
      const got = received(ls, l);
      expect(got, `${l} receives it once`).toHaveLength(1);
      expect(got[0]!.roomSeq).toBe(msg.roomSeq);
      expect(equals(RoomMessageSchema, got[0]!.message, msg)).toBe(true);
      expect(ls.events(l)).toHaveLength(1);
    }
    for (const l of ["alice", "dave", "erin"]) expect(ls.events(l), `${l} receives nothing`).toEqual([]);
  });

  test("a member exactly once whichever way it arrived: by create, join, enter or switch [MSG-DELIVER-1]", async ({ ls, skip }) => {
    needMembers(ls, skip, 4);
    await populate(ls, "r1", ["alice", "bob", "carol"]); // alice created, bob and carol joined
    await ls.request("carol", { case: "leaveRoom", value: { roomId: ls.room("r1") } });
    await ls.request("carol", { case: "enterRoom", value: { roomInfo: { roomId: ls.room("r1") } } });
    await populate(ls, "r2", ["dave"]);
    await ls.request("dave", { case: "switchRoom", value: { fromRoomId: ls.room("r2"), toRoomInfo: { roomId: ls.room("r1") } } });
    for (const sender of ["alice", "dave"]) {
      await send(ls, sender, ls.room("r1"), { payload: utf8(`from ${sender}`) });
      const msg = sent(ls);
      for (const l of ["alice", "bob", "carol", "dave"].filter((x) => x !== sender)) {
        const got = received(ls, l);
        expect(got, `${l} receives ${sender}'s message once`).toHaveLength(1);
        expect(equals(RoomMessageSchema, got[0]!.message, msg)).toBe(true);
      }
    }
  });

  test("message_id is non-empty and differs between messages (rooms, senders, repeats of the same payload) [MSG-FIELDS-1]", async ({ ls, skip }) => {
    needMembers(ls, skip, 2);
    if (ls.limits.maxRoomsPerUser < 2) skip("max_rooms_per_user is 1: the test needs bob in two rooms");
    await populate(ls, "r1", ["alice", "bob"]);
    await populate(ls, "r2", ["bob"]);
    const ids: string[] = [];
    for (const [who, room] of [["alice", "r1"], ["bob", "r1"], ["alice", "r1"], ["bob", "r2"], ["bob", "r2"]] as const) {
      await send(ls, who, ls.room(room), { payload: utf8("same") });
      ids.push(sent(ls).messageId);
    }
    expect(ids.every((id) => id !== "")).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("timestamp_ms is the server's wall-clock time of acceptance in ms since the Unix epoch (within 5 minutes of the harness's clock, for skew) [MSG-FIELDS-4]", async ({ ls }) => {
    await populate(ls, "r1", ["alice"]);
    const skew = 5 * 60_000;
    const before = Date.now();
    await send(ls, "alice", ls.room("r1"));
    const after = Date.now();
    const ts = Number(sent(ls).timestampMs);
    expect(ts).toBeGreaterThanOrEqual(before - skew);
    expect(ts).toBeLessThanOrEqual(after + skew);
  });

  test("priority is carried (UNSPECIFIED becomes MEDIUM) and every priority is delivered the same way [MSG-FIELDS-3, MSG-PRIORITY-1, MSG-REPLY-1]", async ({ ls, skip }) => {
    needMembers(ls, skip, 3);
    await populate(ls, "r1", ["alice", "bob", "carol"]);
    const P = RoomMessagePriority;
    for (const [asked, delivered] of [[P.UNSPECIFIED, P.MEDIUM], [P.LOW, P.LOW], [P.MEDIUM, P.MEDIUM], [P.HIGH, P.HIGH]] as const) {
      for (const kind of [TEXT, CUSTOM]) {
        await send(ls, "alice", ls.room("r1"), { priority: asked, kind });
        expect(sent(ls).priority).toBe(delivered);
        for (const l of ["bob", "carol"]) {
          expect(received(ls, l).map((r) => r.message.priority)).toEqual([delivered]);
        }
      }
    }
  });

  test("messages of one room are delivered, numbered and kept in the order the server accepted them [MSG-ORDER-1, MSG-FIELDS-5]", async ({ ls, skip, serverInfo }) => {
    needMembers(ls, skip, 3);
    await populate(ls, "r1", ["alice", "bob", "carol"]); // seq 2
    const order: RoomMessage[] = [];
    for (let i = 0; i < 6; i++) {
      await send(ls, i % 2 === 0 ? "alice" : "bob", ls.room("r1"), { payload: utf8(`#${i}`) });
      order.push(sent(ls));
      expect(received(ls, "carol").map((r) => r.roomSeq)).toEqual([BigInt(3 + i)]);
    }
    expect(order.map((m) => m.roomSeq)).toEqual([3n, 4n, 5n, 6n, 7n, 8n]);
    if (serverInfo.features.includes(Feature.MESSAGE_HISTORY) && ls.limits.maxHistoryCount >= 6) {
      await ls.request("carol", { case: "queryRoomMessageHistory", value: { roomId: ls.room("r1"), count: 6 } });
      expectSameMessages(history(ls.reply), order);
    }
  });

  test("every priority counts toward message_rate alike: after max_count messages of mixed priorities in one window, one more of each priority is RATE_LIMITED [MSG-PRIORITY-1]", async ({ ls, world, skip }) => {
    const mr = ls.limits.messageRate!;
    const rr = ls.limits.requestRate!;
    if (mr.maxCount === 0) skip("message_rate.max_count is 0 (no limit): nothing to count");
    if (mr.maxCount > REACHABLE_RATE) skip(`message_rate.max_count is ${mr.maxCount}: too many messages for one window`);
    if (rr.maxCount !== 0 && rr.maxCount < mr.maxCount + 5) skip("request_rate is tighter than message_rate: the request limit would refuse first");
    const P = [RoomMessagePriority.UNSPECIFIED, RoomMessagePriority.LOW, RoomMessagePriority.MEDIUM, RoomMessagePriority.HIGH];
    // Raw and unpaced: the harness would otherwise hold the sends back under the limit.
    for (let attempt = 0; attempt < 3; attempt++) {
      const s: Session = await world.session(`flood${attempt}`, { pace: false });
      const room = ls.room(`flood${attempt}`);
      await s.call("createRoom", { roomInfo: { roomId: room } });
      const started = Date.now();
      const replies = await Promise.all(
        Array.from({ length: mr.maxCount + P.length }, (_, i) =>
          s.send({ case: "sendRoomMessage", value: { roomId: room, kind: CUSTOM, payload: new Uint8Array([i & 0xff]), priority: P[i % P.length]! } }),
        ),
      );
      const elapsed = Date.now() - started;
      await s.close();
      if (elapsed >= mr.windowMs) continue; // the window ended mid-way: inconclusive, try again
      const accepted = replies.slice(0, mr.maxCount).filter((r) => r.result.case === "sendRoomMessage").length;
      expect(accepted, "the first max_count messages are accepted").toBe(mr.maxCount);
      expect(replies.slice(mr.maxCount).map((r) => errorOf(r)?.code)).toEqual(P.map(() => "RATE_LIMITED"));
      return;
    }
    skip(`could not send ${mr.maxCount} messages within one ${mr.windowMs} ms window in 3 attempts`);
  }, { timeoutMs: 60_000 });

  // ---- Property: delivery over random join/leave/switch/send sequences ------------------
  test("property: over random sequences of enters, leaves, switches and sends, each message reaches every other current member exactly once, never the sender, a non-member or a member who just left, with the reply's message [MSG-DELIVER-1, MSG-DELIVER-2, MSG-DELIVER-3, MSG-REPLY-1, MSG-FIELDS-5]", async (t) => {
    const users = ["u0", "u1", "u2", "u3"];
    const rooms = ["ra", "rb"];
    type Action = { op: "enter" | "leave" | "send" | "switch"; who: number; room: number; priority: number };
    const arbAction: fc.Arbitrary<Action> = fc.record({
      op: fc.constantFrom<Action["op"]>("enter", "enter", "leave", "send", "send", "send", "switch"),
      who: fc.integer({ min: 0, max: users.length - 1 }),
      room: fc.integer({ min: 0, max: rooms.length - 1 }),
      priority: fc.constantFrom(0, 1, 2, 3),
    });
    const maxLen = t.spec.quick ? 8 : 16;
    const canHoldAll = t.limits.maxRoomsPerUser >= 2 && (t.limits.maxMembersPerRoom === 0 || t.limits.maxMembersPerRoom >= users.length);
    if (!canHoldAll) t.skip("the property needs max_rooms_per_user ≥ 2 and rooms of 4 members");
    await property(t, fc.array(arbAction, { minLength: 1, maxLength: maxLen }), async (ls, actions) => {
      for (const u of users) await ls.login(u);
      // Membership as the server's replies report it (not the model's).
      const members = new Map<string, Set<string>>(rooms.map((r) => [r, new Set()]));
      for (const a of actions) {
        const who = users[a.who]!;
        const room = rooms[a.room]!;
        const other = rooms[1 - a.room]!;
        switch (a.op) {
          case "enter":
            await ls.request(who, { case: "enterRoom", value: { roomInfo: { roomId: ls.room(room) } } });
            if (ls.reply?.result.case === "enterRoom") members.get(room)!.add(who);
            break;
          case "leave":
            await ls.request(who, { case: "leaveRoom", value: { roomId: ls.room(room) } });
            if (ls.reply?.result.case === "leaveRoom") members.get(room)!.delete(who);
            break;
          case "switch":
            await ls.request(who, { case: "switchRoom", value: { fromRoomId: ls.room(other), toRoomInfo: { roomId: ls.room(room) }, createIfAbsent: true } });
            if (ls.reply?.result.case === "switchRoom") {
              members.get(other)!.delete(who);
              members.get(room)!.add(who);
            }
            break;
          case "send": {
            await send(ls, who, ls.room(room), { priority: a.priority, payload: utf8(`m${ls.trace.length}`) });
            if (ls.reply?.result.case !== "sendRoomMessage") {
              expect(members.get(room)!.has(who), "only a non-member is refused").toBe(false);
              for (const u of users) expect(received(ls, u)).toEqual([]);
              break;
            }
            const msg = sent(ls);
            for (const u of users) {
              const got = received(ls, u);
              if (u !== who && members.get(room)!.has(u)) {
                expect(got, `${u} (a member) receives it once`).toHaveLength(1);
                expect(got[0]!.roomSeq).toBe(msg.roomSeq);
                expect(equals(RoomMessageSchema, got[0]!.message, msg)).toBe(true);
              } else {
                expect(got, `${u} (${u === who ? "the sender" : "not a member"}) receives nothing`).toEqual([]);
              }
            }
            break;
          }
        }
      }
    });
  }, { timeoutMs: 600_000 });

  // ---- History (FEATURE_MESSAGE_HISTORY) ---------------------------------------------------
  const HISTORY = { requires: [Feature.MESSAGE_HISTORY] };

  test("the room keeps its last max_history_count messages exactly as delivered; queryRoomMessageHistory and joinRoom(history_count) return the last min(count, kept), oldest first, including messages from before the caller joined and the caller's own [HISTORY-KEEP-1, HISTORY-QUERY-1, HISTORY-QUERY-2, JOIN-REPLY-2]", async ({ ls, skip }) => {
    const keep = ls.limits.maxHistoryCount;
    if (keep + 2 > REACHABLE_HISTORY) skip(`max_history_count is ${keep}: too many messages to overflow the history cheaply`);
    needMembers(ls, skip, 2);
    await populate(ls, "r1", ["alice"]);
    const all: RoomMessage[] = [];
    for (let i = 0; i < keep + 2; i++) {
      await send(ls, "alice", ls.room("r1"), { payload: utf8(`n${i}`), priority: i % 4 });
      all.push(sent(ls));
    }
    const kept = all.slice(-keep);
    await ls.request("alice", { case: "queryRoomMessageHistory", value: { roomId: ls.room("r1"), count: keep } });
    expect(ls.reply?.result.case === "queryRoomMessageHistory" && ls.reply.result.value.roomId).toBe(ls.room("r1"));
    expectSameMessages(history(ls.reply), kept);
    expect(ls.events("alice")).toEqual([]);
    await ls.request("alice", { case: "queryRoomMessageHistory", value: { roomId: ls.room("r1"), count: 1 } });
    expectSameMessages(history(ls.reply), all.slice(-1));
    // A late joiner gets the same, messages from before it joined included.
    await ls.login("bob");
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1"), historyCount: keep } });
    expectSameMessages(history(ls.reply), kept);
    await send(ls, "bob", ls.room("r1"), { payload: utf8("mine") });
    const mine = sent(ls);
    await ls.request("bob", { case: "queryRoomMessageHistory", value: { roomId: ls.room("r1"), count: Math.min(2, keep) } });
    expectSameMessages(history(ls.reply), [...kept, mine].slice(-Math.min(2, keep)));
  }, HISTORY);

  test("joinRoom history: history_count 0 gives none; a count above the number kept gives all kept; above max_history_count → INVALID_ARGUMENT(history_count) [JOIN-REPLY-2, JOIN-VALID-3, HISTORY-QUERY-1]", async ({ ls, skip }) => {
    needMembers(ls, skip, 2);
    const keep = ls.limits.maxHistoryCount;
    await populate(ls, "r1", ["alice"]);
    const all: RoomMessage[] = [];
    const n = Math.min(3, keep);
    for (let i = 0; i < n; i++) {
      await send(ls, "alice", ls.room("r1"), { payload: utf8(`x${i}`) });
      all.push(sent(ls));
    }
    await ls.login("bob");
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1"), historyCount: keep + 1 } });
    expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "history_count" });
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1"), historyCount: 0 } });
    expect(history(ls.reply)).toEqual([]);
    await ls.request("bob", { case: "leaveRoom", value: { roomId: ls.room("r1") } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1"), historyCount: keep } });
    expectSameMessages(history(ls.reply), all);
    await ls.request("bob", { case: "queryRoomMessageHistory", value: { roomId: ls.room("r1"), count: keep } });
    expectSameMessages(history(ls.reply), all);
  }, HISTORY);

  test("history survives members leaving and the destroy-pending period, and is forgotten when the room is destroyed [HISTORY-KEEP-2]", async ({ ls }) => {
    await populate(ls, "pending", ["alice"], ls.limits.maxRoomDestroyDelaySeconds);
    await send(ls, "alice", ls.room("pending"), { payload: utf8("kept") });
    const kept = sent(ls);
    await ls.request("alice", { case: "leaveRoom", value: { roomId: ls.room("pending") } });
    await ls.login("bob");
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("pending"), historyCount: 1 } });
    expectSameMessages(history(ls.reply), [kept]);
    // A delay-0 room is destroyed by its last leave; a new room of that ID has no history.
    await populate(ls, "gone", ["alice"]);
    await send(ls, "alice", ls.room("gone"), { payload: utf8("lost") });
    await ls.request("alice", { case: "leaveRoom", value: { roomId: ls.room("gone") } });
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: ls.room("gone") } } });
    await ls.request("alice", { case: "queryRoomMessageHistory", value: { roomId: ls.room("gone"), count: 1 } });
    expect(history(ls.reply)).toEqual([]);
  }, HISTORY);

  test("queryRoomMessageHistory validation: invalid room_id → INVALID_ARGUMENT(room_id) (before count); count 0 or above max_history_count → INVALID_ARGUMENT(count), also for a missing room; count = max_history_count is accepted [HISTORY-QUERY-VALID-1, HISTORY-QUERY-VALID-2, HISTORY-QUERY-2]", async ({ ls }) => {
    await populate(ls, "r1", ["alice"]);
    const q = (roomId: string, count: number) => ls.request("alice", { case: "queryRoomMessageHistory", value: { roomId, count } });
    for (const bad of ["", "a b", ls.world.idOfLength("long", ls.limits.maxRoomIdBytes + 1)]) {
      await q(bad, 0);
      expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "room_id" });
    }
    for (const [room, count] of [["r1", 0], ["r1", ls.limits.maxHistoryCount + 1], ["nowhere", 0]] as const) {
      await q(ls.room(room), count);
      expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "count" });
    }
    await q(ls.room("r1"), ls.limits.maxHistoryCount);
    expect(history(ls.reply)).toEqual([]);
    expect(ls.events("alice")).toEqual([]);
  }, HISTORY);

  test("queryRoomMessageHistory state checks: missing or destroyed room → ROOM_NOT_FOUND; a caller not in the room (never, left, or the room is destroy-pending) → NOT_IN_ROOM [HISTORY-QUERY-CHECK-1, HISTORY-QUERY-CHECK-2]", async ({ ls, skip }) => {
    needMembers(ls, skip, 2);
    await populate(ls, "gone", ["alice"]);
    await ls.request("alice", { case: "leaveRoom", value: { roomId: ls.room("gone") } });
    for (const r of ["never", "gone"]) {
      await ls.request("alice", { case: "queryRoomMessageHistory", value: { roomId: ls.room(r), count: 1 } });
      expect(errorOf(ls.reply)?.code).toBe("ROOM_NOT_FOUND");
    }
    await populate(ls, "r1", ["alice"]);
    await ls.login("bob");
    const q = () => ls.request("bob", { case: "queryRoomMessageHistory", value: { roomId: ls.room("r1"), count: 1 } });
    await q();
    expect(errorOf(ls.reply)?.code).toBe("NOT_IN_ROOM");
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    await ls.request("bob", { case: "leaveRoom", value: { roomId: ls.room("r1") } });
    await q();
    expect(errorOf(ls.reply)?.code).toBe("NOT_IN_ROOM");
    await populate(ls, "pending", ["bob"], ls.limits.maxRoomDestroyDelaySeconds);
    await ls.request("bob", { case: "leaveRoom", value: { roomId: ls.room("pending") } });
    await ls.request("bob", { case: "queryRoomMessageHistory", value: { roomId: ls.room("pending"), count: 1 } });
    expect(errorOf(ls.reply)?.code).toBe("NOT_IN_ROOM");
  }, HISTORY);

  // ---- Without FEATURE_MESSAGE_HISTORY ---------------------------------------------------------
  test("without FEATURE_MESSAGE_HISTORY: max_history_count is 0, join and enter replies carry no history, queryRoomMessageHistory and joinRoom with history_count > 0 → FEATURE_NOT_SUPPORTED (even with invalid arguments) [HISTORY-OFF-1, REQUEST-CHECK-4, JOIN-VALID-2]", async ({ ls, serverInfo, skip }) => {
    if (serverInfo.features.includes(Feature.MESSAGE_HISTORY)) skip("the server advertises FEATURE_MESSAGE_HISTORY: these checks need a server without it");
    needMembers(ls, skip, 3);
    expect(ls.limits.maxHistoryCount).toBe(0);
    await populate(ls, "r1", ["alice"]);
    await send(ls, "alice", ls.room("r1"));
    await send(ls, "alice", ls.room("r1"));
    await ls.login("bob");
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1"), historyCount: 1 } });
    expect(errorOf(ls.reply)?.code).toBe("FEATURE_NOT_SUPPORTED");
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    expect(history(ls.reply)).toEqual([]);
    await ls.login("carol");
    await ls.request("carol", { case: "enterRoom", value: { roomInfo: { roomId: ls.room("r1") } } });
    expect(history(ls.reply)).toEqual([]);
    for (const [roomId, count] of [[ls.room("r1"), 1], ["", 0]] as const) {
      await ls.request("bob", { case: "queryRoomMessageHistory", value: { roomId, count } });
      expect(errorOf(ls.reply)?.code).toBe("FEATURE_NOT_SUPPORTED");
    }
  }, { target: "constrained" });
});
