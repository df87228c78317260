// CLOCK-5 — AdvanceClock does not destroy a room due exactly at the new time.
// Mistake: due timers are selected with `due < now` instead of `due <= now`,
// so a room whose delay ends exactly at the new clock reading survives.
// A naive test advances well past the due time.
import { TestClock, type TimerHandle } from "../../../reference/server/clock.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

/** Every timer falls due 1 ms late: for whole-millisecond advances, the same as firing only `due < now`. */
class ExclusiveBoundaryClock extends TestClock {
  override schedule(delayMs: number, fn: () => void): TimerHandle {
    return super.schedule(delayMs + 1, fn);
  }
}

export const mutant: Mutant = {
  name: "clock-boundary-exclusive",
  requirement: "CLOCK-5",
  mistake: "AdvanceClock fires the timers due strictly before the new time (`due < now`), so a room due exactly at the new time is not destroyed",
  whyNaiveTestMisses: "advancing past the due time destroys the room either way; only an advance landing exactly on t + 1000·d shows the boundary",
  start: (options) => compose({ clock: () => new ExclusiveBoundaryClock() }, options),
};
