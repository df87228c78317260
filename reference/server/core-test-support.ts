// Test-only harness for the pure core: an Engine over in-memory state with
// the test clock, sessions without sockets, and a per-session log of the
// events each request delivered. Also `summarize`, a one-line rendering of
// an event that the unit and integration tests both assert on.
import { create } from "@bufbuild/protobuf";
import {
  ClientFrameSchema,
  ConnectionState,
  ConnectionStateReason,
  ErrorCode,
  RoomAttributesUpdateAction,
  RoomState,
  RoomStateReason,
  type Event,
  type Reply,
} from "../../protocol/index.js";
import { TestClock, type Scheduler } from "./clock.js";
import { Engine, isPendingLogin, type Outcome } from "./engine.js";
import { resolveLimitValues, type LimitsOverrides } from "./limits.js";
import { PageTokens } from "./page-token.js";
import { ServerState, type Session } from "./state.js";
import type { RequestCase, RequestInit } from "./test-support.js";

type ResultOf<C extends string> = Extract<Reply["result"], { case: C }>["value"];

export interface HarnessOptions {
  limits?: LimitsOverrides;
  messageHistory?: boolean;
  testClock?: boolean;
  /** Replaces the test clock's scheduling (the clock itself still answers AdvanceClock). */
  scheduler?: Scheduler;
}

export class CoreHarness {
  readonly clock = new TestClock();
  readonly state: ServerState;
  readonly engine: Engine;
  /** Wall-clock time handed to the engine; tests move it by hand for rate windows. */
  now = 1_700_000_000_000;
  private readonly logs = new Map<Session, Event[]>();
  private nextRequestId = 1;
  /** Sessions the core asked to close, with their codes, in order. */
  readonly closed: { session: Session; code: number }[] = [];
  /** Exceptions the engine turned into INTERNAL replies. */
  readonly internalErrors: unknown[] = [];

  constructor(options: HarnessOptions = {}) {
    const messageHistory = options.messageHistory ?? true;
    this.state = new ServerState(
      resolveLimitValues(options.limits, messageHistory),
      { messageHistory, testClock: options.testClock ?? true },
      options.scheduler ?? this.clock,
      new PageTokens(new Uint8Array(32)),
      "m-",
    );
    this.engine = new Engine(this.state);
    this.engine.onInternalError = (e) => this.internalErrors.push(e);
  }

  session(): Session {
    const s = this.engine.openSession();
    this.logs.set(s, []);
    return s;
  }

  /** A new session logged in as `userId` (the token check passes). */
  login(userId: string, userName = userId): Session {
    const s = this.session();
    const reply = this.loginOn(s, userId, userName);
    if (reply.result.case !== "login") throw new Error(`login failed: ${JSON.stringify(reply.result.value)}`);
    return s;
  }

  loginOn(s: Session, userId: string, userName = userId): Reply {
    const result = this.engine.handle(s, create(ClientFrameSchema, { requestId: this.nextRequestId++, request: { case: "login", value: { userId, userName, token: "t" } } }), this.now);
    const outcome = isPendingLogin(result) ? this.engine.finishLogin(s, result, { ok: true }, this.now) : result;
    return this.record(outcome);
  }

  /** Sends one request; records its events; returns its reply. */
  call(s: Session, request: RequestInit | undefined, requestId = this.nextRequestId++): Reply {
    const result = this.engine.handle(s, create(ClientFrameSchema, request ? { requestId, request } : { requestId }), this.now);
    if (isPendingLogin(result)) return this.record(this.engine.finishLogin(s, result, { ok: true }, this.now));
    return this.record(result);
  }

  ok<C extends RequestCase>(s: Session, c: C, value: Extract<RequestInit, { case: C }>["value"]): ResultOf<C> {
    const reply = this.call(s, { case: c, value } as RequestInit);
    if (reply.result.case !== c) {
      const detail = reply.result.case === "error" ? `${ErrorCode[reply.result.value.code]}: ${reply.result.value.message}` : String(reply.result.case);
      throw new Error(`${c} failed: ${detail}`);
    }
    return reply.result.value as ResultOf<C>;
  }

  fails<C extends RequestCase>(s: Session, c: C, value: Extract<RequestInit, { case: C }>["value"]) {
    const reply = this.call(s, { case: c, value } as RequestInit);
    if (reply.result.case !== "error") throw new Error(`${c} succeeded, expected an error`);
    return reply.result.value;
  }

  /** The code a request fails with (throws if it succeeds). */
  code<C extends RequestCase>(s: Session, c: C, value: Extract<RequestInit, { case: C }>["value"]): string {
    return ErrorCode[this.fails(s, c, value as never).code] ?? "?";
  }

  disconnect(s: Session): void {
    this.deliver(this.engine.disconnect(s, this.now));
  }

  /** Events delivered to `s` since the last `take`, summarized. */
  take(s: Session): string[] {
    const log = this.logs.get(s) ?? [];
    const out = log.map(summarize);
    log.length = 0;
    return out;
  }

  /** Forgets every session's events. */
  drain(): void {
    for (const log of this.logs.values()) log.length = 0;
  }

  private record(outcome: Outcome): Reply {
    this.deliver(outcome);
    if (outcome.reply === undefined) throw new Error("no reply");
    return outcome.reply;
  }

  private deliver(outcome: Outcome): void {
    for (const { recipients, event } of outcome.outbound) {
      for (const r of recipients) this.logs.get(r)?.push(event);
    }
    for (const c of outcome.closes) this.closed.push({ session: c.session, code: c.code });
  }
}

function attrs(m: { [k: string]: string }): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** One line per event: the tests read like the brief's event lists. */
export function summarize(e: Event): string {
  const ev = e.event;
  switch (ev.case) {
    case "connectionStateChanged":
      return `connection ${ConnectionState[ev.value.state]} ${ConnectionStateReason[ev.value.reason]}`;
    case "roomStateChanged":
      return `${ev.value.roomId} ${RoomState[ev.value.state]} ${RoomStateReason[ev.value.reason]}`;
    case "roomMemberJoined":
      return `${ev.value.roomId}#${ev.value.roomSeq} joined ${ev.value.members.map((m) => m.userId).join(",")}`;
    case "roomMemberLeft":
      return `${ev.value.roomId}#${ev.value.roomSeq} left ${ev.value.members.map((m) => m.userId).join(",")}`;
    case "roomAttributesUpdated":
      return `${ev.value.roomId}#${ev.value.roomSeq} attrs ${RoomAttributesUpdateAction[ev.value.info?.action ?? 0]} ${attrs(ev.value.info?.attributes ?? {})} by ${ev.value.operatorUserId || "-"}`;
    case "roomAttributesBatchUpdated":
      return `${ev.value.roomId}#${ev.value.roomSeq} batch ${ev.value.infos.map((i) => `${RoomAttributesUpdateAction[i.action]} ${attrs(i.attributes)}`).join("; ")} by ${ev.value.operatorUserId}`;
    case "roomMemberAttributesUpdated":
      return `${ev.value.roomId}#${ev.value.roomSeq} member-attrs ${ev.value.infos.map((i) => `${i.userId}{${attrs(i.attributes)}}`).join(" ")} by ${ev.value.operatorUserId}`;
    case "roomMessageReceived":
      return `${ev.value.roomId}#${ev.value.roomSeq} message from ${ev.value.message?.senderUserId} ${new TextDecoder().decode(ev.value.message?.payload)}`;
    default:
      return "empty event";
  }
}
