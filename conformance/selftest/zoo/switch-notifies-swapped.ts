// SWITCH-OTHERS-1 — the target's members get MemberLeft and the source's get MemberJoined.
// Mistake: the member events of a switch follow the ZIM English documentation,
// which has the two rooms swapped.
// A naive test checks that each member event is sent, not to whom.
import type { Mutant } from "../descriptor.js";
import { caseOf, compose, okReply, RewritingEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "switch-notifies-swapped",
  requirement: "SWITCH-OTHERS-1",
  mistake: "switchRoom sends MemberJoined to the source room's members and MemberLeft to the target's (the rooms swapped, as in the ZIM English docs)",
  whyNaiveTestMisses: "both events are sent, with the right rooms and seqs; a test with one observer in both rooms, or only counting events, cannot tell",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome, _session, frame) => {
            if (frame.request.case !== "switchRoom" || okReply(outcome, "switchRoom") === undefined) return outcome;
            const joined = outcome.outbound.find((o) => caseOf(o) === "roomMemberJoined");
            const left = outcome.outbound.find((o) => caseOf(o) === "roomMemberLeft");
            if (joined === undefined || left === undefined) return outcome;
            const outbound = outcome.outbound.map((o) =>
              o === joined ? { ...o, recipients: left.recipients } : o === left ? { ...o, recipients: joined.recipients } : o,
            );
            return { ...outcome, outbound };
          }),
      },
      options,
    ),
};
