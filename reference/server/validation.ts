// Argument validation that never looks at server state (brief §2: "argument
// validation" comes before every state check). Each check returns the typed
// Error to reply with, or undefined when the argument is fine.
import { isUtf8 } from "node:buffer";
import { ErrorCode, type Error as WireError } from "../../protocol/index.js";
import { failure, invalidArgument } from "./errors.js";
import type { LimitValues } from "./limits.js";

const ID_ALPHABET = /^[A-Za-z0-9\-_.:@~]+$/;

/** Bytes of `s` in UTF-8. */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** Orders strings by their UTF-8 bytes (= code point order), unlike `<` which compares UTF-16 units. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixup(x) - fixup(y);
  }
  return a.length - b.length;
}

// Surrogates (U+D800–DFFF) stand for code points above U+FFFF, so they must
// sort after U+E000–FFFF: shift them up and the others down.
function fixup(u: number): number {
  if (u >= 0xd800 && u <= 0xdfff) return u + 0x2000;
  if (u >= 0xe000) return u - 0x800;
  return u;
}

export function sortedKeys(m: { [k: string]: string }): string[] {
  return Object.keys(m).sort(compareUtf8);
}

/** First occurrence of each value, in order. */
export function dedupe(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** An ID (user or room): 1..max bytes of the ID alphabet `[A-Za-z0-9-_.:@~]`. */
export function checkId(field: string, value: string, maxBytes: number): WireError | undefined {
  if (value.length === 0) return invalidArgument(field, `${field} must not be empty`, maxBytes, 0);
  const bytes = utf8Bytes(value);
  if (bytes > maxBytes) return invalidArgument(field, `${field} is ${bytes} bytes, more than ${maxBytes}`, maxBytes, bytes);
  if (!ID_ALPHABET.test(value)) {
    return invalidArgument(field, `${field} ${JSON.stringify(value)} has a character outside [A-Za-z0-9-_.:@~]`);
  }
  return undefined;
}

/** A display name: 0..max bytes of UTF-8. */
export function checkName(field: string, value: string, maxBytes: number): WireError | undefined {
  const bytes = utf8Bytes(value);
  if (bytes > maxBytes) return invalidArgument(field, `${field} is ${bytes} bytes, more than ${maxBytes}`, maxBytes, bytes);
  return undefined;
}

/** A list of user IDs: deduped, 1..max_query_user_ids, each a valid ID. Returns the deduped list. */
export function checkUserIds(field: string, values: readonly string[], limits: LimitValues): { ids: string[] } | { error: WireError } {
  const ids = dedupe(values);
  if (ids.length === 0) return { error: invalidArgument(field, `${field} must name at least one user`, limits.maxQueryUserIds, 0) };
  if (ids.length > limits.maxQueryUserIds) {
    return {
      error: invalidArgument(field, `${field} names ${ids.length} users, more than ${limits.maxQueryUserIds}`, limits.maxQueryUserIds, ids.length),
    };
  }
  for (const id of ids) {
    const bad = checkId(field, id, limits.maxUserIdBytes);
    if (bad) return { error: bad };
  }
  return { ids };
}

/** Room attribute pairs (set, batch set, create config): per key in UTF-8 order KEY_TOO_LONG then VALUE_TOO_LONG, then the pair count. */
export function checkRoomAttributePairs(field: string, attributes: { [k: string]: string }, limits: LimitValues): WireError | undefined {
  const keys = sortedKeys(attributes);
  for (const key of keys) {
    const keyError = checkRoomAttributeKey(field, key, limits);
    if (keyError) return keyError;
    const valueBytes = utf8Bytes(attributes[key] ?? "");
    if (valueBytes > limits.maxRoomAttributeValueBytes) {
      return failure(
        ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG,
        `the value of room attribute ${JSON.stringify(key)} is ${valueBytes} bytes, more than ${limits.maxRoomAttributeValueBytes}`,
        { field, limit: limits.maxRoomAttributeValueBytes, actual: valueBytes },
      );
    }
  }
  if (keys.length > limits.maxRoomAttributes) {
    return failure(ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT, `${keys.length} room attributes, more than ${limits.maxRoomAttributes}`, {
      field,
      limit: limits.maxRoomAttributes,
      actual: keys.length,
    });
  }
  return undefined;
}

export function checkRoomAttributeKey(field: string, key: string, limits: LimitValues): WireError | undefined {
  const keyBytes = utf8Bytes(key);
  if (keyBytes === 0 || keyBytes > limits.maxRoomAttributeKeyBytes) {
    return failure(
      ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG,
      keyBytes === 0 ? "a room attribute key is empty" : `room attribute key ${JSON.stringify(key)} is ${keyBytes} bytes, more than ${limits.maxRoomAttributeKeyBytes}`,
      { field, limit: limits.maxRoomAttributeKeyBytes, actual: keyBytes },
    );
  }
  return undefined;
}

/** Keys of a delete: non-empty, deduped, each 1..max bytes, at most max_room_attributes. Returns the deduped keys. */
export function checkRoomAttributeKeys(field: string, keys: readonly string[], limits: LimitValues): { keys: string[] } | { error: WireError } {
  const unique = dedupe(keys);
  if (unique.length === 0) return { error: invalidArgument(field, `${field} must name at least one key`) };
  for (const key of unique) {
    const bad = checkRoomAttributeKey(field, key, limits);
    if (bad) return { error: bad };
  }
  if (unique.length > limits.maxRoomAttributes) {
    return {
      error: failure(ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT, `${unique.length} keys, more than ${limits.maxRoomAttributes}`, {
        field,
        limit: limits.maxRoomAttributes,
        actual: unique.length,
      }),
    };
  }
  return { keys: unique };
}

/** Sum of UTF-8 key and value bytes. */
export function pairsBytes(attributes: { [k: string]: string }): number {
  let total = 0;
  for (const [k, v] of Object.entries(attributes)) total += utf8Bytes(k) + utf8Bytes(v);
  return total;
}

/** Member attribute pairs: the pair count first, then per key in UTF-8 order KEY_TOO_LONG, VALUE_TOO_LONG. */
export function checkMemberAttributePairs(field: string, attributes: { [k: string]: string }, limits: LimitValues): WireError | undefined {
  const keys = sortedKeys(attributes);
  if (keys.length === 0) return invalidArgument(field, `${field} must hold at least one pair`);
  if (keys.length > limits.maxMemberAttributesPerUser) {
    return failure(ErrorCode.MEMBER_ATTRIBUTE_COUNT_LIMIT, `${keys.length} member attributes, more than ${limits.maxMemberAttributesPerUser}`, {
      field,
      limit: limits.maxMemberAttributesPerUser,
      actual: keys.length,
    });
  }
  for (const key of keys) {
    const keyBytes = utf8Bytes(key);
    if (keyBytes === 0 || keyBytes > limits.maxMemberAttributeKeyBytes) {
      return failure(
        ErrorCode.MEMBER_ATTRIBUTE_KEY_TOO_LONG,
        keyBytes === 0 ? "a member attribute key is empty" : `member attribute key ${JSON.stringify(key)} is ${keyBytes} bytes, more than ${limits.maxMemberAttributeKeyBytes}`,
        { field, limit: limits.maxMemberAttributeKeyBytes, actual: keyBytes },
      );
    }
    const valueBytes = utf8Bytes(attributes[key] ?? "");
    if (valueBytes > limits.maxMemberAttributeValueBytes) {
      return failure(
        ErrorCode.MEMBER_ATTRIBUTE_VALUE_TOO_LONG,
        `the value of member attribute ${JSON.stringify(key)} is ${valueBytes} bytes, more than ${limits.maxMemberAttributeValueBytes}`,
        { field, limit: limits.maxMemberAttributeValueBytes, actual: valueBytes },
      );
    }
  }
  return undefined;
}

/** A page size: 0 (= max) to max_page_size. Returns the effective count. */
export function checkPageCount(count: number, limits: LimitValues): { count: number } | { error: WireError } {
  if (count > limits.maxPageSize) {
    return { error: invalidArgument("count", `count ${count} is more than ${limits.maxPageSize}`, limits.maxPageSize, count) };
  }
  return { count: count === 0 ? limits.maxPageSize : count };
}

export function isValidUtf8(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}
