// What the suite judges: a server URL, the encoding to speak, how to get a
// token for a user, and how patient to be.
import type { Encoding } from "../../protocol/index.js";
import type { TokenSource } from "./tokens.js";

export interface Target {
  /** WebSocket URL of the server, e.g. `ws://127.0.0.1:7070`. */
  url: string;
  /** Subprotocol to speak: `openroom.v1` (binary) or `openroom.v1.json`. */
  encoding: Encoding;
  /** Where login tokens come from. */
  token: TokenSource;
  /** Every harness timeout is its base value times this (slow or remote servers). */
  timeoutMultiplier: number;
}

/** Base timeouts in milliseconds, before `timeoutMultiplier`. */
export interface BaseTimeouts {
  /** WebSocket handshake. */
  connect: number;
  /** One reply to one request. */
  reply: number;
  /** An awaited event or close that is owed to the session. */
  event: number;
  /** The close handshake after `close()`. */
  close: number;
  /** One run of a token command. */
  tokenCommand: number;
}

export const DEFAULT_TIMEOUTS: BaseTimeouts = {
  connect: 5_000,
  reply: 5_000,
  event: 2_000,
  close: 2_000,
  tokenCommand: 10_000,
};

/** `base` scaled by the multiplier, at least 1 ms. */
export function scaled(baseMs: number, multiplier: number): number {
  return Math.max(1, Math.round(baseMs * multiplier));
}
