// SEQ-4 — a message nobody else hears does not increment room_seq.
// Mistake: room_seq is advanced by the fan-out, once per broadcast that had an
// audience, so a message from the room's only member leaves it unchanged.
// A naive test has at least two members in every room it sends to.
import type { Mutant } from "../descriptor.js";
import { caseOf, compose, okReply, RewritingEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "seq-counts-deliveries",
  requirement: "SEQ-4",
  mistake: "room_seq is incremented when a broadcast is delivered, so a message from the only member (no recipient) does not move it",
  whyNaiveTestMisses: "in rooms with an audience every message increments room_seq; only a message from a lone member shows the repeat",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome) => {
            const message = okReply(outcome, "sendRoomMessage")?.message;
            const room = message && state.rooms.get(message.roomId);
            if (message === undefined || room === undefined || outcome.outbound.some((o) => caseOf(o) === "roomMessageReceived")) return outcome;
            room.seq -= 1;
            message.roomSeq = BigInt(room.seq); // the same message object is kept in the history
            return outcome;
          }),
      },
      options,
    ),
};
