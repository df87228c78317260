// The workbench of the bug zoo: a broken server is the reference server's
// building blocks (ServerState, Engine, Transport, the operation handlers,
// the token verifier, the test clock) wired by the reference's own
// `startServer`, with exactly one block replaced by a subclass or a wrapper
// through its ServerBlocks seam. The reference server knows nothing of the
// zoo: no switch, no option, no test-only branch.
import { create } from "@bufbuild/protobuf";
import {
  ErrorCode,
  ReplySchema,
  type ClientFrame,
  type Event,
} from "../../protocol/index.js";
import type { TokenVerifier } from "../../reference/server/auth.js";
import { TestClock } from "../../reference/server/clock.js";
import { errorResult, type OpContext } from "../../reference/server/context.js";
import { Effects, type Outbound, type ResultInit } from "../../reference/server/effects.js";
import { Engine, isPendingLogin, type Outcome, type PendingLogin } from "../../reference/server/engine.js";
import { failure } from "../../reference/server/errors.js";
import type { LimitsOverrides, LimitValues } from "../../reference/server/limits.js";
import { takeAll } from "../../reference/server/rate-limit.js";
import { ServerState, type Session } from "../../reference/server/state.js";
import { Transport, type TransportOptions } from "../../reference/server/transport.js";
import { startServer } from "../../reference/server/index.js";

/** What a mutant's `start` gets: the HS256 secret the runner mints tokens with. */
export interface StartOptions {
  tokenSecret: string;
}

/** A server the suite reaches by URL, exactly like a third party's. */
export interface RunningTarget {
  url: string;
  close(): Promise<void>;
}

/** The parts of a server; each is the reference's unless replaced. */
export interface Parts {
  /** Limits the server enforces (default: the reference defaults). */
  limits?: LimitsOverrides;
  /** The engine, built on the server's state (default: the reference Engine). */
  engine?: (state: ServerState) => Engine;
  /** The WebSocket edge (default: the reference Transport). */
  transport?: (options: TransportOptions) => Transport;
  /** Login token checks (default: the reference HS256 verifier). */
  verifier?: (tokenSecret: string) => TokenVerifier;
  /**
   * The test clock that times destroy delays (default: the reference TestClock, as the embedded
   * reference server runs). A replacement must be a TestClock: AdvanceClock drives only that.
   */
  clock?: () => TestClock;
}

export interface Composed extends RunningTarget {
  engine: Engine;
  transport: Transport;
  state: ServerState;
}

/**
 * Starts a server on a loopback port from the given parts: the reference's
 * own `startServer({ tokenSecret, testClock: true })` (the configuration
 * `openroom conformance` embeds; message history on) with the given blocks
 * in place of its own.
 */
export async function compose(parts: Parts, { tokenSecret }: StartOptions): Promise<Composed> {
  return startServer(
    { tokenSecret, testClock: true, ...(parts.limits ? { limits: parts.limits } : {}) },
    {
      ...(parts.engine ? { engine: parts.engine } : {}),
      ...(parts.transport ? { transport: parts.transport } : {}),
      ...(parts.verifier ? { verifier: parts.verifier(tokenSecret) } : {}),
      ...(parts.clock ? { scheduler: parts.clock() } : {}),
    },
  );
}

// ---- operation patches ----------------------------------------------------

type RequestUnion = ClientFrame["request"];
/** Request kinds an operation handler serves (Login, Logout and Ping are the engine's own). */
export type OpCase = Exclude<NonNullable<RequestUnion["case"]>, "login" | "logout" | "ping">;
type RequestOf<K extends OpCase> = Extract<RequestUnion, { case: K }>["value"];
export type OpHandler<K extends OpCase> = (ctx: OpContext, request: RequestOf<K>) => ResultInit;
export type OpPatches = { [K in OpCase]?: OpHandler<K> };

/**
 * The reference Engine with some operation handlers replaced. A patched
 * operation still goes through every global check of the reference (request
 * ID, empty request, login, rate limits): those stay the reference's own.
 */
export class PatchedEngine extends Engine {
  constructor(
    state: ServerState,
    private readonly patches: OpPatches,
  ) {
    super(state);
  }

  override handle(session: Session, frame: ClientFrame, now: number): Outcome | PendingLogin {
    const request = frame.request;
    const kind = request.case;
    const patch = kind === undefined || kind === "login" || kind === "logout" || kind === "ping" ? undefined : this.patches[kind];
    if (patch === undefined || frame.requestId === 0 || !session.loggedIn) return super.handle(session, frame, now);
    // The reference's rate-limit step; a refusal is left to the reference, which refuses it the same way.
    const windows = kind === "sendRoomMessage"
      ? ([["request_rate", session.requestRate], ["message_rate", session.messageRate]] as const)
      : ([["request_rate", session.requestRate]] as const);
    if (takeAll(windows, now) !== undefined) return super.handle(session, frame, now);
    const fx = new Effects();
    const ctx: OpContext = { state: this.state, session, now, fx };
    try {
      const result = (patch as (ctx: OpContext, request: unknown) => ResultInit)(ctx, request.value);
      return { outbound: fx.outbound, closes: fx.closes, reply: create(ReplySchema, { requestId: frame.requestId, result }) };
    } catch (e) {
      this.onInternalError(e);
      return { outbound: [], closes: [], reply: create(ReplySchema, { requestId: frame.requestId, result: errorResult(failure(ErrorCode.INTERNAL, "internal server error")) }) };
    }
  }
}

/** An engine whose finished outcomes pass through `rewrite` (Login's pending step is left alone). */
export class RewritingEngine extends Engine {
  constructor(
    state: ServerState,
    private readonly rewrite: (outcome: Outcome, session: Session, frame: ClientFrame) => Outcome,
  ) {
    super(state);
  }

  override handle(session: Session, frame: ClientFrame, now: number): Outcome | PendingLogin {
    const result = super.handle(session, frame, now);
    return isPendingLogin(result) ? result : this.rewrite(result, session, frame);
  }
}

// ---- small helpers for the mutants -----------------------------------------

/** Runs `fn` with some limits temporarily changed (how a check "forgets" or shifts a bound). */
export function withLimits<T>(state: ServerState, overrides: Partial<Pick<LimitValues, NumericLimit>>, fn: () => T): T {
  const saved: Partial<Record<NumericLimit, number>> = {};
  for (const key of Object.keys(overrides) as NumericLimit[]) {
    saved[key] = state.limits[key];
    state.limits[key] = overrides[key] ?? state.limits[key];
  }
  try {
    return fn();
  } finally {
    for (const key of Object.keys(saved) as NumericLimit[]) state.limits[key] = saved[key] ?? state.limits[key];
  }
}
type NumericLimit = { [K in keyof LimitValues]: LimitValues[K] extends number ? K : never }[keyof LimitValues];

/** A bound no request reaches. */
export const UNBOUNDED = 0xffff_ffff;

/** The event case of an outbound entry. */
export function caseOf(o: Outbound): Event["event"]["case"] {
  return o.event.event.case;
}

type ReplyResult = NonNullable<Outcome["reply"]>["result"];
type ResponseCase = Exclude<NonNullable<ReplyResult["case"]>, "error">;
type ResponseOf<C extends ResponseCase> = Extract<ReplyResult, { case: C }>["value"];

/** The response of an outcome's reply when it succeeded with the given case. */
export function okReply<C extends ResponseCase>(outcome: Outcome, kind: C): ResponseOf<C> | undefined;
export function okReply(outcome: Outcome, kind: ResponseCase): unknown {
  const result = outcome.reply?.result;
  return result?.case === kind ? result.value : undefined;
}

/** The error code of a handler's result, if it failed. */
export function resultErrorCode(result: ResultInit): ErrorCode | undefined {
  return result.case === "error" ? (result.value.code ?? ErrorCode.UNSPECIFIED) : undefined;
}
