import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_REQUEST_ID, nextRequestId, RequestIdAllocator } from "./request-id.js";

describe("request IDs", () => {
  it("count 1, 2, 3 … and wrap from 2^32 − 1 to 1, never 0", () => {
    expect(MAX_REQUEST_ID).toBe(2 ** 32 - 1);
    expect(nextRequestId(0)).toBe(1);
    expect(nextRequestId(1)).toBe(2);
    expect(nextRequestId(MAX_REQUEST_ID - 1)).toBe(MAX_REQUEST_ID);
    expect(nextRequestId(MAX_REQUEST_ID)).toBe(1);
  });

  it("always give a valid uint32 other than 0", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_REQUEST_ID }), (previous) => {
        const id = nextRequestId(previous);
        expect(id).toBeGreaterThanOrEqual(1);
        expect(id).toBeLessThanOrEqual(MAX_REQUEST_ID);
        expect(id === previous + 1 || (previous === MAX_REQUEST_ID && id === 1)).toBe(true);
      }),
    );
  });

  it("allocate in order from 1", () => {
    const ids = new RequestIdAllocator();
    expect([ids.next(() => false), ids.next(() => false), ids.next(() => false)]).toEqual([1, 2, 3]);
  });

  it("skip IDs still outstanding after the wrap", () => {
    const ids = new RequestIdAllocator(MAX_REQUEST_ID - 1);
    const outstanding = new Set([1, 2, 4]);
    const inUse = (id: number) => outstanding.has(id);
    expect([ids.next(inUse), ids.next(inUse), ids.next(inUse)]).toEqual([MAX_REQUEST_ID, 3, 5]);
  });
});
