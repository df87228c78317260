// The reducer: one request by one session → every allowed outcome. The
// common check order (spec/transport.md) lives here; each operation's own
// order lives in its module.
//
// One step is one atomic request in the server's total order [ORDER-2,
// ORDER-4]: its outcome holds every event it causes, all of which are queued
// before its reply [VISIBILITY-1], in the order each section lists
// [EVENT-ORDER-1], to exactly the recipients listed and nobody else
// [EVENT-ONLY-1]; exactly one reply [ORDER-1] whose case mirrors the
// request's [REQUEST-REPLY-1] and which carries its request_id
// [REQUEST-ID-1]. Every handler checks before it changes anything, so a
// failure changes no state and no room_seq [ERROR-NOEFFECT-1, SEQ-7] (the
// one exception, switchRoom's cases A–C, sends two caller events).
import {
  ErrorCode,
  Feature,
  type ClientFrame,
} from "../../protocol/index.js";
import type { Reply } from "../../protocol/index.js";
import { advanceClock } from "./clock.js";
import { Draft, explore, type Outcome } from "./draft.js";
import { queryRoomMemberAttributesList, queryRoomMembersAttributes, setRoomMembersAttributes } from "./member-attributes.js";
import { queryRoomMemberList, queryRoomMembers, queryRoomOnlineMemberCount } from "./members.js";
import { queryRoomMessageHistory, sendRoomMessage } from "./messages.js";
import type { TokenResolver } from "./placeholders.js";
import { fail } from "./replies.js";
import { batchRoomAttributes, deleteRoomAttributes, queryRoomAllAttributes, setRoomAttributes } from "./room-attributes.js";
import { createRoom, enterRoom, fireDueTimers, joinRoom, leaveAllRooms, leaveRoom, switchRoom } from "./rooms.js";
import { closeByClient, login, logout, openSession, ping, type TokenVerdict } from "./session.js";
import { hasFeature, usesTestClock, type ModelState, type SessionKey } from "./state.js";
import { invalid } from "./validate.js";

export type { Expected, Outcome } from "./draft.js";
export type { SessionKey } from "./state.js";

/** A request: the `request` oneof of a ClientFrame. */
export type Request = ClientFrame["request"];

/** What the harness knows about one request besides the frame. */
export interface StepContext {
  /**
   * Real time of the request, in ms. Without FEATURE_TEST_CLOCK the model
   * first destroys the rooms whose delay ran out by then; with the test clock
   * it is ignored (only AdvanceClock moves time [CLOCK-3]).
   */
  nowMs: number;
  /** For Login: what kind of token the harness minted (default "valid"). */
  tokenVerdict?: TokenVerdict;
  /**
   * The frame's request_id. When given, the expected reply carries it, and 0
   * is refused with INVALID_ARGUMENT(request_id) [REQUEST-ID-2]. When
   * absent, the reply's request_id is 0 and the caller fills it.
   */
  requestId?: number;
  /** Maps next_tokens observed from the server to the model's placeholders (compare.ts Bindings). */
  tokens?: TokenResolver;
}

/** Request kinds that need an optional feature [REQUEST-CHECK-4, CLOCK-1]. */
const REQUIRED_FEATURE: Partial<Record<NonNullable<Request["case"]>, Feature>> = {
  advanceClock: Feature.TEST_CLOCK,
  queryRoomMessageHistory: Feature.MESSAGE_HISTORY,
};

/**
 * One request by one session. Returns every allowed outcome: one, unless the
 * spec lets the server choose (then the harness accepts any; see compare.ts
 * matchAnyOutcome). Throws only for harness mistakes (unknown session).
 *
 * A session the model closed (an Outcome's `closes`) is gone from the state:
 * whatever the harness sent on it after the close gets no reply and has no
 * effect [CLOSE-AFTER-1, LOGOUT-5, KICK-PENDING-1], so it must not be stepped.
 *
 * Not predicted: RATE_LIMITED (timing-dependent; the harness stays under the
 * advertised rates), INTERNAL, and anything below the frame level
 * (malformed frames, close codes 1003/1007/1009), which the suites check
 * directly.
 */
export function step(state: ModelState, session: SessionKey, request: Request, ctx: StepContext): Outcome[] {
  if (!state.sessions.has(session)) throw new Error(`model: session ${session} is not open`);
  const base = usesTestClock(state.config) ? state : advanceTime(state, ctx.nowMs).state;
  const outcomes = explore(base, (d) => dispatch(d, session, request, ctx));
  if (ctx.requestId !== undefined) {
    for (const o of outcomes) if (o.reply) o.reply.requestId = ctx.requestId;
  }
  return outcomes;
}

function dispatch(d: Draft, s: SessionKey, request: Request, ctx: StepContext): Reply {
  // The common check order (transport.md), steps 1–5; steps 6–7 are each operation's.
  if (ctx.requestId === 0) return fail(invalid("request_id")); // 1 [REQUEST-ID-2, REQUEST-CHECK-1]
  if (request.case === undefined) return fail(ErrorCode.UNSUPPORTED_REQUEST); // 2 [FRAME-EMPTY-1, REQUEST-CHECK-2]
  const loggedIn = d.session(s).user !== undefined;
  if (!loggedIn && request.case !== "login" && request.case !== "ping") return fail(ErrorCode.UNAUTHENTICATED); // 3 [REQUEST-AUTH-1]
  // 4: rate limits [RATE-*] are not modeled (timing-dependent; the harness stays under them).
  const feature = REQUIRED_FEATURE[request.case];
  if (feature !== undefined && !hasFeature(d.config, feature)) return fail(ErrorCode.FEATURE_NOT_SUPPORTED); // 5 [REQUEST-CHECK-4]

  switch (request.case) {
    case "login":
      return login(d, s, request.value, ctx.tokenVerdict ?? "valid");
    case "logout":
      return logout(d, s, request.value);
    case "ping":
      return ping(d, s, request.value);
    case "advanceClock":
      return advanceClock(d, s, request.value);
    case "createRoom":
      return createRoom(d, s, request.value);
    case "joinRoom":
      return joinRoom(d, s, request.value);
    case "enterRoom":
      return enterRoom(d, s, request.value);
    case "switchRoom":
      return switchRoom(d, s, request.value);
    case "leaveRoom":
      return leaveRoom(d, s, request.value);
    case "leaveAllRooms":
      return leaveAllRooms(d, s, request.value);
    case "queryRoomMemberList":
      return queryRoomMemberList(d, s, request.value, ctx.tokens);
    case "queryRoomMembers":
      return queryRoomMembers(d, s, request.value);
    case "queryRoomOnlineMemberCount":
      return queryRoomOnlineMemberCount(d, s, request.value);
    case "setRoomAttributes":
      return setRoomAttributes(d, s, request.value);
    case "deleteRoomAttributes":
      return deleteRoomAttributes(d, s, request.value);
    case "queryRoomAllAttributes":
      return queryRoomAllAttributes(d, s, request.value);
    case "batchRoomAttributes":
      return batchRoomAttributes(d, s, request.value);
    case "setRoomMembersAttributes":
      return setRoomMembersAttributes(d, s, request.value);
    case "queryRoomMembersAttributes":
      return queryRoomMembersAttributes(d, s, request.value);
    case "queryRoomMemberAttributesList":
      return queryRoomMemberAttributesList(d, s, request.value, ctx.tokens);
    case "sendRoomMessage":
      return sendRoomMessage(d, s, request.value);
    case "queryRoomMessageHistory":
      return queryRoomMessageHistory(d, s, request.value);
  }
}

/** A new connection (not logged in, in no room). Throws if the session is already open. */
export function connect(state: ModelState, session: SessionKey, encoding: "binary" | "json"): ModelState {
  const d = new Draft(state);
  openSession(d, session, encoding);
  return d.toState();
}

/**
 * The client closed its connection (or it dropped) without Logout: its user
 * leaves every room with the leave effects; the others get the events [DISCONNECT-1].
 * `nowMs` as in StepContext (real-time mode: timers due by then fire first).
 */
export function disconnect(state: ModelState, session: SessionKey, nowMs?: number): Outcome {
  if (!state.sessions.has(session)) throw new Error(`model: session ${session} is not open`);
  const base = nowMs === undefined || usesTestClock(state.config) ? state : advanceTime(state, nowMs).state;
  const d = new Draft(base);
  closeByClient(d, session);
  return d.outcome(undefined);
}

/**
 * Moves the model's clock to `nowMs` (never backwards) and destroys the
 * empty rooms whose delay ran out, in due order [DESTROY-DELAY-1, CLOCK-5]. Destruction
 * sends nothing, so the outcome has no reply, events or closes. step() calls
 * this itself in real-time mode; with the test clock, AdvanceClock does.
 */
export function advanceTime(state: ModelState, nowMs: number): Outcome {
  const d = new Draft(state);
  fireDueTimers(d, nowMs);
  return d.outcome(undefined);
}
