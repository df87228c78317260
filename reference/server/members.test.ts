// Member queries, member attributes and pagination against the pure core.
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/index.js";
import { CoreHarness } from "./core-test-support.js";

function roomWith(h: CoreHarness, users: string[]) {
  const sessions = users.map((u) => h.login(u));
  h.ok(sessions[0]!, "createRoom", { roomInfo: { roomId: "r" } });
  for (const s of sessions.slice(1)) h.ok(s, "joinRoom", { roomId: "r" });
  h.drain();
  return sessions;
}

describe("member list pagination", () => {
  it("pages in join order; the token is empty exactly when no member follows", () => {
    const h = new CoreHarness();
    const [a] = roomWith(h, ["u1", "u2", "u3", "u4"]);
    const p1 = h.ok(a!, "queryRoomMemberList", { roomId: "r", count: 2 });
    expect(p1.members.map((m) => m.userId)).toEqual(["u1", "u2"]);
    expect(p1.nextToken).not.toBe("");
    const p2 = h.ok(a!, "queryRoomMemberList", { roomId: "r", count: 2, nextToken: p1.nextToken });
    expect(p2.members.map((m) => m.userId)).toEqual(["u3", "u4"]);
    expect(p2.nextToken).toBe("");
    const all = h.ok(a!, "queryRoomMemberList", { roomId: "r" });
    expect(all.members).toHaveLength(4);
    expect(all.nextToken).toBe("");
  });

  it("a member present for the whole pagination is returned exactly once despite leaves and joins", () => {
    const h = new CoreHarness();
    const [u1, u2, u3] = roomWith(h, ["u1", "u2", "u3", "u4", "u5"]);
    const p1 = h.ok(u1!, "queryRoomMemberList", { roomId: "r", count: 2 });
    h.ok(u2!, "leaveRoom", { roomId: "r" }); // the last returned member leaves
    h.ok(u3!, "leaveRoom", { roomId: "r" });
    h.ok(u3!, "joinRoom", { roomId: "r" }); // rejoins at the end
    const late = h.login("u6");
    h.ok(late, "joinRoom", { roomId: "r" });
    const seen = [...p1.members.map((m) => m.userId)];
    let token = p1.nextToken;
    while (token !== "") {
      const p = h.ok(u1!, "queryRoomMemberList", { roomId: "r", count: 2, nextToken: token });
      seen.push(...p.members.map((m) => m.userId));
      token = p.nextToken;
    }
    expect(seen).toEqual(["u1", "u2", "u4", "u5", "u3", "u6"]);
  });

  it("refuses tokens it did not issue for this room and list, and counts above max_page_size", () => {
    const h = new CoreHarness({ limits: { maxPageSize: 2 } });
    const [a] = roomWith(h, ["u1", "u2", "u3"]);
    h.ok(a!, "createRoom", { roomInfo: { roomId: "other" } });
    const bob = h.login("bob");
    h.ok(bob, "joinRoom", { roomId: "other" });
    const token = h.ok(a!, "queryRoomMemberList", { roomId: "r", count: 1 }).nextToken;
    const field = (req: { roomId: string; nextToken?: string; count?: number }) => {
      const e = h.fails(a!, "queryRoomMemberList", req);
      return `${ErrorCode[e.code]}:${e.detail?.field}`;
    };
    expect(field({ roomId: "r", count: 3 })).toBe("INVALID_ARGUMENT:count");
    expect(field({ roomId: "r", nextToken: "garbage" })).toBe("INVALID_ARGUMENT:next_token");
    expect(field({ roomId: "r", nextToken: `${token}x` })).toBe("INVALID_ARGUMENT:next_token");
    expect(field({ roomId: "other", nextToken: token })).toBe("INVALID_ARGUMENT:next_token");
    expect(h.code(a!, "queryRoomMemberAttributesList", { roomId: "r", nextToken: token })).toBe("INVALID_ARGUMENT");
    // Token validation is argument validation: it comes before ROOM_NOT_FOUND.
    expect(field({ roomId: "gone", nextToken: token })).toBe("INVALID_ARGUMENT:next_token");
    expect(field({ roomId: "gone" })).toBe("ROOM_NOT_FOUND:");
    const stranger = h.login("stranger");
    expect(h.code(stranger, "queryRoomMemberList", { roomId: "r" })).toBe("NOT_IN_ROOM");
  });
});

describe("queryRoomMembers and queryRoomOnlineMemberCount", () => {
  it("members in request order (deduped) and not_found with NOT_IN_ROOM", () => {
    const h = new CoreHarness();
    const [a] = roomWith(h, ["u1", "u2"]);
    const res = h.ok(a!, "queryRoomMembers", { roomId: "r", userIds: ["u2", "x", "u1", "u2", "y"] });
    expect(res.members.map((m) => m.userId)).toEqual(["u2", "u1"]);
    expect(res.notFound.map((f) => `${f.userId}:${ErrorCode[f.code]}`)).toEqual(["x:NOT_IN_ROOM", "y:NOT_IN_ROOM"]);
    expect(h.ok(a!, "queryRoomOnlineMemberCount", { roomId: "r" }).count).toBe(2);
  });

  it("validates user_ids: 1..max deduped, each a valid ID", () => {
    const h = new CoreHarness({ limits: { maxQueryUserIds: 2 } });
    const [a] = roomWith(h, ["u1"]);
    expect(h.fails(a!, "queryRoomMembers", { roomId: "r", userIds: [] }).detail?.field).toBe("user_ids");
    expect(h.fails(a!, "queryRoomMembers", { roomId: "r", userIds: ["a", "b", "c"] }).detail?.field).toBe("user_ids");
    expect(h.fails(a!, "queryRoomMembers", { roomId: "r", userIds: ["a", "b b"] }).detail?.field).toBe("user_ids");
    h.ok(a!, "queryRoomMembers", { roomId: "r", userIds: ["a", "b", "a"] });
  });
});

describe("member attributes", () => {
  it("sets on members; per-user failures; one event to every member with each target's full attributes", () => {
    const h = new CoreHarness();
    const [u1, u2] = roomWith(h, ["u1", "u2"]);
    h.ok(u1!, "setRoomMembersAttributes", { roomId: "r", userIds: ["u2"], attributes: { a: "1" } });
    h.drain();
    const res = h.ok(u1!, "setRoomMembersAttributes", { roomId: "r", userIds: ["ghost", "u2", "u1", "u2"], attributes: { b: "2" } });
    expect(res.failedUsers.map((f) => `${f.userId}:${ErrorCode[f.code]}`)).toEqual(["ghost:NOT_IN_ROOM"]);
    expect(res.infos.map((i) => i.userId)).toEqual(["u2", "u1"]);
    expect(h.take(u2!)).toEqual(["r#3 member-attrs u2{a=1,b=2} u1{b=2} by u1"]);
    expect(h.take(u1!)).toEqual(["r#3 member-attrs u2{a=1,b=2} u1{b=2} by u1"]);
  });

  it("limits per target: merged count, merged bytes, then users holding attributes (counted progressively)", () => {
    const h = new CoreHarness({ limits: { maxMemberAttributesPerUser: 2, maxMemberAttributesTotalBytes: 6, maxMemberAttributeUsers: 2 } });
    const [u1, u2, u3] = roomWith(h, ["u1", "u2", "u3"]);
    h.ok(u1!, "setRoomMembersAttributes", { roomId: "r", userIds: ["u1"], attributes: { a: "1", b: "2" } });
    h.drain();
    const codes = (userIds: string[], attributes: { [k: string]: string }) =>
      h.ok(u1!, "setRoomMembersAttributes", { roomId: "r", userIds, attributes }).failedUsers.map((f) => `${f.userId}:${ErrorCode[f.code]}`);
    expect(codes(["u1"], { c: "3" })).toEqual(["u1:MEMBER_ATTRIBUTE_COUNT_LIMIT"]);
    expect(codes(["u1"], { a: "1234" })).toEqual(["u1:MEMBER_ATTRIBUTE_TOTAL_SIZE_LIMIT"]);
    expect(codes(["u2", "u3"], { x: "1" })).toEqual(["u3:MEMBER_ATTRIBUTE_USERS_LIMIT"]);
    expect(h.take(u3!)).toEqual(["r#4 member-attrs u2{x=1} by u1"]);
    expect(h.take(u2!)).toEqual(["r#4 member-attrs u2{x=1} by u1"]);
  });

  it("validation order: room_id, user_ids, count, per key sorted", () => {
    const h = new CoreHarness({ limits: { maxMemberAttributesPerUser: 2 } });
    const [u1] = roomWith(h, ["u1"]);
    const code = (userIds: string[], attributes: { [k: string]: string }) => {
      const e = h.fails(u1!, "setRoomMembersAttributes", { roomId: "r", userIds, attributes });
      return `${ErrorCode[e.code]}:${e.detail?.field}`;
    };
    expect(code([], { "": "" })).toBe("INVALID_ARGUMENT:user_ids");
    expect(code(["u1"], {})).toBe("INVALID_ARGUMENT:attributes");
    expect(code(["u1"], { "": "", b: "", c: "" })).toBe("MEMBER_ATTRIBUTE_COUNT_LIMIT:attributes");
    expect(code(["u1"], { b: "x".repeat(65), a: "" })).toBe("MEMBER_ATTRIBUTE_VALUE_TOO_LONG:attributes");
    expect(code(["u1"], { b: "x".repeat(65), ["a".repeat(9)]: "" })).toBe("MEMBER_ATTRIBUTE_KEY_TOO_LONG:attributes");
    expect(code(["u1"], { "": "1" })).toBe("MEMBER_ATTRIBUTE_KEY_TOO_LONG:attributes");
  });

  it("flag default true: removed on leave; false: kept, invisible while away, back on rejoin", () => {
    const h = new CoreHarness();
    const [u1, u2] = roomWith(h, ["u1", "u2"]);
    h.ok(u1!, "setRoomMembersAttributes", { roomId: "r", userIds: ["u2"], attributes: { temp: "1" } });
    h.ok(u1!, "setRoomMembersAttributes", { roomId: "r", userIds: ["u2"], attributes: { seat: "3" }, isDeleteAfterOwnerLeft: false });
    h.ok(u2!, "leaveRoom", { roomId: "r" });
    expect(h.ok(u1!, "queryRoomMembersAttributes", { roomId: "r", userIds: ["u2", "u1"] }).infos.map((i) => i.userId)).toEqual(["u1"]);
    expect(h.ok(u1!, "queryRoomMemberAttributesList", { roomId: "r" }).infos).toEqual([]);
    h.ok(u2!, "joinRoom", { roomId: "r" });
    const infos = h.ok(u1!, "queryRoomMembersAttributes", { roomId: "r", userIds: ["u2", "u1"] }).infos;
    expect(infos.map((i) => [i.userId, i.attributes])).toEqual([
      ["u2", { seat: "3" }],
      ["u1", {}],
    ]);
  });

  it("retained attributes of users who left count toward max_member_attribute_users", () => {
    const h = new CoreHarness({ limits: { maxMemberAttributeUsers: 1 } });
    const [u1, u2] = roomWith(h, ["u1", "u2"]);
    h.ok(u1!, "setRoomMembersAttributes", { roomId: "r", userIds: ["u2"], attributes: { s: "1" }, isDeleteAfterOwnerLeft: false });
    h.ok(u2!, "leaveRoom", { roomId: "r" });
    const res = h.ok(u1!, "setRoomMembersAttributes", { roomId: "r", userIds: ["u1"], attributes: { s: "1" } });
    expect(res.failedUsers.map((f) => ErrorCode[f.code])).toEqual(["MEMBER_ATTRIBUTE_USERS_LIMIT"]);
  });

  it("the attribute list pages over members holding attributes, in join order", () => {
    const h = new CoreHarness();
    const [u1] = roomWith(h, ["u1", "u2", "u3", "u4", "u5"]);
    h.ok(u1!, "setRoomMembersAttributes", { roomId: "r", userIds: ["u5", "u2", "u4"], attributes: { k: "v" } });
    const p1 = h.ok(u1!, "queryRoomMemberAttributesList", { roomId: "r", count: 2 });
    expect(p1.infos.map((i) => i.userId)).toEqual(["u2", "u4"]);
    const p2 = h.ok(u1!, "queryRoomMemberAttributesList", { roomId: "r", count: 2, nextToken: p1.nextToken });
    expect(p2.infos.map((i) => i.userId)).toEqual(["u5"]);
    expect(p2.nextToken).toBe("");
    const exact = h.ok(u1!, "queryRoomMemberAttributesList", { roomId: "r", count: 3 });
    expect(exact.nextToken).toBe("");
    expect(h.code(u1!, "queryRoomMemberAttributesList", { roomId: "r", nextToken: p1.nextToken.replace(/^./, "Z") })).toBe("INVALID_ARGUMENT");
  });
});
