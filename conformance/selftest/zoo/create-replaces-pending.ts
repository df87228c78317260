// DESTROY-PENDING-2 — createRoom over a destroy-pending room replaces it.
// Mistake: "does the room exist?" is answered by "does it have members?", so
// a room waiting out its destroy delay is silently replaced by a new one.
// A naive test creates rooms whose IDs are free or whose rooms have members.
import { ErrorCode } from "../../../protocol/index.js";
import { createRoom } from "../../../reference/server/rooms.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine, resultErrorCode } from "../kit.js";

export const mutant: Mutant = {
  name: "create-replaces-pending",
  requirement: "DESTROY-PENDING-2",
  mistake: "createRoom treats an empty (destroy-pending) room as absent and replaces it with a new room instead of failing ROOM_ALREADY_EXISTS",
  whyNaiveTestMisses: "ROOM_ALREADY_EXISTS is tested with a room that has members; destroy-pending rooms need a destroy delay and an emptied room",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            createRoom(ctx, req) {
              const result = createRoom(ctx, req);
              const room = state.rooms.get(req.roomInfo?.roomId ?? "");
              if (resultErrorCode(result) !== ErrorCode.ROOM_ALREADY_EXISTS || room === undefined || room.members.size > 0) return result;
              // "It has no members, so it does not really exist": drop it and create afresh.
              if (room.destroyTimer !== undefined) state.scheduler.cancel(room.destroyTimer);
              state.rooms.delete(room.id);
              return createRoom(ctx, req);
            },
          }),
      },
      options,
    ),
};
