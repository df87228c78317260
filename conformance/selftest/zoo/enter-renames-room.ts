// ROOM-NAME-1 — enterRoom of an existing room renames it to the caller's name.
// Mistake: enterRoom "upserts" the room info, so the second user's room_name
// replaces the creator's.
// A naive test enters an existing room with the same name as its creator, or no name.
import { enterRoom } from "../../../reference/server/rooms.js";
import type { Room } from "../../../reference/server/state.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "enter-renames-room",
  requirement: "ROOM-NAME-1",
  mistake: "enterRoom of an existing room writes the request's room_name over the creator's (an upsert of the room info)",
  whyNaiveTestMisses: "tests that enter an existing room usually pass the same name as the creator, or none",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            enterRoom(ctx, req) {
              const result = enterRoom(ctx, req);
              const room = state.rooms.get(req.roomInfo?.roomId ?? "");
              if (result.case === "enterRoom" && !result.value.created && room !== undefined) {
                (room as { name: string } & Room).name = req.roomInfo?.roomName ?? "";
              }
              return result;
            },
          }),
      },
      options,
    ),
};
