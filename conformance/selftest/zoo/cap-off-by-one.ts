// CREATE-CHECK-2 — createRoom lets a user reach max_rooms_per_user + 1 rooms.
// Mistake: the cap check is written `rooms > max` instead of `rooms >= max`
// (checked before the new room is counted).
// A naive test creates a few rooms, well below the cap.
import { createRoom } from "../../../reference/server/rooms.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine, withLimits } from "../kit.js";

export const mutant: Mutant = {
  name: "cap-off-by-one",
  requirement: "CREATE-CHECK-2",
  mistake: "createRoom's per-user cap check compares `rooms > max_rooms_per_user` before counting the new room, allowing one room too many",
  whyNaiveTestMisses: "a test that creates max_rooms_per_user rooms sees them all succeed; only the (max+1)-th must fail",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            createRoom: (ctx, req) => withLimits(state, { maxRoomsPerUser: state.limits.maxRoomsPerUser + 1 }, () => createRoom(ctx, req)),
          }),
      },
      options,
    ),
};
