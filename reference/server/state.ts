// The server's in-memory state. Every lookup an operation needs is a map
// access: rooms by ID, the live session of a user, a room's members by user
// ID (in join order), a user's rooms (in join order). No operation scans all
// rooms or all sessions.
import type { RoomMessage } from "../../protocol/index.js";
import type { Scheduler, TimerHandle } from "./clock.js";
import { FixedWindow } from "./rate-limit.js";
import type { LimitValues } from "./limits.js";
import type { PageTokens } from "./page-token.js";

/** One connection's session. The transport owns the socket; the core only sees this. */
export class Session {
  userId = "";
  userName = "";
  loggedIn = false;
  /** Set once the session is over (logout, kick, disconnect): it receives nothing more. */
  ended = false;
  /** Rooms the session is a member of, in the order it joined them (a Set keeps insertion order). */
  readonly rooms = new Set<string>();
  readonly requestRate: FixedWindow;
  readonly messageRate: FixedWindow;

  constructor(
    readonly id: number,
    limits: LimitValues,
  ) {
    this.requestRate = new FixedWindow(limits.requestRate);
    this.messageRate = new FixedWindow(limits.messageRate);
  }
}

export interface Member {
  readonly session: Session;
  readonly userName: string;
  /** Increasing across the whole server, so page tokens stay meaningful across rejoins and rooms. */
  readonly joinIndex: number;
}

export interface RoomAttribute {
  value: string;
  owner: string;
  deleteAfterOwnerLeft: boolean;
}

export interface MemberAttribute {
  value: string;
  deleteAfterLeft: boolean;
}

export class Room {
  /** Members by user ID; Map iteration order is join order (a rejoin re-inserts at the end). */
  readonly members = new Map<string, Member>();
  attributes = new Map<string, RoomAttribute>();
  /** Member attributes by user ID, kept for users who left unless flagged; only non-empty maps are stored. */
  readonly memberAttributes = new Map<string, Map<string, MemberAttribute>>();
  readonly history: RoomMessage[] = [];
  seq = 0;
  destroyTimer: TimerHandle | undefined;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly destroyDelaySeconds: number,
  ) {}
}

export interface Features {
  messageHistory: boolean;
  testClock: boolean;
}

export class ServerState {
  readonly rooms = new Map<string, Room>();
  /** The live, logged-in session of each user. */
  readonly sessionsByUser = new Map<string, Session>();
  private nextJoinIndex = 1;
  private nextMessageNumber = 1;
  private nextSessionId = 1;

  constructor(
    readonly limits: LimitValues,
    readonly features: Features,
    readonly scheduler: Scheduler,
    readonly pageTokens: PageTokens,
    /** Prefix of message IDs, so IDs stay unique across restarts of one deployment. */
    readonly messageIdPrefix: string,
  ) {}

  newSession(): Session {
    return new Session(this.nextSessionId++, this.limits);
  }

  takeJoinIndex(): number {
    return this.nextJoinIndex++;
  }

  takeMessageId(): string {
    return `${this.messageIdPrefix}${this.nextMessageNumber++}`;
  }
}
