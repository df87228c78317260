// Event kinds and their generated types, derived from the Event oneof so the
// map cannot drift from the contract.
import type { Event as ServerEvent } from "../../protocol/index.js";
import { EventSchema } from "../../protocol/index.js";

/** Every event kind a server sends: the `Event.event` oneof case names. */
export type EventKind = NonNullable<ServerEvent["event"]["case"]>;

/** Event kind → generated event type, e.g. `roomStateChanged` → `RoomStateChangedEvent`. */
export type EventMap = { [K in EventKind]: Extract<ServerEvent["event"], { case: K }>["value"] };

/** One event of a known kind, as the generated oneof: narrow it with `switch (e.case)`. */
export type KnownEvent = Exclude<ServerEvent["event"], { case: undefined }>;

/** The event kinds of this protocol version, in field-number order. */
export const EVENT_KINDS: readonly EventKind[] = EventSchema.oneofs[0]!.fields.map((f) => f.localName as EventKind);

/** The event a frame carries, or undefined for a kind this client does not know (newer server). */
export function knownEvent(event: ServerEvent): KnownEvent | undefined {
  return event.event.case === undefined ? undefined : event.event;
}
