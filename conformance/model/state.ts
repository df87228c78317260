// The model's world: what an OpenRoom server holds, reduced to what the spec
// makes observable. Values are immutable by convention: a step never mutates
// a ModelState, it builds a new one that shares every untouched room and
// session with the old one (see draft.ts), so keeping old states is free.
import { Feature, type Limits, type RoomMessage } from "../../protocol/index.js";

/** Harness label for one connection ("s1", …). */
export type SessionKey = string;

/** What the model is told about the server under test: exactly what its Login reply advertises. */
export interface ModelConfig {
  /** Every limit, as advertised in `ServerInfo.limits`; the model never assumes a default. */
  limits: Limits;
  /** Optional features, as advertised in `ServerInfo.features`. */
  features: Feature[];
  /**
   * The test clock's value when the model starts, in ms (FEATURE_TEST_CLOCK
   * only; default 0, a freshly started server [CLOCK-3]). Ignored in real-time mode.
   */
  clockStartMs?: number;
}

/** One connection. */
export interface Session {
  readonly key: SessionKey;
  readonly encoding: "binary" | "json";
  /** Set by a successful Login. */
  readonly user: SessionUser | undefined;
  /** The rooms this session's user is a member of, in the order it joined them [ROOM-ORDER-2]. */
  readonly rooms: readonly string[];
}

export interface SessionUser {
  readonly userId: string;
  readonly userName: string;
}

/** One membership of a room. */
export interface Member {
  readonly userId: string;
  /** The display name given at login. */
  readonly userName: string;
  /** Per-room increasing number of this membership; pagination positions are join indexes. */
  readonly joinIndex: number;
}

/** A room attribute (room-attributes.md). */
export interface RoomAttribute {
  readonly value: string;
  readonly owner: string;
  readonly deleteAfterOwnerLeft: boolean;
}

/** One member attribute key (member-attributes.md). */
export interface MemberAttribute {
  readonly value: string;
  readonly deleteAfterLeft: boolean;
}

/** A pending destruction: the room is empty and waits out its delay [DESTROY-DELAY-1]. */
export interface DestroyTimer {
  readonly dueMs: number;
  /** Scheduling order, to break ties between timers due at the same time (test-clock.md note). */
  readonly order: number;
}

/** A room as the spec defines it (concepts.md). */
export interface Room {
  readonly roomId: string;
  readonly roomName: string;
  readonly destroyDelaySeconds: number;
  /** Distinguishes a room from an earlier room of the same ID (destroyed then created again). */
  readonly incarnation: number;
  readonly seq: bigint;
  /** Ordered by join time. */
  readonly members: readonly Member[];
  readonly nextJoinIndex: number;
  readonly attributes: ReadonlyMap<string, RoomAttribute>;
  /** user_id → key → attribute; kept for former members whose keys were not flagged delete_after_left. */
  readonly memberAttributes: ReadonlyMap<string, ReadonlyMap<string, MemberAttribute>>;
  /** The last `max_history_count` messages, oldest first (FEATURE_MESSAGE_HISTORY only). */
  readonly history: readonly RoomMessage[];
  readonly destroyTimer: DestroyTimer | undefined;
}

/** Which paginated list a next_token continues. */
export type PageList = "members" | "memberAttributes";

/**
 * Where a next_token the model issued points: after the entry with this join
 * index, in this list of this room (see pagination.ts). The model cannot know
 * the server's opaque token, so it issues a placeholder (placeholders.ts);
 * compare.ts binds it to the observed token, and a later request may carry
 * either (StepContext.tokens resolves observed ones).
 */
export interface PageCursor {
  readonly roomId: string;
  readonly incarnation: number;
  readonly list: PageList;
  /** Join index of the last entry the page returned. */
  readonly afterJoinIndex: number;
}

/** Counters for model-issued identities. */
export interface Counters {
  readonly messages: number;
  readonly tokens: number;
  readonly timers: number;
  readonly incarnations: number;
}

export interface ModelState {
  readonly config: ModelConfig;
  /**
   * The model's clock in ms. With FEATURE_TEST_CLOCK it is the server's test
   * clock (moved only by AdvanceClock); otherwise the last real time the
   * harness reported.
   */
  readonly nowMs: number;
  readonly sessions: ReadonlyMap<SessionKey, Session>;
  /** Logged-in user → its one live session [KICK-1]. */
  readonly users: ReadonlyMap<string, SessionKey>;
  /** Every existing room, destroy-pending ones included. */
  readonly rooms: ReadonlyMap<string, Room>;
  /** Model-issued page tokens (placeholders) → position. */
  readonly tokens: ReadonlyMap<string, PageCursor>;
  readonly counters: Counters;
}

export function initialState(config: ModelConfig): ModelState {
  return {
    config,
    nowMs: usesTestClock(config) ? (config.clockStartMs ?? 0) : 0,
    sessions: new Map(),
    users: new Map(),
    rooms: new Map(),
    tokens: new Map(),
    counters: { messages: 0, tokens: 0, timers: 0, incarnations: 0 },
  };
}

export function hasFeature(config: ModelConfig, feature: Feature): boolean {
  return config.features.includes(feature);
}

/** With FEATURE_TEST_CLOCK only AdvanceClock moves time [CLOCK-3]. */
export function usesTestClock(config: ModelConfig): boolean {
  return hasFeature(config, Feature.TEST_CLOCK);
}

// ---- Read-only views, for harness preconditions and tests --------------------

/** The user a session is logged in as, if any. */
export function userOf(state: ModelState, session: SessionKey): string | undefined {
  return state.sessions.get(session)?.user?.userId;
}

/** The rooms of a session, in join order ([] for unknown or logged-out sessions). */
export function roomsOf(state: ModelState, session: SessionKey): readonly string[] {
  return state.sessions.get(session)?.rooms ?? [];
}

/** Whether the session is open (connected and not closed by the server). */
export function isOpen(state: ModelState, session: SessionKey): boolean {
  return state.sessions.has(session);
}

/** The members' user IDs of a room in join order, or undefined if it does not exist. */
export function membersOf(state: ModelState, roomId: string): string[] | undefined {
  return state.rooms.get(roomId)?.members.map((m) => m.userId);
}
