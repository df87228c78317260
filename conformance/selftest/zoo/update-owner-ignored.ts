// RATTR-SET-APPLY-3 — is_update_owner does not transfer ownership.
// Mistake: a forced write keeps the original owner whatever is_update_owner says
// (the flag is parsed but never applied).
// A naive test checks the value written by a forced set, not who owns the key afterwards.
import { setRoomAttributes } from "../../../reference/server/room-attributes.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "update-owner-ignored",
  requirement: "RATTR-SET-APPLY-3",
  mistake: "setRoomAttributes ignores is_update_owner: the key keeps its old owner after a forced write that asked for the ownership",
  whyNaiveTestMisses: "the forced write's value and event are right; ownership shows only in later non-forced writes or deletes by the two users",
  start: (options) =>
    compose({ engine: (state) => new PatchedEngine(state, { setRoomAttributes: (ctx, req) => setRoomAttributes(ctx, { ...req, isUpdateOwner: false }) }) }, options),
};
