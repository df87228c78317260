// JOIN-CHECK-2 — joinRoom by a member succeeds instead of failing ALREADY_IN_ROOM.
// Mistake: join is made "idempotent": a member joining again gets the room
// back as if it had joined (no events), instead of ALREADY_IN_ROOM.
// A naive test joins only rooms the caller is not in.
import { fullInfo } from "../../../reference/server/context.js";
import { joinRoom } from "../../../reference/server/rooms.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "join-when-member-succeeds",
  requirement: "JOIN-CHECK-2",
  mistake: "joinRoom is idempotent: a member who joins again gets a success reply with the room (and nothing happens) instead of ALREADY_IN_ROOM",
  whyNaiveTestMisses: "tests join rooms the caller is not in; the idempotent path is taken only by a repeated join",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            joinRoom(ctx, req) {
              const room = state.rooms.get(req.roomId);
              if (room?.members.has(ctx.session.userId)) return { case: "joinRoom", value: { room: fullInfo(room), history: [] } };
              return joinRoom(ctx, req);
            },
          }),
      },
      options,
    ),
};
