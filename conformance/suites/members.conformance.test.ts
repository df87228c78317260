// Member list (paginated), members by ID, member count: spec/members.md.
//
// Every step runs in lockstep with the model, which predicts each page
// exactly (and binds the server's opaque next_tokens to its own, so a later
// request may carry them); the explicit assertions restate the sentence each
// test checks.
import fc from "fast-check";
import { expect } from "vitest";
import { ErrorCode, type Event, type Reply } from "../../protocol/index.js";
import { Lockstep } from "../driver/lockstep.js";
import { lockstepProperty } from "../driver/property.js";
import { conformanceSuite } from "../driver/suite.js";
import type { RequestInput } from "../harness/index.js";

/** Beyond this many members to log in for one test, a limit is "too large to reach cheaply". */
const REACHABLE_MEMBERS = 150;

// ---- Helpers -------------------------------------------------------------------

function errorOf(reply: Reply | undefined): { code: string; field: string } | undefined {
  if (reply?.result.case !== "error") return undefined;
  return { code: ErrorCode[reply.result.value.code] ?? String(reply.result.value.code), field: reply.result.value.detail?.field ?? "" };
}

/** A member list page: labels (run prefix removed), user names and the raw next_token. */
function page(ls: Lockstep): { roomId: string; users: string[]; names: string[]; next: string } {
  const r = ls.reply?.result;
  if (r?.case !== "queryRoomMemberList") throw new Error(`expected a QueryRoomMemberListResponse, got ${r?.case} ${JSON.stringify(errorOf(ls.reply))}`);
  return { roomId: r.value.roomId, users: r.value.members.map((m) => ls.u(m.userId)), names: r.value.members.map((m) => m.userName), next: r.value.nextToken };
}

function list(ls: Lockstep, label: string, room: string, count = 0, nextToken = ""): Promise<Reply> {
  return ls.request(label, { case: "queryRoomMemberList", value: { roomId: ls.room(room), count, nextToken } });
}

/** Every session of the lockstep received nothing in the last action. */
function expectNoEvents(ls: Lockstep, labels: readonly string[]): void {
  for (const l of labels) expect(ls.events(l).map((e: Event) => e.event.case), `events of ${l}`).toEqual([]);
}

/** Skips when rooms cannot hold `n` members. */
function needMembers(ls: Lockstep, skip: (reason: string) => never, n: number): void {
  const max = ls.limits.maxMembersPerRoom;
  if (max !== 0 && max < n) skip(`max_members_per_room is ${max}; the test needs ${n} members in one room`);
}

/** Logs in `labels` and puts them in `room` in that order (the first creates it, delay 0). */
async function populate(ls: Lockstep, room: string, labels: readonly string[]): Promise<void> {
  for (const [i, l] of labels.entries()) {
    if (!ls.state.sessions.has(l)) await ls.login(l);
    await ls.request(l, i === 0 ? { case: "createRoom", value: { roomInfo: { roomId: ls.room(room) } } } : { case: "joinRoom", value: { roomId: ls.room(room) } });
  }
}

/** A lockstep property with a fresh world per run (driver/property.ts). */
const property = lockstepProperty;

// ---- The suite --------------------------------------------------------------------

conformanceSuite("members", (test) => {
  type QueryKind = "queryRoomMemberList" | "queryRoomMembers" | "queryRoomOnlineMemberCount";
  const QUERIES: QueryKind[] = ["queryRoomMemberList", "queryRoomMembers", "queryRoomOnlineMemberCount"];
  /** A valid request of `kind` for `roomId` (the other arguments valid). */
  const query = (ls: Lockstep, kind: QueryKind, roomId: string): RequestInput => {
    switch (kind) {
      case "queryRoomMemberList":
        return { case: kind, value: { roomId, count: 0, nextToken: "" } };
      case "queryRoomMembers":
        return { case: kind, value: { roomId, userIds: [ls.user("alice")] } };
      case "queryRoomOnlineMemberCount":
        return { case: kind, value: { roomId } };
    }
  };

  // ---- Common checks -------------------------------------------------------------
  for (const kind of QUERIES) {
    test(`${kind}: an invalid room_id (empty, outside the alphabet, one byte too long) → INVALID_ARGUMENT(room_id), no event [MEMBERS-VALID-1, MEMBERS-QUIET-1]`, async ({ ls }) => {
      await populate(ls, "r1", ["alice"]);
      for (const bad of ["", `${ls.room("r1")} `, ls.world.idOfLength("long", ls.limits.maxRoomIdBytes + 1)]) {
        await ls.request("alice", query(ls, kind, bad));
        expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "room_id" });
        expectNoEvents(ls, ["alice"]);
      }
    });

    test(`${kind}: a room that does not exist (never created, or destroyed) → ROOM_NOT_FOUND [MEMBERS-CHECK-1, MEMBERS-QUIET-1]`, async ({ ls }) => {
      await populate(ls, "gone", ["alice"]);
      await ls.request("alice", { case: "leaveRoom", value: { roomId: ls.room("gone") } });
      for (const r of ["never", "gone"]) {
        await ls.request("alice", query(ls, kind, ls.room(r)));
        expect(errorOf(ls.reply)?.code).toBe("ROOM_NOT_FOUND");
        expectNoEvents(ls, ["alice"]);
      }
    });

    test(`${kind}: a caller who is not a member (never was, left, or the room is destroy-pending) → NOT_IN_ROOM [MEMBERS-CHECK-1, MEMBERS-CHECK-2, MEMBERS-QUIET-1]`, async ({ ls }) => {
      await populate(ls, "r1", ["alice"]);
      await ls.login("bob");
      await ls.request("bob", query(ls, kind, ls.room("r1")));
      expect(errorOf(ls.reply)?.code).toBe("NOT_IN_ROOM");
      expectNoEvents(ls, ["alice", "bob"]);
      // A former member.
      await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
      await ls.request("bob", { case: "leaveRoom", value: { roomId: ls.room("r1") } });
      await ls.request("bob", query(ls, kind, ls.room("r1")));
      expect(errorOf(ls.reply)?.code).toBe("NOT_IN_ROOM");
      // A destroy-pending room exists: NOT_IN_ROOM, not ROOM_NOT_FOUND.
      await ls.request("bob", { case: "createRoom", value: { roomInfo: { roomId: ls.room("pending") }, config: { roomDestroyDelaySeconds: ls.limits.maxRoomDestroyDelaySeconds } } });
      await ls.request("bob", { case: "leaveRoom", value: { roomId: ls.room("pending") } });
      await ls.request("bob", query(ls, kind, ls.room("pending")));
      expect(errorOf(ls.reply)?.code).toBe("NOT_IN_ROOM");
      expectNoEvents(ls, ["alice", "bob"]);
    });
  }

  test("validation comes before the state checks: invalid room_id wins over count and token; count wins over the token; a bad token on a missing room is INVALID_ARGUMENT(next_token) [MEMBERS-VALID-1, MEMBERS-LIST-VALID-1, MEMBERS-TOKEN-1]", async ({ ls }) => {
    await populate(ls, "r1", ["alice"]);
    const tooMany = ls.limits.maxPageSize + 1;
    await ls.request("alice", { case: "queryRoomMemberList", value: { roomId: "", count: tooMany, nextToken: "bogus" } });
    expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "room_id" });
    await ls.request("alice", { case: "queryRoomMemberList", value: { roomId: ls.room("r1"), count: tooMany, nextToken: "bogus" } });
    expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "count" });
    await ls.request("alice", { case: "queryRoomMemberList", value: { roomId: ls.room("nowhere"), count: tooMany } });
    expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "count" });
    await ls.request("alice", { case: "queryRoomMemberList", value: { roomId: ls.room("nowhere"), nextToken: "bogus" } });
    expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "next_token" });
    await ls.request("alice", { case: "queryRoomMembers", value: { roomId: "", userIds: [] } });
    expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "room_id" });
    await ls.request("alice", { case: "queryRoomMembers", value: { roomId: ls.room("nowhere"), userIds: [] } });
    expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "user_ids" });
    expectNoEvents(ls, ["alice"]);
  });

  // ---- queryRoomMemberList -----------------------------------------------------------
  test("count above max_page_size → INVALID_ARGUMENT(count); count = max_page_size is accepted [MEMBERS-LIST-VALID-1, MEMBERS-LIST-3]", async ({ ls }) => {
    await populate(ls, "r1", ["alice"]);
    await list(ls, "alice", "r1", ls.limits.maxPageSize + 1);
    expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "count" });
    await list(ls, "alice", "r1", ls.limits.maxPageSize);
    expect(page(ls)).toEqual({ roomId: ls.room("r1"), users: ["alice"], names: ["alice"], next: "" });
  });

  test("count 0 means max_page_size: with max_page_size + 1 members the first page holds exactly max_page_size and a token, the second the last member [MEMBERS-LIST-1, MEMBERS-LIST-3, MEMBERS-LIST-4]", async ({ ls, skip }) => {
    const size = ls.limits.maxPageSize;
    if (size + 1 > REACHABLE_MEMBERS) skip(`max_page_size is ${size}: ${size + 1} members are too many to log in for one test`);
    needMembers(ls, skip, size + 1);
    const labels = Array.from({ length: size + 1 }, (_, i) => `m${i}`);
    await populate(ls, "big", labels);
    await list(ls, "m0", "big", 0);
    const first = page(ls);
    expect(first.users).toEqual(labels.slice(0, size));
    expect(first.next).not.toBe("");
    await list(ls, "m0", "big", 0, first.next);
    expect(page(ls).users).toEqual(labels.slice(size));
    expect(page(ls).next).toBe("");
  }, { timeoutMs: 120_000 });

  test("pages follow join order; next_token is empty exactly on the last page, also when the last page is exactly full; entries carry user_id and the login user_name; the reply carries the room_id [MEMBERS-LIST-2, MEMBERS-LIST-3, MEMBERS-LIST-4, MEMBERS-LIST-6, MEMBERS-LIST-7, MEMBERS-REPLY-1, MEMBERS-QUIET-1]", async ({ ls, skip }) => {
    const n = Math.min(7, ls.limits.maxMembersPerRoom === 0 ? 7 : ls.limits.maxMembersPerRoom);
    if (n < 2) skip("max_members_per_room is 1: nothing to paginate");
    const labels = Array.from({ length: n }, (_, i) => `m${i}`);
    for (const l of labels) await ls.login(l, { userName: `Name ${l} é` });
    await populate(ls, "r1", labels);
    for (const count of [1, 2, 3, n - 1, n, n + 1].filter((c) => c >= 1 && c <= ls.limits.maxPageSize)) {
      let token = "";
      const seen: string[] = [];
      let pages = 0;
      do {
        await list(ls, "m0", "r1", count, token);
        const p = page(ls);
        expect(p.roomId).toBe(ls.room("r1"));
        expect(p.names).toEqual(p.users.map((u) => `Name ${u} é`));
        seen.push(...p.users);
        pages++;
        // Exactly `count` on every page but the last; the token is empty iff nothing follows.
        const remaining = n - seen.length;
        expect(p.users.length).toBe(Math.min(count, remaining + p.users.length));
        expect(p.next === "").toBe(remaining === 0);
        expectNoEvents(ls, labels);
        token = p.next;
      } while (token !== "");
      expect(seen).toEqual(labels);
      expect(pages).toBe(Math.ceil(n / count));
    }
  });

  test("next_token: a made-up token, a token of another room, or any token on a missing room → INVALID_ARGUMENT(next_token); a valid token used by a non-member → NOT_IN_ROOM [MEMBERS-TOKEN-1, MEMBERS-CHECK-2]", async ({ ls, skip }) => {
    needMembers(ls, skip, 2);
    await populate(ls, "a", ["alice", "bob"]);
    await populate(ls, "b", ["carol", "dave"]);
    await list(ls, "alice", "a", 1);
    const tokenOfA = page(ls).next;
    expect(tokenOfA).not.toBe("");
    for (const bad of ["bogus", `${tokenOfA}x`, "0", " "]) {
      await list(ls, "alice", "a", 1, bad);
      expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "next_token" });
    }
    // Another room's token is refused by validation, before the membership check.
    for (const who of ["alice", "carol"]) {
      await list(ls, who, "b", 1, tokenOfA);
      expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "next_token" });
    }
    await list(ls, "alice", "nowhere", 1, tokenOfA);
    expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "next_token" });
    await list(ls, "carol", "a", 1, tokenOfA);
    expect(errorOf(ls.reply)?.code).toBe("NOT_IN_ROOM");
    // The token still works for a member.
    await list(ls, "bob", "a", 1, tokenOfA);
    expect(page(ls)).toMatchObject({ users: ["bob"], next: "" });
    expectNoEvents(ls, ["alice", "bob", "carol", "dave"]);
  });

  test("a token stays valid after the member at its position left; members who leave before their page are skipped, members who join later come last; members present throughout appear exactly once [MEMBERS-TOKEN-2, MEMBERS-LIST-2, MEMBERS-LIST-5, MEMBERS-LIST-6]", async ({ ls, skip }) => {
    needMembers(ls, skip, 4);
    await populate(ls, "r1", ["m0", "m1", "m2", "m3"]);
    await list(ls, "m0", "r1", 2);
    const p1 = page(ls);
    expect(p1.users).toEqual(["m0", "m1"]);
    // m1 (at the token's position) and m2 (not yet returned) leave; m4 joins; m1 rejoins (placed last).
    await ls.request("m1", { case: "leaveRoom", value: { roomId: ls.room("r1") } });
    await ls.request("m2", { case: "leaveRoom", value: { roomId: ls.room("r1") } });
    await ls.login("m4");
    await ls.request("m4", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    await ls.request("m1", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    await list(ls, "m0", "r1", 2, p1.next);
    const p2 = page(ls);
    expect(p2.users).toEqual(["m3", "m4"]);
    await list(ls, "m0", "r1", 2, p2.next);
    const p3 = page(ls);
    expect(p3).toMatchObject({ users: ["m1"], next: "" });
    // m0 and m3 were members throughout: each exactly once.
    const all = [...p1.users, ...p2.users, ...p3.users];
    for (const steady of ["m0", "m3"]) expect(all.filter((u) => u === steady)).toHaveLength(1);
  });

  test("an empty page: when every member after the token's position has left, the page is empty and next_token is empty [MEMBERS-LIST-4, MEMBERS-TOKEN-2, MEMBERS-LIST-3]", async ({ ls, skip }) => {
    needMembers(ls, skip, 3);
    await populate(ls, "r1", ["m0", "m1", "m2"]);
    await list(ls, "m0", "r1", 2);
    const p1 = page(ls);
    expect(p1.users).toEqual(["m0", "m1"]);
    expect(p1.next).not.toBe("");
    await ls.request("m2", { case: "leaveRoom", value: { roomId: ls.room("r1") } });
    await list(ls, "m0", "r1", 2, p1.next);
    expect(page(ls)).toMatchObject({ users: [], next: "" });
  });

  test("a token of a room since destroyed, used with a new room of the same ID: refused with INVALID_ARGUMENT(next_token) or accepted as a position (either passes) [MEMBERS-TOKEN-3]", async ({ ls, skip }) => {
    needMembers(ls, skip, 3);
    await populate(ls, "r1", ["alice", "bob", "carol"]);
    await list(ls, "alice", "r1", 1);
    const old = page(ls).next;
    for (const l of ["alice", "bob", "carol"]) await ls.request(l, { case: "leaveRoom", value: { roomId: ls.room("r1") } });
    await populate(ls, "r1", ["alice", "bob", "carol"]);
    await list(ls, "alice", "r1", 1, old);
    // The lockstep accepted one of the allowed outcomes; say which, and check its shape.
    const e = errorOf(ls.reply);
    if (e !== undefined) expect(e).toEqual({ code: "INVALID_ARGUMENT", field: "next_token" });
    else expect(page(ls).users.length).toBeLessThanOrEqual(1);
  });

  test("a token of the member-attributes list used with the member list (and back): refused or accepted as a position (either passes) [MEMBERS-TOKEN-4]", async ({ ls, skip }) => {
    needMembers(ls, skip, 3);
    await populate(ls, "r1", ["alice", "bob", "carol"]);
    for (const l of ["alice", "bob", "carol"]) {
      await ls.request(l, { case: "setRoomMembersAttributes", value: { roomId: ls.room("r1"), userIds: [ls.user(l)], attributes: { k: "v" } } });
    }
    await ls.request("alice", { case: "queryRoomMemberAttributesList", value: { roomId: ls.room("r1"), count: 1 } });
    const attrToken = ls.reply?.result.case === "queryRoomMemberAttributesList" ? ls.reply.result.value.nextToken : "";
    expect(attrToken).not.toBe("");
    await list(ls, "alice", "r1", 1, attrToken);
    const e = errorOf(ls.reply);
    if (e !== undefined) expect(e).toEqual({ code: "INVALID_ARGUMENT", field: "next_token" });
    await list(ls, "alice", "r1", 1);
    const memberToken = page(ls).next;
    await ls.request("alice", { case: "queryRoomMemberAttributesList", value: { roomId: ls.room("r1"), count: 1, nextToken: memberToken } });
  });

  test("property: over any member count and page size, with members coming and going between pages, a pagination returns every member present throughout exactly once and never goes back in join order [MEMBERS-LIST-2, MEMBERS-LIST-3, MEMBERS-LIST-4, MEMBERS-LIST-5, MEMBERS-LIST-6, MEMBERS-TOKEN-2]", async (t) => {
    const maxMembers = t.limits.maxMembersPerRoom === 0 ? Infinity : t.limits.maxMembersPerRoom;
    const steadyMax = Math.min(6, maxMembers);
    const churners = ["c0", "c1", "c2"];
    type Churn = { who: number; join: boolean };
    const arb = fc.record({
      steady: fc.integer({ min: 1, max: steadyMax }),
      count: fc.integer({ min: 0, max: Math.min(t.limits.maxPageSize, steadyMax + churners.length + 1) }),
      // Churn before each page after the first: churners join (if not in) or leave (if in).
      churn: fc.array(fc.array(fc.record({ who: fc.integer({ min: 0, max: churners.length - 1 }), join: fc.boolean() }), { maxLength: 3 }), { maxLength: 6 }),
    });
    await property(t, arb, async (ls, x) => {
      const steady = Array.from({ length: x.steady }, (_, i) => `s${i}`);
      await populate(ls, "r", steady);
      // Join order of current memberships, for MEMBERS-LIST-6.
      const joined = new Map<string, number>(steady.map((s, i) => [s, i]));
      let clock = steady.length;
      const returned: { user: string; at: number }[] = [];
      let token = "";
      let pageNo = 0;
      do {
        if (pageNo > 0) {
          for (const c of (x.churn[pageNo - 1] ?? []) as Churn[]) {
            const who = churners[c.who]!;
            const isIn = joined.has(who);
            if (c.join && !isIn && joined.size < maxMembers) {
              if (!ls.state.sessions.has(who)) await ls.login(who);
              await ls.request(who, { case: "joinRoom", value: { roomId: ls.room("r") } });
              joined.set(who, clock++);
            } else if (!c.join && isIn) {
              await ls.request(who, { case: "leaveRoom", value: { roomId: ls.room("r") } });
              joined.delete(who);
            }
          }
        }
        await list(ls, "s0", "r", x.count, token);
        const p = page(ls);
        for (const u of p.users) returned.push({ user: u, at: joined.get(u)! });
        token = p.next;
        pageNo++;
      } while (token !== "" && pageNo < 200);
      expect(token).toBe("");
      for (const s of steady) expect(returned.filter((r) => r.user === s), `${s} returned once`).toHaveLength(1);
      const order = returned.map((r) => r.at);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(new Set(order).size).toBe(order.length);
    });
  }, { timeoutMs: 600_000 });

  // ---- queryRoomMembers ---------------------------------------------------------------
  test("queryRoomMembers: members in request order, once each; non-members in not_found with NOT_IN_ROOM, in request order, once each; duplicates count once [MEMBERS-BYID-1, MEMBERS-BYID-2, MEMBERS-REPLY-1, MEMBERS-QUIET-1]", async ({ ls, skip }) => {
    needMembers(ls, skip, 3);
    if (ls.limits.maxQueryUserIds < 4) skip(`max_query_user_ids is ${ls.limits.maxQueryUserIds}; the test looks up 4 distinct users`);
    await populate(ls, "r1", ["alice", "bob", "carol"]);
    await ls.login("dave"); // online, not a member
    const ids = ["carol", "ghost", "alice", "carol", "dave", "ghost", "alice"].map((l) => ls.user(l));
    await ls.request("bob", { case: "queryRoomMembers", value: { roomId: ls.room("r1"), userIds: ids } });
    const r = ls.reply?.result.case === "queryRoomMembers" ? ls.reply.result.value : undefined;
    expect(r?.roomId).toBe(ls.room("r1"));
    expect(r?.members.map((m) => [ls.u(m.userId), m.userName])).toEqual([
      ["carol", "carol"],
      ["alice", "alice"],
    ]);
    expect(r?.notFound.map((f) => [ls.u(f.userId), ErrorCode[f.code]])).toEqual([
      ["ghost", "NOT_IN_ROOM"],
      ["dave", "NOT_IN_ROOM"],
    ]);
    expectNoEvents(ls, ["alice", "bob", "carol", "dave"]);
  });

  test("queryRoomMembers: an empty user_ids → INVALID_ARGUMENT(user_ids) [MEMBERS-BYID-VALID-1]", async ({ ls }) => {
    await populate(ls, "r1", ["alice"]);
    await ls.request("alice", { case: "queryRoomMembers", value: { roomId: ls.room("r1"), userIds: [] } });
    expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "user_ids" });
  });

  test("queryRoomMembers: more than max_query_user_ids distinct IDs → INVALID_ARGUMENT(user_ids); exactly max_query_user_ids distinct IDs with repeats is accepted (the limit applies after deduplication) [MEMBERS-BYID-VALID-2, MEMBERS-BYID-2]", async ({ ls }) => {
    await populate(ls, "r1", ["alice"]);
    const max = ls.limits.maxQueryUserIds;
    const distinct = Array.from({ length: max + 1 }, (_, i) => ls.user(`u${i}`));
    await ls.request("alice", { case: "queryRoomMembers", value: { roomId: ls.room("r1"), userIds: distinct } });
    expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "user_ids" });
    const atLimit = distinct.slice(0, max);
    await ls.request("alice", { case: "queryRoomMembers", value: { roomId: ls.room("r1"), userIds: [...atLimit, ...atLimit.slice(0, 3)] } });
    expect(ls.reply?.result.case === "queryRoomMembers" && ls.reply.result.value.notFound.length).toBe(max);
  });

  test("queryRoomMembers: an invalid user ID (empty, outside the alphabet, one byte too long) → INVALID_ARGUMENT(user_ids) [MEMBERS-BYID-VALID-3]", async ({ ls }) => {
    await populate(ls, "r1", ["alice"]);
    for (const bad of ["", "has space", "é", ls.world.idOfLength("long", ls.limits.maxUserIdBytes + 1)]) {
      await ls.request("alice", { case: "queryRoomMembers", value: { roomId: ls.room("r1"), userIds: [ls.user("alice"), bad] } });
      expect(errorOf(ls.reply)).toEqual({ code: "INVALID_ARGUMENT", field: "user_ids" });
    }
  });

  // ---- queryRoomOnlineMemberCount ------------------------------------------------------
  test("queryRoomOnlineMemberCount counts every member, the caller included, as members join, leave and disconnect [MEMBERS-COUNT-1, MEMBERS-REPLY-1, MEMBERS-QUIET-1]", async ({ ls, skip }) => {
    needMembers(ls, skip, 3);
    const count = async (expected: number) => {
      await ls.request("alice", { case: "queryRoomOnlineMemberCount", value: { roomId: ls.room("r1") } });
      const r = ls.reply?.result.case === "queryRoomOnlineMemberCount" ? ls.reply.result.value : undefined;
      expect([r?.roomId, r?.count]).toEqual([ls.room("r1"), expected]);
      expectNoEvents(ls, ["alice", "bob", "carol"]);
    };
    await populate(ls, "r1", ["alice"]);
    await count(1);
    await ls.login("bob");
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    await ls.login("carol");
    await ls.request("carol", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    await count(3);
    await ls.request("bob", { case: "leaveRoom", value: { roomId: ls.room("r1") } });
    await count(2);
    await ls.disconnect("carol");
    await count(1);
  });
});
