// SWITCH-FAIL-STATE-1 — a switch to a missing target still leaves the source.
// Mistake: the switch leaves the source first and then tries the target; when
// the target fails (ROOM_NOT_FOUND without create_if_absent) it does not put
// the caller back.
// A naive test checks the failed switch's reply and events, not where the caller is afterwards.
import { ErrorCode } from "../../../protocol/index.js";
import { leaveEffects, switchRoom } from "../../../reference/server/rooms.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine, resultErrorCode } from "../kit.js";

export const mutant: Mutant = {
  name: "switch-failure-leaves-source",
  requirement: "SWITCH-FAIL-STATE-1",
  mistake: "switchRoom leaves the source before looking at the target and does not rejoin it when the target is missing",
  whyNaiveTestMisses: "the failed switch's reply and the caller's two events are right; only a later request in the source (or its members' view) shows the caller is gone",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            switchRoom(ctx, req) {
              const result = switchRoom(ctx, req);
              const failedAtTarget = resultErrorCode(result) === ErrorCode.ROOM_NOT_FOUND && ctx.fx.outbound.length > 0;
              const from = state.rooms.get(req.fromRoomId);
              if (failedAtTarget && from !== undefined) leaveEffects(ctx, from, ctx.session);
              return result;
            },
          }),
      },
      options,
    ),
};
