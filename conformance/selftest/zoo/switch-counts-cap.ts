// SWITCH-NOLIMIT-1 — switchRoom fails USER_ROOM_LIMIT for a user at the room cap.
// Mistake: switchRoom is built as "join the target, then leave the source",
// and the join step applies the per-user cap before the source is left.
// A naive test switches with a user in one or two rooms, far from the cap.
import { ErrorCode, RoomState } from "../../../protocol/index.js";
import { Effects } from "../../../reference/server/effects.js";
import { failure } from "../../../reference/server/errors.js";
import { switchRoom } from "../../../reference/server/rooms.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine, resultErrorCode, type OpHandler } from "../kit.js";

/** The reference switch, plus the join step's cap check once every switch check has passed. */
const switchWithJoinCap: OpHandler<"switchRoom"> = (ctx, req) => {
  const { state, session } = ctx;
  if (session.rooms.size < state.limits.maxRoomsPerUser) return switchRoom(ctx, req);
  const toId = req.toRoomInfo?.roomId ?? "";
  const target = state.rooms.get(toId);
  if (target?.members.has(session.userId)) return switchRoom(ctx, req); // ALREADY_IN_ROOM, or an earlier check
  // Probe the reference's checks without effects: hide the target and forbid creating it.
  const probe = new Effects();
  if (target !== undefined) state.rooms.delete(toId);
  let result;
  try {
    result = switchRoom({ ...ctx, fx: probe }, { ...req, createIfAbsent: false });
  } finally {
    if (target !== undefined) state.rooms.set(toId, target);
  }
  const passedChecks = probe.outbound.some((o) => o.event.event.case === "roomStateChanged" && o.event.event.value.state === RoomState.CONNECTING);
  if (!passedChecks || resultErrorCode(result) !== ErrorCode.ROOM_NOT_FOUND) return result;
  const max = state.limits.maxRoomsPerUser;
  return { case: "error", value: failure(ErrorCode.USER_ROOM_LIMIT, `the caller is already in ${session.rooms.size} rooms`, { limit: max, actual: session.rooms.size }) };
};

export const mutant: Mutant = {
  name: "switch-counts-cap",
  requirement: "SWITCH-NOLIMIT-1",
  mistake: "switchRoom joins the target before leaving the source and the join applies the per-user cap, so a user at the cap cannot switch",
  whyNaiveTestMisses: "switching with a user in a couple of rooms works; only a user at max_rooms_per_user is refused",
  start: (options) => compose({ engine: (state) => new PatchedEngine(state, { switchRoom: switchWithJoinCap }) }, options),
};
