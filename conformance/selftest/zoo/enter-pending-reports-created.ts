// ENTER-CREATED-1 — enterRoom of a destroy-pending room replies created=true.
// Mistake: "created" is computed as "the room had no members", so entering a
// room that waits out its destroy delay is reported as a creation.
// A naive test enters only rooms that have members or do not exist.
import { enterRoom } from "../../../reference/server/rooms.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "enter-pending-reports-created",
  requirement: "ENTER-CREATED-1",
  mistake: "enterRoom sets created = (the room had no members), so joining a destroy-pending room is reported as created=true",
  whyNaiveTestMisses: "rooms with members and absent rooms give the right flag; only an empty, destroy-pending room tells the two definitions apart",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            enterRoom(ctx, req) {
              const wasEmpty = state.rooms.get(req.roomInfo?.roomId ?? "")?.members.size === 0;
              const result = enterRoom(ctx, req);
              if (result.case === "enterRoom" && wasEmpty) result.value.created = true;
              return result;
            },
          }),
      },
      options,
    ),
  // Caught by the lifecycle scenario that enters a destroy-pending room on the test clock (it cites
  // ENTER-CREATED-1), and now and then by the enterRoom ≡ createRoom + joinRoom property.
};
