// RATTR-DEL-3 — deleteRoomAttributes with is_force still refuses another user's key.
// Mistake: the is_force flag is wired through set but not through delete.
// A naive test deletes only the caller's own keys.
import { deleteRoomAttributes } from "../../../reference/server/room-attributes.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "delete-ignores-force",
  requirement: "RATTR-DEL-3",
  mistake: "deleteRoomAttributes ignores is_force: another user's key is refused with ROOM_ATTRIBUTE_NOT_OWNER even when forced",
  whyNaiveTestMisses: "deleting one's own keys works, and refusing others' keys without force is right; only a forced delete of another's key fails",
  start: (options) =>
    compose({ engine: (state) => new PatchedEngine(state, { deleteRoomAttributes: (ctx, req) => deleteRoomAttributes(ctx, { ...req, isForce: false }) }) }, options),
};
