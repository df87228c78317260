// SWITCH-OTHERS-3 — a member of both rooms hears MemberLeft(from) before MemberJoined(to).
// Mistake: the switch broadcasts the source's MemberLeft before the target's
// MemberJoined (the caller's own events are in the right order).
// A naive test has no observer that is a member of both rooms.
import type { Mutant } from "../descriptor.js";
import { caseOf, compose, okReply, RewritingEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "switch-left-before-joined",
  requirement: "SWITCH-OTHERS-3",
  mistake: "switchRoom broadcasts the source room's MemberLeft (and attribute deletion) before the target room's MemberJoined",
  whyNaiveTestMisses: "each room's members get the right events; only a session in both rooms sees the order",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome, _session, frame) => {
            if (frame.request.case !== "switchRoom" || okReply(outcome, "switchRoom") === undefined) return outcome;
            const joined = outcome.outbound.findIndex((o) => caseOf(o) === "roomMemberJoined");
            const left = outcome.outbound.findIndex((o) => caseOf(o) === "roomMemberLeft");
            if (joined < 0 || left < 0) return outcome;
            // The source's broadcasts (MemberLeft and any attribute deletion after it) move before MemberJoined.
            const sourceBroadcasts = outcome.outbound.slice(left).filter((o) => caseOf(o) !== "roomStateChanged");
            const rest = outcome.outbound.filter((o) => !sourceBroadcasts.includes(o));
            rest.splice(rest.indexOf(outcome.outbound[joined]!), 0, ...sourceBroadcasts);
            return { ...outcome, outbound: rest };
          }),
      },
      options,
    ),
};
