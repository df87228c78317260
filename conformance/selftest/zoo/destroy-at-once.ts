// DESTROY-PENDING-1 — an emptied room is destroyed at once despite its destroy delay.
// Mistake: the server destroys empty rooms immediately; the configured
// room_destroy_delay_seconds is stored and reported but never used.
// A naive test creates rooms with delay 0, or checks only the delay in the reply.
import { TestClock, type TimerHandle } from "../../../reference/server/clock.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

/** Every destroy timer runs now: "destroy when empty", whatever the delay. */
class ImmediateClock extends TestClock {
  override schedule(_delayMs: number, fn: () => void): TimerHandle {
    fn();
    return { id: 0 };
  }
}

export const mutant: Mutant = {
  name: "destroy-at-once",
  requirement: "DESTROY-PENDING-1",
  mistake: "an emptied room is destroyed immediately; room_destroy_delay_seconds is accepted and echoed but never honoured",
  whyNaiveTestMisses: "with delay 0 (the default) destroying at once is right; only rejoining an emptied room with a delay shows it is gone",
  start: (options) => compose({ clock: () => new ImmediateClock() }, options),
};
