// The model's own spec tests for member queries and pagination
// (spec/members.md, spec/member-attributes.md list).
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/index.js";
import { isTokenPlaceholder } from "./placeholders.js";
import { World, errorOf, result, rq } from "./test-kit.js";

/** u1…un join r1 in order (s1 creates). */
function room(n: number): World {
  const w = new World(undefined);
  for (let i = 1; i <= n; i++) w.open(`s${i}`, `u${i}`);
  w.ok("s1", rq.create("r1"));
  for (let i = 2; i <= n; i++) w.ok(`s${i}`, rq.join("r1"));
  return w;
}

function page(w: World, session: string, token: string, count: number) {
  const r = result(w.ok(session, rq.memberList("r1", token, count)).reply, "queryRoomMemberList");
  return { ids: r.members.map((m) => m.userId), token: r.nextToken };
}

describe("queryRoomMemberList pagination [MEMBERS-LIST-*, MEMBERS-TOKEN-1, MEMBERS-TOKEN-2]", () => {
  it("pages through every member once, in join order; next_token empty exactly on the last page", () => {
    const w = room(5);
    const p1 = page(w, "s1", "", 2);
    expect(p1.ids).toEqual(["u1", "u2"]);
    expect(isTokenPlaceholder(p1.token)).toBe(true);
    const p2 = page(w, "s1", p1.token, 2);
    expect(p2.ids).toEqual(["u3", "u4"]);
    const p3 = page(w, "s1", p2.token, 2);
    expect(p3).toEqual({ ids: ["u5"], token: "" });
    expect(w.recipients()).toEqual([]); // [MEMBERS-QUIET-1]
  });

  it("count 0 means max_page_size; a page that ends exactly at the last member has an empty token", () => {
    const w = room(5);
    const p1 = page(w, "s2", "", 0);
    expect(p1.ids).toEqual(["u1", "u2", "u3"]);
    expect(page(w, "s2", p1.token, 2)).toEqual({ ids: ["u4", "u5"], token: "" });
  });

  it("is robust to changes between pages: continues after the position, even if that member left", () => {
    const w = room(5);
    const p1 = page(w, "s5", "", 2); // u1, u2
    w.ok("s2", rq.leave("r1")); // the member at the position leaves
    w.ok("s3", rq.leave("r1"));
    w.ok("s3", rq.join("r1")); // placed last
    w.open("s6", "u6");
    w.ok("s6", rq.join("r1"));
    const p2 = page(w, "s5", p1.token, 2);
    expect(p2.ids).toEqual(["u4", "u5"]);
    expect(page(w, "s5", p2.token, 2)).toEqual({ ids: ["u3", "u6"], token: "" });
  });

  it("includes user names [MEMBERS-LIST-7]", () => {
    const w = room(1);
    const r = result(w.ok("s1", rq.memberList("r1")).reply, "queryRoomMemberList");
    expect(r.members.map((m) => [m.userId, m.userName])).toEqual([["u1", "u1-name"]]);
    expect(r.roomId).toBe("r1");
  });

  it("validates room_id, count, next_token before the room checks", () => {
    const w = room(2);
    w.open("s9", "u9");
    w.ok("s9", rq.create("r2"));
    const r2token = result(w.ok("s9", rq.memberList("r2", "", 0)).reply, "queryRoomMemberList").nextToken;
    expect(r2token).toBe(""); // one member: no token; make one with two members
    w.ok("s1", rq.join("r2"));
    const t2 = result(w.ok("s9", rq.memberList("r2", "", 1)).reply, "queryRoomMemberList").nextToken;
    const code = (s: string, roomId: string, token: string, count: number) => errorOf(w.do(s, rq.memberList(roomId, token, count)).reply);
    expect(code("s1", "bad id", "junk", 99)).toBe("INVALID_ARGUMENT(room_id)");
    expect(code("s1", "r1", "junk", 4)).toBe("INVALID_ARGUMENT(count)");
    expect(code("s1", "r1", "junk", 3)).toBe("INVALID_ARGUMENT(next_token)");
    expect(code("s1", "r1", t2, 3)).toBe("INVALID_ARGUMENT(next_token)"); // issued for another room
    expect(code("s1", "nowhere", t2, 3)).toBe("INVALID_ARGUMENT(next_token)"); // argument check before the room check
    expect(code("s1", "nowhere", "", 3)).toBe("ROOM_NOT_FOUND");
    expect(code("s9", "r1", "", 3)).toBe("NOT_IN_ROOM");
  });

  it("a token of an earlier room of the same ID may be refused or accepted as any position [MEMBERS-TOKEN-3]", () => {
    const w = room(3);
    const t = page(w, "s1", "", 1).token;
    for (const s of ["s1", "s2", "s3"]) w.ok(s, rq.leave("r1")); // destroyed (delay 0)
    // While the room is absent: refused, or accepted and then ROOM_NOT_FOUND.
    expect(w.all("s1", rq.memberList("r1", t, 1)).map((o) => errorOf(o.reply)).sort()).toEqual(["INVALID_ARGUMENT(next_token)", "ROOM_NOT_FOUND"]);
    w.ok("s1", rq.create("r1"));
    w.ok("s2", rq.join("r1"));
    const outcomes = w.all("s1", rq.memberList("r1", t, 1));
    const pages = outcomes.map((o) =>
      o.reply?.result.case === "queryRoomMemberList" ? o.reply.result.value.members.map((m) => m.userId).join(",") + (o.reply.result.value.nextToken ? "+" : "") : errorOf(o.reply),
    );
    // Any start position of the new room: before u1, after u1, after u2.
    expect(pages.sort()).toEqual(["", "INVALID_ARGUMENT(next_token)", "u1+", "u2"]);
  });

  it("a token of the other paginated query may be refused or accepted [MEMBERS-TOKEN-4]", () => {
    const w = room(3);
    const t = page(w, "s1", "", 1).token;
    const outcomes = w.all("s1", rq.memberAttrsList("r1", t, 1));
    // Nobody holds attributes: accepted gives an empty last page.
    expect(outcomes.map((o) => errorOf(o.reply)).sort()).toEqual(["INVALID_ARGUMENT(next_token)", "ok"]);
  });
});

describe("queryRoomMembers and queryRoomOnlineMemberCount [MEMBERS-BYID-*, MEMBERS-COUNT-1]", () => {
  it("returns members and not_found in request order, deduplicated", () => {
    const w = room(3);
    const r = result(w.ok("s2", rq.members("r1", ["u3", "nobody", "u1", "u3", "nobody"])).reply, "queryRoomMembers");
    expect(r.members.map((m) => m.userId)).toEqual(["u3", "u1"]);
    expect(r.notFound.map((u) => [u.userId, ErrorCode[u.code]])).toEqual([["nobody", "NOT_IN_ROOM"]]);
  });

  it("validates user_ids after deduplication", () => {
    const w = room(1);
    const code = (ids: string[]) => errorOf(w.do("s1", rq.members("r1", ids)).reply);
    expect(code([])).toBe("INVALID_ARGUMENT(user_ids)");
    expect(code(["a", "b", "c", "d", "e"])).toBe("INVALID_ARGUMENT(user_ids)");
    expect(code(["a", "b", "c", "d", "a", "b"])).toBe("ok");
    expect(code(["ok", "not ok"])).toBe("INVALID_ARGUMENT(user_ids)");
  });

  it("counts members, the caller included", () => {
    const w = room(3);
    expect(result(w.ok("s3", rq.count("r1")).reply, "queryRoomOnlineMemberCount").count).toBe(3);
  });
});

describe("queryRoomMemberAttributesList [MATTR-LIST-*]", () => {
  it("pages over the members holding attributes, in join order", () => {
    const w = room(4);
    w.ok("s1", rq.setMemberAttrs("r1", ["u4", "u1"], { k: "1" })); // users limit 2
    const r1 = result(w.ok("s2", rq.memberAttrsList("r1", "", 1)).reply, "queryRoomMemberAttributesList");
    expect(r1.infos.map((i) => [i.userId, i.attributes])).toEqual([["u1", { k: "1" }]]);
    const r2 = result(w.ok("s2", rq.memberAttrsList("r1", r1.nextToken, 1)).reply, "queryRoomMemberAttributesList");
    expect(r2.infos.map((i) => i.userId)).toEqual(["u4"]);
    expect(r2.nextToken).toBe("");
    expect(errorOf(w.do("s2", rq.memberAttrsList("r1", "", 4)).reply)).toBe("INVALID_ARGUMENT(count)");
  });
});
