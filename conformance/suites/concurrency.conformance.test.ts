// Races: requests fired at once from several connections must be
// linearizable (ORDER-4) — some serial order, respecting each connection's
// own order, explains every reply and every session's event stream. These
// are the races real room servers get wrong (Colyseus's joinOrCreate
// duplicates; seats reserved past a cap): spec/transport.md "Ordering",
// spec/decisions.md 11, 13, 14.
import fc from "fast-check";
import { expect } from "vitest";
import { ErrorCode } from "../../protocol/index.js";
import { World, type RequestInput } from "../harness/index.js";
import { ConformanceFailure } from "../driver/evidence.js";
import { Lockstep } from "../driver/lockstep.js";
import { conformanceSuite, propertyRuns } from "../driver/suite.js";
import { harnessTarget } from "../driver/target.js";

const enter = (roomId: string, roomName: string): RequestInput => ({ case: "enterRoom", value: { roomInfo: { roomId, roomName } } });

conformanceSuite("concurrency", (test) => {
  test("users entering the same new room at once: exactly one creates it, with its name; the others join [ORDER-4, ENTER-CREATED-1, ENTER-EXISTING-1]", async ({ ls }) => {
    const users = ["alice", "bob", "carol"];
    await ls.loginAll(users);
    const room = ls.room("r1");
    const { replies, order } = await ls.concurrent(users.map((u) => ({ label: u, request: enter(room, `${u}'s room`) })));
    const created = replies.map((r) => r.result.case === "enterRoom" && r.result.value.created);
    expect(created.filter(Boolean)).toHaveLength(1);
    const creator = users[order[0]!]!;
    for (const r of replies) expect(r.result.case === "enterRoom" && r.result.value.room?.baseInfo?.roomName).toBe(`${creator}'s room`);
  });

  test("one user pipelining enters beyond the per-user cap: handled in arrival order, the excess refused with no effect [ORDER-2, ORDER-6, JOIN-CHECK-3, CREATE-CHECK-2]", async ({ ls, limits }) => {
    await ls.loginAll(["alice", "bob"]);
    const cap = limits.maxRoomsPerUser;
    // bob creates half of the rooms so alice's enters mix joins and creates.
    for (let i = 0; i < cap + 2; i += 2) await ls.request("bob", { case: "createRoom", value: { roomInfo: { roomId: ls.room(`r${i}`) } } });
    const { replies } = await ls.concurrent(Array.from({ length: cap + 2 }, (_, i) => ({ label: "alice", request: enter(ls.room(`r${i}`), "") })));
    const codes = replies.map((r) => (r.result.case === "error" ? r.result.value.code : 0));
    expect(codes.slice(0, cap).every((c) => c === 0)).toBe(true);
    expect(codes.slice(cap)).toEqual([ErrorCode.USER_ROOM_LIMIT, ErrorCode.USER_ROOM_LIMIT]);
  });

  test("switchRoom racing a leave and a join of the same rooms stays atomic [ORDER-4, SWITCH-JOIN-1]", async ({ ls }) => {
    await ls.loginAll(["alice", "bob", "carol"]);
    const [r1, r2] = [ls.room("r1"), ls.room("r2")];
    await ls.request("alice", { case: "createRoom", value: { roomInfo: { roomId: r1 } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: r1 } });
    await ls.request("carol", { case: "createRoom", value: { roomInfo: { roomId: r2 } } });
    await ls.concurrent([
      { label: "alice", request: { case: "switchRoom", value: { fromRoomId: r1, toRoomInfo: { roomId: r2 }, createIfAbsent: true } } },
      { label: "bob", request: { case: "leaveRoom", value: { roomId: r1 } } },
      { label: "carol", request: { case: "leaveRoom", value: { roomId: r2 } } },
    ]);
  });

  test("random concurrent batches over a small pool are linearizable [ORDER-4, ORDER-2, ORDER-5]", async ({ spec, encoding, serverInfo }) => {
    const numRuns = Math.ceil(propertyRuns(spec) / 2);
    const rooms = ["r0", "r1", "r2"];
    const op = fc.oneof(
      fc.constantFrom(...rooms).map((r) => (ls: Lockstep): RequestInput => enter(ls.room(r), r)),
      fc.constantFrom(...rooms).map((r) => (ls: Lockstep): RequestInput => ({ case: "joinRoom", value: { roomId: ls.room(r) } })),
      fc.constantFrom(...rooms).map((r) => (ls: Lockstep): RequestInput => ({ case: "leaveRoom", value: { roomId: ls.room(r) } })),
      fc.tuple(fc.constantFrom(...rooms), fc.constantFrom(...rooms), fc.boolean()).map(([a, b, c]) => (ls: Lockstep): RequestInput => ({
        case: "switchRoom",
        value: { fromRoomId: ls.room(a), toRoomInfo: { roomId: ls.room(b) }, createIfAbsent: c },
      })),
      fc.constantFrom(...rooms).map((r) => (ls: Lockstep): RequestInput => ({ case: "setRoomAttributes", value: { roomId: ls.room(r), attributes: { k: r } } })),
      fc.constantFrom(...rooms).map((r) => (ls: Lockstep): RequestInput => ({ case: "sendRoomMessage", value: { roomId: ls.room(r), kind: 1, payload: new TextEncoder().encode("hi") } })),
    );
    const users = ["u0", "u1", "u2"];
    const batch = fc.array(fc.tuple(fc.integer({ min: 0, max: users.length - 1 }), op), { minLength: 2, maxLength: 4 });
    const details = await fc.check(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 4 }), async (batches) => {
        const world = new World(harnessTarget(spec, encoding));
        try {
          const ls = new Lockstep(world, serverInfo);
          await ls.loginAll(users);
          for (const b of batches) await ls.concurrent(b.map(([u, build]) => ({ label: users[u]!, request: build(ls) })));
        } finally {
          await world.closeAll();
        }
      }),
      { numRuns, ...(spec.seed !== undefined ? { seed: spec.seed } : {}), ...(spec.path !== undefined ? { path: spec.path, endOnFailure: true } : {}) },
    );
    if (details.failed) {
      const cause = details.errorInstance;
      const replayArgs = ` --seed ${details.seed} --path "${details.counterexamplePath ?? ""}"`;
      if (cause instanceof ConformanceFailure) throw new ConformanceFailure(cause.message, { ...cause.evidence, replayArgs });
      throw cause;
    }
  }, { timeoutMs: 300_000 });
});
