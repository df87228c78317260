// The model's own spec tests for messages and history (spec/messages.md).
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { RoomMessageKind, RoomMessagePriority, SendRoomMessageRequestSchema } from "../../protocol/index.js";
import { isMessagePlaceholder } from "./placeholders.js";
import type { Request } from "./step.js";
import { World, errorOf, result, rq, testConfig } from "./test-kit.js";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function trio(config = testConfig()): World {
  const w = new World(config).open("s1", "alice").open("s2", "bob").open("s3", "carol");
  w.ok("s1", rq.create("r1"));
  w.ok("s2", rq.join("r1")); // #1
  return w;
}

describe("sendRoomMessage delivery [MSG-DELIVER-*, MSG-FIELDS-*, MSG-REPLY-1]", () => {
  it("reaches every other member exactly once, never the sender or a non-member; the reply is the same message", () => {
    const w = trio();
    const o = w.ok("s1", rq.send("r1", "hi"));
    const message = result(o.reply, "sendRoomMessage").message!;
    expect(message.roomId).toBe("r1");
    expect(message.senderUserId).toBe("alice");
    expect(message.kind).toBe(RoomMessageKind.TEXT);
    expect(text(message.payload)).toBe("hi");
    expect(message.priority).toBe(RoomMessagePriority.MEDIUM); // UNSPECIFIED is delivered as MEDIUM
    expect(message.roomSeq).toBe(2n);
    expect(isMessagePlaceholder(message.messageId)).toBe(true);
    expect(w.events("s2")).toEqual(['r1#2 msg from alice "hi"']);
    expect(w.recipients()).toEqual(["s2"]);
    const event = o.events.get("s2")![0]!;
    expect(event.event.case === "roomMessageReceived" && event.event.value.message).toEqual(message);
    // A former member receives nothing.
    w.ok("s2", rq.leave("r1"));
    w.ok("s1", rq.send("r1", "again", { priority: RoomMessagePriority.HIGH }));
    expect(w.recipients()).toEqual([]);
    expect(result(w.last.reply, "sendRoomMessage").message?.priority).toBe(RoomMessagePriority.HIGH);
    expect(result(w.last.reply, "sendRoomMessage").message?.roomSeq).toBe(4n); // seq moves with no recipient [SEQ-4]
  });

  it("gives each message its own id", () => {
    const w = trio();
    const a = result(w.ok("s1", rq.send("r1", "a")).reply, "sendRoomMessage").message!.messageId;
    const b = result(w.ok("s2", rq.send("r1", "b")).reply, "sendRoomMessage").message!.messageId;
    expect(a).not.toBe(b);
  });

  it("validates room_id, kind, priority, size, then UTF-8 of TEXT [MSG-VALID-1..5]", () => {
    const w = trio();
    const send = (init: Partial<{ roomId: string; kind: number; priority: number; payload: Uint8Array }>): Request => ({
      case: "sendRoomMessage",
      value: create(SendRoomMessageRequestSchema, { roomId: "r1", kind: RoomMessageKind.TEXT, payload: new Uint8Array(), ...init }),
    });
    const code = (r: Request) => errorOf(w.do("s1", r).reply);
    const bad = new Uint8Array([0xc3, 0x28]);
    expect(code(send({ roomId: "", kind: 0 }))).toBe("INVALID_ARGUMENT(room_id)");
    expect(code(send({ kind: RoomMessageKind.UNSPECIFIED, priority: 42 }))).toBe("INVALID_ARGUMENT(kind)");
    expect(code(send({ kind: 7 }))).toBe("INVALID_ARGUMENT(kind)");
    expect(code(send({ priority: 42, payload: new Uint8Array(17) }))).toBe("INVALID_ARGUMENT(priority)");
    expect(code(send({ payload: new Uint8Array(17).fill(0xff) }))).toBe("MESSAGE_TOO_LARGE");
    expect(code(send({ payload: bad }))).toBe("INVALID_ARGUMENT(payload)");
    expect(code(send({ kind: RoomMessageKind.CUSTOM, payload: bad }))).toBe("ok");
    expect(code(send({ payload: new Uint8Array(16).fill(0x61) }))).toBe("ok"); // exactly the limit
    expect(code(send({}))).toBe("ok"); // empty payload
    expect(errorOf(w.do("s3", rq.send("r1", "x")).reply)).toBe("NOT_IN_ROOM");
    expect(errorOf(w.do("s3", rq.send("r9", "x")).reply)).toBe("ROOM_NOT_FOUND");
  });
});

describe("history [HISTORY-*, JOIN-REPLY-2]", () => {
  it("keeps the last max_history_count messages, oldest first, exactly as delivered", () => {
    const w = trio();
    const sent = ["m1", "m2", "m3", "m4"].map((m, i) => result(w.ok(i % 2 ? "s2" : "s1", rq.send("r1", m)).reply, "sendRoomMessage").message!);
    const h = result(w.ok("s1", rq.history("r1", 3)).reply, "queryRoomMessageHistory");
    expect(h.messages).toEqual(sent.slice(1));
    expect(h.roomId).toBe("r1");
    expect(result(w.ok("s2", rq.history("r1", 1)).reply, "queryRoomMessageHistory").messages.map((m) => text(m.payload))).toEqual(["m4"]);
    const j = result(w.ok("s3", rq.join("r1", 2)).reply, "joinRoom");
    expect(j.history.map((m) => text(m.payload))).toEqual(["m3", "m4"]);
    expect(errorOf(w.do("s3", rq.history("r1", 0)).reply)).toBe("INVALID_ARGUMENT(count)");
    expect(errorOf(w.do("s3", rq.history("r1", 4)).reply)).toBe("INVALID_ARGUMENT(count)");
    expect(errorOf(w.do("s3", rq.join("r2", 4)).reply)).toBe("INVALID_ARGUMENT(history_count)");
  });

  it("keeps nothing without the feature; joins return an empty history [HISTORY-OFF-1]", () => {
    const w = trio(testConfig({}, []));
    w.ok("s1", rq.send("r1", "m1"));
    expect(w.state.rooms.get("r1")!.history).toEqual([]);
    expect(result(w.ok("s3", rq.join("r1")).reply, "joinRoom").history).toEqual([]);
  });
});
