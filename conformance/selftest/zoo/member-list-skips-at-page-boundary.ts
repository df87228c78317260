// MEMBERS-LIST-5 — the member list skips one member at every page boundary.
// Mistake: next_token names the first member of the next page, but the next
// query resumes *after* the token's position (an inclusive/exclusive mix-up).
// A naive test lists a room that fits in one page.
import { okReply, RewritingEngine, compose } from "../kit.js";
import type { Mutant } from "../descriptor.js";

export const mutant: Mutant = {
  name: "member-list-skips-at-page-boundary",
  requirement: "MEMBERS-LIST-5",
  mistake: "queryRoomMemberList's next_token marks the next page's first member while the query resumes after the marked member, skipping it",
  whyNaiveTestMisses: "a room that fits in one page (count 0 means max_page_size = 100) is listed completely; only pagination loses members",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome, _session, frame) => {
            const page = okReply(outcome, "queryRoomMemberList");
            if (frame.request.case !== "queryRoomMemberList" || page === undefined || page.nextToken === "") return outcome;
            const room = state.rooms.get(page.roomId);
            const after = state.pageTokens.read("members", page.roomId, page.nextToken);
            const next = [...(room?.members.values() ?? [])].find((m) => after !== undefined && m.joinIndex > after);
            if (next !== undefined) page.nextToken = state.pageTokens.issue("members", page.roomId, next.joinIndex);
            return outcome;
          }),
      },
      options,
    ),
};
