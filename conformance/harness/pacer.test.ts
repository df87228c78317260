import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RatePacer, pacingMargin } from "./pacer.js";

describe("RatePacer", () => {
  it("never delays without a limit or with max_count 0", () => {
    for (const p of [new RatePacer(undefined), new RatePacer({ maxCount: 0, windowMs: 1000 })]) {
      for (let i = 0; i < 100; i++) p.record(0);
      expect(p.delay(0)).toBe(0);
    }
  });

  it("lets max_count sends through, then waits a window plus margin after the oldest", () => {
    const p = new RatePacer({ maxCount: 3, windowMs: 100 });
    for (const t of [0, 10, 20]) {
      expect(p.delay(t)).toBe(0);
      p.record(t);
    }
    expect(pacingMargin(100)).toBe(50);
    expect(p.delay(30)).toBe(120); // 0 + 150 - 30
    p.record(150);
    expect(p.delay(150)).toBe(10); // the send at 10 must be 150 old
  });

  it("keeps every server fixed window at or under max_count, with arrival jitter below the margin", () => {
    // The server's window starts at the first counted arrival after the previous window ended.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 10, max: 1000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 0.99, noNaN: true })), { minLength: 1, maxLength: 200 }),
        (maxCount, windowMs, steps) => {
          const p = new RatePacer({ maxCount, windowMs });
          const jitter = pacingMargin(windowMs) - 1;
          let now = 0;
          const arrivals: number[] = [];
          for (const [gap, j] of steps) {
            now += gap;
            now += p.delay(now);
            p.record(now);
            arrivals.push(now + j * jitter);
          }
          arrivals.sort((a, b) => a - b);
          let windowStart = -Infinity;
          let count = 0;
          for (const a of arrivals) {
            if (a >= windowStart + windowMs) {
              windowStart = a;
              count = 0;
            }
            count++;
            expect(count).toBeLessThanOrEqual(maxCount);
          }
        },
      ),
    );
  });
});
