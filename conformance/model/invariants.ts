// Invariants every reachable model state satisfies (spec/). The
// property tests check them after every step; a harness may check them too
// to catch a model bug before blaming a server.
import { utf8Bytes } from "./validate.js";
import type { ModelState } from "./state.js";

/** Every invariant broken by `state`, as sentences (empty when all hold). */
export function checkInvariants(state: ModelState): string[] {
  const problems: string[] = [];
  const limits = state.config.limits;

  for (const [userId, key] of state.users) {
    const s = state.sessions.get(key);
    if (s?.user?.userId !== userId) problems.push(`user ${userId} maps to session ${key}, which is not logged in as it`);
  }
  for (const s of state.sessions.values()) {
    if (s.user === undefined) {
      if (s.rooms.length > 0) problems.push(`session ${s.key} is not logged in but is in rooms`);
      continue;
    }
    // [KICK-1] one live session per user.
    if (state.users.get(s.user.userId) !== s.key) problems.push(`session ${s.key} is logged in as ${s.user.userId} but is not its live session`);
    // [CREATE-CHECK-2, JOIN-CHECK-3] the per-user cap.
    if (s.rooms.length > limits.maxRoomsPerUser) problems.push(`${s.user.userId} is in ${s.rooms.length} rooms, cap ${limits.maxRoomsPerUser}`);
    if (new Set(s.rooms).size !== s.rooms.length) problems.push(`session ${s.key} lists a room twice`);
    for (const roomId of s.rooms) {
      const room = state.rooms.get(roomId);
      if (room === undefined) problems.push(`session ${s.key} is in ${roomId}, which does not exist`);
      else if (!room.members.some((m) => m.userId === s.user!.userId)) problems.push(`session ${s.key} lists ${roomId} but is not a member`);
    }
  }

  if (limits.maxRoomsPerServer !== 0 && state.rooms.size > limits.maxRoomsPerServer) {
    problems.push(`${state.rooms.size} rooms exist, cap ${limits.maxRoomsPerServer}`);
  }
  for (const room of state.rooms.values()) {
    const r = room.roomId;
    // Every member's user is logged in, and lists the room.
    for (const m of room.members) {
      const key = state.users.get(m.userId);
      if (key === undefined) problems.push(`${r}: member ${m.userId} is not logged in`);
      else if (!state.sessions.get(key)?.rooms.includes(r)) problems.push(`${r}: member ${m.userId}'s session does not list the room`);
    }
    if (new Set(room.members.map((m) => m.userId)).size !== room.members.length) problems.push(`${r}: a member appears twice`);
    for (let i = 1; i < room.members.length; i++) {
      if (room.members[i]!.joinIndex <= room.members[i - 1]!.joinIndex) problems.push(`${r}: members not in join order`);
    }
    if (limits.maxMembersPerRoom !== 0 && room.members.length > limits.maxMembersPerRoom) problems.push(`${r}: over max_members_per_room`);
    // [ROOM-EXIST-1, DESTROY-ZERO-1, DESTROY-DELAY-1] an empty room exists only while it waits out a non-zero delay.
    if (room.members.length === 0 && (room.destroyTimer === undefined || room.destroyDelaySeconds === 0)) {
      problems.push(`${r}: empty without a pending destruction`);
    }
    if (room.members.length > 0 && room.destroyTimer !== undefined) problems.push(`${r}: has members and a destroy timer`);
    if (room.attributes.size > limits.maxRoomAttributes) problems.push(`${r}: over max_room_attributes`);
    let total = 0;
    for (const [k, a] of room.attributes) total += utf8Bytes(k) + utf8Bytes(a.value);
    if (total > limits.maxRoomAttributesTotalBytes) problems.push(`${r}: over max_room_attributes_total_bytes`);
    let holders = 0;
    for (const [userId, attrs] of room.memberAttributes) {
      if (attrs.size === 0) problems.push(`${r}: ${userId} kept with no attribute`);
      else holders++;
      if (attrs.size > limits.maxMemberAttributesPerUser) problems.push(`${r}: ${userId} over max_member_attributes_per_user`);
    }
    if (holders > limits.maxMemberAttributeUsers) problems.push(`${r}: over max_member_attribute_users`);
    if (room.history.length > limits.maxHistoryCount) problems.push(`${r}: history longer than max_history_count`);
  }
  return problems;
}
