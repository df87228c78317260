// Per-session fixed-window rate limits (brief §10): a window starts at the
// first counted request after the previous window ended; a refused request
// does not count.
import type { RateLimitValue } from "./limits.js";

export class FixedWindow {
  private windowStart = 0;
  private count = 0;
  private started = false;

  constructor(readonly limit: RateLimitValue) {}

  /** Milliseconds until a request can be counted, or 0 if it can be now. */
  retryAfter(now: number): number {
    if (this.limit.maxCount === 0 || !this.started) return 0;
    const end = this.windowStart + this.limit.windowMs;
    if (now >= end) return 0;
    return this.count >= this.limit.maxCount ? Math.max(1, end - now) : 0;
  }

  /** Counts a request; call only after `retryAfter(now)` returned 0. */
  take(now: number): void {
    if (this.limit.maxCount === 0) return;
    if (!this.started || now >= this.windowStart + this.limit.windowMs) {
      this.started = true;
      this.windowStart = now;
      this.count = 0;
    }
    this.count++;
  }
}

/** Which limit refused a request, and when to retry. */
export interface RateRefusal {
  limit: "request_rate" | "message_rate";
  retryAfterMs: number;
}

/** Checks every window first, then counts in all of them: a request refused by one counts in none. */
export function takeAll(windows: ReadonlyArray<readonly [RateRefusal["limit"], FixedWindow]>, now: number): RateRefusal | undefined {
  for (const [limit, w] of windows) {
    const retryAfterMs = w.retryAfter(now);
    if (retryAfterMs > 0) return { limit, retryAfterMs };
  }
  for (const [, w] of windows) w.take(now);
  return undefined;
}
