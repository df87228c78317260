// Timers for destroy delays: real timers in production, or the test clock
// (FEATURE_TEST_CLOCK) that only AdvanceClock moves. The core schedules
// through this interface and never touches setTimeout itself.

/** A scheduled callback; pass it back to `cancel`. */
export interface TimerHandle {
  readonly id: number;
}

export interface Scheduler {
  /** Runs `fn` after `delayMs` of this scheduler's time. */
  schedule(delayMs: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle): void;
  /** Timers still pending (for leak checks and shutdown). */
  readonly pending: number;
  /** Cancels every pending timer. */
  dispose(): void;
}

// setTimeout takes at most 2^31-1 ms; longer delays are re-armed in steps.
const MAX_TIMEOUT_MS = 0x7fff_ffff;

/** Real timers, unref'd so a pending destroy delay never keeps the process alive. */
export class RealScheduler implements Scheduler {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  get pending(): number {
    return this.timers.size;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    const dueAt = Date.now() + delayMs;
    const arm = (ms: number) => {
      const t = setTimeout(() => {
        const left = dueAt - Date.now();
        if (left > 0) return arm(Math.min(left, MAX_TIMEOUT_MS));
        this.timers.delete(id);
        fn();
      }, ms);
      t.unref();
      this.timers.set(id, t);
    };
    arm(Math.min(delayMs, MAX_TIMEOUT_MS));
    return { id };
  }

  cancel(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t !== undefined) {
      clearTimeout(t);
      this.timers.delete(handle.id);
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

interface TestTimer {
  id: number;
  dueMs: number;
  fn: () => void;
}

/**
 * The test clock: time starts at 0 and moves only when `advance` is called.
 * Due timers fire in due-time order, ties in scheduling order (brief §9).
 */
export class TestClock implements Scheduler {
  private nowMs = 0;
  private nextId = 1;
  // Scheduling order is id order; a map gives O(1) cancel, and `advance`
  // sorts only the timers that fall due.
  private readonly timers = new Map<number, TestTimer>();

  get now(): number {
    return this.nowMs;
  }

  get pending(): number {
    return this.timers.size;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, dueMs: this.nowMs + delayMs, fn });
    return { id };
  }

  cancel(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Moves the clock forward by `ms`, firing every timer due on the way; returns the new time. */
  advance(ms: number): number {
    const target = this.nowMs + ms;
    for (;;) {
      const due = [...this.timers.values()].filter((t) => t.dueMs <= target).sort((a, b) => a.dueMs - b.dueMs || a.id - b.id);
      if (due.length === 0) break;
      const scheduledBefore = this.nextId;
      for (const t of due) {
        if (!this.timers.delete(t.id)) continue; // cancelled by an earlier timer
        this.nowMs = t.dueMs;
        t.fn();
        // A timer scheduled by a callback may fall due before the rest: re-sort.
        if (this.nextId !== scheduledBefore) break;
      }
    }
    this.nowMs = target;
    return this.nowMs;
  }

  dispose(): void {
    this.timers.clear();
  }
}
