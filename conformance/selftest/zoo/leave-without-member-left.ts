// LEAVE-EFFECT-2 — leaveRoom sends no RoomMemberLeftEvent to the remaining members.
// Mistake: the leaveRoom handler updates the member list but forgot the
// broadcast (disconnects and kicks, which share other code, still send it).
// A naive test checks the leaver's reply and DISCONNECTED event only.
import type { Mutant } from "../descriptor.js";
import { caseOf, compose, okReply, RewritingEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "leave-without-member-left",
  requirement: "LEAVE-EFFECT-2",
  mistake: "leaveRoom removes the member but never broadcasts RoomMemberLeftEvent (room_seq still moves)",
  whyNaiveTestMisses: "the leaver's reply and its (r, DISCONNECTED, SUCCESS) are right; only another member's stream shows the missing event",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome, _session, frame) => {
            if (frame.request.case !== "leaveRoom" || okReply(outcome, "leaveRoom") === undefined) return outcome;
            return { ...outcome, outbound: outcome.outbound.filter((o) => caseOf(o) !== "roomMemberLeft") };
          }),
      },
      options,
    ),
};
