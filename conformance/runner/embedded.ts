// The embedded targets of `openroom conformance` without --url: the
// reference server as a user would run it (plus the advertised test clock,
// so destroy-delay tests need not sleep), and a second, constrained instance
// with small server-wide limits and optional features off for the tests
// that fill a server-wide limit or need a feature to be absent.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { LimitsOverrides } from "../../reference/server/index.js";

/**
 * The disposable-server command for the embedded target: the reference
 * server started the way users start it (the secret comes from
 * OPENROOM_TOKEN_SECRET, which the suite sets).
 */
export function embeddedDisposableCommand(): string {
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), "../../bin/openroom.js");
  return `"${process.execPath}" "${bin}" serve --port 0 --log-level silent`;
}

export const EMBEDDED_CONSTRAINED_LIMITS: LimitsOverrides = {
  maxRoomsPerServer: 16,
  maxMembersPerRoom: 4,
  requestRate: { maxCount: 0, windowMs: 1000 },
};
export const EMBEDDED_CONSTRAINED_DESCRIPTION = "max_rooms_per_server 16, max_members_per_room 4, request_rate unlimited, no history, no test clock";

export interface Embedded {
  url: string;
  close(): Promise<void>;
}

export async function startEmbedded(tokenSecret: string): Promise<{ main: Embedded; constrained: Embedded }> {
  const { startServer } = await import("../../reference/server/index.js");
  const [main, constrained] = await Promise.all([
    startServer({ tokenSecret, testClock: true, logLevel: "silent" }),
    startServer({ tokenSecret, messageHistory: false, limits: EMBEDDED_CONSTRAINED_LIMITS, logLevel: "silent" }),
  ]);
  return { main, constrained };
}
