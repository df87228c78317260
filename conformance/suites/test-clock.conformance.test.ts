// AdvanceClock and the test clock (FEATURE_TEST_CLOCK): spec/test-clock.md.
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { ErrorCode, Feature, type Reply } from "../../protocol/index.js";
import type { Lockstep } from "../driver/lockstep.js";
import { withTargetLock } from "../driver/lock.js";
import { conformanceSuite, type ScenarioOptions } from "../driver/suite.js";
import { UnexpectedReply, type RequestInput } from "../harness/index.js";
import { advanceTime } from "../model/index.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function errorOf(reply: Reply | undefined): ErrorCode | undefined {
  return reply?.result.case === "error" ? reply.result.value.code : undefined;
}

const createReq = (roomId: string, delay: number): RequestInput => ({
  case: "createRoom",
  value: { roomInfo: { roomId }, config: { roomDestroyDelaySeconds: delay } },
});
const advanceReq = (advanceMs: number): RequestInput => ({ case: "advanceClock", value: { advanceMs } });

// ---- The shared test clock ----------------------------------------------------
//
// AdvanceClock moves ONE server-wide clock, and vitest runs test files in
// parallel against the same server. The tests that advance it (this file and
// lifecycle.conformance.test.ts, which holds the same lock) take an
// inter-process lock per target while they run, so no other test moves the
// clock between one test's due times. Tests elsewhere use delay 0 or the
// maximum delay and never advance it.

/**
 * AdvanceClock through the lockstep. The reply may be later than the model
 * predicts when something else moved the shared clock (`sharedClock`); the
 * model then follows the server to the observed time, destroying what is due.
 */
async function advance(ls: Lockstep, label: string, ms: number): Promise<bigint> {
  const reply = await ls.request(label, advanceReq(ms));
  if (reply.result.case !== "advanceClock") throw new UnexpectedReply(`advanceClock(${ms}) was refused`);
  ls.state = advanceTime(ls.state, Number(reply.result.value.nowMs)).state;
  return reply.result.value.nowMs;
}

/** Options of a test that advances the test clock. */
const CLOCK: ScenarioOptions = { requires: [Feature.TEST_CLOCK], compare: { sharedClock: true }, timeoutMs: 90_000 };

/** The largest advance_ms accepted (CLOCK-2); never sent: 24 h would destroy other runs' maximum-delay rooms. */
const MAX_ADVANCE_MS = 86_400_000;

conformanceSuite("test clock", (test) => {
  /** A test that holds the clock lock; `start` is the server's clock after an initial 1 ms advance by "clock". */
  const clockTest = (title: string, body: (ctx: Parameters<Parameters<typeof test>[1]>[0], start: bigint) => Promise<void>) =>
    test(
      title,
      (ctx) =>
        withTargetLock(ctx.world.target.url, "test-clock", async () => {
          await ctx.ls.login("clock");
          await body(ctx, await advance(ctx.ls, "clock", 1));
        }),
      CLOCK,
    );

  // ---- Without the feature ------------------------------------------------------

  test("AdvanceClock on a server without FEATURE_TEST_CLOCK fails FEATURE_NOT_SUPPORTED, even with an invalid advance_ms [CLOCK-1, REQUEST-CHECK-4]", async ({ ls, serverInfo, skip }) => {
    if (serverInfo.features.includes(Feature.TEST_CLOCK)) {
      return skip("the server advertises FEATURE_TEST_CLOCK: CLOCK-1 can only be checked against a server without it");
    }
    await ls.login("alice");
    await ls.request("alice", createReq(ls.room("r1"), 0));
    for (const ms of [1_000, 1, 0, MAX_ADVANCE_MS + 1]) {
      await ls.request("alice", advanceReq(ms));
      expect(errorOf(ls.reply), `advance_ms ${ms}`).toBe(ErrorCode.FEATURE_NOT_SUPPORTED);
    }
  }, { target: "constrained" });

  test("AdvanceClock before Login fails UNAUTHENTICATED, with or without the feature [REQUEST-AUTH-1]", async ({ ls }) => {
    await ls.connect("alice");
    await ls.request("alice", advanceReq(1));
    expect(errorOf(ls.reply)).toBe(ErrorCode.UNAUTHENTICATED);
  });

  // ---- Validation ------------------------------------------------------------------

  clockTest("advance_ms 0 or above 86,400,000 fails INVALID_ARGUMENT(advance_ms) and moves nothing [CLOCK-2, ERROR-NOEFFECT-1]", async ({ ls }, start) => {
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", createReq(ls.room("r1"), 1));
    await ls.request("alice", { case: "leaveRoom", value: { roomId: ls.room("r1") } }); // due in 1000 ms
    for (const ms of [0, MAX_ADVANCE_MS + 1, 2 ** 32 - 1]) {
      await ls.request("alice", advanceReq(ms));
      expect(errorOf(ls.reply), `advance_ms ${ms}`).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(ls.reply?.result.case === "error" && ls.reply.result.value.detail?.field).toBe("advance_ms");
    }
    // The refused advances did not move the clock: 1 ms later it reads start + 1, and the room is still there.
    expect(await advance(ls, "alice", 1)).toBe(start + 1n);
    await ls.request("bob", createReq(ls.room("r1"), 0));
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
  });

  // ---- Semantics -------------------------------------------------------------------

  clockTest("now_ms is the clock after the advance; the clock is one for the whole server, whoever advances it [CLOCK-7, CLOCK-8]", async ({ ls }, start) => {
    await ls.login("alice");
    await ls.login("bob");
    const a = await advance(ls, "alice", 1); // the smallest valid advance
    expect(a).toBe(start + 1n);
    const b = await advance(ls, "bob", 250);
    expect(b).toBe(a + 250n);
    const c = await advance(ls, "alice", 4_000);
    expect(c).toBe(b + 4_000n);
  });

  clockTest("rooms are due at t + 1000·d; an advance destroys exactly those due at or before the new time, before its reply [CLOCK-4, CLOCK-5, CLOCK-6, DESTROY-DELAY-1, DESTROY-DELAY-2]", async ({ ls }) => {
    const [r1, r2, r3, r4] = [ls.room("r1"), ls.room("r2"), ls.room("r3"), ls.room("r4")];
    const owners = ["u1", "u2", "u3", "u4"];
    for (const u of [...owners, "probe"]) await ls.login(u);
    await ls.request("u1", createReq(r1, 1));
    await ls.request("u2", createReq(r2, 2));
    await ls.request("u3", createReq(r3, 3));
    await ls.request("u4", createReq(r4, 1));
    // Emptied at the same test-clock time T.
    await ls.request("u1", { case: "leaveRoom", value: { roomId: r1 } });
    await ls.request("u2", { case: "leaveRoom", value: { roomId: r2 } });
    await ls.request("u3", { case: "leaveRoom", value: { roomId: r3 } });
    const exists = async (r: string) => {
      await ls.request("probe", { case: "createRoom", value: { roomInfo: { roomId: r } } }); // never succeeds on an existing room
      expect(errorOf(ls.reply), `${ls.u(r)} exists`).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
    };
    const gone = async (r: string) => {
      await ls.request("probe", { case: "joinRoom", value: { roomId: r } }); // never joins a destroyed room
      expect(errorOf(ls.reply), `${ls.u(r)} is destroyed`).toBe(ErrorCode.ROOM_NOT_FOUND);
    };
    await advance(ls, "clock", 999); // T + 999
    await exists(r1);
    await advance(ls, "clock", 1); // T + 1000: r1 due
    await gone(r1);
    await exists(r2);
    await exists(r3);
    await ls.request("u4", { case: "leaveRoom", value: { roomId: r4 } }); // emptied at T + 1000, d = 1: due with r2
    await advance(ls, "clock", 999); // T + 1999
    await exists(r2);
    await exists(r4);
    await advance(ls, "clock", 1); // T + 2000: r2 and r4 due
    await gone(r2);
    await gone(r4);
    await exists(r3);
    await advance(ls, "clock", 5_000); // well past T + 3000
    await gone(r3);
  });

  clockTest("an advance by a session in no room destroys other users' due rooms and sends no event to anyone [CLOCK-8, CLOCK-9, DESTROY-SILENT-1]", async ({ ls }) => {
    for (const u of ["alice", "bob", "carol", "erin", "dave"]) await ls.login(u);
    await ls.request("alice", createReq(ls.room("ra"), 1));
    await ls.request("bob", createReq(ls.room("rb"), 2));
    await ls.request("carol", createReq(ls.room("rc"), 0));
    await ls.request("erin", { case: "joinRoom", value: { roomId: ls.room("rc") } });
    await ls.request("alice", { case: "leaveRoom", value: { roomId: ls.room("ra") } });
    await ls.request("bob", { case: "leaveRoom", value: { roomId: ls.room("rb") } });
    await advance(ls, "dave", 2_000);
    for (const u of ["alice", "bob", "carol", "erin", "dave", "clock"]) expect(ls.events(u), `${u} got no event`).toEqual([]);
    for (const r of ["ra", "rb"]) {
      await ls.request("erin", { case: "joinRoom", value: { roomId: ls.room(r) } });
      expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
    }
  });

  clockTest("with the test clock, real time passing never destroys a room [CLOCK-3]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", createReq(ls.room("r1"), 1));
    await ls.request("alice", { case: "leaveRoom", value: { roomId: ls.room("r1") } });
    await sleep(2_500); // the delay plus the second DESTROY-DELAY-3 allows a real-time server, and margin
    await ls.request("bob", createReq(ls.room("r1"), 0));
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
    await advance(ls, "clock", 1_000);
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
  });
});
