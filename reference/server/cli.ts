// `openroom serve`: the reference server from the command line. One flag per
// limit, named after the Limits field (`--max-rooms-per-user 5`); rate
// limits as COUNT/WINDOW_MS (`--request-rate 2000/1000`, COUNT 0 = no limit).
import { Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_LIMITS, startServer, type LimitsOverrides, type LimitValues, type LogLevel, type RunningServer } from "./index.js";
import { DEFAULT_MAX_BUFFERED_BYTES } from "./index.js";

const LOG_LEVELS: LogLevel[] = ["silent", "error", "warn", "info", "debug"];

type NumericLimit = { [K in keyof LimitValues]: LimitValues[K] extends number ? K : never }[keyof LimitValues];
type RateLimitName = "requestRate" | "messageRate";

/** `maxRoomsPerUser` → `max-rooms-per-user`. */
export function flagOf(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `maxRoomsPerUser` → `max_rooms_per_user`, the Limits field it sets. */
function protoNameOf(name: string): string {
  return flagOf(name).replaceAll("-", "_");
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 0xffff_ffff) throw new InvalidArgumentError("expected a whole number from 0 to 4294967295");
  return Number(value);
}

/** COUNT/WINDOW_MS, e.g. 2000/1000. */
export function parseRate(value: string): { maxCount: number; windowMs: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (!m) throw new InvalidArgumentError("expected COUNT/WINDOW_MS, e.g. 2000/1000 (COUNT 0 = no limit)");
  return { maxCount: parseCount(m[1] ?? ""), windowMs: parseCount(m[2] ?? "") };
}

const LIMIT_HELP: Partial<Record<keyof LimitValues, string>> = {
  maxRoomsPerServer: "0 = no limit",
  maxMembersPerRoom: "0 = no limit",
  maxHistoryCount: "0 when --no-message-history",
};

interface ServeFlags {
  host: string;
  port: number;
  tokenSecret?: string;
  insecureDevAuth?: boolean;
  testClock?: boolean;
  messageHistory: boolean;
  maxBufferedBytes: number;
  logLevel: LogLevel;
  [limit: string]: unknown;
}

export interface ServeIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves when the server should stop (default: SIGINT or SIGTERM). */
  untilStop?: () => Promise<string>;
}

const defaultIo: ServeIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(signal);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

export function serveCommand(io: ServeIo = defaultIo): Command {
  const cmd = new Command("serve")
    .description("run the OpenRoom reference server (in memory, WebSocket subprotocols openroom.v1 and openroom.v1.json)")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <port>", "TCP port (0 = any free port)", (v) => parseCount(v), 7700)
    .addOption(new Option("--token-secret <secret>", "HS256 secret that Login tokens (JWT, sub = user_id, exp required) are signed with").env("OPENROOM_TOKEN_SECRET"))
    .option("--insecure-dev-auth", "accept ANY token (development only; never expose such a server)")
    .option("--test-clock", "offer FEATURE_TEST_CLOCK: destroy delays follow AdvanceClock only (test servers only)")
    .option("--no-message-history", "do not offer FEATURE_MESSAGE_HISTORY")
    .option("--max-buffered-bytes <bytes>", "close a connection with 4002 when its unsent bytes exceed this (slow consumer)", (v) => parseCount(v), DEFAULT_MAX_BUFFERED_BYTES)
    .addOption(new Option("--log-level <level>", "structured log level (stderr)").choices(LOG_LEVELS).default("warn"));

  for (const [name, value] of Object.entries(DEFAULT_LIMITS) as [keyof LimitValues, unknown][]) {
    if (typeof value === "number") {
      const note = LIMIT_HELP[name] ? ` (${LIMIT_HELP[name]})` : "";
      cmd.option(`--${flagOf(name)} <n>`, `Limits.${protoNameOf(name)}${note}; default ${value}`, (v) => parseCount(v));
    } else {
      const rate = value as { maxCount: number; windowMs: number };
      cmd.option(`--${flagOf(name)} <count/ms>`, `Limits.${protoNameOf(name)} as COUNT/WINDOW_MS (COUNT 0 = no limit); default ${rate.maxCount}/${rate.windowMs}`, parseRate);
    }
  }

  cmd.addHelpText(
    "after",
    `
Every limit is advertised to clients in the Login reply exactly as enforced.
Close codes: 1000 logout, 1001 shutdown, 1003 wrong frame type, 1007 undecodable
frame, 1009 frame too large, 1011 internal error, 4001 kicked by a newer login,
4002 slow consumer (unsent bytes above --max-buffered-bytes).

Examples:
  openroom serve --insecure-dev-auth
  OPENROOM_TOKEN_SECRET=s3cret openroom serve --port 7700 --max-rooms-per-user 10 --request-rate 500/1000`,
  );

  cmd.action(async (flags: ServeFlags) => {
    // An empty OPENROOM_TOKEN_SECRET is no secret at all.
    if (flags.tokenSecret === "") delete flags.tokenSecret;
    if (flags.tokenSecret === undefined && !flags.insecureDevAuth) {
      cmd.error("error: give --token-secret (or OPENROOM_TOKEN_SECRET), or --insecure-dev-auth to accept any token", { exitCode: 2, code: "openroom.serve.noAuth" });
    }
    if (flags.tokenSecret !== undefined && flags.insecureDevAuth) {
      cmd.error("error: --token-secret and --insecure-dev-auth exclude each other", { exitCode: 2, code: "openroom.serve.authConflict" });
    }
    const limits: LimitsOverrides = {};
    for (const name of Object.keys(DEFAULT_LIMITS) as (keyof LimitValues)[]) {
      const value = flags[name];
      if (value === undefined) continue;
      if (name === "requestRate" || name === "messageRate") limits[name as RateLimitName] = value as { maxCount: number; windowMs: number };
      else limits[name as NumericLimit] = value as number;
    }
    const server: RunningServer = await startServer({
      host: flags.host,
      port: flags.port,
      ...(flags.tokenSecret !== undefined ? { tokenSecret: flags.tokenSecret } : { insecureDevAuth: true }),
      testClock: flags.testClock ?? false,
      messageHistory: flags.messageHistory,
      maxBufferedBytes: flags.maxBufferedBytes,
      logLevel: flags.logLevel,
      limits,
    }).catch((e: unknown) => cmd.error(`error: ${e instanceof Error ? e.message : String(e)}`, { exitCode: 2, code: "openroom.serve.start" }));
    if (flags.insecureDevAuth) {
      io.err("WARNING: --insecure-dev-auth: every Login token is accepted, so anyone can log in as anyone. Development only.");
    }
    // Never print the secret itself; the runner reads OPENROOM_TOKEN_SECRET too.
    const secretArg = flags.insecureDevAuth
      ? " --token-secret any-value"
      : process.env["OPENROOM_TOKEN_SECRET"] === flags.tokenSecret
        ? "   (the runner reads OPENROOM_TOKEN_SECRET too)"
        : " --token-secret <the same secret>";
    io.out(`OpenRoom reference server listening on ${server.url}${flags.testClock ? " (test clock on)" : ""}`);
    io.out(`Judge it with the conformance suite:  npx openroom conformance --url ${server.url}${secretArg}`);
    io.out("Stop with Ctrl-C.");
    const signal = await (io.untilStop ?? untilSignal)();
    io.err(`${signal}: shutting down`);
    await server.close();
  });
  return cmd;
}
