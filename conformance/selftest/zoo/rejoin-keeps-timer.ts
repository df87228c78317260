// DESTROY-CANCEL-1 — rejoining a destroy-pending room does not cancel its destruction.
// Mistake: the destroy timer is never cleared on rejoin; it only checks
// "still empty?" when it fires, so after a rejoin and a second leave the old
// timer destroys the room before its new full delay.
// A naive test rejoins and checks the room exists, which it does until the old timer fires.
import { TestClock } from "../../../reference/server/clock.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

/** Cancelling a timer forgets to clear it. */
class NoCancelClock extends TestClock {
  override cancel(): void {}
}

export const mutant: Mutant = {
  name: "rejoin-keeps-timer",
  requirement: "DESTROY-CANCEL-1",
  mistake: "joining a destroy-pending room does not clear its destroy timer; the stale timer fires at the old due time and destroys the room if it is empty again",
  whyNaiveTestMisses: "right after the rejoin the room exists and works; only emptying it again and advancing less than the full delay shows the old timer",
  start: (options) => compose({ clock: () => new NoCancelClock() }, options),
};
