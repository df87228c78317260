// The executable spec of OpenRoom v1: a pure reducer over a model of the
// server's state. See README.md for the API and the decisions it encodes.
export {
  initialState,
  hasFeature,
  usesTestClock,
  userOf,
  roomsOf,
  isOpen,
  membersOf,
  type ModelConfig,
  type ModelState,
  type Session,
  type SessionUser,
  type Member,
  type Room,
  type RoomAttribute,
  type MemberAttribute,
  type PageCursor,
  type PageList,
  type SessionKey,
} from "./state.js";
export { step, connect, disconnect, advanceTime, type StepContext, type Request } from "./step.js";
export type { Expected, Outcome } from "./draft.js";
export { type TokenVerdict, PROTOCOL_VERSION, CLOSE_KICKED, CLOSE_NORMAL } from "./session.js";
export {
  Bindings,
  matchReply,
  matchEvents,
  matchOutcome,
  matchAnyOutcome,
  formatDifferences,
  type Difference,
  type Observed,
  type CompareOptions,
} from "./compare.js";
export { isMessagePlaceholder, isTokenPlaceholder, type TokenResolver } from "./placeholders.js";
export { checkInvariants } from "./invariants.js";
export { errorCodeOf } from "./replies.js";
export { utf8Bytes, compareUtf8 } from "./validate.js";
