// The reference server as a library: `startServer(options)` for tests and
// embedding. Everything is held in memory.
import type { Limits } from "../../protocol/index.js";
import { hs256Verifier, insecureDevVerifier } from "./auth.js";
import { RealScheduler, TestClock } from "./clock.js";
import { Engine } from "./engine.js";
import { resolveLimitValues, toLimitsMessage, type LimitsOverrides } from "./limits.js";
import { createLogger, type LogLevel } from "./logger.js";
import { PageTokens } from "./page-token.js";
import { ServerState } from "./state.js";
import { Transport } from "./transport.js";

export { DEFAULT_LIMITS, type LimitsOverrides, type LimitValues, type RateLimitValue } from "./limits.js";
export type { LogLevel } from "./logger.js";

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

export interface RunningServer {
  /** ws://host:port */
  url: string;
  host: string;
  port: number;
  /** The limits enforced and advertised. */
  limits: Limits;
  /** Graceful shutdown: SERVER_SHUTDOWN to every session, close 1001, stop listening, clear every timer. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const logger = createLogger(options.logLevel ?? "silent");
  if (options.tokenSecret === undefined && !options.insecureDevAuth) {
    throw new Error("startServer needs tokenSecret, or insecureDevAuth: true to accept any token");
  }
  if (options.tokenSecret !== undefined && options.insecureDevAuth) {
    throw new Error("tokenSecret and insecureDevAuth are mutually exclusive");
  }
  const verifier = options.insecureDevAuth ? insecureDevVerifier : hs256Verifier(options.tokenSecret ?? "");
  const limitValues = resolveLimitValues(options.limits, options.messageHistory ?? true);
  const features = { messageHistory: options.messageHistory ?? true, testClock: options.testClock ?? false };
  const scheduler = features.testClock ? new TestClock() : new RealScheduler();
  const state = new ServerState(limitValues, features, scheduler, new PageTokens(), `${Date.now().toString(36)}-`);
  const engine = new Engine(state, options.insecureDevAuth ? "+insecure" : "");
  engine.onInternalError = (e) => logger.error({ err: e }, "internal error while handling a request");
  const transport = new Transport({
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    engine,
    verifier,
    maxFrameBytes: limitValues.maxFrameBytes,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    logger,
  });
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

