// KICK-1 — a second Login of the same user does not end the first session.
// Mistake: sessions are keyed by connection, not by user, so a new login of a
// user simply adds a session (multi-device by accident) and nobody is kicked.
// A naive test never logs the same user in twice.
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";
import { Engine, type PendingLogin } from "../../../reference/server/engine.js";
import type { TokenVerdict } from "../../../reference/server/auth.js";
import type { Session } from "../../../reference/server/state.js";

class NoKickEngine extends Engine {
  override finishLogin(session: Session, pending: PendingLogin, verdict: TokenVerdict, now: number) {
    // Forget the older session before the login sees it: it stays connected and in its rooms.
    const older = this.state.sessionsByUser.get(pending.request.userId);
    if (verdict.ok && older !== undefined && older !== session) this.state.sessionsByUser.delete(pending.request.userId);
    return super.finishLogin(session, pending, verdict, now);
  }
}

export const mutant: Mutant = {
  name: "second-login-keeps-first",
  requirement: "KICK-1",
  mistake: "sessions are tracked per connection, so a second login of a user just adds a session instead of kicking the older one",
  whyNaiveTestMisses: "tests log each user in once; only a second login of the same user shows that nobody was kicked",
  start: (options) => compose({ engine: (state) => new NoKickEngine(state) }, options),
};
