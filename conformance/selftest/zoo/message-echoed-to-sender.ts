// MSG-DELIVER-2 — the sender receives its own message as an event.
// Mistake: the message is broadcast to every member of the room, the sender included.
// A naive test checks that the other members receive the message.
import { create } from "@bufbuild/protobuf";
import { EventSchema } from "../../../protocol/index.js";
import type { Mutant } from "../descriptor.js";
import { caseOf, compose, okReply, RewritingEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "message-echoed-to-sender",
  requirement: "MSG-DELIVER-2",
  mistake: "sendRoomMessage broadcasts RoomMessageReceivedEvent to all members, the sender included",
  whyNaiveTestMisses: "every other member receives the message exactly once; only the sender's own stream shows the echo",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome, session) => {
            const message = okReply(outcome, "sendRoomMessage")?.message;
            if (message === undefined) return outcome;
            const delivery = outcome.outbound.find((o) => caseOf(o) === "roomMessageReceived");
            const event = delivery?.event ?? create(EventSchema, { event: { case: "roomMessageReceived", value: { roomId: message.roomId, roomSeq: message.roomSeq, message } } });
            return { ...outcome, outbound: [...outcome.outbound.filter((o) => o !== delivery), { recipients: [session, ...(delivery?.recipients ?? [])], event }] };
          }),
      },
      options,
    ),
};
