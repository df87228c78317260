// A working copy of the world for one step: copy-on-write of the top-level
// maps only. Rooms and sessions are immutable values; a rule that changes
// one stores a new value under the same key, so a step costs O(rooms +
// sessions) map copying plus the rooms it touches, never the whole world.
import type { Event, Reply } from "../../protocol/index.js";
import type {
  Counters,
  ModelConfig,
  ModelState,
  PageCursor,
  Room,
  Session,
  SessionKey,
} from "./state.js";

/** What the server must do for one action, as seen on the wire. */
export interface Expected {
  /** The reply (request_id filled by the caller or StepContext.requestId); undefined when no reply is expected. */
  reply: Reply | undefined;
  /** Exact events each session receives, in order. Sessions not present receive nothing. */
  events: Map<SessionKey, Event[]>;
  /** Sessions the server closes, with the close code (kick 4001, logout 1000). */
  closes: Map<SessionKey, number>;
}

/** One allowed result of an action: what must be observed and the world after it. */
export interface Outcome extends Expected {
  state: ModelState;
}

export class Draft {
  readonly config: ModelConfig;
  nowMs: number;
  readonly sessions: Map<SessionKey, Session>;
  readonly users: Map<string, SessionKey>;
  readonly rooms: Map<string, Room>;
  readonly tokens: Map<string, PageCursor>;
  counters: Counters;
  readonly events = new Map<SessionKey, Event[]>();
  readonly closes = new Map<SessionKey, number>();

  /** Non-determinism the spec allows: see choose(). */
  private readonly script: readonly number[];
  readonly choices: number[] = [];
  readonly arities: number[] = [];

  constructor(state: ModelState, script: readonly number[] = []) {
    this.config = state.config;
    this.nowMs = state.nowMs;
    this.sessions = new Map(state.sessions);
    this.users = new Map(state.users);
    this.rooms = new Map(state.rooms);
    this.tokens = new Map(state.tokens);
    this.counters = state.counters;
    this.script = script;
  }

  get limits() {
    return this.config.limits;
  }

  /**
   * Where the spec lets the server choose (a MAY), a rule asks which of
   * `arity` alternatives this run takes. step() re-runs the rule once per
   * combination, so every allowed outcome is returned.
   */
  choose(arity: number): number {
    const i = this.choices.length;
    const pick = this.script[i] ?? 0;
    this.choices.push(pick);
    this.arities.push(arity);
    return pick;
  }

  session(key: SessionKey): Session {
    const s = this.sessions.get(key);
    if (s === undefined) throw new Error(`model: unknown session ${key}`);
    return s;
  }

  setSession(s: Session): void {
    this.sessions.set(s.key, s);
  }

  room(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  setRoom(room: Room): void {
    this.rooms.set(room.roomId, room);
  }

  /** The live session of a logged-in user (every member has one: an invariant). */
  sessionOfUser(userId: string): SessionKey {
    const key = this.users.get(userId);
    if (key === undefined) throw new Error(`model: member ${userId} has no live session`);
    return key;
  }

  emit(to: SessionKey, event: Event): void {
    const list = this.events.get(to);
    if (list === undefined) this.events.set(to, [event]);
    else list.push(event);
  }

  /** Sends an event to every member of `room` except `exceptUserId`, in join order. */
  emitToMembers(room: Room, event: Event, exceptUserId?: string): void {
    for (const m of room.members) {
      if (m.userId !== exceptUserId) this.emit(this.sessionOfUser(m.userId), event);
    }
  }

  close(session: SessionKey, code: number): void {
    this.closes.set(session, code);
  }

  nextCounter(name: keyof Counters): number {
    const n = this.counters[name] + 1;
    this.counters = { ...this.counters, [name]: n };
    return n;
  }

  toState(): ModelState {
    return {
      config: this.config,
      nowMs: this.nowMs,
      sessions: this.sessions,
      users: this.users,
      rooms: this.rooms,
      tokens: this.tokens,
      counters: this.counters,
    };
  }

  outcome(reply: Reply | undefined): Outcome {
    return { reply, events: this.events, closes: this.closes, state: this.toState() };
  }
}

/**
 * Runs `rule` on a fresh draft of `state` once per combination of the
 * choices it makes, and returns one outcome per combination.
 */
export function explore(state: ModelState, rule: (d: Draft) => Reply | undefined): Outcome[] {
  const outcomes: Outcome[] = [];
  const pending: number[][] = [[]];
  while (pending.length > 0) {
    const script = pending.pop()!;
    const d = new Draft(state, script);
    outcomes.push(d.outcome(rule(d)));
    // Siblings of every choice made beyond the prefix this run was given.
    for (let i = script.length; i < d.choices.length; i++) {
      for (let alt = 1; alt < d.arities[i]!; alt++) {
        pending.push([...d.choices.slice(0, i), alt]);
      }
    }
  }
  return outcomes;
}
