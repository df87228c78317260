// Tests of the comparison: it must catch every deviation from the model and
// accept every value the server is free to choose.
import { clone, create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  ErrorCode,
  ErrorDetailSchema,
  ErrorSchema,
  EventSchema,
  Feature,
  KeyFailureSchema,
  ReplySchema,
  type Event,
  type Reply,
} from "../../protocol/index.js";
import { Bindings, formatDifferences, matchAnyOutcome, matchEvents, matchOutcome, matchReply, type Observed } from "./compare.js";
import type { Outcome } from "./draft.js";
import { World, op, rq, testConfig } from "./test-kit.js";

/** Rewrites every RoomMessage in a reply or event the way a server would fill it. */
function serverFill<T extends Reply | Event>(frame: T, id: string, ts: bigint): T {
  const copy = (frame.$typeName === "openroom.v1.Reply" ? clone(ReplySchema, frame as Reply) : clone(EventSchema, frame as Event)) as T;
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== "object") return;
    const m = v as Record<string, unknown>;
    if (m.$typeName === "openroom.v1.RoomMessage") {
      m.messageId = id;
      m.timestampMs = ts;
    }
    for (const x of Object.values(m)) visit(x);
  };
  visit(copy);
  return copy;
}

/** What a server following the model would send, with mutable maps for tampering. */
function observedOf(o: Outcome, fill: (f: Reply | Event) => Reply | Event = (f) => f): Observed & { events: Map<string, Event[]>; closes: Map<string, number> } {
  return {
    reply: o.reply ? (fill(o.reply) as Reply) : undefined,
    events: new Map([...o.events].map(([s, es]) => [s, es.map((e) => fill(e) as Event)])),
    closes: new Map(o.closes),
  };
}

function sendSetup() {
  const w = new World().open("s1", "alice").open("s2", "bob").open("s3", "carol");
  w.ok("s1", rq.create("r1"));
  w.ok("s2", rq.join("r1"));
  w.ok("s3", rq.join("r1"));
  return w;
}

describe("message_id and timestamp_ms are bound per message", () => {
  it("accepts server-chosen values that are consistent across the reply and every event", () => {
    const w = sendSetup();
    const o = w.ok("s1", rq.send("r1", "hi"));
    const b = new Bindings();
    expect(matchOutcome(o, observedOf(o, (f) => serverFill(f, "m-1", 1700000000000n)), b)).toEqual([]);
    // The history later shows the same message: it must carry the same id and time.
    const j = w.all("s1", rq.history("r1", 1))[0]!;
    expect(matchReply(j.reply, serverFill(j.reply!, "m-1", 1700000000000n), b)).toEqual([]);
    const diffs = matchReply(j.reply, serverFill(j.reply!, "m-9", 1700000000000n), b);
    expect(diffs.map((d) => d.path)).toEqual(["reply.query_room_message_history.messages[0].message_id"]);
  });

  it("flags an id that differs between recipients, an empty id, a zero timestamp, a reused id", () => {
    const w = sendSetup();
    const o = w.ok("s1", rq.send("r1", "hi"));
    const observed = observedOf(o, (f) => serverFill(f, "m-1", 5n));
    observed.events.set("s3", [serverFill(o.events.get("s3")![0]!, "m-2", 5n)]);
    const diffs = matchOutcome(o, observed, new Bindings());
    expect(diffs.map((d) => d.path)).toEqual(["events[s3][0].room_message_received.message.message_id"]);
    expect(matchOutcome(o, observedOf(o, (f) => serverFill(f, "", 5n)), new Bindings()).length).toBeGreaterThan(0);
    expect(matchOutcome(o, observedOf(o, (f) => serverFill(f, "m-1", 0n)), new Bindings()).map((d) => d.path)).toContain(
      "reply.send_room_message.message.timestamp_ms",
    );
    const b = new Bindings();
    expect(matchOutcome(o, observedOf(o, (f) => serverFill(f, "m-1", 5n)), b)).toEqual([]);
    const second = w.ok("s2", rq.send("r1", "again"));
    const reused = matchOutcome(second, observedOf(second, (f) => serverFill(f, "m-1", 6n)), b);
    expect(formatDifferences(reused)).toMatch(/already names another message/);
  });

  it("still compares every other field of the message exactly", () => {
    const w = sendSetup();
    const o = w.ok("s1", rq.send("r1", "hi"));
    const wrong = serverFill(o.events.get("s2")![0]!, "m-1", 5n);
    if (wrong.event.case === "roomMessageReceived") wrong.event.value.message!.payload = new TextEncoder().encode("ho");
    const diffs = matchEvents(o.events.get("s2")!, [wrong], new Bindings());
    expect(diffs.map((d) => d.path)).toEqual(["events[0].room_message_received.message.payload"]);
  });
});

describe("next_token", () => {
  it("must be empty iff the model predicts the last page; a non-empty one is bound and resolvable", () => {
    const w = sendSetup();
    const first = w.all("s1", rq.memberList("r1", "", 2))[0]!;
    const b = new Bindings();
    const withToken = (token: string) => {
      const r = clone(ReplySchema, first.reply!);
      if (r.result.case === "queryRoomMemberList") r.result.value.nextToken = token;
      return r;
    };
    expect(matchReply(first.reply, withToken(""), b).map((d) => d.path)).toEqual(["reply.query_room_member_list.next_token"]);
    expect(matchReply(first.reply, withToken("srv:2"), b)).toEqual([]);
    w.take(first);
    // The harness sends the server's token; the model resolves it through the bindings.
    const second = w.all("s1", rq.memberList("r1", "srv:2", 2), { tokens: b });
    expect(second).toHaveLength(1);
    const page = second[0]!.reply!;
    expect(page.result.case === "queryRoomMemberList" && page.result.value.members.map((m) => m.userId)).toEqual(["carol"]);
    expect(matchReply(page, withToken("more?"), b).map((d) => d.path)).toContain("reply.query_room_member_list.next_token");
    // Without the bindings the server's token means nothing to the model.
    expect(w.all("s1", rq.memberList("r1", "srv:2", 2))[0]!.reply?.result.case).toBe("error");
  });
});

describe("errors", () => {
  const error = (code: ErrorCode, detail?: Parameters<typeof create<typeof ErrorDetailSchema>>[1], message = "") =>
    create(ReplySchema, { result: { case: "error", value: create(ErrorSchema, { code, message, ...(detail ? { detail: create(ErrorDetailSchema, detail) } : {}) }) } });

  it("compares the code and the field, never the message", () => {
    const w = sendSetup();
    const expected = w.all("s1", rq.create(""))[0]!.reply!;
    expect(matchReply(expected, error(ErrorCode.INVALID_ARGUMENT, { field: "room_info.room_id" }, "whatever text"), new Bindings())).toEqual([]);
    expect(matchReply(expected, error(ErrorCode.INVALID_ARGUMENT, { field: "room_id" }), new Bindings()).map((d) => d.path)).toEqual([
      "reply.error.detail.field",
    ]);
    expect(matchReply(expected, error(ErrorCode.ROOM_NOT_FOUND), new Bindings()).map((d) => d.path)).toEqual(["reply.error.code", "reply.error.detail.field"]);
  });

  it("compares limit and actual only when asked (a SHOULD)", () => {
    const w = sendSetup();
    const expected = w.all("s1", rq.create("r".repeat(17)))[0]!.reply!;
    const observed = error(ErrorCode.INVALID_ARGUMENT, { field: "room_info.room_id" });
    expect(matchReply(expected, observed, new Bindings())).toEqual([]);
    expect(matchReply(expected, observed, new Bindings(), { errorLimits: true }).map((d) => d.path)).toEqual([
      "reply.error.detail.limit",
      "reply.error.detail.actual",
    ]);
  });

  it("compares key_failures both ways: exact for a batch, absent elsewhere [ERROR-KEYS-1]", () => {
    const w = sendSetup();
    w.ok("s1", rq.setAttrs("r1", { a: "1" }));
    const expected = w.all("s2", rq.batch("r1", [op.del(["zz", "a"])]))[0]!.reply!;
    const kf = (key: string, code: ErrorCode) => create(KeyFailureSchema, { key, code });
    const good = error(ErrorCode.ROOM_ATTRIBUTE_NOT_FOUND, { keyFailures: [kf("zz", ErrorCode.ROOM_ATTRIBUTE_NOT_FOUND), kf("a", ErrorCode.ROOM_ATTRIBUTE_NOT_OWNER)] });
    expect(matchReply(expected, good, new Bindings())).toEqual([]);
    const partial = error(ErrorCode.ROOM_ATTRIBUTE_NOT_FOUND, { keyFailures: [kf("zz", ErrorCode.ROOM_ATTRIBUTE_NOT_FOUND)] });
    expect(matchReply(expected, partial, new Bindings()).map((d) => d.path)).toEqual(["reply.error.detail.key_failures"]);
    const notFound = w.all("s3", rq.leave("nowhere"))[0]!.reply!;
    expect(matchReply(notFound, error(ErrorCode.ROOM_NOT_FOUND, { roomId: "nowhere" }), new Bindings())).toEqual([]);
    expect(matchReply(notFound, error(ErrorCode.ROOM_NOT_FOUND, { keyFailures: [kf("x", ErrorCode.ROOM_NOT_FOUND)] }), new Bindings()).length).toBe(1);
  });

  it("names the oneof cases when the outcome kind differs", () => {
    const w = sendSetup();
    const expected = w.all("s1", rq.leave("r1"))[0]!.reply!;
    const diffs = matchReply(expected, error(ErrorCode.NOT_IN_ROOM), new Bindings());
    expect(diffs).toEqual([{ path: "reply.result", expected: "leave_room", observed: "error" }]);
  });
});

describe("server info, sessions, closes, clock", () => {
  it("ignores server_name and the order of features, not their repetition", () => {
    const w = new World(testConfig({}, [Feature.MESSAGE_HISTORY, Feature.TEST_CLOCK])).open("s1");
    const login = w.last.reply!;
    const observed = clone(ReplySchema, login);
    if (observed.result.case !== "login") throw new Error("login expected");
    observed.result.value.serverInfo!.serverName = "some-server/1.0";
    observed.result.value.serverInfo!.features = [Feature.TEST_CLOCK, Feature.MESSAGE_HISTORY];
    expect(matchReply(login, observed, new Bindings())).toEqual([]);
    observed.result.value.serverInfo!.features = [Feature.TEST_CLOCK, Feature.MESSAGE_HISTORY, Feature.TEST_CLOCK];
    expect(matchReply(login, observed, new Bindings()).map((d) => d.path)).toEqual(["reply.login.server_info.features"]);
    observed.result.value.serverInfo!.features = [Feature.TEST_CLOCK, Feature.MESSAGE_HISTORY];
    observed.result.value.serverInfo!.limits!.maxRoomsPerUser = 5;
    expect(matchReply(login, observed, new Bindings()).map((d) => d.path)).toEqual(["reply.login.server_info.limits.max_rooms_per_user"]);
  });

  it("flags an event to a session that should receive nothing, a missing event, and a wrong close", () => {
    const w = sendSetup();
    const o = w.ok("s1", rq.leave("r1"));
    const observed = observedOf(o);
    observed.events.set("s1", [...observed.events.get("s1")!, create(EventSchema, {})]);
    observed.events.set("s2", []);
    observed.closes.set("s3", 4001);
    const paths = matchOutcome(o, observed, new Bindings()).map((d) => d.path);
    expect(paths).toEqual(["events[s1][1]", "events[s2][0]", "closes[s3]"]);
  });

  it("accepts a later now_ms on a shared clock, exact otherwise", () => {
    const w = new World(testConfig({}, [Feature.TEST_CLOCK])).open("s1");
    const o = w.ok("s1", rq.advanceClock(10));
    const later = clone(ReplySchema, o.reply!);
    if (later.result.case === "advanceClock") later.result.value.nowMs = 99n;
    expect(matchReply(o.reply, later, new Bindings()).map((d) => d.path)).toEqual(["reply.advance_clock.now_ms"]);
    expect(matchReply(o.reply, later, new Bindings(), { sharedClock: true })).toEqual([]);
  });
});

describe("matchAnyOutcome", () => {
  it("picks the allowed outcome that matches and commits only its bindings [MEMBERS-TOKEN-3]", () => {
    const w = new World().open("s1", "u1").open("s2", "u2").open("s3", "u3");
    w.ok("s1", rq.create("r1"));
    w.ok("s2", rq.join("r1"));
    w.ok("s3", rq.join("r1"));
    const first = w.all("s1", rq.memberList("r1", "", 1))[0]!;
    const b = new Bindings();
    const page1 = clone(ReplySchema, first.reply!);
    if (page1.result.case === "queryRoomMemberList") page1.result.value.nextToken = "old";
    expect(matchAnyOutcome([first], observedOf({ ...first, reply: page1 }), b).differences).toEqual([]);
    w.take(first);
    for (const s of ["s1", "s2", "s3"]) w.ok(s, rq.leave("r1"));
    w.ok("s1", rq.create("r1"));
    w.ok("s2", rq.join("r1"));
    w.ok("s3", rq.join("r1"));
    const outcomes = w.all("s1", rq.memberList("r1", "old", 1), { tokens: b });
    expect(outcomes.length).toBe(5); // refuse, or start before u1, after u1, u2, u3
    // The server accepted the old token as "after u1" and returned u2 with a token.
    const accepted = outcomes.find((o) => o.reply?.result.case === "queryRoomMemberList" && o.reply.result.value.members[0]?.userId === "u2")!;
    const seen = clone(ReplySchema, accepted.reply!);
    if (seen.result.case === "queryRoomMemberList") seen.result.value.nextToken = "new";
    const match = matchAnyOutcome(outcomes, observedOf({ ...accepted, reply: seen }), b);
    expect(match.outcome).toBe(accepted);
    expect(b.modelToken("new")).toBeDefined();
    // A page no allowed outcome predicts is reported against the closest one.
    const bogus = clone(ReplySchema, seen);
    if (bogus.result.case === "queryRoomMemberList") bogus.result.value.members = [...bogus.result.value.members].reverse().concat(bogus.result.value.members);
    const miss = matchAnyOutcome(outcomes, observedOf({ ...accepted, reply: bogus }), b);
    expect(miss.outcome).toBeUndefined();
    expect(miss.differences.length).toBeGreaterThan(0);
  });
});
