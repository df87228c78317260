// The reference server as a library: `startServer(options)` for tests and
// embedding. Everything is held in memory.
import type { Limits } from "../../protocol/index.js";
import { hs256Verifier, insecureDevVerifier, type TokenVerifier } from "./auth.js";
import { RealScheduler, TestClock, type Scheduler } from "./clock.js";
import { Engine } from "./engine.js";
import { resolveLimitValues, toLimitsMessage, type LimitsOverrides } from "./limits.js";
import { createLogger, type LogLevel } from "./logger.js";
import { PageTokens } from "./page-token.js";
import { ServerState } from "./state.js";
import { Transport, type TransportOptions } from "./transport.js";

export { DEFAULT_LIMITS, type LimitsOverrides, type LimitValues, type RateLimitValue } from "./limits.js";
export type { LogLevel } from "./logger.js";
// The blocks of ServerBlocks, for code that builds or replaces one.
export { hs256Verifier, type TokenVerifier } from "./auth.js";
export { TestClock, RealScheduler, type Scheduler } from "./clock.js";
export { Engine } from "./engine.js";
export { ServerState } from "./state.js";
export { Transport, type TransportOptions } from "./transport.js";

export interface ServerOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** HS256 shared secret for Login tokens; required unless insecureDevAuth. */
  tokenSecret?: string;
  /** Accept any token (development only; logged loudly at start-up). */
  insecureDevAuth?: boolean;
  /** Overrides of the reference defaults (brief §10). */
  limits?: LimitsOverrides;
  /** FEATURE_MESSAGE_HISTORY; default true. */
  messageHistory?: boolean;
  /** FEATURE_TEST_CLOCK: destroy delays follow AdvanceClock only; default false. */
  testClock?: boolean;
  /** A connection whose unsent bytes exceed this is closed with 4002 (slow consumer). Default 8 MiB. */
  maxBufferedBytes?: number;
  /** WebSocket ping interval; a connection that has not answered the previous ping is dropped. Default 30 s. */
  heartbeatIntervalMs?: number;
  /** Default "silent". */
  logLevel?: LogLevel;
}

/**
 * The blocks `startServer` wires, each the reference's own unless given: for
 * embedding (an instrumented engine, another token scheme) and for the
 * conformance self-test's deliberately broken servers, which replace exactly
 * one block and are otherwise wired exactly as the reference is.
 */
export interface ServerBlocks {
  /** The request handling core, built on the server's state. */
  engine?: (state: ServerState) => Engine;
  /** The WebSocket edge. */
  transport?: (options: TransportOptions) => Transport;
  /** Login token checks (instead of the one tokenSecret or insecureDevAuth select; one of them is still required). */
  verifier?: TokenVerifier;
  /** Times destroy delays; with testClock it must be a TestClock (AdvanceClock drives only that). */
  scheduler?: Scheduler;
}

export interface RunningServer {
  /** ws://host:port */
  url: string;
  host: string;
  port: number;
  /** The limits enforced and advertised. */
  limits: Limits;
  /** Graceful shutdown: SERVER_SHUTDOWN to every session, close 1001, stop listening, clear every timer. */
  close(): Promise<void>;
  /** The blocks as wired. */
  readonly engine: Engine;
  readonly transport: Transport;
  readonly state: ServerState;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;

export async function startServer(options: ServerOptions = {}, blocks: ServerBlocks = {}): Promise<RunningServer> {
  const logger = createLogger(options.logLevel ?? "silent");
  if (options.tokenSecret === undefined && !options.insecureDevAuth) {
    throw new Error("startServer needs tokenSecret, or insecureDevAuth: true to accept any token");
  }
  if (options.tokenSecret !== undefined && options.insecureDevAuth) {
    throw new Error("tokenSecret and insecureDevAuth are mutually exclusive");
  }
  const verifier = blocks.verifier ?? (options.insecureDevAuth ? insecureDevVerifier : hs256Verifier(options.tokenSecret ?? ""));
  const limitValues = resolveLimitValues(options.limits, options.messageHistory ?? true);
  const features = { messageHistory: options.messageHistory ?? true, testClock: options.testClock ?? false };
  if (features.testClock && blocks.scheduler !== undefined && !(blocks.scheduler instanceof TestClock)) {
    throw new Error("with testClock, the scheduler must be a TestClock");
  }
  const scheduler = blocks.scheduler ?? (features.testClock ? new TestClock() : new RealScheduler());
  const state = new ServerState(limitValues, features, scheduler, new PageTokens(), `${Date.now().toString(36)}-`);
  const engine = blocks.engine ? blocks.engine(state) : new Engine(state, options.insecureDevAuth ? "+insecure" : "");
  engine.onInternalError = (e) => logger.error({ err: e }, "internal error while handling a request");
  const transportOptions: TransportOptions = {
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    engine,
    verifier,
    maxFrameBytes: limitValues.maxFrameBytes,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    logger,
  };
  const transport = blocks.transport ? blocks.transport(transportOptions) : new Transport(transportOptions);
  const { host, port } = await transport.listen();
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const url = `ws://${urlHost}:${port}`;
  if (options.insecureDevAuth) {
    logger.warn("INSECURE DEV AUTH: every Login token is accepted. Never expose this server to anyone.");
  }
  logger.info({ url, testClock: features.testClock, messageHistory: features.messageHistory }, "OpenRoom reference server listening");
  let closing: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    limits: toLimitsMessage(limitValues),
    engine,
    transport,
    state,
    close() {
      closing ??= transport.close().finally(() => {
        scheduler.dispose();
        state.rooms.clear();
        state.sessionsByUser.clear();
        logger.info("OpenRoom reference server stopped");
      });
      return closing;
    },
  };
}

