// The limits the reference server enforces: the brief's defaults (§10),
// overrides from options or CLI flags, and the generated `Limits` message
// that the Login reply advertises — built from the same numbers the server
// enforces, so what is advertised is exactly what is enforced.
import { create } from "@bufbuild/protobuf";
import { LimitsSchema, RateLimitSchema, type Limits } from "../../protocol/index.js";

/** A fixed-window rate limit: at most `maxCount` counted requests per window; 0 = unlimited. */
export interface RateLimitValue {
  maxCount: number;
  windowMs: number;
}

/** Every limit as a plain value (names as in the generated `Limits`). */
export interface LimitValues {
  maxFrameBytes: number;
  maxRoomsPerUser: number;
  /** 0 = no limit. */
  maxRoomsPerServer: number;
  /** 0 = no limit. */
  maxMembersPerRoom: number;
  maxUserIdBytes: number;
  maxUserNameBytes: number;
  maxRoomIdBytes: number;
  maxRoomNameBytes: number;
  maxRoomDestroyDelaySeconds: number;
  maxRoomAttributes: number;
  maxRoomAttributeKeyBytes: number;
  maxRoomAttributeValueBytes: number;
  maxRoomAttributesTotalBytes: number;
  maxMemberAttributeUsers: number;
  maxMemberAttributesPerUser: number;
  maxMemberAttributeKeyBytes: number;
  maxMemberAttributeValueBytes: number;
  maxMemberAttributesTotalBytes: number;
  maxMessagePayloadBytes: number;
  maxPageSize: number;
  maxQueryUserIds: number;
  /** Forced to 0 when FEATURE_MESSAGE_HISTORY is off; at least 1 when it is on. */
  maxHistoryCount: number;
  requestRate: RateLimitValue;
  messageRate: RateLimitValue;
}

export type LimitsOverrides = Partial<LimitValues>;

/** The reference defaults (brief §10). */
export const DEFAULT_LIMITS: Readonly<LimitValues> = Object.freeze({
  maxFrameBytes: 65_536,
  maxRoomsPerUser: 5,
  maxRoomsPerServer: 100_000,
  maxMembersPerRoom: 10_000,
  maxUserIdBytes: 64,
  maxUserNameBytes: 64,
  maxRoomIdBytes: 128,
  maxRoomNameBytes: 64,
  maxRoomDestroyDelaySeconds: 10_800,
  maxRoomAttributes: 20,
  maxRoomAttributeKeyBytes: 16,
  maxRoomAttributeValueBytes: 1024,
  maxRoomAttributesTotalBytes: 5120,
  maxMemberAttributeUsers: 500,
  maxMemberAttributesPerUser: 30,
  maxMemberAttributeKeyBytes: 8,
  maxMemberAttributeValueBytes: 64,
  maxMemberAttributesTotalBytes: 144,
  maxMessagePayloadBytes: 32_768,
  maxPageSize: 100,
  maxQueryUserIds: 100,
  maxHistoryCount: 50,
  requestRate: Object.freeze({ maxCount: 2000, windowMs: 1000 }),
  messageRate: Object.freeze({ maxCount: 500, windowMs: 1000 }),
});

/** Limits that must be positive: a 0 would make the protocol unusable (only the fields documented "0 = no limit" may be 0). */
const POSITIVE: ReadonlyArray<keyof LimitValues> = [
  "maxFrameBytes",
  "maxRoomsPerUser",
  "maxUserIdBytes",
  "maxRoomIdBytes",
  "maxRoomAttributes",
  "maxRoomAttributeKeyBytes",
  "maxMemberAttributeUsers",
  "maxMemberAttributesPerUser",
  "maxMemberAttributeKeyBytes",
  "maxPageSize",
  "maxQueryUserIds",
];

const UINT32_MAX = 0xffff_ffff;

/** Applies overrides to the defaults and checks every value; throws a RangeError naming a bad one. */
export function resolveLimitValues(overrides: LimitsOverrides = {}, messageHistory = true): LimitValues {
  const merged: LimitValues = {
    ...DEFAULT_LIMITS,
    ...stripUndefined(overrides),
    requestRate: { ...DEFAULT_LIMITS.requestRate, ...overrides.requestRate },
    messageRate: { ...DEFAULT_LIMITS.messageRate, ...overrides.messageRate },
  };
  if (!messageHistory) merged.maxHistoryCount = 0;
  else if (merged.maxHistoryCount === 0) throw new RangeError("limit maxHistoryCount must be at least 1 while message history is on");
  for (const [name, value] of Object.entries(merged) as [keyof LimitValues, unknown][]) {
    if (typeof value === "number") checkUint32(name, value, POSITIVE.includes(name));
  }
  for (const name of ["requestRate", "messageRate"] as const) {
    checkUint32(`${name}.maxCount`, merged[name].maxCount, false);
    // A window of 0 ms cannot hold any request; refuse it unless the limit is off.
    checkUint32(`${name}.windowMs`, merged[name].windowMs, merged[name].maxCount > 0);
  }
  return merged;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkUint32(name: string, value: number, positive: boolean): void {
  if (!Number.isInteger(value) || value < (positive ? 1 : 0) || value > UINT32_MAX) {
    throw new RangeError(`limit ${name} must be an integer from ${positive ? 1 : 0} to ${UINT32_MAX}, got ${value}`);
  }
}

/** The generated `Limits` message advertising these values. */
export function toLimitsMessage(v: LimitValues): Limits {
  const { requestRate, messageRate, ...plain } = v;
  return create(LimitsSchema, {
    ...plain,
    requestRate: create(RateLimitSchema, requestRate),
    messageRate: create(RateLimitSchema, messageRate),
  });
}
