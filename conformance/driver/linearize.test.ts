// The linearizability search itself: it must accept a history some serial
// order explains and refuse one no order explains (else ORDER-4 tests could
// never fail).
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ClientFrameSchema, type Event } from "../../protocol/index.js";
import { Bindings, connect, initialState, step, type ModelState, type Request } from "../model/index.js";
import { testConfig } from "../model/test-kit.js";
import { linearize, type ConcurrentOp } from "./linearize.js";

const enter = (roomId: string, roomName: string): Request =>
  create(ClientFrameSchema, { request: { case: "enterRoom", value: { roomInfo: { roomId, roomName } } } }).request;
const login = (userId: string): Request => create(ClientFrameSchema, { request: { case: "login", value: { userId, token: "t" } } }).request;

function world(): ModelState {
  let s = initialState(testConfig());
  for (const u of ["a", "b"]) {
    s = connect(s, u, "binary");
    s = step(s, u, login(u), { nowMs: 0, tokenVerdict: "valid" })[0]!.state;
  }
  return s;
}

/** Runs ops serially through the model in `order`, recording replies and streams as a server would. */
function serial(s: ModelState, ops: { label: string; request: Request }[], order: number[]) {
  const replies: ConcurrentOp[] = [];
  const streams = new Map<string, Event[]>();
  for (const i of order) {
    const o = step(s, ops[i]!.label, ops[i]!.request, { nowMs: 0, requestId: i + 1 })[0]!;
    replies[i] = { ...ops[i]!, requestId: i + 1, reply: o.reply! };
    for (const [k, es] of o.events) streams.set(k, [...(streams.get(k) ?? []), ...es]);
    s = o.state;
  }
  return { replies, streams };
}

describe("linearize", () => {
  const ops = [
    { label: "a", request: enter("r", "A") },
    { label: "b", request: enter("r", "B") },
  ];

  it("finds the serial order that explains a history, whichever it was", () => {
    for (const order of [[0, 1], [1, 0]]) {
      const { replies, streams } = serial(world(), ops, order);
      const r = linearize(world(), replies, streams, new Bindings(), 0);
      expect(r.found?.order).toEqual(order);
    }
  });

  it("refuses a history no serial order explains: both enters claim to have created the room", () => {
    const first = serial(world(), ops, [0, 1]);
    const second = serial(world(), ops, [1, 0]);
    // Each reply is the "created" one of a different order: the duplicate-room race.
    const replies = [first.replies[0]!, second.replies[1]!];
    const streams = new Map<string, Event[]>([
      ["a", first.streams.get("a")!.slice(0, 2)],
      ["b", second.streams.get("b")!.slice(0, 2)],
    ]);
    const r = linearize(world(), replies, streams, new Bindings(), 0);
    expect(r.found).toBeUndefined();
    expect(r.explored).toBeGreaterThan(2);
  });

  it("refuses an extra event no order accounts for", () => {
    const { replies, streams } = serial(world(), ops, [0, 1]);
    streams.set("b", [...(streams.get("b") ?? []), streams.get("a")![0]!]);
    expect(linearize(world(), replies, streams, new Bindings(), 0).found).toBeUndefined();
  });

  it("keeps each connection's own order", () => {
    const same = [
      { label: "a", request: enter("r", "A") },
      { label: "a", request: enter("s", "S") },
    ];
    const { replies, streams } = serial(world(), same, [0, 1]);
    expect(linearize(world(), replies, streams, new Bindings(), 0).found?.order).toEqual([0, 1]);
  });
});
