// What an operation does besides its reply: events to sessions, in order,
// and sessions to close. The core only records them; the transport sends
// every event before the reply (the visibility rule) and then closes.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  EventSchema,
  type Event,
  type ReplySchema,
} from "../../protocol/index.js";
import type { Room, Session } from "./state.js";

/** One event and who receives it. A room event is encoded once for all its recipients. */
export interface Outbound {
  readonly recipients: readonly Session[];
  readonly event: Event;
}

/** A session the transport must close (after sending its queued events). */
export interface SessionClose {
  readonly session: Session;
  readonly code: number;
  readonly reason: string;
}

/** The reply's `result` oneof, as an init shape the engine wraps into a Reply. */
export type ResultInit = NonNullable<MessageInitShape<typeof ReplySchema>["result"]>;
export type EventInit = NonNullable<MessageInitShape<typeof EventSchema>["event"]>;

export class Effects {
  readonly outbound: Outbound[] = [];
  readonly closes: SessionClose[] = [];

  /** An event to one session. */
  toSession(session: Session, event: EventInit): void {
    if (session.ended) return;
    this.outbound.push({ recipients: [session], event: create(EventSchema, { event }) });
  }

  /** An event to every current member of a room, optionally except one user. */
  toMembers(room: Room, event: EventInit, exceptUserId?: string): void {
    const recipients: Session[] = [];
    for (const [userId, member] of room.members) {
      if (userId !== exceptUserId && !member.session.ended) recipients.push(member.session);
    }
    if (recipients.length > 0) this.outbound.push({ recipients, event: create(EventSchema, { event }) });
  }

  close(session: Session, code: number, reason: string): void {
    this.closes.push({ session, code, reason });
  }
}
