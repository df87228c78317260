// Login tokens over the wire: HS256 only, signature, subject, exp, nbf, and
// the insecure dev mode. After every refusal the connection stays open and a
// bystander session keeps working.
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/index.js";
import { startServer } from "./index.js";
import { mintToken, startTestServer, unsecuredToken, WireClient, type TestServer } from "./test-support.js";

describe("JWT login", () => {
  let t: TestServer;
  let bystander: WireClient;
  beforeAll(async () => {
    t = await startTestServer();
    bystander = await t.user("bystander");
    await bystander.ok("createRoom", { roomInfo: { roomId: "lobby" } });
  });
  afterAll(async () => {
    await t.close();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string>, string][] = [
    ["a valid token", () => mintToken(t.tokenSecret, "u"), "login"],
    ["another secret", () => mintToken("not-the-secret", "u"), "INVALID_TOKEN"],
    ["a subject other than user_id", () => mintToken(t.tokenSecret, "someone-else"), "INVALID_TOKEN"],
    ["no exp", () => mintToken(t.tokenSecret, "u", { noExp: true }), "INVALID_TOKEN"],
    ["exp in the past", () => mintToken(t.tokenSecret, "u", { expiresInSeconds: -10 }), "TOKEN_EXPIRED"],
    ["exp = now", () => new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("u").setExpirationTime(now()).sign(new TextEncoder().encode(t.tokenSecret)), "TOKEN_EXPIRED"],
    ["nbf in the future", () => mintToken(t.tokenSecret, "u", { nbf: now() + 600 }), "INVALID_TOKEN"],
    ["nbf in the future and exp in the past", () => mintToken(t.tokenSecret, "u", { nbf: now() + 600, expiresInSeconds: -10 }), "TOKEN_EXPIRED"],
    ["alg none", async () => unsecuredToken("u"), "INVALID_TOKEN"],
    ["HS512", () => mintToken(t.tokenSecret, "u", { alg: "HS512" }), "INVALID_TOKEN"],
    ["garbage", async () => "not.a.jwt", "INVALID_TOKEN"],
    ["empty", async () => "", "INVALID_TOKEN"],
  ];

  it.each(cases)("%s → %s", async (_name, token, expected) => {
    const c = await t.connect();
    const r = await c.request({ case: "login", value: { userId: "u", token: await token() } });
    expect(r.result.case === "error" ? ErrorCode[r.result.value.code] : r.result.case).toBe(expected);
    if (expected !== "login") {
      // Still open, still not logged in.
      expect(ErrorCode[(await c.fails("leaveAllRooms", {})).code]).toBe("UNAUTHENTICATED");
    }
    await c.close();
    expect((await bystander.ok("queryRoomOnlineMemberCount", { roomId: "lobby" })).count).toBe(1);
  });

  it("a second Login on a logged-in connection fails ALREADY_LOGGED_IN", async () => {
    const c = await t.user("twice");
    expect(ErrorCode[(await c.fails("login", { userId: "twice", token: await mintToken(t.tokenSecret, "twice") })).code]).toBe("ALREADY_LOGGED_IN");
    await c.ping();
  });

  it("a slow token check on one connection does not hold up others", async () => {
    const c = await t.connect();
    const login = c.request({ case: "login", value: { userId: "concurrent", token: await mintToken(t.tokenSecret, "concurrent") } });
    await bystander.ping();
    expect((await login).result.case).toBe("login");
  });
});

describe("insecure dev auth", () => {
  it("accepts any token, still validates user_id", async () => {
    const server = await startServer({ insecureDevAuth: true });
    try {
      const c = await WireClient.connect(server.url);
      expect(ErrorCode[(await c.fails("login", { userId: "bad id", token: "" })).code]).toBe("INVALID_ARGUMENT");
      const login = await c.login("dev", "anything at all");
      expect(login.serverInfo?.serverName).toMatch(/\+insecure$/);
      await c.ok("createRoom", { roomInfo: { roomId: "r" } });
    } finally {
      await server.close();
    }
  });

  it("startServer refuses to start without a secret or the insecure flag", async () => {
    await expect(startServer({})).rejects.toThrow(/tokenSecret/);
    await expect(startServer({ tokenSecret: "" })).rejects.toThrow(/empty/);
  });
});
