// How a request can fail, as typed errors. A server's refusal is an
// OpenRoomError carrying the protocol's ErrorCode; failures the client
// detects itself (timeout, connection closed, a server breaking the protocol)
// have their own classes, so the protocol's ErrorCode enum keeps meaning
// exactly "what the server said".
import type { Error as WireError, ErrorDetail } from "../../protocol/index.js";
import { ErrorCode } from "../../protocol/index.js";

/** The server refused a request: `code` is the protocol's ErrorCode. */
export class OpenRoomError extends Error {
  override readonly name = "OpenRoomError";
  /** What went wrong, for programs: switch on this. */
  readonly code: ErrorCode;
  /** The server's sentence for people (not stable; never parse it). */
  readonly serverMessage: string;
  /** Structured facts (field, limit, key_failures, retry_after_ms …) when the server sent them. */
  readonly detail: ErrorDetail | undefined;
  /** The request kind that failed, e.g. "createRoom". */
  readonly requestKind: string;
  /** The request ID of the failed request. */
  readonly requestId: number;

  constructor(requestKind: string, requestId: number, error: WireError) {
    super(`${requestKind} failed: ${errorCodeName(error.code)}${error.message ? ` (${error.message})` : ""}`);
    this.code = error.code;
    this.serverMessage = error.message;
    this.detail = error.detail;
    this.requestKind = requestKind;
    this.requestId = requestId;
  }

  /** The code's name without prefix, e.g. "ROOM_NOT_FOUND". */
  get codeName(): string {
    return errorCodeName(this.code);
  }
}

/** No reply arrived within the request timeout. The request may still have taken effect on the server. */
export class OpenRoomTimeoutError extends Error {
  override readonly name = "OpenRoomTimeoutError";
  constructor(
    /** The request kind, or "connect" for a connection attempt. */
    readonly requestKind: string,
    /** The request ID (0 for "connect"). */
    readonly requestId: number,
    readonly timeoutMs: number,
  ) {
    super(`${requestKind} timed out after ${timeoutMs} ms`);
  }
}

/**
 * The connection is not open: it closed while the request was outstanding
 * (its outcome is unknown), the request was made before connect() or after
 * a close, or a connection attempt failed.
 */
export class OpenRoomConnectionError extends Error {
  override readonly name = "OpenRoomConnectionError";
  constructor(
    /** The request kind, or "connect" for a connection attempt. */
    readonly requestKind: string,
    /** The request ID, 0 when none was allocated. */
    readonly requestId: number,
    /** The WebSocket close code, when the connection closed (1006 = dropped without a close frame). */
    readonly closeCode: number | undefined,
    /** The WebSocket close reason, when the connection closed. */
    readonly closeReason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The server sent something the protocol does not allow (undecodable frame, reply of the wrong kind, reply to no request). */
export class OpenRoomProtocolError extends Error {
  override readonly name = "OpenRoomProtocolError";
  constructor(
    message: string,
    /** The request concerned, when there is one. */
    readonly requestKind?: string,
    readonly requestId?: number,
  ) {
    super(message);
  }
}

/** The name of a code without its prefix ("ROOM_NOT_FOUND"); unknown numbers as "ERROR_CODE_<n>". */
export function errorCodeName(code: ErrorCode): string {
  return ErrorCode[code] ?? `ERROR_CODE_${code}`;
}

/** True when `e` is a server refusal, optionally with the given code: `if (isOpenRoomError(e, ErrorCode.ROOM_NOT_FOUND))`. */
export function isOpenRoomError(e: unknown, code?: ErrorCode): e is OpenRoomError {
  return e instanceof OpenRoomError && (code === undefined || e.code === code);
}
