// LEAVEALL-1 — leaveAllRooms leaves the rooms in room-ID order, not join order.
// Mistake: a user's rooms are kept in a sorted set (a TreeSet / ordered map),
// so leaveAllRooms walks them by ID.
// A naive test joins rooms r1, r2, r3 in that order, where both orders agree.
import { RoomStateReason } from "../../../protocol/index.js";
import { leaveWithEvent } from "../../../reference/server/rooms.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "leave-all-by-id",
  requirement: "LEAVEALL-1",
  mistake: "the user's rooms are stored sorted by ID, so leaveAllRooms leaves (and lists) them in ID order instead of join order",
  whyNaiveTestMisses: "a test whose rooms were joined in ID order sees the right order either way",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            leaveAllRooms(ctx) {
              const roomIds = [...ctx.session.rooms].sort();
              for (const roomId of roomIds) {
                const room = state.rooms.get(roomId);
                if (room !== undefined) leaveWithEvent(ctx, room, ctx.session, RoomStateReason.SUCCESS);
              }
              return { case: "leaveAllRooms", value: { roomIds } };
            },
          }),
      },
      options,
    ),
};
