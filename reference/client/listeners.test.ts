import { afterEach, describe, expect, it, vi } from "vitest";
import { Listeners } from "./listeners.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("listeners", () => {
  it("calls each listener in order and removes exactly the one unsubscribed", () => {
    const set = new Listeners<[number]>();
    const seen: string[] = [];
    const f = (n: number) => seen.push(`f${n}`);
    const offA = set.add(f);
    set.add((n) => seen.push(`g${n}`));
    set.add(f);
    set.emit(1);
    offA();
    offA();
    set.emit(2);
    expect(seen).toEqual(["f1", "g1", "f1", "g2", "f2"]);
    expect(set.size).toBe(2);
  });

  it("keeps calling the others when one throws, and reports the error asynchronously", () => {
    const reported: unknown[] = [];
    vi.spyOn(globalThis, "queueMicrotask").mockImplementation((task) => {
      try {
        task();
      } catch (e) {
        reported.push(e);
      }
    });
    const set = new Listeners<[]>();
    const after = vi.fn();
    const boom = new Error("boom");
    set.add(() => {
      throw boom;
    });
    set.add(after);
    expect(() => set.emit()).not.toThrow();
    expect(after).toHaveBeenCalledTimes(1);
    expect(reported).toEqual([boom]);
  });

  it("reports an async listener's rejection the same way", async () => {
    const reported: unknown[] = [];
    vi.spyOn(globalThis, "queueMicrotask").mockImplementation((task) => {
      try {
        task();
      } catch (e) {
        reported.push(e);
      }
    });
    const set = new Listeners<[]>();
    const boom = new Error("async boom");
    set.add(async () => {
      throw boom;
    });
    set.emit();
    await vi.waitFor(() => expect(reported).toEqual([boom]));
  });
});
