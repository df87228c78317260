// JOIN-CHECK-3 — joinRoom does not enforce the per-user room cap.
// Mistake: the cap is checked where rooms are created (createRoom, enterRoom)
// but joinRoom, which also adds a room to the user's rooms, forgot it.
// A naive cap test fills the cap with createRoom only.
import { joinRoom } from "../../../reference/server/rooms.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine, UNBOUNDED, withLimits } from "../kit.js";

export const mutant: Mutant = {
  name: "join-ignores-cap",
  requirement: "JOIN-CHECK-3",
  mistake: "the per-user room cap is enforced when rooms are created but joinRoom never checks it",
  whyNaiveTestMisses: "a cap test that only creates rooms passes; the cap counts memberships, so joins must be refused too",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            joinRoom: (ctx, req) => withLimits(state, { maxRoomsPerUser: UNBOUNDED }, () => joinRoom(ctx, req)),
          }),
      },
      options,
    ),
};
