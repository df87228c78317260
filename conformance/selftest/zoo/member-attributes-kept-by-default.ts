// MATTR-SET-APPLY-2 — member attributes set without the flag survive the member's leave.
// Mistake: an unset `is_delete_after_owner_left` (proto3 optional) is read as
// false, so the documented default (true: removed on leave) never applies.
// A naive test never leaves and rejoins after setting member attributes.
import { setRoomMembersAttributes } from "../../../reference/server/member-attributes.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "member-attributes-kept-by-default",
  requirement: "MATTR-SET-APPLY-2",
  mistake: "an unset is_delete_after_owner_left is read as false (proto3 default) instead of the documented default true",
  whyNaiveTestMisses: "the attributes look the same while the member stays; only leaving and rejoining shows they were kept",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            setRoomMembersAttributes: (ctx, req) => setRoomMembersAttributes(ctx, { ...req, isDeleteAfterOwnerLeft: req.isDeleteAfterOwnerLeft ?? false }),
          }),
      },
      options,
    ),
};
