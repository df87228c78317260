// The request dispatcher: the global checks every request goes through
// (brief §2: request_id, empty oneof, login, rate limits), then the
// operation. Synchronous except Login's token check, which the transport
// awaits between `handle` and `finishLogin`; nothing here touches a socket.
import { create } from "@bufbuild/protobuf";
import {
  ErrorCode,
  Feature,
  ReplySchema,
  ServerInfoSchema,
  type ClientFrame,
  type LoginRequest,
  type Reply,
  type ServerInfo,
} from "../../protocol/index.js";
import type { TokenVerdict } from "./auth.js";
import { errorResult, type OpContext } from "./context.js";
import { Effects, type Outbound, type ResultInit, type SessionClose } from "./effects.js";
import { failure, invalidArgument } from "./errors.js";
import { toLimitsMessage } from "./limits.js";
import { queryRoomMemberAttributesList, queryRoomMembersAttributes, setRoomMembersAttributes } from "./member-attributes.js";
import { queryRoomMemberList, queryRoomMembers, queryRoomOnlineMemberCount } from "./members.js";
import { queryRoomMessageHistory, sendRoomMessage } from "./messages.js";
import { takeAll, type RateRefusal } from "./rate-limit.js";
import { batchRoomAttributes, deleteRoomAttributes, queryRoomAllAttributes, setRoomAttributes } from "./room-attributes.js";
import { createRoom, enterRoom, joinRoom, leaveAllRooms, leaveRoom, switchRoom } from "./rooms.js";
import { advanceClock, checkLogin, CloseCode, completeLogin, disconnect, logout } from "./session.js";
import type { ServerState, Session } from "./state.js";

export const PROTOCOL_VERSION = "openroom.v1";
export const SERVER_NAME = "openroom-reference/0.1.0";

/** Everything one request produced: events first, then closes, then the reply. */
export interface Outcome {
  /** Events in order; each is sent to its recipients before the reply. */
  readonly outbound: readonly Outbound[];
  /** Other sessions to close (kicked), after their events and before the reply. */
  readonly closes: readonly SessionClose[];
  /** Undefined for work that has no requester (a dropped connection). */
  readonly reply: Reply | undefined;
  /** Close the requester's connection after its reply (Logout). */
  readonly closeAfterReply?: { code: number; reason: string };
}

/** A Login whose token the transport must verify before `finishLogin`. */
export interface PendingLogin {
  readonly pendingLogin: true;
  readonly requestId: number;
  readonly request: LoginRequest;
}

export function isPendingLogin(v: Outcome | PendingLogin): v is PendingLogin {
  return "pendingLogin" in v;
}

type Handler = (ctx: OpContext, request: never) => ResultInit;

// Requests past the global checks, by oneof case. Login, Logout and Ping are handled apart.
const HANDLERS: { readonly [K in Exclude<NonNullable<ClientFrame["request"]["case"]>, "login" | "logout" | "ping">]: Handler } = {
  advanceClock,
  createRoom,
  joinRoom,
  enterRoom,
  switchRoom,
  leaveRoom,
  leaveAllRooms,
  queryRoomMemberList,
  queryRoomMembers,
  queryRoomOnlineMemberCount,
  setRoomAttributes,
  deleteRoomAttributes,
  queryRoomAllAttributes,
  batchRoomAttributes,
  setRoomMembersAttributes,
  queryRoomMembersAttributes,
  queryRoomMemberAttributesList,
  sendRoomMessage,
  queryRoomMessageHistory,
};

export class Engine {
  readonly serverInfo: ServerInfo;

  /** `serverNameSuffix` marks a server that does not verify tokens (SEC-DEVMODE-2: "+insecure"). */
  constructor(
    readonly state: ServerState,
    serverNameSuffix = "",
  ) {
    const features: Feature[] = [];
    if (state.features.messageHistory) features.push(Feature.MESSAGE_HISTORY);
    if (state.features.testClock) features.push(Feature.TEST_CLOCK);
    this.serverInfo = create(ServerInfoSchema, {
      protocolVersion: PROTOCOL_VERSION,
      serverName: SERVER_NAME + serverNameSuffix,
      limits: toLimitsMessage(state.limits),
      features,
    });
  }

  openSession(): Session {
    return this.state.newSession();
  }

  /** Handles one decoded frame. Returns a PendingLogin when a Login passed every check but the token. */
  handle(session: Session, frame: ClientFrame, now: number): Outcome | PendingLogin {
    const requestId = frame.requestId;
    const fx = new Effects();
    const ctx: OpContext = { state: this.state, session, now, fx };
    const request = frame.request;
    const reply = (result: ResultInit): Outcome => this.outcome(fx, requestId, result);
    try {
      if (requestId === 0) {
        return reply(errorResult(invalidArgument("request_id", "request_id 0 is reserved")));
      }
      if (request.case === undefined) {
        return reply(errorResult(failure(ErrorCode.UNSUPPORTED_REQUEST, "the frame holds no request this server implements")));
      }
      if (request.case === "ping") return reply({ case: "ping", value: {} });
      if (!session.loggedIn && request.case !== "login") {
        return reply(errorResult(failure(ErrorCode.UNAUTHENTICATED, "log in first: only Login and Ping are allowed before Login")));
      }
      if (session.loggedIn) {
        const refused = this.takeRate(session, request.case === "sendRoomMessage", now);
        if (refused) {
          return reply(
            errorResult(
              failure(ErrorCode.RATE_LIMITED, `${refused.limit} exceeded; retry in ${refused.retryAfterMs} ms`, {
                retryAfterMs: refused.retryAfterMs,
              }),
            ),
          );
        }
      }
      switch (request.case) {
        case "login": {
          const bad = checkLogin(ctx, request.value);
          if (bad) return reply(errorResult(bad));
          return { pendingLogin: true, requestId, request: request.value };
        }
        case "logout": {
          const result = logout(ctx);
          return { ...this.outcome(fx, requestId, result), closeAfterReply: { code: CloseCode.NORMAL, reason: "logged out" } };
        }
        default: {
          // The table is keyed by case, so each handler gets its own request type.
          const handler = HANDLERS[request.case] as (ctx: OpContext, value: unknown) => ResultInit;
          return reply(handler(ctx, request.value));
        }
      }
    } catch (e) {
      return this.internalError(requestId, e);
    }
  }

  /** Completes a Login once its token was judged. Must run synchronously after the verdict (atomicity). */
  finishLogin(session: Session, pending: PendingLogin, verdict: TokenVerdict, now: number): Outcome {
    const fx = new Effects();
    try {
      if (!verdict.ok) return this.outcome(fx, pending.requestId, errorResult(failure(verdict.code, verdict.message)));
      // The connection may have closed, or logged in, while the token was being checked.
      if (session.ended) return this.outcome(fx, pending.requestId, errorResult(failure(ErrorCode.INTERNAL, "the connection closed during login")));
      const ctx: OpContext = { state: this.state, session, now, fx };
      const again = checkLogin(ctx, pending.request);
      if (again) return this.outcome(fx, pending.requestId, errorResult(again));
      completeLogin(ctx, pending.request);
      return this.outcome(fx, pending.requestId, { case: "login", value: { serverInfo: this.serverInfo } });
    } catch (e) {
      return this.internalError(pending.requestId, e);
    }
  }

  /** The connection of `session` is gone without Logout. */
  disconnect(session: Session, now: number): Outcome {
    const fx = new Effects();
    disconnect({ state: this.state, session, now, fx });
    return { outbound: fx.outbound, closes: fx.closes, reply: undefined };
  }

  private takeRate(session: Session, isMessage: boolean, now: number): RateRefusal | undefined {
    return takeAll(
      isMessage
        ? [
            ["request_rate", session.requestRate],
            ["message_rate", session.messageRate],
          ]
        : [["request_rate", session.requestRate]],
      now,
    );
  }

  private outcome(fx: Effects, requestId: number, result: ResultInit): Outcome {
    return { outbound: fx.outbound, closes: fx.closes, reply: create(ReplySchema, { requestId, result }) };
  }

  /** A bug, not the client's fault: drop the effects and answer INTERNAL. */
  private internalError(requestId: number, e: unknown): Outcome {
    this.onInternalError(e);
    return { outbound: [], closes: [], reply: create(ReplySchema, { requestId, result: errorResult(failure(ErrorCode.INTERNAL, "internal server error")) }) };
  }

  /** Hook for logging; the transport replaces it. */
  onInternalError: (e: unknown) => void = () => {};
}
