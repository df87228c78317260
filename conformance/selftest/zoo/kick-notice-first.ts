// KICK-CONN-1 — the kicked session hears KICKED_OUT before its room events.
// Mistake: the kick notifies the old connection first ("you were kicked"),
// then cleans up its rooms, so KICKED_OUT is not the last frame.
// A naive test of the kick checks that KICKED_OUT and close 4001 arrive, not
// where KICKED_OUT sits among the frames, and often kicks a session in no room.
import type { Mutant } from "../descriptor.js";
import { caseOf, compose } from "../kit.js";
import { Engine, type PendingLogin } from "../../../reference/server/engine.js";
import type { TokenVerdict } from "../../../reference/server/auth.js";
import type { Session } from "../../../reference/server/state.js";

class NoticeFirstEngine extends Engine {
  override finishLogin(session: Session, pending: PendingLogin, verdict: TokenVerdict, now: number) {
    const outcome = super.finishLogin(session, pending, verdict, now);
    const notice = outcome.outbound.findIndex((o) => caseOf(o) === "connectionStateChanged");
    if (notice < 0) return outcome;
    const kicked = outcome.outbound[notice]!.recipients[0];
    const first = outcome.outbound.findIndex((o) => o.recipients.includes(kicked!));
    const outbound = [...outcome.outbound];
    const [moved] = outbound.splice(notice, 1);
    outbound.splice(first, 0, moved!);
    return { ...outcome, outbound };
  }
}

export const mutant: Mutant = {
  name: "kick-notice-first",
  requirement: "KICK-CONN-1",
  mistake: "the kick sends ConnectionStateChanged{KICKED_OUT} to the old connection first and then leaves its rooms, so room events follow it",
  whyNaiveTestMisses: "a test that only looks for KICKED_OUT and close 4001 (or kicks a session in no room) sees both arrive",
  start: (options) => compose({ engine: (state) => new NoticeFirstEngine(state) }, options),
};
