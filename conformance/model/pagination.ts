// Paginated lists (members.md member list, member-attributes.md list) and
// the next_token mechanism.
//
// A token marks a position in the room's join order: the join index of the
// last entry returned. A page holds the current entries after the position,
// in join order, up to `count`; next_token is empty iff none follows
// [MEMBERS-LIST-2, MEMBERS-LIST-3, MEMBERS-LIST-4, MEMBERS-TOKEN-2]. That
// pins every page, even when members come and go between pages, and gives
// the pagination-wide rules: a member present throughout is returned exactly
// once [MEMBERS-LIST-5, MATTR-LIST-4] and pages never go back in join order
// [MEMBERS-LIST-6].
//
// Where the spec allows a choice — a token of an earlier room of the same ID
// [MEMBERS-TOKEN-3] or of the other paginated query [MEMBERS-TOKEN-4] — the
// server may refuse it, or accept it as *some* position; every position
// gives a different page, so the model returns one outcome per position
// (Draft.choose), each exact.
//
// Tokens: the server's are opaque, so the model issues placeholders
// (placeholders.ts) recorded in ModelState.tokens; compare.ts binds each to
// the token the server sent, and StepContext.tokens maps an observed token
// back to its placeholder, so the harness sends the server's own token to both.
import type { Draft } from "./draft.js";
import { tokenPlaceholder, type TokenResolver } from "./placeholders.js";
import type { PageCursor, PageList, Room } from "./state.js";
import { invalid, type Violation } from "./validate.js";

/** One entry of a paginated list. */
export interface ListEntry {
  readonly userId: string;
  readonly joinIndex: number;
}

/**
 * Where a page starts: after the entry with this join index (0: the start),
 * or, for a foreign token the server accepted, at a position of its choosing.
 */
export type PageStart = { readonly afterJoinIndex: number } | { readonly anyPosition: true };

/** count 0 means max_page_size; more is INVALID_ARGUMENT(count) [MEMBERS-LIST-VALID-1, MATTR-LIST-VALID-1]. */
export function checkPageCount(d: Draft, count: number): Violation | undefined {
  const max = d.limits.maxPageSize;
  return count > max ? invalid("count", max, count) : undefined;
}

/** [MEMBERS-LIST-1, MATTR-LIST-1] */
export function pageSize(d: Draft, count: number): number {
  return count === 0 ? d.limits.maxPageSize : count;
}

/**
 * Reads a request's next_token for `list` of room `roomId`. Empty starts the
 * list [MEMBERS-LIST-2]; a token not issued for this room ID is
 * INVALID_ARGUMENT(next_token) [MEMBERS-TOKEN-1]; a token stays valid while
 * its room exists [MEMBERS-TOKEN-2].
 */
export function resolveToken(
  d: Draft,
  token: string,
  roomId: string,
  list: PageList,
  resolver: TokenResolver | undefined,
): Violation | PageStart {
  if (token === "") return { afterJoinIndex: 0 };
  const cursor = d.tokens.get(token) ?? lookupObserved(d, token, resolver);
  if (cursor === undefined || cursor.roomId !== roomId) return invalid("next_token");
  const room = d.room(roomId);
  const sameRoom = room !== undefined && room.incarnation === cursor.incarnation;
  if (sameRoom && cursor.list === list) return { afterJoinIndex: cursor.afterJoinIndex };
  // [MEMBERS-TOKEN-3] (an earlier room of this ID) / [MEMBERS-TOKEN-4] (the other query): refuse or accept.
  if (d.choose(2) === 0) return invalid("next_token");
  return { anyPosition: true };
}

function lookupObserved(d: Draft, token: string, resolver: TokenResolver | undefined): PageCursor | undefined {
  const placeholder = resolver?.modelToken(token);
  return placeholder === undefined ? undefined : d.tokens.get(placeholder);
}

/**
 * The entries of a list in join order: every member [ROOM-ORDER-1], or the
 * members holding ≥ 1 attribute [MATTR-LIST-2] (retained attributes of
 * non-members are invisible [MATTR-RETAIN-2]).
 */
export function listEntries(room: Room, list: PageList): ListEntry[] {
  if (list === "members") return [...room.members];
  return room.members.filter((m) => (room.memberAttributes.get(m.userId)?.size ?? 0) > 0);
}

/**
 * The page after the start and its next_token: entries after the position,
 * at most `size` [MEMBERS-LIST-3, MATTR-LIST-2]; next_token empty iff none
 * follows the page (or the start, for an empty page) [MEMBERS-LIST-4, MATTR-LIST-3].
 */
export function takePage(d: Draft, room: Room, list: PageList, start: PageStart, size: number): { entries: ListEntry[]; nextToken: string } {
  const all = listEntries(room, list);
  let after: number;
  if ("anyPosition" in start) {
    // Position k: after the k-th entry (0: before the first); positions between entries are equivalent.
    const k = d.choose(all.length + 1);
    after = k === 0 ? 0 : all[k - 1]!.joinIndex;
  } else {
    after = start.afterJoinIndex;
  }
  const rest = all.filter((e) => e.joinIndex > after);
  const entries = rest.slice(0, size);
  if (rest.length <= size) return { entries, nextToken: "" };
  const token = tokenPlaceholder(d.nextCounter("tokens"));
  d.tokens.set(token, { roomId: room.roomId, incarnation: room.incarnation, list, afterJoinIndex: entries.at(-1)!.joinIndex });
  return { entries, nextToken: token };
}
