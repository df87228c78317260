// LEAVE-EFFECT-8 — the leaver also receives its own RoomMemberLeftEvent.
// Mistake: MemberLeft is broadcast to the room before the leaver is removed
// from the recipient list, so the leaver hears about itself.
// A naive test checks that the other members got MemberLeft.
import type { Mutant } from "../descriptor.js";
import { caseOf, compose, okReply, RewritingEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "leave-tells-leaver",
  requirement: "LEAVE-EFFECT-8",
  mistake: "leaveRoom broadcasts MemberLeft to the member list including the leaver (broadcast before removal)",
  whyNaiveTestMisses: "the others get exactly the right event; only the leaver's own stream holds the extra one",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome, session, frame) => {
            if (frame.request.case !== "leaveRoom" || okReply(outcome, "leaveRoom") === undefined) return outcome;
            const outbound = outcome.outbound.map((o) => (caseOf(o) === "roomMemberLeft" ? { ...o, recipients: [session, ...o.recipients] } : o));
            return { ...outcome, outbound };
          }),
      },
      options,
    ),
};
