// KICK-ROOMS-2 — a kicked session's delete_after_owner_left attributes stay.
// Mistake: the kick path removes the old session from its rooms with a light
// "drop membership" routine that skips the attribute cleanup of the leave effects.
// A naive kick test checks the events and close code, in rooms without flagged attributes.
import type { TokenVerdict } from "../../../reference/server/auth.js";
import { Engine, type PendingLogin } from "../../../reference/server/engine.js";
import type { RoomAttribute, Session } from "../../../reference/server/state.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

class KickSkipsCleanupEngine extends Engine {
  override finishLogin(session: Session, pending: PendingLogin, verdict: TokenVerdict, now: number) {
    const older = this.state.sessionsByUser.get(pending.request.userId);
    const flagged: RoomAttribute[] = [];
    if (verdict.ok && older !== undefined && older !== session) {
      for (const roomId of older.rooms) {
        for (const a of this.state.rooms.get(roomId)?.attributes.values() ?? []) {
          if (a.owner === older.userId && a.deleteAfterOwnerLeft) flagged.push(a);
        }
      }
    }
    for (const a of flagged) a.deleteAfterOwnerLeft = false;
    try {
      return super.finishLogin(session, pending, verdict, now);
    } finally {
      for (const a of flagged) a.deleteAfterOwnerLeft = true;
    }
  }
}

export const mutant: Mutant = {
  name: "kick-keeps-owner-attributes",
  requirement: "KICK-ROOMS-2",
  mistake: "a kick removes the old session from its rooms without the attribute cleanup: its delete_after_owner_left keys stay",
  whyNaiveTestMisses: "kick tests check the kicked session's events and close 4001; the cleanup shows only with flagged attributes and an observer",
  start: (options) => compose({ engine: (state) => new KickSkipsCleanupEngine(state) }, options),
};
