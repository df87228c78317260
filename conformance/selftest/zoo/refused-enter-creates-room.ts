// ERROR-NOEFFECT-1 — a (max_rooms_per_user+1)-th enterRoom is refused but still creates the room.
// Mistake: enterRoom inserts the room record first and checks the caller's
// cap afterwards, without rolling back: an empty ghost room stays behind.
// A naive test checks the USER_ROOM_LIMIT reply, not what is left behind.
import { ErrorCode } from "../../../protocol/index.js";
import { enterRoom } from "../../../reference/server/rooms.js";
import { Room } from "../../../reference/server/state.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine, resultErrorCode } from "../kit.js";

export const mutant: Mutant = {
  name: "refused-enter-creates-room",
  requirement: "ERROR-NOEFFECT-1",
  mistake: "enterRoom of an absent room inserts the room before the per-user cap check and does not roll back when the check refuses it",
  whyNaiveTestMisses: "the reply is the right USER_ROOM_LIMIT; only looking at the room afterwards (another user joins or creates it) shows the side effect",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            enterRoom(ctx, req) {
              const roomId = req.roomInfo?.roomId ?? "";
              const existed = state.rooms.has(roomId);
              const result = enterRoom(ctx, req);
              if (!existed && resultErrorCode(result) === ErrorCode.USER_ROOM_LIMIT) {
                state.rooms.set(roomId, new Room(roomId, req.roomInfo?.roomName ?? "", req.config?.roomDestroyDelaySeconds ?? 0));
              }
              return result;
            },
          }),
      },
      options,
    ),
};
