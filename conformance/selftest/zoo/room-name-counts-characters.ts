// CREATE-VALID-2 — createRoom measures room_name in characters, not UTF-8 bytes.
// Mistake: the name's length is checked with `name.length` (UTF-16 code units),
// so a name of multi-byte characters longer than max_room_name_bytes in bytes passes.
// A naive test uses ASCII names, where characters and bytes agree.
import { createRoom } from "../../../reference/server/rooms.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine, UNBOUNDED, withLimits } from "../kit.js";

export const mutant: Mutant = {
  name: "room-name-counts-characters",
  requirement: "CREATE-VALID-2",
  mistake: "createRoom checks room_name.length (UTF-16 code units) against max_room_name_bytes instead of its UTF-8 byte length",
  whyNaiveTestMisses: "ASCII names have as many characters as bytes; only multi-byte names tell the two apart",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            createRoom(ctx, req) {
              const chars = (req.roomInfo?.roomName ?? "").length;
              // Within the bound in characters: the byte check is never made.
              if (chars <= state.limits.maxRoomNameBytes) return withLimits(state, { maxRoomNameBytes: UNBOUNDED }, () => createRoom(ctx, req));
              return createRoom(ctx, req);
            },
          }),
      },
      options,
    ),
};
