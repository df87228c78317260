// The conformance harness: speaks the OpenRoom wire directly to any target
// (never through reference/client), so it judges exactly what a third-party
// client would see. Suites import everything from here.
export { HarnessError, HarnessTimeout, ServerFailure, SessionClosedError, UnexpectedReply, isHarnessError } from "./errors.js";
export { rawConnect, openSocket, type RawConnectOptions, type RawHandshake } from "./handshake.js";
export { ID_PATTERN, checkIdLength, isValidId, newRunPrefix, scopedId, scopedIdOfLength } from "./ids.js";
export { RatePacer, pacingMargin, type RateLimitLike } from "./pacer.js";
export {
  Session,
  describeResult,
  type CloseInfo,
  type Exchange,
  type ProtocolViolation,
  type ReceivedEvent,
  type RequestInput,
  type RequestKind,
  type RequestValue,
  type ResponseOf,
  type SendOptions,
  type SessionInit,
  type SessionTimeouts,
  type ViolationKind,
} from "./session.js";
export { DEFAULT_TIMEOUTS, scaled, type BaseTimeouts, type Target } from "./target.js";
export {
  BAD_TOKENS,
  BAD_TOKEN_KINDS,
  hs256Secret,
  tokenCommand,
  unsignedJwt,
  type BadTokenCapability,
  type BadTokenKind,
  type TokenCommandOptions,
  type TokenSource,
} from "./tokens.js";
export { WireLog, renderLine, type Direction, type WireLogEntry, type WireLogOptions } from "./wire-log.js";
export { World, type ConnectOptions, type SessionOptions, type WorldOptions } from "./world.js";
