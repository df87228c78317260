import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HarnessError } from "./errors.js";
import { checkIdLength, isValidId, newRunPrefix, scopedId, scopedIdOfLength } from "./ids.js";

describe("run prefixes", () => {
  it("are t + 7 base-36 characters, valid IDs, and distinct across draws", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const p = newRunPrefix();
      expect(p).toMatch(/^t[0-9a-z]{7}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(2000);
  });

  it("depend only on the random bytes given", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
        expect(newRunPrefix(bytes)).toBe(newRunPrefix(Uint8Array.from(bytes)));
        expect(isValidId(newRunPrefix(bytes))).toBe(true);
      }),
    );
  });
});

describe("scoped IDs", () => {
  it("join prefix and label and stay in the ID alphabet", () => {
    expect(scopedId("tabc1234", "alice")).toBe("tabc1234.alice");
    expect(isValidId("a-_.:@~Z9")).toBe(true);
    expect(isValidId("a b")).toBe(false);
    expect(isValidId("é")).toBe(false);
  });

  it("refuse labels outside the alphabet", () => {
    expect(() => scopedId("t", "a b")).toThrow(HarnessError);
    expect(() => scopedId("t", "")).toThrow(HarnessError);
  });

  it("pad to an exact length, unique per label", () => {
    const a = scopedIdOfLength("tabc1234", "r1", 128);
    expect(a).toHaveLength(128);
    expect(isValidId(a)).toBe(true);
    expect(a).not.toBe(scopedIdOfLength("tabc1234", "r2", 128));
    expect(() => scopedIdOfLength("tabc1234", "r1", 5)).toThrow(HarnessError);
  });

  it("are checked against an advertised limit (0 = not known)", () => {
    expect(checkIdLength("abcd", 4, "room ID")).toBe("abcd");
    expect(checkIdLength("abcde", 0, "room ID")).toBe("abcde");
    expect(() => checkIdLength("abcde", 4, "room ID")).toThrow(/over the server's limit of 4/);
  });
});
