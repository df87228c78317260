// Client-side pacing under an advertised rate limit, so the suite never
// trips RATE_LIMITED by accident. The server counts fixed windows of
// `windowMs` by arrival time; the client only knows send times, and arrival
// (or handling) can bunch requests together. So the pacer keeps any
// `maxCount + 1` consecutive sends at least `windowMs + margin` apart, which
// is safe as long as the bunching stays below the margin.
export interface RateLimitLike {
  maxCount: number;
  windowMs: number;
}

/** The margin added to a window: a quarter of it, at least 50 ms. */
export function pacingMargin(windowMs: number): number {
  return Math.max(50, Math.ceil(windowMs / 4));
}

export class RatePacer {
  private readonly sent: number[] = [];
  private head = 0;
  private readonly span: number;

  constructor(private readonly limit: RateLimitLike | undefined) {
    this.span = limit === undefined ? 0 : limit.windowMs + pacingMargin(limit.windowMs);
  }

  /** True when the limit is unlimited (absent or max_count 0). */
  get unlimited(): boolean {
    return this.limit === undefined || this.limit.maxCount === 0 || this.limit.windowMs === 0;
  }

  /** Milliseconds to wait before one more send at time `now`. */
  delay(now: number): number {
    if (this.unlimited || this.sent.length < this.limit!.maxCount) return 0;
    // The send maxCount sends ago must be at least `span` old.
    const oldest = this.sent[this.head]!;
    return Math.max(0, oldest + this.span - now);
  }

  /** Records a send at `now` (keeps only the last maxCount times). */
  record(now: number): void {
    if (this.unlimited) return;
    const max = this.limit!.maxCount;
    if (this.sent.length < max) {
      this.sent.push(now);
    } else {
      this.sent[this.head] = now;
      this.head = (this.head + 1) % max;
    }
  }
}
