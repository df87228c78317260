import { afterEach, describe, expect, it, vi } from "vitest";
import { RealScheduler, TestClock } from "./clock.js";

describe("TestClock", () => {
  it("fires due timers in due order, ties in scheduling order, and only when advanced", () => {
    const clock = new TestClock();
    const fired: string[] = [];
    clock.schedule(200, () => fired.push("b"));
    clock.schedule(100, () => fired.push("a1"));
    const cancelled = clock.schedule(100, () => fired.push("x"));
    clock.schedule(100, () => fired.push("a2"));
    clock.cancel(cancelled);
    expect(clock.advance(99)).toBe(99);
    expect(fired).toEqual([]);
    clock.advance(101);
    expect(fired).toEqual(["a1", "a2", "b"]);
    expect(clock.pending).toBe(0);
  });

  it("a callback's own timer that falls due in the same advance fires in order", () => {
    const clock = new TestClock();
    const fired: string[] = [];
    clock.schedule(10, () => {
      fired.push("first");
      clock.schedule(5, () => fired.push("chained@15"));
    });
    clock.schedule(20, () => fired.push("second@20"));
    clock.advance(30);
    expect(fired).toEqual(["first", "chained@15", "second@20"]);
    expect(clock.now).toBe(30);
  });
});

describe("RealScheduler", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs after the delay, cancels, and disposes everything", () => {
    vi.useFakeTimers();
    const s = new RealScheduler();
    const fired: number[] = [];
    s.schedule(1000, () => fired.push(1));
    const h = s.schedule(500, () => fired.push(2));
    s.cancel(h);
    vi.advanceTimersByTime(999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([1]);
    s.schedule(10, () => fired.push(3));
    expect(s.pending).toBe(1);
    s.dispose();
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([1]);
    expect(s.pending).toBe(0);
  });
});
