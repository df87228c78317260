// Argument validation: rules that never depend on state and come before any
// state check [REQUEST-CHECK-5]. Each check returns the Violation of the
// first rule broken, or undefined.
import { ErrorCode, type KeyFailure, type Limits } from "../../protocol/index.js";

/** A failed rule, turned into an Error reply by replies.ts. */
export interface Violation {
  code: ErrorCode;
  /** detail.field: the field INVALID_ARGUMENT(f) names (spec/README.md shorthand). */
  field?: string;
  /** detail.limit / detail.actual, for rules that bound a size or a count. */
  limit?: number;
  actual?: number;
  /** detail.key_failures (batchRoomAttributes). */
  keyFailures?: KeyFailure[];
}

export function invalid(field: string, limit?: number, actual?: number): Violation {
  const v: Violation = { code: ErrorCode.INVALID_ARGUMENT, field };
  if (limit !== undefined) v.limit = limit;
  if (actual !== undefined) v.actual = actual;
  return v;
}

// ---- Bytes and ordering ------------------------------------------------------

/** Length in UTF-8 bytes [TEXT-1] (lone surrogates count as U+FFFD, as the encoder writes them). */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Orders strings by their UTF-8 bytes [TEXT-2], which is code point order;
 * JavaScript's `<` compares UTF-16 code units and differs for characters
 * above U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

export function sortedKeys(map: { readonly [key: string]: string }): string[] {
  return Object.keys(map).sort(compareUtf8);
}

/** Keeps the first occurrence of each value, in request order [TEXT-3]. */
export function dedupe(values: readonly string[]): string[] {
  return [...new Set(values)];
}

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    fatalUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// ---- IDs and names -----------------------------------------------------------

/** The ID alphabet of user and room IDs (concepts.md). IDs are then compared byte for byte, case included (plain string equality) [ID-3]. */
const ID_ALPHABET = /^[A-Za-z0-9\-_.:@~]*$/;

/** A user or room ID: 1..max bytes of the ID alphabet [ID-1, ID-2]. */
export function checkId(value: string, max: number, field: string): Violation | undefined {
  if (value.length === 0) return invalid(field);
  const bytes = utf8Bytes(value);
  if (bytes > max) return invalid(field, max, bytes);
  if (!ID_ALPHABET.test(value)) return invalid(field);
  return undefined;
}

/** A display name: 0..max UTF-8 bytes [LOGIN-CHECK-3, CREATE-VALID-2]. */
export function checkName(value: string, max: number, field: string): Violation | undefined {
  const bytes = utf8Bytes(value);
  return bytes > max ? invalid(field, max, bytes) : undefined;
}

/**
 * A list of user IDs in a query or member-attribute request: deduplicated,
 * 1 to max_query_user_ids, each a valid ID; any fault is
 * INVALID_ARGUMENT(user_ids) [MEMBERS-BYID-VALID-1..3, MATTR-USERS-VALID-1..3].
 * Returns the deduplicated list.
 */
export function checkUserIds(userIds: readonly string[], limits: Limits): Violation | string[] {
  const ids = dedupe(userIds);
  if (ids.length === 0) return invalid("user_ids");
  if (ids.length > limits.maxQueryUserIds) return invalid("user_ids", limits.maxQueryUserIds, ids.length);
  for (const id of ids) {
    if (checkId(id, limits.maxUserIdBytes, "user_ids") !== undefined) return invalid("user_ids");
  }
  return ids;
}

// ---- Room attributes ---------------------------------------------------------

/** Total size of an attribute set: UTF-8 bytes of every key plus every value [TEXT-4]. */
export function attributesBytes(entries: Iterable<readonly [string, string]>): number {
  let n = 0;
  for (const [k, v] of entries) n += utf8Bytes(k) + utf8Bytes(v);
  return n;
}

/** One room attribute key: empty or > max → KEY_TOO_LONG [RATTR-SET-VALID-2, RATTR-DEL-VALID-2, CREATE-VALID-4]. */
export function checkRoomAttributeKey(key: string, limits: Limits): Violation | undefined {
  const bytes = utf8Bytes(key);
  if (bytes === 0 || bytes > limits.maxRoomAttributeKeyBytes) {
    return { code: ErrorCode.ROOM_ATTRIBUTE_KEY_TOO_LONG, limit: limits.maxRoomAttributeKeyBytes, actual: bytes };
  }
  return undefined;
}

/**
 * A set of room attributes as a request carries it: per key in ascending
 * order, KEY_TOO_LONG then VALUE_TOO_LONG, first failure wins; then the pair
 * count [CREATE-VALID-4..7, RATTR-SET-VALID-2..5]. `withTotal` adds the
 * total-size rule of a create config [CREATE-VALID-8].
 */
export function checkRoomAttributeSet(
  attributes: { readonly [key: string]: string },
  limits: Limits,
  withTotal: boolean,
): Violation | undefined {
  const keys = sortedKeys(attributes);
  for (const key of keys) {
    const bad = checkRoomAttributeKey(key, limits);
    if (bad) return bad;
    const valueBytes = utf8Bytes(attributes[key]!);
    if (valueBytes > limits.maxRoomAttributeValueBytes) {
      return { code: ErrorCode.ROOM_ATTRIBUTE_VALUE_TOO_LONG, limit: limits.maxRoomAttributeValueBytes, actual: valueBytes };
    }
  }
  if (keys.length > limits.maxRoomAttributes) {
    return { code: ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT, limit: limits.maxRoomAttributes, actual: keys.length };
  }
  if (withTotal) {
    const total = attributesBytes(Object.entries(attributes));
    if (total > limits.maxRoomAttributesTotalBytes) {
      return { code: ErrorCode.ROOM_ATTRIBUTE_TOTAL_SIZE_LIMIT, limit: limits.maxRoomAttributesTotalBytes, actual: total };
    }
  }
  return undefined;
}

/**
 * Keys of a delete, deduplicated: non-empty [RATTR-DEL-VALID-1], each
 * 1..max bytes [RATTR-DEL-VALID-2], at most max_room_attributes
 * [RATTR-DEL-VALID-3]. Returns the deduplicated keys.
 */
export function checkRoomAttributeKeys(keys: readonly string[], limits: Limits, field: string): Violation | string[] {
  const unique = dedupe(keys);
  if (unique.length === 0) return invalid(field);
  for (const key of unique) {
    const bad = checkRoomAttributeKey(key, limits);
    if (bad) return bad;
  }
  if (unique.length > limits.maxRoomAttributes) {
    return { code: ErrorCode.ROOM_ATTRIBUTE_COUNT_LIMIT, limit: limits.maxRoomAttributes, actual: unique.length };
  }
  return unique;
}

// ---- Member attributes -------------------------------------------------------

/**
 * The attributes of a member-attribute set: non-empty [MATTR-SET-VALID-1];
 * pair count before the keys [MATTR-SET-VALID-2]; then per key in ascending
 * order KEY_TOO_LONG then VALUE_TOO_LONG [MATTR-SET-VALID-3..5].
 */
export function checkMemberAttributeSet(attributes: { readonly [key: string]: string }, limits: Limits): Violation | undefined {
  const keys = sortedKeys(attributes);
  if (keys.length === 0) return invalid("attributes");
  if (keys.length > limits.maxMemberAttributesPerUser) {
    return { code: ErrorCode.MEMBER_ATTRIBUTE_COUNT_LIMIT, limit: limits.maxMemberAttributesPerUser, actual: keys.length };
  }
  for (const key of keys) {
    const keyBytes = utf8Bytes(key);
    if (keyBytes === 0 || keyBytes > limits.maxMemberAttributeKeyBytes) {
      return { code: ErrorCode.MEMBER_ATTRIBUTE_KEY_TOO_LONG, limit: limits.maxMemberAttributeKeyBytes, actual: keyBytes };
    }
    const valueBytes = utf8Bytes(attributes[key]!);
    if (valueBytes > limits.maxMemberAttributeValueBytes) {
      return { code: ErrorCode.MEMBER_ATTRIBUTE_VALUE_TOO_LONG, limit: limits.maxMemberAttributeValueBytes, actual: valueBytes };
    }
  }
  return undefined;
}
