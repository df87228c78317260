// Unique IDs for one run: every user and room ID starts with a random run
// prefix, so runs share one long-lived server without a reset hook and never
// see each other's rooms.
import { randomBytes } from "node:crypto";
import { HarnessError } from "./errors.js";

/** The ID alphabet of user and room IDs (brief §2). */
export const ID_PATTERN = /^[A-Za-z0-9\-_.:@~]+$/;

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** `t` and 7 random base-36 characters (~36^7 = 7.8e10 prefixes): short, so IDs stay far below limits. */
export function newRunPrefix(bytes: Uint8Array = randomBytes(8)): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return `t${n.toString(36).padStart(7, "0").slice(-7)}`;
}

/** `prefix.label`; the label must be in the ID alphabet. */
export function scopedId(prefix: string, label: string): string {
  if (label === "" || !isValidId(label)) {
    throw new HarnessError(`label "${label}" is not in the ID alphabet [A-Za-z0-9-_.:@~]`);
  }
  return `${prefix}.${label}`;
}

/** `prefix.label~` padded with `x` to exactly `bytes` bytes (for tests at an ID length limit). */
export function scopedIdOfLength(prefix: string, label: string, bytes: number): string {
  const base = `${scopedId(prefix, label)}~`;
  if (base.length > bytes) {
    throw new HarnessError(`cannot make an ID of ${bytes} bytes from "${base}" (${base.length} bytes)`);
  }
  return base + "x".repeat(bytes - base.length);
}

/** Throws when a generated ID would break the server's advertised limit (0 = not known yet). */
export function checkIdLength(id: string, limit: number, what: string): string {
  if (limit > 0 && id.length > limit) {
    throw new HarnessError(`${what} "${id}" is ${id.length} bytes, over the server's limit of ${limit}; use a shorter label`);
  }
  return id;
}
