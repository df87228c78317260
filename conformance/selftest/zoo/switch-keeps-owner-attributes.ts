// SWITCH-LEAVE-1 — switching away keeps the caller's delete_after_owner_left attributes.
// Mistake: switchRoom has its own "remove from source" code that skips the
// attribute cleanup leaveRoom does.
// A naive test checks the switch's member events, with no flagged attributes in the source.
import { switchRoom } from "../../../reference/server/rooms.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "switch-keeps-owner-attributes",
  requirement: "SWITCH-LEAVE-1",
  mistake: "switchRoom removes the caller from the source without the leave effects' attribute cleanup: its delete_after_owner_left keys stay",
  whyNaiveTestMisses: "the flag only matters when the owner leaves; tests of it use leaveRoom, not a switch",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            switchRoom(ctx, req) {
              // Hide the flags from the leave step; the keys keep them (their owner is gone now).
              const flagged = [...(state.rooms.get(req.fromRoomId)?.attributes.values() ?? [])].filter(
                (a) => a.owner === ctx.session.userId && a.deleteAfterOwnerLeft,
              );
              for (const a of flagged) a.deleteAfterOwnerLeft = false;
              try {
                return switchRoom(ctx, req);
              } finally {
                for (const a of flagged) a.deleteAfterOwnerLeft = true;
              }
            },
          }),
      },
      options,
    ),
};
