// ENTER-REASON-1 — enterRoom of an existing room reports CONNECTING with reason ACTIVE_JOIN.
// Mistake: enterRoom is "room exists ? joinRoom : createRoom", calling the join
// handler verbatim, so the caller's CONNECTING event carries joinRoom's reason.
// A naive test checks the state sequence CONNECTING → CONNECTED but not the reason.
import { RoomState, RoomStateReason } from "../../../protocol/index.js";
import type { Mutant } from "../descriptor.js";
import { compose, okReply, RewritingEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "enter-join-reason",
  requirement: "ENTER-REASON-1",
  mistake: "enterRoom delegates to the joinRoom handler when the room exists, so the caller's CONNECTING carries ACTIVE_JOIN instead of ACTIVE_ENTER",
  whyNaiveTestMisses: "tests check that CONNECTING then CONNECTED arrive, rarely the reason, and enter a new room (ACTIVE_ENTER there is right)",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome, _session, frame) => {
            if (frame.request.case !== "enterRoom" || okReply(outcome, "enterRoom")?.created !== false) return outcome;
            for (const o of outcome.outbound) {
              const e = o.event.event;
              if (e.case === "roomStateChanged" && e.value.state === RoomState.CONNECTING) e.value.reason = RoomStateReason.ACTIVE_JOIN;
            }
            return outcome;
          }),
      },
      options,
    ),
};
