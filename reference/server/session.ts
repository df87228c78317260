// Session operations (brief §2, §9): login (its synchronous parts: the
// token check is the transport's await in between), logout, kick by a newer
// login, disconnect, and the test clock's AdvanceClock.
import {
  ConnectionState,
  ConnectionStateReason,
  ErrorCode,
  RoomStateReason,
  type AdvanceClockRequest,
  type Error as WireError,
  type LoginRequest,
} from "../../protocol/index.js";
import { TestClock } from "./clock.js";
import { errorResult, type OpContext } from "./context.js";
import type { ResultInit } from "./effects.js";
import { failure, invalidArgument } from "./errors.js";
import { leaveAll, leaveAllSilently } from "./rooms.js";
import type { Session } from "./state.js";
import { checkId, checkName } from "./validation.js";

/** Close codes of brief §1. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  INVALID_PAYLOAD: 1007,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  KICKED_OUT: 4001,
  SLOW_CONSUMER: 4002,
} as const;

/** Login checks before the token: ALREADY_LOGGED_IN, user_id, user_name. */
export function checkLogin(ctx: OpContext, req: LoginRequest): WireError | undefined {
  if (ctx.session.loggedIn) return failure(ErrorCode.ALREADY_LOGGED_IN, "this connection is already logged in");
  const limits = ctx.state.limits;
  return checkId("user_id", req.userId, limits.maxUserIdBytes) ?? checkName("user_name", req.userName, limits.maxUserNameBytes);
}

/** Login after the token was accepted: kicks the user's older session, then logs this one in. */
export function completeLogin(ctx: OpContext, req: LoginRequest): void {
  const older = ctx.state.sessionsByUser.get(req.userId);
  if (older !== undefined && older !== ctx.session) kick(ctx, older);
  const session = ctx.session;
  session.userId = req.userId;
  session.userName = req.userName;
  session.loggedIn = true;
  ctx.state.sessionsByUser.set(req.userId, session);
}

/** A newer login took over: leave every room with KICKED_OUT_BY_OTHER_DEVICE, tell the session, close it with 4001. */
function kick(ctx: OpContext, older: Session): void {
  leaveAll(ctx, older, RoomStateReason.KICKED_OUT_BY_OTHER_DEVICE);
  ctx.fx.toSession(older, {
    case: "connectionStateChanged",
    value: { state: ConnectionState.DISCONNECTED, reason: ConnectionStateReason.KICKED_OUT },
  });
  endSession(ctx, older);
  ctx.fx.close(older, CloseCode.KICKED_OUT, "kicked out by a newer login of the same user");
}

function endSession(ctx: OpContext, session: Session): void {
  session.ended = true;
  if (ctx.state.sessionsByUser.get(session.userId) === session) ctx.state.sessionsByUser.delete(session.userId);
}

/** Logout: leave all rooms (with the caller's events); the transport closes with 1000 after the reply. */
export function logout(ctx: OpContext): ResultInit {
  const roomIds = leaveAll(ctx, ctx.session, RoomStateReason.SUCCESS);
  endSession(ctx, ctx.session);
  return { case: "logout", value: { roomIds } };
}

/** The connection is gone without Logout: leave every room as by leaveRoom, sending nothing to it. */
export function disconnect(ctx: OpContext): void {
  const session = ctx.session;
  if (session.ended) return;
  session.ended = true;
  if (session.loggedIn) leaveAllSilently(ctx, session);
  endSession(ctx, session);
}

export function advanceClock(ctx: OpContext, req: AdvanceClockRequest): ResultInit {
  const clock = ctx.state.scheduler;
  if (!ctx.state.features.testClock || !(clock instanceof TestClock)) {
    return errorResult(failure(ErrorCode.FEATURE_NOT_SUPPORTED, "AdvanceClock needs FEATURE_TEST_CLOCK, which this server does not offer"));
  }
  const MAX = 86_400_000;
  if (req.advanceMs < 1 || req.advanceMs > MAX) {
    return errorResult(invalidArgument("advance_ms", `advance_ms must be 1 to ${MAX}, not ${req.advanceMs}`, MAX, req.advanceMs));
  }
  return { case: "advanceClock", value: { nowMs: BigInt(clock.advance(req.advanceMs)) } };
}
