// Session: connect, Login (with the kick of an older session of the same
// user), Logout, Ping, and a client closing its connection (spec/session.md).
import { create } from "@bufbuild/protobuf";
import {
  ConnectionState,
  ConnectionStateReason,
  ErrorCode,
  LoginResponseSchema,
  LogoutResponseSchema,
  PingResponseSchema,
  RoomStateReason,
  ServerInfoSchema,
  type LoginRequest,
  type LogoutRequest,
  type PingRequest,
  type Reply,
} from "../../protocol/index.js";
import type { Draft } from "./draft.js";
import { connectionStateChanged } from "./events.js";
import { fail, ok } from "./replies.js";
import { leaveEveryRoom } from "./rooms.js";
import type { SessionKey } from "./state.js";
import { checkId, checkName } from "./validate.js";

/** The protocol version every v1 server announces [INFO-1]. */
export const PROTOCOL_VERSION = "openroom.v1";

/** WebSocket close codes the model predicts [LOGOUT-3, KICK-CLOSE-1]. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_KICKED = 4001;

/** What the harness knows about the token it minted for a Login. */
export type TokenVerdict = "valid" | "invalid" | "expired";

/** Opens a connection: a session that is not logged in and in no room. */
export function openSession(d: Draft, s: SessionKey, encoding: "binary" | "json"): void {
  if (d.sessions.has(s)) throw new Error(`model: session ${s} is already open`);
  d.setSession({ key: s, encoding, user: undefined, rooms: [] });
}

/**
 * Login. Checks in order: ALREADY_LOGGED_IN [LOGIN-CHECK-1]; user_id
 * [LOGIN-CHECK-2, ID-1]; user_name [LOGIN-CHECK-3]; the token
 * [LOGIN-CHECK-4]. The model does not read tokens: the harness says what it
 * minted (TOKEN-* are the harness's to exercise). A failed Login changes
 * nothing [LOGIN-FAIL-1, LOGIN-FAIL-2].
 */
export function login(d: Draft, s: SessionKey, req: LoginRequest, verdict: TokenVerdict): Reply {
  if (d.session(s).user !== undefined) return fail(ErrorCode.ALREADY_LOGGED_IN);
  const bad = checkId(req.userId, d.limits.maxUserIdBytes, "user_id") ?? checkName(req.userName, d.limits.maxUserNameBytes, "user_name");
  if (bad) return fail(bad);
  if (verdict === "invalid") return fail(ErrorCode.INVALID_TOKEN);
  if (verdict === "expired") return fail(ErrorCode.TOKEN_EXPIRED);

  const older = d.users.get(req.userId);
  if (older !== undefined) kick(d, older); // [KICK-1] before the new Login's reply
  // [LOGIN-OK-1, LOGIN-OK-2, LOGIN-NAME-1] a new session, in no room, with this user_name.
  d.setSession({ ...d.session(s), user: { userId: req.userId, userName: req.userName } });
  d.users.set(req.userId, s);
  const serverInfo = create(ServerInfoSchema, {
    protocolVersion: PROTOCOL_VERSION, // [INFO-1]
    serverName: "", // free-form [INFO-2]: compare.ts does not predict it
    limits: d.config.limits, // [INFO-3, INFO-5, LIMIT-STABLE-1]
    features: d.config.features, // [INFO-4]
  });
  return ok({ case: "login", value: create(LoginResponseSchema, { serverInfo }) });
}

/**
 * The older session of a user who logs in again is kicked: per room in its
 * join order (r, DISCONNECTED, KICKED_OUT_BY_OTHER_DEVICE) and the leave
 * effects [KICK-ROOMS-1, KICK-ROOMS-2]; then ConnectionStateChanged
 * {DISCONNECTED, KICKED_OUT} as its last frame [KICK-CONN-1, EVENT-CONN-1];
 * then close 4001 [KICK-CLOSE-1].
 */
function kick(d: Draft, s: SessionKey): void {
  leaveEveryRoom(d, s, RoomStateReason.KICKED_OUT_BY_OTHER_DEVICE);
  d.emit(s, connectionStateChanged(ConnectionState.DISCONNECTED, ConnectionStateReason.KICKED_OUT));
  d.close(s, CLOSE_KICKED);
  forget(d, s);
}

/**
 * Logout: leaves every room exactly as leaveAllRooms [LOGOUT-1], replies with
 * the rooms in join order [LOGOUT-2], then closes with 1000 [LOGOUT-3]; no
 * ConnectionStateChanged [LOGOUT-4].
 */
export function logout(d: Draft, s: SessionKey, _req: LogoutRequest): Reply {
  const roomIds = leaveEveryRoom(d, s, RoomStateReason.SUCCESS);
  d.close(s, CLOSE_NORMAL);
  forget(d, s);
  return ok({ case: "logout", value: create(LogoutResponseSchema, { roomIds }) });
}

/** Ping: answered logged in or not [PING-1]; no effect, no event [PING-2]. */
export function ping(_d: Draft, _s: SessionKey, _req: PingRequest): Reply {
  return ok({ case: "ping", value: create(PingResponseSchema, {}) });
}

/**
 * A connection that ends without Logout or kick: every room is left with the
 * leave effects, in join order, with no grace period [DISCONNECT-1], as one
 * atomic step [DISCONNECT-2]; nothing is sent to it; the user then has no
 * session [DISCONNECT-3].
 */
export function closeByClient(d: Draft, s: SessionKey): void {
  leaveEveryRoom(d, s, undefined);
  forget(d, s);
}

/** Drops a closed session from the world. */
function forget(d: Draft, s: SessionKey): void {
  const user = d.session(s).user;
  if (user !== undefined && d.users.get(user.userId) === s) d.users.delete(user.userId);
  d.sessions.delete(s);
}
