// DISCONNECT-1 — a dropped connection's rooms are left only after a grace period.
// Mistake: a "reconnect grace" keeps the user in its rooms for 10 s after the
// socket drops, so the other members hear MemberLeft late.
// A naive test waits generously (or polls) for MemberLeft after a disconnect and gets it.
import { Engine, type Outcome } from "../../../reference/server/engine.js";
import type { Session } from "../../../reference/server/state.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

const GRACE_MS = 10_000;

class GraceEngine extends Engine {
  deliverLater: (outcome: Outcome) => void = () => {};
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  override disconnect(session: Session, now: number): Outcome {
    if (!session.loggedIn || session.ended || this.stopped) return super.disconnect(session, now);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.deliverLater(super.disconnect(session, Date.now()));
    }, GRACE_MS);
    this.timers.add(timer);
    return { outbound: [], closes: [], reply: undefined };
  }

  /** Shutdown: no more grace periods, and none pending. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

export const mutant: Mutant = {
  name: "disconnect-grace-period",
  requirement: "DISCONNECT-1",
  mistake: "a dropped connection keeps its rooms for a 10 s reconnect grace period before the leave effects run",
  whyNaiveTestMisses: "a test that waits long enough for MemberLeft after a disconnect receives it; the spec allows no grace period, so the suite waits only its event timeout",
  start: async (options) => {
    const server = await compose({ engine: (state) => new GraceEngine(state) }, options);
    const engine = server.engine as GraceEngine;
    engine.deliverLater = (outcome) => server.transport.deliver(outcome, undefined);
    return {
      url: server.url,
      close: () => {
        engine.stop();
        return server.close();
      },
    };
  },
};
