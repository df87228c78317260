// The room lifecycle and destroy delay, the order of members and of a
// session's rooms, and a member's room state: spec/lifecycle.md.
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import {
  ErrorCode,
  Feature,
  RoomMessageKind,
  RoomState,
  RoomStateReason,
  type Event,
  type Reply,
  type RoomFullInfo,
} from "../../protocol/index.js";
import type { Lockstep } from "../driver/lockstep.js";
import { withTargetLock } from "../driver/lock.js";
import { conformanceSuite, type ScenarioOptions } from "../driver/suite.js";
import { UnexpectedReply, type RequestInput, type Session } from "../harness/index.js";
import { advanceTime } from "../model/index.js";

const utf8 = new TextEncoder();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function errorOf(reply: Reply | undefined): ErrorCode | undefined {
  return reply?.result.case === "error" ? reply.result.value.code : undefined;
}

/** The RoomFullInfo of a create/join/enter/switch reply. */
function roomOf(reply: Reply | undefined): RoomFullInfo | undefined {
  const r = reply?.result;
  switch (r?.case) {
    case "createRoom":
    case "joinRoom":
    case "enterRoom":
    case "switchRoom":
      return r.value.room;
    default:
      return undefined;
  }
}

/** `(room, STATE, REASON)` for state events, the event kind otherwise. */
function show(ls: Lockstep): (e: Event) => string {
  return (e) =>
    e.event.case === "roomStateChanged"
      ? `(${ls.u(e.event.value.roomId)}, ${RoomState[e.event.value.state]}, ${RoomStateReason[e.event.value.reason]})`
      : (e.event.case ?? "(empty)");
}

interface CreateArgs {
  name?: string;
  delay?: number;
  attrs?: Record<string, string>;
}
const createReq = (roomId: string, a: CreateArgs = {}): RequestInput => ({
  case: "createRoom",
  value: { roomInfo: { roomId, roomName: a.name ?? "" }, config: { roomDestroyDelaySeconds: a.delay ?? 0, roomAttributes: a.attrs ?? {} } },
});
const joinReq = (roomId: string, historyCount = 0): RequestInput => ({ case: "joinRoom", value: { roomId, historyCount } });
const leaveReq = (roomId: string): RequestInput => ({ case: "leaveRoom", value: { roomId } });

// ---- The shared test clock ----------------------------------------------------
//
// AdvanceClock moves ONE server-wide clock, and vitest runs test files in
// parallel against the same server. The tests that advance it (this file and
// test-clock.conformance.test.ts) hold an inter-process lock per target while
// they run, so no other test moves the clock between one test's due times.
// Tests elsewhere use delay 0 or the maximum delay and never advance it.

/**
 * AdvanceClock through the lockstep. The reply may be later than the model
 * predicts when something else moved the shared clock (`sharedClock`); the
 * model then follows the server to the observed time, destroying what is due.
 */
async function advance(ls: Lockstep, label: string, ms: number): Promise<bigint> {
  const reply = await ls.request(label, { case: "advanceClock", value: { advanceMs: ms } });
  if (reply.result.case !== "advanceClock") throw new UnexpectedReply(`advanceClock(${ms}) was refused`);
  ls.state = advanceTime(ls.state, Number(reply.result.value.nowMs)).state;
  return reply.result.value.nowMs;
}

/** Options of a test that advances the test clock. */
const CLOCK: ScenarioOptions = { requires: [Feature.TEST_CLOCK], compare: { sharedClock: true }, timeoutMs: 90_000 };

conformanceSuite("lifecycle", (test) => {
  /** A test that holds the clock lock and starts with the model's clock on the server's. */
  const clockTest = (title: string, body: Parameters<typeof test>[1]) =>
    test(
      title,
      (ctx) =>
        withTargetLock(ctx.world.target.url, "test-clock", async () => {
          await ctx.ls.login("clock");
          await advance(ctx.ls, "clock", 1);
          await body(ctx);
        }),
      CLOCK,
    );

  // ---- Delay 0 ---------------------------------------------------------------------

  test("delay 0: the last leave destroys the room within that request, silently; a later create is a new room with seq 0 [DESTROY-ZERO-1, DESTROY-SILENT-1, DESTROY-FORGET-1, ROOM-EXIST-1]", async ({ ls, serverInfo }) => {
    const history = serverInfo.features.includes(Feature.MESSAGE_HISTORY);
    const r = ls.room("r1");
    await ls.login("alice");
    await ls.login("bob");
    await ls.login("carol");
    await ls.request("carol", createReq(ls.room("elsewhere")));
    await ls.request("alice", createReq(r, { name: "first", attrs: { a: "1" } }));
    await ls.request("bob", joinReq(r));
    await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: r, userIds: [ls.user("bob")], attributes: { seat: "1" }, isDeleteAfterOwnerLeft: false } });
    if (history) await ls.request("alice", { case: "sendRoomMessage", value: { roomId: r, kind: RoomMessageKind.TEXT, payload: utf8.encode("hi") } });
    await ls.request("bob", leaveReq(r));
    await ls.request("alice", leaveReq(r));
    expect(ls.events("carol")).toEqual([]);

    await ls.request("bob", joinReq(r));
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
    await ls.request("carol", createReq(r, { name: "second" }));
    const info = roomOf(ls.reply);
    expect([info?.baseInfo?.roomName, info?.roomSeq, info?.roomDestroyDelaySeconds]).toEqual(["second", 0n, 0]);
    expect(ls.events("carol").map(show(ls))).toEqual(["(r1, CONNECTING, ACTIVE_CREATE)", "(r1, CONNECTED, SUCCESS)"]); // no attribute snapshot
    await ls.request("bob", joinReq(r, history ? ls.limits.maxHistoryCount : 0));
    expect(ls.reply?.result.case === "joinRoom" && ls.reply.result.value.history).toEqual([]);
    await ls.request("bob", { case: "queryRoomAllAttributes", value: { roomId: r } });
    expect(ls.reply?.result.case === "queryRoomAllAttributes" && ls.reply.result.value.attributes).toEqual({});
    await ls.request("bob", { case: "queryRoomMembersAttributes", value: { roomId: r, userIds: [ls.user("bob")] } });
  });

  const lastLeaves: { how: string; act: (ls: Lockstep) => Promise<unknown> }[] = [
    { how: "leaveRoom", act: (ls) => ls.request("alice", leaveReq(ls.room("r1"))) },
    { how: "leaveAllRooms", act: (ls) => ls.request("alice", { case: "leaveAllRooms", value: {} }) },
    { how: "Logout", act: (ls) => ls.request("alice", { case: "logout", value: {} }) },
    { how: "switchRoom away", act: (ls) => ls.request("alice", { case: "switchRoom", value: { fromRoomId: ls.room("r1"), toRoomInfo: { roomId: ls.room("r2") }, createIfAbsent: true } }) },
    {
      how: "a disconnect",
      act: async (ls) => {
        await ls.session("alice").close();
        // The server learns of a close asynchronously (DISCONNECT-2): wait until a non-member's
        // probe, which changes nothing, stops finding the room; a server that never destroys it fails below.
        const bob = ls.session("bob");
        for (let i = 0; i < 50; i++) {
          const reply = await bob.send({ case: "queryRoomOnlineMemberCount", value: { roomId: ls.room("r1") } });
          if (errorOf(reply) !== ErrorCode.NOT_IN_ROOM) break;
          await sleep(20);
        }
        await ls.disconnect("alice");
      },
    },
    { how: "a kick", act: (ls) => ls.login("alice2", { userId: ls.user("alice") }) },
  ];
  for (const c of lastLeaves) {
    test(`delay 0: a room emptied by ${c.how} is destroyed before the next request is handled [DESTROY-ZERO-1, LEAVE-EFFECT-7]`, async ({ ls }) => {
      await ls.login("alice");
      await ls.login("bob");
      await ls.request("alice", createReq(ls.room("r1")));
      await c.act(ls);
      await ls.request("bob", joinReq(ls.room("r1")));
      expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
    });
  }

  // ---- Name, delay and ordering ---------------------------------------------------

  test("a room's name and destroy delay are the creator's and every RoomFullInfo reports them, whatever later joins ask for [ROOM-NAME-1, ENTER-EXISTING-1]", async ({ ls, limits }) => {
    const r = ls.room("r1");
    const max = limits.maxRoomDestroyDelaySeconds; // never a small delay outside clock tests
    await ls.login("alice");
    await ls.login("bob");
    await ls.login("carol");
    await ls.login("dave");
    await ls.request("alice", createReq(r, { name: "Original", delay: max }));
    expect([roomOf(ls.reply)?.baseInfo?.roomName, roomOf(ls.reply)?.roomDestroyDelaySeconds]).toEqual(["Original", max]);
    await ls.request("bob", joinReq(r));
    expect([roomOf(ls.reply)?.baseInfo?.roomName, roomOf(ls.reply)?.roomDestroyDelaySeconds]).toEqual(["Original", max]);
    await ls.request("carol", { case: "enterRoom", value: { roomInfo: { roomId: r, roomName: "Other" }, config: { roomDestroyDelaySeconds: 0, roomAttributes: { x: "1" } } } });
    expect([roomOf(ls.reply)?.baseInfo?.roomName, roomOf(ls.reply)?.roomDestroyDelaySeconds]).toEqual(["Original", max]);
    await ls.request("dave", createReq(ls.room("d1")));
    await ls.request("dave", { case: "switchRoom", value: { fromRoomId: ls.room("d1"), toRoomInfo: { roomId: r, roomName: "Third" }, createIfAbsent: true, config: { roomDestroyDelaySeconds: 0 } } });
    expect([roomOf(ls.reply)?.baseInfo?.roomName, roomOf(ls.reply)?.roomDestroyDelaySeconds]).toEqual(["Original", max]);
    await ls.request("alice", { case: "leaveAllRooms", value: {} });
    await ls.request("alice", joinReq(r));
    expect([roomOf(ls.reply)?.baseInfo?.roomName, roomOf(ls.reply)?.roomDestroyDelaySeconds]).toEqual(["Original", max]);
  });

  test("members are ordered by the time they joined; one who leaves and joins again is last [ROOM-ORDER-1]", async ({ ls }) => {
    const r = ls.room("r1");
    for (const u of ["alice", "bob", "carol", "dave"]) await ls.login(u);
    await ls.request("alice", createReq(r));
    await ls.request("bob", joinReq(r));
    await ls.request("carol", { case: "enterRoom", value: { roomInfo: { roomId: r } } });
    await ls.request("dave", joinReq(r));
    await ls.request("bob", leaveReq(r));
    await ls.request("bob", joinReq(r));
    await ls.request("alice", leaveReq(r));
    await ls.request("alice", joinReq(r));
    await ls.request("carol", { case: "queryRoomMemberList", value: { roomId: r } });
    const members = ls.reply?.result.case === "queryRoomMemberList" ? ls.reply.result.value.members : [];
    expect(members.map((m) => ls.u(m.userId))).toEqual(["carol", "dave", "bob", "alice"]);
  });

  test("a session's rooms are in join order: create, join, enter and a switch target append, leaving removes [ROOM-ORDER-2, LEAVEALL-2]", async ({ ls, limits, skip }) => {
    if (limits.maxRoomsPerUser < 3) return skip(`max_rooms_per_user is ${limits.maxRoomsPerUser}; the scenario needs 3 rooms at once`);
    const [r1, r2, r3, r4] = [ls.room("r1"), ls.room("r2"), ls.room("r3"), ls.room("r4")];
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("bob", createReq(r1));
    await ls.request("bob", createReq(r2));
    await ls.request("alice", joinReq(r1));
    await ls.request("alice", joinReq(r2));
    await ls.request("alice", { case: "enterRoom", value: { roomInfo: { roomId: r3 } } });
    await ls.request("alice", leaveReq(r1));
    await ls.request("alice", joinReq(r1)); // appended again, after r3
    await ls.request("alice", { case: "switchRoom", value: { fromRoomId: r2, toRoomInfo: { roomId: r4 }, createIfAbsent: true } }); // r2 out, r4 last
    await ls.request("alice", { case: "leaveAllRooms", value: {} });
    expect(ls.reply?.result.case === "leaveAllRooms" && ls.reply.result.value.roomIds.map(ls.u)).toEqual(["r3", "r1", "r4"]);
    expect(ls.events("alice").map(show(ls))).toEqual(["(r3, DISCONNECTED, SUCCESS)", "(r1, DISCONNECTED, SUCCESS)", "(r4, DISCONNECTED, SUCCESS)"]);
  });

  test("a session's room state events follow the state diagram, and it is a member exactly between CONNECTED and DISCONNECTED [ROOM-MSTATE-1, ROOM-MSTATE-2, EVENT-STATE-1]", async ({ ls, limits, skip }) => {
    if (limits.maxRoomsPerUser < 3) return skip(`max_rooms_per_user is ${limits.maxRoomsPerUser}; the scenario needs 3 rooms at once`);
    const names = ["r1", "r2", "r3", "r4", "r5"] as const;
    const room = Object.fromEntries(names.map((n) => [n, ls.room(n)])) as Record<(typeof names)[number], string>;
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("bob", createReq(room.r2));
    const state = new Map<string, RoomState>(); // alice's membership per room, from her events only
    const seen: string[] = [];
    const allowed = (from: RoomState, to: RoomState, reason: RoomStateReason): boolean => {
      if (from === RoomState.DISCONNECTED) return to === RoomState.CONNECTING && [RoomStateReason.ACTIVE_CREATE, RoomStateReason.ACTIVE_JOIN, RoomStateReason.ACTIVE_ENTER, RoomStateReason.ACTIVE_SWITCH].includes(reason);
      if (from === RoomState.CONNECTING) return (to === RoomState.CONNECTED && reason === RoomStateReason.SUCCESS) || (to === RoomState.DISCONNECTED && reason === RoomStateReason.SWITCH_FAILED);
      return to === RoomState.DISCONNECTED && (reason === RoomStateReason.SUCCESS || reason === RoomStateReason.KICKED_OUT_BY_OTHER_DEVICE);
    };
    /** One step by anyone; then alice's new state events are checked against the diagram and her membership probed. */
    const act = async (label: string, request: RequestInput, probe = true) => {
      await ls.request(label, request);
      for (const e of ls.events("alice")) {
        if (e.event.case !== "roomStateChanged") continue;
        const { roomId, state: to, reason } = e.event.value;
        const from = state.get(roomId) ?? RoomState.DISCONNECTED;
        seen.push(show(ls)(e));
        expect(allowed(from, to, reason), `alice: ${RoomState[from]} → ${RoomState[to]} (${RoomStateReason[reason]}) in ${ls.u(roomId)}`).toBe(true);
        state.set(roomId, to);
      }
      for (const e of ls.events("bob")) expect(e.event.case, "bob gets no state event for alice's rooms").not.toBe("roomStateChanged");
      if (!probe) return;
      // Between CONNECTED and DISCONNECTED alice is a member; otherwise she is not (NOT_IN_ROOM or ROOM_NOT_FOUND).
      for (const r of Object.values(room)) {
        await ls.request("alice", { case: "queryRoomOnlineMemberCount", value: { roomId: r } });
        const member = ls.reply?.result.case === "queryRoomOnlineMemberCount";
        expect(member, `alice member of ${ls.u(r)}`).toBe(state.get(r) === RoomState.CONNECTED);
      }
    };
    await act("alice", createReq(room.r1));
    await act("alice", joinReq(room.r3)); // fails before CONNECTING: no event at all
    await act("alice", joinReq(room.r2));
    await act("alice", { case: "enterRoom", value: { roomInfo: { roomId: room.r3 } } });
    await act("alice", { case: "switchRoom", value: { fromRoomId: room.r3, toRoomInfo: { roomId: room.r4 }, createIfAbsent: false } }); // SWITCH_FAILED
    await act("alice", { case: "switchRoom", value: { fromRoomId: room.r3, toRoomInfo: { roomId: room.r2 }, createIfAbsent: true } }); // ALREADY_IN_ROOM: no event
    await act("alice", { case: "switchRoom", value: { fromRoomId: room.r3, toRoomInfo: { roomId: room.r5 }, createIfAbsent: true } });
    await act("alice", leaveReq(room.r1));
    await act("alice", createReq(room.r1));
    await ls.login("alice2", { userId: ls.user("alice") }); // the kick
    for (const e of ls.events("alice")) {
      if (e.event.case !== "roomStateChanged") continue;
      const { roomId, state: to, reason } = e.event.value;
      seen.push(show(ls)(e));
      expect(allowed(state.get(roomId) ?? RoomState.DISCONNECTED, to, reason)).toBe(true);
      state.set(roomId, to);
    }
    expect(seen).toEqual([
      "(r1, CONNECTING, ACTIVE_CREATE)",
      "(r1, CONNECTED, SUCCESS)",
      "(r2, CONNECTING, ACTIVE_JOIN)",
      "(r2, CONNECTED, SUCCESS)",
      "(r3, CONNECTING, ACTIVE_ENTER)",
      "(r3, CONNECTED, SUCCESS)",
      "(r4, CONNECTING, ACTIVE_SWITCH)",
      "(r4, DISCONNECTED, SWITCH_FAILED)",
      "(r5, CONNECTING, ACTIVE_SWITCH)",
      "(r5, CONNECTED, SUCCESS)",
      "(r3, DISCONNECTED, SUCCESS)",
      "(r1, DISCONNECTED, SUCCESS)",
      "(r1, CONNECTING, ACTIVE_CREATE)",
      "(r1, CONNECTED, SUCCESS)",
      "(r2, DISCONNECTED, KICKED_OUT_BY_OTHER_DEVICE)",
      "(r5, DISCONNECTED, KICKED_OUT_BY_OTHER_DEVICE)",
      "(r1, DISCONNECTED, KICKED_OUT_BY_OTHER_DEVICE)",
    ]);
  });

  // ---- Delay d > 0, on the test clock --------------------------------------------------

  // Each way in cites what it checks (written out: spec:check reads citations from the source); only
  // enterRoom can also show that it joined rather than created the pending room (created=false).
  const PENDING_IDS = "[DESTROY-PENDING-1, DESTROY-DELAY-2, LEAVE-EFFECT-3]";
  const rejoins: { how: string; cites: string; act: (ls: Lockstep, r: string) => Promise<Reply> }[] = [
    { how: "joinRoom", cites: PENDING_IDS, act: (ls, r) => ls.request("bob", joinReq(r, ls.limits.maxHistoryCount)) },
    {
      how: "enterRoom (joined, not created: created=false)",
      cites: "[DESTROY-PENDING-1, DESTROY-DELAY-2, LEAVE-EFFECT-3, ENTER-CREATED-1]",
      act: (ls, r) => ls.request("bob", { case: "enterRoom", value: { roomInfo: { roomId: r, roomName: "Other" }, config: { roomDestroyDelaySeconds: 9, roomAttributes: { b: "2" } }, historyCount: ls.limits.maxHistoryCount } }),
    },
    {
      how: "switchRoom",
      cites: PENDING_IDS,
      act: async (ls, r) => {
        await ls.request("bob", createReq(ls.room("bobs")));
        return ls.request("bob", { case: "switchRoom", value: { fromRoomId: ls.room("bobs"), toRoomInfo: { roomId: r, roomName: "Other" }, createIfAbsent: true } });
      },
    },
  ];

  for (const c of rejoins) {
    clockTest(`a destroy-pending room exists: ${c.how} finds it with its name, delay, attributes, retained member attributes, history and room_seq ${c.cites}`, async ({ ls, serverInfo }) => {
      const history = serverInfo.features.includes(Feature.MESSAGE_HISTORY);
      const r = ls.room("r1");
      await ls.login("alice");
      await ls.login("bob");
      await ls.request("alice", createReq(r, { name: "Kept", delay: 2, attrs: { a: "1" } }));
      await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: r, userIds: [ls.user("alice")], attributes: { seat: "3" }, isDeleteAfterOwnerLeft: false } });
      if (history) await ls.request("alice", { case: "sendRoomMessage", value: { roomId: r, kind: RoomMessageKind.TEXT, payload: utf8.encode("hello") } });
      await ls.request("alice", leaveReq(r)); // pending, due in 2 s of test clock
      await advance(ls, "clock", 1_999);

      const reply = await c.act(ls, r);
      const info = roomOf(reply);
      if (reply.result.case === "enterRoom") expect(reply.result.value.created).toBe(false);
      expect([info?.baseInfo?.roomName, info?.roomDestroyDelaySeconds, info?.roomSeq]).toEqual(["Kept", 2, history ? 4n : 3n]); // create 0, member attrs 1, [message 2], leave, join
      if (history && reply.result.case !== "switchRoom") {
        const h = reply.result.case === "joinRoom" || reply.result.case === "enterRoom" ? reply.result.value.history : [];
        expect(h.map((m) => new TextDecoder().decode(m.payload))).toEqual(["hello"]);
      }
      // The snapshot of the kept attributes follows CONNECTED.
      expect(ls.events("bob").map(show(ls)).filter((e) => !e.startsWith("(bobs"))).toContain("roomAttributesUpdated");
      await ls.request("bob", { case: "queryRoomAllAttributes", value: { roomId: r } });
      // alice's retained member attributes are invisible while she is away, back when she returns.
      await ls.request("bob", { case: "queryRoomMembersAttributes", value: { roomId: r, userIds: [ls.user("alice")] } });
      expect(ls.reply?.result.case === "queryRoomMembersAttributes" && ls.reply.result.value.infos).toEqual([]);
      await ls.request("alice", joinReq(r));
      await ls.request("bob", { case: "queryRoomMembersAttributes", value: { roomId: r, userIds: [ls.user("alice")] } });
      const infos = ls.reply?.result.case === "queryRoomMembersAttributes" ? ls.reply.result.value.infos : [];
      expect(infos.map((i) => i.attributes)).toEqual([{ seat: "3" }]);
    });
  }

  clockTest("createRoom on a destroy-pending room fails ROOM_ALREADY_EXISTS and changes nothing: the room still goes at its due time [DESTROY-PENDING-2, DESTROY-DELAY-1]", async ({ ls }) => {
    const r = ls.room("r1");
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", createReq(r, { delay: 2 }));
    await ls.request("alice", leaveReq(r));
    await advance(ls, "clock", 1_000);
    await ls.request("bob", createReq(r, { name: "mine", delay: 1 }));
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
    await ls.request("alice", createReq(r));
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
    await advance(ls, "clock", 999);
    await ls.request("bob", createReq(r));
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
    await advance(ls, "clock", 1);
    await ls.request("bob", joinReq(r));
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
  });

  clockTest("delay d: the room exists until d seconds after it emptied and is then destroyed silently; a later create is a new room [DESTROY-DELAY-1, DESTROY-DELAY-2, DESTROY-SILENT-1, DESTROY-FORGET-1, ROOM-EXIST-1]", async ({ ls, serverInfo }) => {
    const history = serverInfo.features.includes(Feature.MESSAGE_HISTORY);
    const r = ls.room("r1");
    await ls.login("alice");
    await ls.login("bob");
    await ls.login("carol");
    await ls.request("carol", createReq(ls.room("elsewhere")));
    await ls.request("bob", joinReq(ls.room("elsewhere")));
    await ls.request("alice", createReq(r, { name: "old", delay: 3, attrs: { a: "1" } }));
    await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: r, userIds: [ls.user("alice")], attributes: { seat: "1" }, isDeleteAfterOwnerLeft: false } });
    if (history) await ls.request("alice", { case: "sendRoomMessage", value: { roomId: r, kind: RoomMessageKind.TEXT, payload: utf8.encode("old") } });
    await ls.request("alice", leaveReq(r));
    await advance(ls, "clock", 2_999);
    await ls.request("bob", createReq(r));
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
    await advance(ls, "clock", 1);
    expect(ls.events("bob")).toEqual([]);
    expect(ls.events("carol")).toEqual([]);
    expect(ls.events("alice")).toEqual([]);
    await ls.request("bob", joinReq(r));
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
    await ls.request("alice", createReq(r, { name: "new", delay: 1 }));
    const info = roomOf(ls.reply);
    expect([info?.baseInfo?.roomName, info?.roomSeq, info?.roomDestroyDelaySeconds]).toEqual(["new", 0n, 1]);
    await ls.request("bob", joinReq(r, history ? ls.limits.maxHistoryCount : 0));
    expect(ls.reply?.result.case === "joinRoom" && ls.reply.result.value.history).toEqual([]);
    await ls.request("bob", { case: "queryRoomMembersAttributes", value: { roomId: r, userIds: [ls.user("alice")] } });
    expect(ls.reply?.result.case === "queryRoomMembersAttributes" && ls.reply.result.value.infos.map((i) => i.attributes)).toEqual([{}]);
  });

  for (const c of rejoins) {
    clockTest(`${c.how} into a destroy-pending room cancels its destruction; emptied again, the full delay starts over [DESTROY-CANCEL-1]`, async ({ ls }) => {
      const r = ls.room("r1");
      await ls.login("alice");
      await ls.login("bob");
      await ls.request("alice", createReq(r, { delay: 2 }));
      await ls.request("alice", leaveReq(r)); // due at T + 2000
      await advance(ls, "clock", 1_000);
      await c.act(ls, r); // cancels
      await advance(ls, "clock", 1_500); // past the cancelled due time
      await ls.request("bob", { case: "queryRoomOnlineMemberCount", value: { roomId: r } });
      expect(ls.reply?.result.case === "queryRoomOnlineMemberCount" && ls.reply.result.value.count).toBe(1);
      await ls.request("bob", leaveReq(r)); // due at T + 2500 + 2000
      await advance(ls, "clock", 1_999);
      await ls.request("alice", createReq(r));
      expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
      await advance(ls, "clock", 1);
      await ls.request("alice", joinReq(r));
      expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
    });
  }

  for (const c of rejoins) {
    clockTest(`${c.how} into a destroy-pending room cancels its timer: emptied again before the old due time, the room outlives it [DESTROY-CANCEL-1]`, async ({ ls }) => {
      const r = ls.room("r1");
      await ls.login("alice");
      await ls.login("bob");
      await ls.request("alice", createReq(r, { delay: 2 }));
      await ls.request("alice", leaveReq(r)); // due at T + 2000
      await advance(ls, "clock", 500);
      await c.act(ls, r); // cancels
      await ls.request("bob", leaveReq(r)); // empty again: due at T + 500 + 2000
      await advance(ls, "clock", 1_600); // T + 2100: past the cancelled due time only
      await ls.request("alice", createReq(r));
      expect(errorOf(ls.reply), "the room still exists, destroy-pending").toBe(ErrorCode.ROOM_ALREADY_EXISTS);
      await advance(ls, "clock", 400); // T + 2500: the new due time
      await ls.request("alice", joinReq(r));
      expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
    });
  }

  clockTest("a room with members is never destroyed, however far its delay is overrun [ROOM-EXIST-1, DESTROY-DELAY-1]", async ({ ls }) => {
    const r = ls.room("r1");
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", createReq(r, { delay: 1 }));
    await advance(ls, "clock", 3_000);
    await ls.request("bob", joinReq(r));
    expect(ls.reply?.result.case).toBe("joinRoom");
    await ls.request("alice", leaveReq(r));
    await advance(ls, "clock", 3_000);
    await ls.request("bob", { case: "queryRoomOnlineMemberCount", value: { roomId: r } });
    expect(ls.reply?.result.case === "queryRoomOnlineMemberCount" && ls.reply.result.value.count).toBe(1);
  });

  // ---- Delay d > 0 in real time ----------------------------------------------------------

  test("real time, delay 1 s: pending at once (create fails ROOM_ALREADY_EXISTS), destroyed within a second after the delay, a later create is a new room [DESTROY-DELAY-1, DESTROY-DELAY-2, DESTROY-DELAY-3, DESTROY-PENDING-2, DESTROY-FORGET-1]", async ({ ls, serverInfo, skip }) => {
    if (serverInfo.features.includes(Feature.TEST_CLOCK)) {
      return skip("the server advertises FEATURE_TEST_CLOCK: real time never destroys rooms there (CLOCK-3); the test-clock variants check the delay");
    }
    const r = ls.room("r1");
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", createReq(r, { name: "kept", delay: 1, attrs: { a: "1" } }));
    await ls.request("alice", leaveReq(r));
    const emptiedAt = Date.now();
    await ls.request("bob", createReq(r));
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
    expect(Date.now() - emptiedAt, "the check ran well within the delay").toBeLessThan(800);
    // d = 1 s, plus the second the spec allows (DESTROY-DELAY-3), plus margin.
    await sleep(Math.max(0, emptiedAt + 2_300 - Date.now()));
    await ls.request("bob", joinReq(r));
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
    await ls.request("bob", createReq(r, { name: "new" }));
    expect(roomOf(ls.reply)?.roomSeq).toBe(0n);
    expect(ls.events("bob").map(show(ls))).toEqual(["(r1, CONNECTING, ACTIVE_CREATE)", "(r1, CONNECTED, SUCCESS)"]);
  }, { target: "constrained" });

  // ---- The server room limit -----------------------------------------------------------------

  test("a destroy-pending room counts toward max_rooms_per_server until it is destroyed [DESTROY-PENDING-3]", async ({ world, limits, serverInfo, skip }) => {
    const cap = limits.maxRoomsPerServer;
    if (cap === 0) return skip("max_rooms_per_server is 0 (no limit): nothing to count against");
    if (cap > 200) return skip(`max_rooms_per_server is ${cap}: too many rooms to fill the server cheaply (run against a server with a small limit)`);
    const body = async () => {
      const clock = serverInfo.features.includes(Feature.TEST_CLOCK);
      // Raw sessions: the model cannot know the other rooms on the server.
      const alice = await world.session("alice");
      const p = world.roomId("pending");
      await alice.call("createRoom", { roomInfo: { roomId: p }, config: { roomDestroyDelaySeconds: 1 } });
      await alice.call("leaveRoom", { roomId: p });
      const emptiedAt = Date.now();
      // Fill the server with occupied delay-0 rooms until it refuses one.
      const fillers: Session[] = [];
      let full = false;
      for (let u = 0; !full && u * limits.maxRoomsPerUser <= cap + 1; u++) {
        const s = await world.session(`fill${u}`);
        fillers.push(s);
        for (let i = 0; i < limits.maxRoomsPerUser; i++) {
          const reply = await s.send({ case: "createRoom", value: { roomInfo: { roomId: world.roomId(`f${u}-${i}`) } } });
          if (errorOf(reply) === ErrorCode.SERVER_ROOM_LIMIT) {
            full = true;
            break;
          }
          expect(reply.result.case).toBe("createRoom");
        }
      }
      expect(full, `the server refused no room up to ${cap} + 1 rooms`).toBe(true);
      const probe = world.roomId("probe");
      expect(errorOf(await alice.send({ case: "createRoom", value: { roomInfo: { roomId: probe } } }))).toBe(ErrorCode.SERVER_ROOM_LIMIT);
      // The pending room still takes a slot; once it is destroyed the slot is free.
      if (clock) await alice.call("advanceClock", { advanceMs: 1_000 });
      else await sleep(Math.max(0, emptiedAt + 2_300 - Date.now()));
      expect((await alice.send({ case: "createRoom", value: { roomInfo: { roomId: probe } } })).result.case).toBe("createRoom");
      await alice.call("leaveRoom", { roomId: probe });
      await Promise.all(fillers.map((s) => s.close()));
    };
    if (serverInfo.features.includes(Feature.TEST_CLOCK)) await withTargetLock(world.target.url, "test-clock", body);
    else await body();
  }, { timeoutMs: 90_000, target: "constrained" });
});
