// MSG-DELIVER-1 — a member that switched into a room receives each of its messages twice.
// Mistake: switchRoom subscribes the caller to the target's message channel
// itself and then calls the join helper, which subscribes it again.
// A naive test sends messages to members that arrived by createRoom or joinRoom.
import type { Session } from "../../../reference/server/state.js";
import type { Mutant } from "../descriptor.js";
import { caseOf, compose, okReply, RewritingEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "message-twice-after-switch",
  requirement: "MSG-DELIVER-1",
  mistake: "switchRoom subscribes the caller to the target room's messages twice, so it receives every message there twice",
  whyNaiveTestMisses: "members that joined or created the room get each message once; only one that switched in gets duplicates",
  start: (options) => {
    // Sessions subscribed twice, per room; forgotten when the session is no longer a member.
    const doubled = new Map<string, Set<Session>>();
    return compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome, session, frame) => {
            const switched = okReply(outcome, "switchRoom")?.room?.baseInfo?.roomId;
            if (frame.request.case === "switchRoom" && switched !== undefined) doubled.set(switched, (doubled.get(switched) ?? new Set()).add(session));
            for (const [roomId, sessions] of doubled) for (const s of sessions) if (s.ended || !s.rooms.has(roomId)) sessions.delete(s);
            const message = okReply(outcome, "sendRoomMessage")?.message;
            const delivery = outcome.outbound.find((o) => caseOf(o) === "roomMessageReceived");
            if (message === undefined || delivery === undefined) return outcome;
            const twice = delivery.recipients.filter((s) => doubled.get(message.roomId)?.has(s));
            return twice.length === 0 ? outcome : { ...outcome, outbound: [...outcome.outbound, { recipients: twice, event: delivery.event }] };
          }),
      },
      options,
    );
  },
};
