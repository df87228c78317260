// A World is one test's view of the target: labeled sessions, unique IDs
// under a random run prefix, the server's advertised limits, one wire log,
// and the Ping barrier that makes every session's event list complete.
import {
  ErrorCode,
  SUBPROTOCOLS,
  encodingOf,
  type Encoding,
  type Feature,
  type Limits,
  type ServerInfo,
} from "../../protocol/index.js";
import { HarnessError, SessionClosedError, UnexpectedReply } from "./errors.js";
import { openSocket } from "./handshake.js";
import { checkIdLength, newRunPrefix, scopedId, scopedIdOfLength } from "./ids.js";
import { Session, describeResult, type ProtocolViolation, type SessionTimeouts } from "./session.js";
import { DEFAULT_TIMEOUTS, scaled, type BaseTimeouts, type Target } from "./target.js";
import { WireLog, type WireLogOptions } from "./wire-log.js";

export interface WorldOptions {
  /** The run prefix of every ID (default: random). Set it only to reproduce a run against a fresh server. */
  runPrefix?: string;
  /** A wire log to share, or options for the world's own (ring capacity …). */
  wireLog?: WireLog | WireLogOptions;
  /** Default pacing for sessions (default true). */
  pace?: boolean;
  /** Base timeouts to override (still multiplied by the target's multiplier). */
  timeouts?: Partial<BaseTimeouts>;
}

export interface ConnectOptions {
  /** Encoding to speak (default: the target's). */
  encoding?: Encoding;
  /** Subprotocols to offer instead of the encoding's one; the session speaks whichever OpenRoom one the server selects. */
  protocols?: readonly string[];
  /** Pace under the advertised rate limits (default: the world's). */
  pace?: boolean;
}

export interface SessionOptions extends ConnectOptions {
  /** Log in as this user (default: `world.userId(label)`). */
  userId?: string;
  /** Display name (default: the label). */
  userName?: string;
  /** Token to present (default: from the target's token source). */
  token?: string;
}

export class World {
  readonly target: Target;
  /** Starts every ID of this world; unique per world. */
  readonly prefix: string;
  readonly wireLog: WireLog;
  /** Scaled timeouts, in ms. */
  readonly timeouts: BaseTimeouts;
  private info: ServerInfo | undefined;
  private readonly all: Session[] = [];
  private readonly labelsUsed = new Map<string, number>();
  private readonly pace: boolean;

  constructor(target: Target, options: WorldOptions = {}) {
    this.target = target;
    this.prefix = options.runPrefix ?? newRunPrefix();
    this.wireLog = options.wireLog instanceof WireLog ? options.wireLog : new WireLog(options.wireLog);
    const base = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.timeouts = {
      connect: scaled(base.connect, target.timeoutMultiplier),
      reply: scaled(base.reply, target.timeoutMultiplier),
      event: scaled(base.event, target.timeoutMultiplier),
      close: scaled(base.close, target.timeoutMultiplier),
      tokenCommand: scaled(base.tokenCommand, target.timeoutMultiplier),
    };
    this.pace = options.pace ?? true;
  }

  /** The ServerInfo of the first successful login in this world. A HarnessError before any login. */
  get serverInfo(): ServerInfo {
    if (this.info === undefined) throw new HarnessError("no session of this world has logged in yet: no ServerInfo");
    return this.info;
  }

  /** True once a login has supplied ServerInfo. */
  get hasServerInfo(): boolean {
    return this.info !== undefined;
  }

  /** The advertised limits (from the first login). */
  get limits(): Limits {
    const limits = this.serverInfo.limits;
    if (limits === undefined) throw new HarnessError("the server's ServerInfo has no limits");
    return limits;
  }

  /** Whether the server advertises `feature`. */
  hasFeature(feature: Feature): boolean {
    return this.serverInfo.features.includes(feature);
  }

  /** The user ID for `label` in this world: the same label always gives the same ID. */
  userId(label: string): string {
    return checkIdLength(scopedId(this.prefix, label), this.info?.limits?.maxUserIdBytes ?? 0, "user ID");
  }

  /** The room ID for `label` in this world. */
  roomId(label: string): string {
    return checkIdLength(scopedId(this.prefix, label), this.info?.limits?.maxRoomIdBytes ?? 0, "room ID");
  }

  /** A unique ID for `label` padded to exactly `bytes` bytes (for ID length limit tests). */
  idOfLength(label: string, bytes: number): string {
    return scopedIdOfLength(this.prefix, label, bytes);
  }

  /** Every session this world opened, in opening order (closed ones included). */
  get sessions(): readonly Session[] {
    return this.all;
  }

  /** Every protocol violation seen on any session of this world. */
  get violations(): ProtocolViolation[] {
    return this.all.flatMap((s) => s.violations).sort((a, b) => a.at - b.at);
  }

  /**
   * Opens a session and logs it in as `world.userId(label)`. Opening the same
   * label again is a second device of the same user (labeled `alice#2`).
   * Login refused for the token is a HarnessError (wrong secret or command);
   * any other refusal is an UnexpectedReply.
   */
  async session(label: string, options: SessionOptions = {}): Promise<Session> {
    const userId = options.userId ?? this.userId(label);
    const session = await this.connect(label, options);
    const token = options.token ?? (await this.mintToken(userId));
    const reply = await session.login(userId, token, options.userName ?? label);
    if (reply.result.case === "login") return session;
    const code = reply.result.case === "error" ? reply.result.value.code : undefined;
    if (code === ErrorCode.INVALID_TOKEN || code === ErrorCode.TOKEN_EXPIRED) {
      throw new HarnessError(
        `login of "${userId}" refused: ${describeResult(reply)}; check the token source (${this.target.token.description})`,
      );
    }
    throw new UnexpectedReply(`login of "${userId}" on session "${session.label}" refused: ${describeResult(reply)}`);
  }

  /** Opens a session without logging in (for tests of what happens before login). */
  async connect(label: string, options: ConnectOptions = {}): Promise<Session> {
    const encoding = options.encoding ?? this.target.encoding;
    const protocols = options.protocols ?? [SUBPROTOCOLS[encoding]];
    const socket = await openSocket(this.target.url, protocols, this.timeouts.connect);
    const negotiated = encodingOf(socket.protocol);
    if (negotiated === undefined) {
      socket.on("error", () => {});
      socket.terminate();
      throw new HarnessError(`the server selected subprotocol "${socket.protocol}", not an OpenRoom one`);
    }
    const session = new Session({
      label: this.uniqueLabel(label),
      socket,
      encoding: negotiated,
      wireLog: this.wireLog,
      timeouts: this.sessionTimeouts(),
      pace: options.pace ?? this.pace,
      onLogin: (info) => {
        this.info ??= info;
      },
    });
    this.all.push(session);
    return session;
  }

  /**
   * The Ping barrier: a Ping on every open session, awaiting every reply.
   * Afterwards each session's event list holds every event of every request
   * answered before the call. A session that closes meanwhile has received
   * all it ever will, so its closing is not an error here.
   */
  async quiesce(): Promise<void> {
    await Promise.all(
      this.all
        .filter((s) => s.isOpen)
        .map((s) =>
          s.ping().catch((e: unknown) => {
            if (!(e instanceof SessionClosedError)) throw e;
          }),
        ),
    );
  }

  /** Closes every open session (close handshake, terminated if it hangs). */
  async closeAll(): Promise<void> {
    await Promise.all(this.all.map((s) => s.close().catch(() => undefined)));
  }

  private async mintToken(userId: string): Promise<string> {
    try {
      return await this.target.token.token(userId);
    } catch (e) {
      if (e instanceof HarnessError) throw e;
      throw new HarnessError(`cannot get a token for "${userId}" (${this.target.token.description}): ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private sessionTimeouts(): SessionTimeouts {
    return { reply: this.timeouts.reply, event: this.timeouts.event, close: this.timeouts.close };
  }

  private uniqueLabel(label: string): string {
    const n = (this.labelsUsed.get(label) ?? 0) + 1;
    this.labelsUsed.set(label, n);
    return n === 1 ? label : `${label}#${n}`;
  }
}
