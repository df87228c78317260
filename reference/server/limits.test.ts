import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, resolveLimitValues, toLimitsMessage } from "./limits.js";
import { PageTokens } from "./page-token.js";
import { FixedWindow, takeAll } from "./rate-limit.js";
import { compareUtf8, checkId } from "./validation.js";

describe("limits", () => {
  it("has the brief's defaults and advertises exactly what is resolved", () => {
    expect(DEFAULT_LIMITS.maxRoomsPerUser).toBe(5);
    expect(DEFAULT_LIMITS.maxFrameBytes).toBe(65_536);
    const v = resolveLimitValues({ maxRoomsPerUser: 2, messageRate: { maxCount: 9, windowMs: 10 } });
    const m = toLimitsMessage(v);
    expect(m.maxRoomsPerUser).toBe(2);
    expect(m.messageRate).toMatchObject({ maxCount: 9, windowMs: 10 });
    expect(m.requestRate).toMatchObject({ maxCount: 2000, windowMs: 1000 });
    expect(m.maxHistoryCount).toBe(50);
    expect(toLimitsMessage(resolveLimitValues({}, false)).maxHistoryCount).toBe(0);
  });

  it("refuses values outside uint32, negative, fractional, or 0 where 0 is not allowed", () => {
    expect(() => resolveLimitValues({ maxRoomsPerUser: 0 })).toThrow(/maxRoomsPerUser/);
    expect(() => resolveLimitValues({ maxPageSize: 1.5 })).toThrow(/maxPageSize/);
    expect(() => resolveLimitValues({ maxRoomsPerServer: -1 })).toThrow(/maxRoomsPerServer/);
    expect(() => resolveLimitValues({ requestRate: { maxCount: 5, windowMs: 0 } })).toThrow(/requestRate.windowMs/);
    expect(() => resolveLimitValues({ maxHistoryCount: 0 })).toThrow(/maxHistoryCount/);
    expect(resolveLimitValues({ maxHistoryCount: 0 }, false).maxHistoryCount).toBe(0);
    expect(resolveLimitValues({ maxRoomsPerServer: 0, requestRate: { maxCount: 0, windowMs: 0 } }).maxRoomsPerServer).toBe(0);
  });
});

describe("FixedWindow", () => {
  it("opens a window at the first counted request and refuses until it ends", () => {
    const w = new FixedWindow({ maxCount: 2, windowMs: 100 });
    expect(takeAll([["request_rate", w]], 1000)).toBeUndefined();
    expect(takeAll([["request_rate", w]], 1050)).toBeUndefined();
    expect(takeAll([["request_rate", w]], 1060)).toEqual({ limit: "request_rate", retryAfterMs: 40 });
    expect(takeAll([["request_rate", w]], 1100)).toBeUndefined(); // new window from 1100
    expect(takeAll([["request_rate", w]], 1199)).toBeUndefined();
    expect(takeAll([["request_rate", w]], 1199)?.retryAfterMs).toBe(1);
  });
});

describe("page tokens", () => {
  it("round-trip only for the same kind and room, and only as issued", () => {
    const t = new PageTokens();
    const token = t.issue("members", "room:1", 42);
    expect(t.read("members", "room:1", token)).toBe(42);
    expect(t.read("member-attributes", "room:1", token)).toBeUndefined();
    expect(t.read("members", "room:2", token)).toBeUndefined();
    expect(new PageTokens().read("members", "room:1", token)).toBeUndefined();
    expect(t.read("members", "room:1", `${token}A`)).toBeUndefined();
    expect(t.read("members", "room:1", "")).toBeUndefined();
  });
});

describe("validation", () => {
  it("orders by UTF-8 bytes", () => {
    const keys = ["\u{1F600}", "\uffff", "b", "a", "\u00e9", "ab"];
    expect(keys.sort(compareUtf8)).toEqual(["a", "ab", "b", "\u00e9", "\uffff", "\u{1F600}"]);
    const bytes = (s: string) => [...Buffer.from(s)];
    for (let i = 1; i < keys.length; i++) {
      expect(Buffer.compare(Buffer.from(bytes(keys[i - 1]!)), Buffer.from(bytes(keys[i]!)))).toBe(-1);
    }
  });

  it("checks the ID alphabet and byte length", () => {
    expect(checkId("f", "A-z_0.9:@~", 64)).toBeUndefined();
    for (const bad of ["", "a b", "a/b", "é", "a\n", "x".repeat(65)]) expect(checkId("f", bad, 64)?.detail?.field).toBe("f");
  });
});
