// MSG-DELIVER-3 — a member who left with leaveRoom still receives the room's messages.
// Mistake: leaveRoom removes the member from the member list but not from the
// room's message subscribers (disconnects drop the subscription with the socket).
// A naive test sends messages to a room whose membership never changes.
import { create } from "@bufbuild/protobuf";
import { EventSchema, type ClientFrame } from "../../../protocol/index.js";
import type { Outcome } from "../../../reference/server/engine.js";
import type { Session } from "../../../reference/server/state.js";
import type { Mutant } from "../descriptor.js";
import { caseOf, compose, okReply, RewritingEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "message-to-former-member",
  requirement: "MSG-DELIVER-3",
  mistake: "leaveRoom does not unsubscribe the leaver from the room's message channel, so it keeps receiving the room's messages",
  whyNaiveTestMisses: "the current members get every message exactly once; only a session that left the room sees the extra delivery",
  start: (options) => {
    // Per room, the sessions that left it by leaveRoom and are still "subscribed".
    const subscribers = new Map<string, Set<Session>>();
    const rewrite = (outcome: Outcome, session: Session, frame: ClientFrame): Outcome => {
      const request = frame.request;
      if (request.case === "leaveRoom" && okReply(outcome, "leaveRoom") !== undefined) {
        subscribers.set(request.value.roomId, (subscribers.get(request.value.roomId) ?? new Set()).add(session));
      }
      const message = okReply(outcome, "sendRoomMessage")?.message;
      if (request.case !== "sendRoomMessage" || message === undefined) return outcome;
      const former = [...(subscribers.get(message.roomId) ?? [])].filter((s) => !s.ended && !s.rooms.has(message.roomId));
      if (former.length === 0) return outcome;
      const delivery = outcome.outbound.find((o) => caseOf(o) === "roomMessageReceived");
      const event = delivery?.event ?? create(EventSchema, { event: { case: "roomMessageReceived", value: { roomId: message.roomId, roomSeq: message.roomSeq, message } } });
      return { ...outcome, outbound: [...outcome.outbound.filter((o) => o !== delivery), { recipients: [...(delivery?.recipients ?? []), ...former], event }] };
    };
    return compose({ engine: (state) => new RewritingEngine(state, rewrite) }, options);
  },
};
