// SWITCH-ORDER-3 — the caller hears (from, DISCONNECTED) before (to, CONNECTED).
// Mistake: the caller's state events are emitted as CONNECTING(to),
// DISCONNECTED(from), CONNECTED(to): "leave the old room as soon as the switch starts".
// A naive test checks which state events arrive, as a set, not their order.
import { RoomState } from "../../../protocol/index.js";
import type { Outbound } from "../../../reference/server/effects.js";
import type { Mutant } from "../descriptor.js";
import { compose, okReply, RewritingEngine } from "../kit.js";

function isState(o: Outbound, roomId: string, state: RoomState): boolean {
  const e = o.event.event;
  return e.case === "roomStateChanged" && e.value.roomId === roomId && e.value.state === state;
}

export const mutant: Mutant = {
  name: "switch-leaves-first",
  requirement: "SWITCH-ORDER-3",
  mistake: "on a successful switch the caller gets (from, DISCONNECTED) right after (to, CONNECTING), before (to, CONNECTED)",
  whyNaiveTestMisses: "every expected event arrives; only the order of the caller's three state events is wrong",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome, _session, frame) => {
            if (frame.request.case !== "switchRoom" || okReply(outcome, "switchRoom") === undefined) return outcome;
            const from = frame.request.value.fromRoomId;
            const to = frame.request.value.toRoomInfo?.roomId ?? "";
            const outbound = [...outcome.outbound];
            const left = outbound.findIndex((o) => isState(o, from, RoomState.DISCONNECTED));
            const [moved] = outbound.splice(left, 1);
            outbound.splice(outbound.findIndex((o) => isState(o, to, RoomState.CONNECTING)) + 1, 0, moved!);
            return { ...outcome, outbound };
          }),
      },
      options,
    ),
};
