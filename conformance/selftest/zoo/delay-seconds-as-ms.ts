// DESTROY-DELAY-2 — a destroy-pending room is destroyed after d milliseconds instead of d seconds.
// Mistake: room_destroy_delay_seconds is passed to the timer as milliseconds
// (the `* 1000` is missing).
// A naive test checks that an emptied room is destroyed "eventually", which it is.
import { TestClock, type TimerHandle } from "../../../reference/server/clock.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

/** The engine asks for d·1000 ms; the timer is armed for d ms, as if the conversion were missing. */
class MillisecondsClock extends TestClock {
  override schedule(delayMs: number, fn: () => void): TimerHandle {
    return super.schedule(delayMs / 1000, fn);
  }
}

export const mutant: Mutant = {
  name: "delay-seconds-as-ms",
  requirement: "DESTROY-DELAY-2",
  mistake: "the destroy timer is armed with room_destroy_delay_seconds as milliseconds: a 5 s delay lasts 5 ms",
  whyNaiveTestMisses: "the room is destroyed after its delay (and much sooner); a test must check it still exists just before d seconds",
  start: (options) => compose({ clock: () => new MillisecondsClock() }, options),
};
