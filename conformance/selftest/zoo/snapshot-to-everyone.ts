// SNAPSHOT-3 — the attribute snapshot of a join goes to every member, not only the joiner.
// Mistake: the snapshot is broadcast to the room instead of sent to the
// session that entered.
// A naive test checks that the joiner receives the snapshot.
import type { Mutant } from "../descriptor.js";
import { caseOf, compose, RewritingEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "snapshot-to-everyone",
  requirement: "SNAPSHOT-3",
  mistake: "after a join the attribute snapshot is broadcast to every member of the room instead of only the joiner",
  whyNaiveTestMisses: "the joiner gets its snapshot right; only the other members' streams hold the extra copy",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome, session, frame) => {
            const kind = frame.request.case;
            if (kind !== "joinRoom" && kind !== "enterRoom" && kind !== "switchRoom") return outcome;
            const outbound = outcome.outbound.map((o) => {
              const e = o.event.event;
              // The snapshot is the only attribute event with no operator.
              if (caseOf(o) !== "roomAttributesUpdated" || e.case !== "roomAttributesUpdated" || e.value.operatorUserId !== "") return o;
              const room = state.rooms.get(e.value.roomId);
              return { ...o, recipients: [...(room?.members.values() ?? [])].map((m) => m.session).filter((s) => !s.ended) };
            });
            return { ...outcome, outbound };
          }),
      },
      options,
    ),
};
