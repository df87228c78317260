// RATTR-SET-OWNER-1 — setRoomAttributes overwrites another user's key without is_force.
// Mistake: ownership is enforced on delete but not on set (every set behaves as forced).
// A naive test sets and overwrites keys with one user.
import { setRoomAttributes } from "../../../reference/server/room-attributes.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "set-ignores-owner",
  requirement: "RATTR-SET-OWNER-1",
  mistake: "setRoomAttributes never checks the key's owner: a non-forced write to another user's key is applied instead of failing ROOM_ATTRIBUTE_NOT_OWNER",
  whyNaiveTestMisses: "with one writer every key is the caller's own; a second user must write a key it does not own",
  start: (options) =>
    compose({ engine: (state) => new PatchedEngine(state, { setRoomAttributes: (ctx, req) => setRoomAttributes(ctx, { ...req, isForce: true }) }) }, options),
};
