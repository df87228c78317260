// startServer's second argument: each given block replaces the reference's
// own and everything else is wired as usual (the seam embedders and the
// conformance self-test's broken servers use).
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode, type ClientFrame } from "../../protocol/index.js";
import { RealScheduler, TestClock } from "./clock.js";
import { Engine, type Outcome, type PendingLogin } from "./engine.js";
import { startServer } from "./index.js";
import type { Session } from "./state.js";
import { mintToken, startTestServer, type TestServer } from "./test-support.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** The reference engine, counting the requests it handles. */
class CountingEngine extends Engine {
  handled: string[] = [];
  override handle(session: Session, frame: ClientFrame, now: number): Outcome | PendingLogin {
    this.handled.push(frame.request.case ?? "(empty)");
    return super.handle(session, frame, now);
  }
}

describe("startServer blocks", () => {
  it("a given engine handles every request, built on the server's state; the rest is the reference's", async () => {
    let built: CountingEngine | undefined;
    const t = await startTestServer({}, { engine: (state) => (built = new CountingEngine(state)) });
    servers.push(t);
    expect(t.server.engine).toBe(built);
    expect(t.server.engine.state).toBe(t.server.state);
    const alice = await t.user("alice");
    await alice.ok("createRoom", { roomInfo: { roomId: "r1" } });
    // Still the reference's checks and limits: a second create of r1 fails as usual.
    expect((await alice.fails("createRoom", { roomInfo: { roomId: "r1" } })).code).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
    expect(built!.handled).toEqual(["login", "createRoom", "createRoom"]);
    expect(t.server.state.rooms.has("r1")).toBe(true);
  });

  it("a given verifier decides every Login instead of the HS256 check", async () => {
    const t = await startTestServer({}, { verifier: { verify: async (token) => (token === "let-me-in" ? { ok: true } : { ok: false, code: ErrorCode.INVALID_TOKEN, message: "no" }) } });
    servers.push(t);
    const c = await t.connect();
    const refused = await c.request({ case: "login", value: { userId: "u", token: await mintToken(t.tokenSecret, "u") } });
    expect(refused.result).toMatchObject({ case: "error", value: { code: ErrorCode.INVALID_TOKEN } });
    const accepted = await c.request({ case: "login", value: { userId: "u", token: "let-me-in" } });
    expect(accepted.result.case).toBe("login");
  });

  it("a given scheduler times destroy delays; with testClock it must be a TestClock", async () => {
    const clock = new TestClock();
    const t = await startTestServer({ testClock: true }, { scheduler: clock });
    servers.push(t);
    expect(t.server.state.scheduler).toBe(clock);
    await expect(startServer({ tokenSecret: "s", testClock: true }, { scheduler: new RealScheduler() })).rejects.toThrow(/with testClock, the scheduler must be a TestClock/);
  });
});
