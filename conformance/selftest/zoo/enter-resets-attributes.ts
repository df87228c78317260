// ENTER-EXISTING-1 — enterRoom of an existing room replaces its attributes with the request's config.
// Mistake: enterRoom applies config.room_attributes as createRoom would, even
// when the room exists, wiping the attributes others set.
// A naive test enters existing rooms without config attributes.
import { enterRoom } from "../../../reference/server/rooms.js";
import type { RoomAttribute } from "../../../reference/server/state.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "enter-resets-attributes",
  requirement: "ENTER-EXISTING-1",
  mistake: "enterRoom writes config.room_attributes into the room whether it creates it or joins it, replacing the existing attributes",
  whyNaiveTestMisses: "tests enter existing rooms with an empty config, which leaves the attributes alone",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            enterRoom(ctx, req) {
              const room = state.rooms.get(req.roomInfo?.roomId ?? "");
              const config = Object.entries(req.config?.roomAttributes ?? {});
              if (room === undefined || config.length === 0) return enterRoom(ctx, req);
              const before = room.attributes;
              room.attributes = new Map<string, RoomAttribute>(config.map(([k, v]) => [k, { value: v, owner: ctx.session.userId, deleteAfterOwnerLeft: false }]));
              const result = enterRoom(ctx, req);
              if (result.case === "error") room.attributes = before; // only a successful enter resets them
              return result;
            },
          }),
      },
      options,
    ),
};
