// Login (check order, tokens), duplicate login (kick), Logout, disconnect,
// Ping and server info: spec/session.md.
import { createHmac } from "node:crypto";
import { create, equals } from "@bufbuild/protobuf";
import { expect } from "vitest";
import {
  ConnectionState,
  ConnectionStateReason,
  ErrorCode,
  Feature,
  LimitsSchema,
  RoomAttributesUpdateAction,
  RoomMessageKind,
  RoomState,
  RoomStateReason,
  ServerInfoSchema,
  type Event,
  type Limits,
  type Reply,
  type ServerInfo,
} from "../../protocol/index.js";
import type { Lockstep } from "../driver/lockstep.js";
import { startDisposable } from "../driver/disposable.js";
import { conformanceSuite, type ScenarioContext } from "../driver/suite.js";
import { harnessTarget } from "../driver/target.js";
import { BAD_TOKENS, BAD_TOKEN_KINDS, SessionClosedError, World, type BadTokenKind, type Exchange, type RequestInput } from "../harness/index.js";
import type { TokenVerdict } from "../model/index.js";

const utf8 = new TextEncoder();
const nowS = () => Math.floor(Date.now() / 1000);

/** The error code of a reply, or undefined when it succeeded. */
function errorOf(reply: Reply | undefined): ErrorCode | undefined {
  return reply?.result.case === "error" ? reply.result.value.code : undefined;
}

/** `(room, STATE, REASON)` / `conn(STATE, REASON)` / the event kind, for readable assertions. */
function show(e: Event, unprefix: (s: string) => string): string {
  switch (e.event.case) {
    case "roomStateChanged":
      return `(${unprefix(e.event.value.roomId)}, ${RoomState[e.event.value.state]}, ${RoomStateReason[e.event.value.reason]})`;
    case "connectionStateChanged":
      return `conn(${ConnectionState[e.event.value.state]}, ${ConnectionStateReason[e.event.value.reason]})`;
    case "roomMemberJoined":
    case "roomMemberLeft":
      return `${e.event.case}(${unprefix(e.event.value.roomId)}: ${e.event.value.members.map((m) => `${unprefix(m.userId)}/${JSON.stringify(m.userName)}`).join(",")})`;
    case "roomAttributesUpdated":
      return `attrs(${unprefix(e.event.value.roomId)}, ${RoomAttributesUpdateAction[e.event.value.info?.action ?? 0]}, ${Object.keys(e.event.value.info?.attributes ?? {}).join(",")})`;
    default:
      return e.event.case ?? "(empty)";
  }
}

function shower(ls: Lockstep): (e: Event) => string {
  return (e) => show(e, ls.u);
}

// ---- Tokens crafted from the shared secret ----------------------------------

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");
const hmac = (secret: string, input: string) => createHmac("sha256", secret).update(input).digest("base64url");

/** A compact JWS from raw header and payload JSON text, signed HS256 under `secret` whatever the header says. */
function signedJws(secret: string, headerJson: string, payloadJson: string): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${hmac(secret, input)}`;
}

/** A well-formed HS256 JWT with these claims. */
function hs256(secret: string, claims: Record<string, unknown>, header: Record<string, unknown> = { alg: "HS256", typ: "JWT" }): string {
  return signedJws(secret, JSON.stringify(header), JSON.stringify(claims));
}

interface TokenCase {
  name: string;
  ids: string;
  make(secret: string, userId: string): string;
  /** What Login must answer (the model's verdict): valid, INVALID_TOKEN or TOKEN_EXPIRED. */
  verdict: TokenVerdict;
}

/** Claims of a token valid for an hour; times at least 300 s from now (TOKEN-SKEW-1). */
const good = (userId: string): Record<string, unknown> => ({ sub: userId, iat: nowS(), exp: nowS() + 3600 });

const TOKEN_CASES: TokenCase[] = [
  // Format
  { name: "an empty token", ids: "[TOKEN-FORMAT-1]", verdict: "invalid", make: () => "" },
  { name: "two segments", ids: "[TOKEN-FORMAT-1]", verdict: "invalid", make: (k, u) => hs256(k, good(u)).split(".").slice(0, 2).join(".") },
  { name: "four segments", ids: "[TOKEN-FORMAT-1]", verdict: "invalid", make: (k, u) => `${hs256(k, good(u))}.${b64("{}")}` },
  {
    name: "a header segment that is not base64url",
    ids: "[TOKEN-FORMAT-1]",
    verdict: "invalid",
    make: (k, u) => {
      const input = `%%%.${b64(JSON.stringify(good(u)))}`;
      return `${input}.${hmac(k, input)}`;
    },
  },
  { name: "a header that is a JSON array, correctly signed", ids: "[TOKEN-FORMAT-1]", verdict: "invalid", make: (k, u) => signedJws(k, '[{"alg":"HS256"}]', JSON.stringify(good(u))) },
  { name: "a payload that is a JSON string, correctly signed", ids: "[TOKEN-FORMAT-1]", verdict: "invalid", make: (k, u) => signedJws(k, '{"alg":"HS256"}', JSON.stringify(JSON.stringify(good(u)))) },
  { name: "a payload that is not JSON, correctly signed", ids: "[TOKEN-FORMAT-1]", verdict: "invalid", make: (k) => signedJws(k, '{"alg":"HS256"}', "not json") },
  // Algorithm
  { name: 'alg "none" with a valid HMAC-SHA256 signature', ids: "[TOKEN-ALG-1]", verdict: "invalid", make: (k, u) => hs256(k, good(u), { alg: "none", typ: "JWT" }) },
  { name: 'alg "hs256" (wrong case), HMAC-SHA256 signed', ids: "[TOKEN-ALG-1]", verdict: "invalid", make: (k, u) => hs256(k, good(u), { alg: "hs256" }) },
  { name: "no alg, HMAC-SHA256 signed", ids: "[TOKEN-ALG-1]", verdict: "invalid", make: (k, u) => hs256(k, good(u), { typ: "JWT" }) },
  { name: 'alg "HS384" with an HMAC-SHA256 signature', ids: "[TOKEN-ALG-1]", verdict: "invalid", make: (k, u) => hs256(k, good(u), { alg: "HS384" }) },
  // Signature
  { name: "an empty signature", ids: "[TOKEN-SIG-1]", verdict: "invalid", make: (k, u) => `${hs256(k, good(u)).split(".").slice(0, 2).join(".")}.` },
  {
    name: "the signature of other claims",
    ids: "[TOKEN-SIG-1]",
    verdict: "invalid",
    make: (k, u) => {
      const [h, p] = hs256(k, good(u)).split(".");
      const otherSig = hs256(k, { ...good(u), jti: "other" }).split(".")[2];
      return `${h}.${p}.${otherSig}`;
    },
  },
  {
    name: "a signature with its first character changed",
    ids: "[TOKEN-SIG-1]",
    verdict: "invalid",
    make: (k, u) => {
      const [h, p, s] = hs256(k, good(u)).split(".") as [string, string, string];
      return `${h}.${p}.${s[0] === "A" ? "B" : "A"}${s.slice(1)}`;
    },
  },
  // Subject
  { name: "no sub", ids: "[TOKEN-SUB-1]", verdict: "invalid", make: (k) => hs256(k, { iat: nowS(), exp: nowS() + 3600 }) },
  { name: "a sub differing from user_id only in letter case", ids: "[TOKEN-SUB-1, ID-3]", verdict: "invalid", make: (k, u) => hs256(k, { ...good(u), sub: u.toUpperCase() }) },
  { name: "a sub with a trailing space", ids: "[TOKEN-SUB-1]", verdict: "invalid", make: (k, u) => hs256(k, { ...good(u), sub: `${u} ` }) },
  // Expiry
  { name: "exp as a string", ids: "[TOKEN-EXP-1]", verdict: "invalid", make: (k, u) => hs256(k, { ...good(u), exp: String(nowS() + 3600) }) },
  { name: "exp null", ids: "[TOKEN-EXP-1]", verdict: "invalid", make: (k, u) => hs256(k, { ...good(u), exp: null }) },
  { name: "exp 300 s ago", ids: "[TOKEN-EXP-2]", verdict: "expired", make: (k, u) => hs256(k, { ...good(u), exp: nowS() - 300 }) },
  // Not before
  { name: "nbf 300 s ahead", ids: "[TOKEN-NBF-1]", verdict: "invalid", make: (k, u) => hs256(k, { ...good(u), nbf: nowS() + 300 }) },
  // Order
  { name: "expired and a bad signature", ids: "[TOKEN-ORDER-1]", verdict: "invalid", make: (k, u) => hs256(`${k}-not-the-secret`, { ...good(u), exp: nowS() - 300 }) },
  { name: "expired and a wrong sub", ids: "[TOKEN-ORDER-1]", verdict: "invalid", make: (k, u) => hs256(k, { ...good(u), sub: `${u}-other`, exp: nowS() - 300 }) },
  { name: "expired and alg HS512", ids: "[TOKEN-ORDER-1]", verdict: "invalid", make: (k, u) => hs256(k, { ...good(u), exp: nowS() - 300 }, { alg: "HS512" }) },
  { name: "expired and nbf in the future", ids: "[TOKEN-ORDER-1]", verdict: "expired", make: (k, u) => hs256(k, { ...good(u), exp: nowS() - 300, nbf: nowS() + 300 }) },
  // Accepted whatever else it carries
  {
    name: "extra claims iat, iss, aud, jti and custom ones",
    ids: "[TOKEN-OK-1]",
    verdict: "valid",
    make: (k, u) => hs256(k, { ...good(u), iss: "someone", aud: ["a", "b"], jti: "j-1", role: "admin", nested: { x: [1, 2] } }),
  },
  { name: "extra header parameters typ, kid and cty", ids: "[TOKEN-OK-1]", verdict: "valid", make: (k, u) => hs256(k, good(u), { alg: "HS256", typ: "JWT", kid: "key-1", cty: "x" }) },
  { name: "no typ header and no iat", ids: "[TOKEN-OK-1]", verdict: "valid", make: (k, u) => hs256(k, { sub: u, exp: nowS() + 3600 }, { alg: "HS256" }) },
  { name: "nbf 300 s ago", ids: "[TOKEN-OK-1, TOKEN-NBF-1]", verdict: "valid", make: (k, u) => hs256(k, { ...good(u), nbf: nowS() - 300 }) },
  { name: "a non-integer exp", ids: "[TOKEN-OK-1, TOKEN-EXP-1]", verdict: "valid", make: (k, u) => hs256(k, { ...good(u), exp: nowS() + 3600.5 }) },
];

/** Which requirement each harness bad-token kind checks. */
const BAD_TOKEN_IDS: Record<BadTokenKind, string> = {
  expired: "[TOKEN-EXP-2]",
  "wrong-subject": "[TOKEN-SUB-1]",
  "bad-signature": "[TOKEN-SIG-1]",
  "alg-none": "[TOKEN-ALG-1]",
  hs512: "[TOKEN-ALG-1]",
  "missing-exp": "[TOKEN-EXP-1]",
  "not-yet-valid": "[TOKEN-NBF-1]",
  malformed: "[TOKEN-FORMAT-1]",
};

const verdictOf = (code: ErrorCode): TokenVerdict => (code === ErrorCode.TOKEN_EXPIRED ? "expired" : "invalid");

/** The shared secret, or a skip: bad tokens can only be made by a source holding the secret (TOKEN-SCHEME-1). */
function secretOrSkip({ world, spec, skip }: ScenarioContext): string {
  const bad = world.target.token.badTokens;
  if (!bad.supported) return skip(bad.reason);
  if (spec.tokenSecret === undefined) return skip("no --token-secret: tokens cannot be crafted");
  return spec.tokenSecret;
}

/** A token for `userId` from the target's source; a token command may refuse odd IDs, then any token does. */
async function anyToken(world: World, userId: string): Promise<string> {
  try {
    return await world.target.token.token(userId);
  } catch {
    return "not-a-jwt";
  }
}

/** Fields of Limits that may be 0 (limits.md LIMIT-2). */
const ZERO_ALLOWED = new Set(["maxRoomsPerServer", "maxMembersPerRoom", "maxHistoryCount"]);

function checkLimits(limits: Limits | undefined, features: readonly Feature[]): void {
  expect(limits, "server_info.limits is set").toBeDefined(); // [INFO-3]
  const l = limits!;
  expect(l.requestRate, "limits.request_rate is set").toBeDefined(); // [LIMIT-1]
  expect(l.messageRate, "limits.message_rate is set").toBeDefined();
  for (const field of LimitsSchema.fields) {
    if (field.fieldKind !== "scalar" || ZERO_ALLOWED.has(field.localName)) continue;
    expect(l[field.localName as keyof Limits], `limits.${field.name} ≥ 1`).toBeGreaterThanOrEqual(1); // [LIMIT-2]
  }
  if (features.includes(Feature.MESSAGE_HISTORY)) expect(l.maxHistoryCount, "max_history_count with history").toBeGreaterThanOrEqual(1);
  else expect(l.maxHistoryCount, "max_history_count without history").toBe(0); // [LIMIT-3]
  for (const [name, rate] of [["request_rate", l.requestRate], ["message_rate", l.messageRate]] as const) {
    if (rate !== undefined && rate.maxCount > 0) expect(rate.windowMs, `${name}.window_ms`).toBeGreaterThanOrEqual(1); // [LIMIT-4]
  }
}

function serverInfoOf(reply: Reply): ServerInfo {
  expect(reply.result.case).toBe("login");
  const info = reply.result.case === "login" ? reply.result.value.serverInfo : undefined;
  expect(info, "LoginResponse.server_info is set").toBeDefined();
  return info!;
}

/**
 * Resolves once the last frame `label` sent is a `kind` request. It waits in
 * microtasks only (the lockstep sends after a few of them), so no incoming
 * frame is read meanwhile: a request sent right after is on the wire before
 * the server's answer to the `kind` one can have been seen.
 */
async function frameSent(world: World, label: string, kind: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    const last = world.wireLog.entries({ session: label }).filter((e) => e.direction === "out").at(-1);
    if (last?.text.includes(`"${kind}"`)) return;
    await Promise.resolve();
  }
  throw new Error(`the ${kind} request of "${label}" was not sent`);
}

/**
 * The client closes `label`'s connection, then the lockstep checks what it
 * caused. The server learns of a close asynchronously (DISCONNECT-2: the
 * leave happens once it learns), so first wait for `witness`, a session that
 * must see the leave effects, to receive `room`'s RoomMemberLeft.
 */
async function disconnectSeenBy(ls: Lockstep, label: string, witness: string, room: string): Promise<void> {
  await ls.session(label).close();
  await ls.session(witness).waitForEvent(`${label} leaves ${room}`, (e) => e.event.event.case === "roomMemberLeft" && e.event.event.value.roomId === room);
  await ls.disconnect(label);
}

const create0 = (roomId: string, name = "") => ({ case: "createRoom" as const, value: { roomInfo: { roomId, roomName: name } } });

conformanceSuite("session", (test) => {
  // ---- Login: check order ----------------------------------------------------

  const relogins: { name: string; make: (ctx: ScenarioContext) => Promise<{ userId: string; userName: string; token: string; verdict: TokenVerdict }> }[] = [
    { name: "the same user, a valid token", make: async ({ ls }) => ({ userId: ls.user("alice"), userName: "alice", token: await ls.world.target.token.token(ls.user("alice")), verdict: "valid" }) },
    { name: "another user who is logged in elsewhere", make: async ({ ls }) => ({ userId: ls.user("bob"), userName: "bob", token: await ls.world.target.token.token(ls.user("bob")), verdict: "valid" }) },
    { name: "an invalid user_id", make: async ({ ls }) => ({ userId: "not valid!", userName: "x", token: await anyToken(ls.world, "not valid!"), verdict: "valid" }) },
    { name: "a user_name that is too long", make: async ({ ls }) => ({ userId: ls.user("alice"), userName: "n".repeat(ls.limits.maxUserNameBytes + 1), token: await ls.world.target.token.token(ls.user("alice")), verdict: "valid" }) },
    { name: "a token that is not a JWT", make: async ({ ls }) => ({ userId: ls.user("carol"), userName: "carol", token: "not-a-jwt", verdict: "invalid" }) },
  ];
  for (const c of relogins) {
    test(`Login on a logged-in connection (${c.name}) fails ALREADY_LOGGED_IN and leaves the session unchanged [LOGIN-CHECK-1, REQUEST-CHECK-5]`, async (ctx) => {
      const { ls } = ctx;
      await ls.login("alice");
      await ls.login("bob");
      await ls.request("alice", create0(ls.room("r1")));
      await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
      const login = await c.make(ctx);
      await ls.request("alice", { case: "login", value: { userId: login.userId, userName: login.userName, token: login.token } }, login.verdict);
      expect(errorOf(ls.reply)).toBe(ErrorCode.ALREADY_LOGGED_IN);
      // Still alice, still in r1, bob not kicked: the lockstep saw no event and no close.
      expect(ls.session("bob").closeInfo).toBeUndefined();
      await ls.request("alice", { case: "queryRoomMembers", value: { roomId: ls.room("r1"), userIds: [ls.user("alice"), ls.user("bob")] } });
      await ls.request("alice", { case: "leaveRoom", value: { roomId: ls.room("r1") } });
      expect(ls.events("bob").map(shower(ls))).toEqual([`roomMemberLeft(r1: alice/"alice")`]);
    });
  }

  const badUserIds: { name: string; id: (ctx: ScenarioContext) => string }[] = [
    { name: "empty", id: () => "" },
    { name: "one byte over max_user_id_bytes", id: ({ world, limits }) => world.idOfLength("long", limits.maxUserIdBytes + 1) },
    { name: "with a space", id: ({ ls }) => `${ls.user("alice")} x` },
    { name: "with a slash", id: ({ ls }) => `${ls.user("alice")}/x` },
    { name: "with a non-ASCII letter", id: ({ ls }) => `${ls.user("alice")}é` },
    { name: "with a NUL character", id: ({ ls }) => `${ls.user("alice")}\u0000` },
    { name: "with a plus sign", id: ({ ls }) => `${ls.user("alice")}+x` },
  ];
  for (const c of badUserIds) {
    test(`Login with a user_id ${c.name} fails INVALID_ARGUMENT(user_id) [LOGIN-CHECK-2, ID-1]`, async (ctx) => {
      const { ls } = ctx;
      const userId = c.id(ctx);
      await ls.connect("alice");
      await ls.request("alice", { case: "login", value: { userId, userName: "alice", token: await anyToken(ls.world, userId) } });
      expect(errorOf(ls.reply)).toBe(ErrorCode.INVALID_ARGUMENT);
    });
  }

  test("Login accepts a user_id of exactly max_user_id_bytes using every ID punctuation character [LOGIN-OK-1, ID-1]", async ({ ls, world, limits, skip }) => {
    const base = `${world.idOfLength("p", Math.min(limits.maxUserIdBytes, 24))}-_.:@~`;
    if (base.length > limits.maxUserIdBytes) skip(`max_user_id_bytes ${limits.maxUserIdBytes} is too small for a run-prefixed ID with the punctuation`);
    const userId = base + "y".repeat(limits.maxUserIdBytes - base.length);
    expect(utf8.encode(userId).length).toBe(limits.maxUserIdBytes);
    await ls.login("alice", { userId });
    expect(ls.reply?.result.case).toBe("login");
  });

  test("Login with a user_name over max_user_name_bytes fails INVALID_ARGUMENT(user_name); bytes, not characters, count [LOGIN-CHECK-3]", async ({ ls, limits }) => {
    const max = limits.maxUserNameBytes;
    // Two-byte characters: at most max bytes is fine, one byte more is refused even with fewer characters than max.
    const exact = "é".repeat(Math.floor(max / 2)) + (max % 2 === 1 ? "x" : "");
    expect(utf8.encode(exact).length).toBe(max);
    await ls.login("alice", { userName: `${exact}x` });
    expect(errorOf(ls.reply)).toBe(ErrorCode.INVALID_ARGUMENT);
    await ls.login("bob", { userName: "n".repeat(max + 1) });
    expect(errorOf(ls.reply)).toBe(ErrorCode.INVALID_ARGUMENT);
    await ls.request("alice", { case: "login", value: { userId: ls.user("alice"), userName: exact, token: await ls.world.target.token.token(ls.user("alice")) } });
    expect(ls.reply?.result.case).toBe("login");
  });

  test("Login checks user_id before user_name [LOGIN-CHECK-3, LOGIN-CHECK-2]", async ({ ls, limits }) => {
    await ls.connect("alice");
    await ls.request("alice", { case: "login", value: { userId: "", userName: "n".repeat(limits.maxUserNameBytes + 1), token: await anyToken(ls.world, ls.user("alice")) } });
    expect(errorOf(ls.reply)).toBe(ErrorCode.INVALID_ARGUMENT);
  });

  test("Login checks user_id and user_name before the token [LOGIN-CHECK-4]", async ({ ls, limits }) => {
    await ls.connect("alice");
    await ls.request("alice", { case: "login", value: { userId: "bad id", userName: "alice", token: "not-a-jwt" } }, "invalid");
    expect(errorOf(ls.reply)).toBe(ErrorCode.INVALID_ARGUMENT);
    await ls.request("alice", { case: "login", value: { userId: ls.user("alice"), userName: "n".repeat(limits.maxUserNameBytes + 1), token: "not-a-jwt" } }, "invalid");
    expect(errorOf(ls.reply)).toBe(ErrorCode.INVALID_ARGUMENT);
  });

  test("Login checks user_id and user_name before an expired token [LOGIN-CHECK-4]", async (ctx) => {
    const { ls, limits } = ctx;
    const secret = secretOrSkip(ctx);
    const expired = hs256(secret, { sub: ls.user("alice"), exp: nowS() - 300 });
    await ls.connect("alice");
    await ls.request("alice", { case: "login", value: { userId: ls.user("alice"), userName: "n".repeat(limits.maxUserNameBytes + 1), token: expired } }, "expired");
    expect(errorOf(ls.reply)).toBe(ErrorCode.INVALID_ARGUMENT);
  });

  // ---- Tokens ------------------------------------------------------------------

  for (const kind of BAD_TOKEN_KINDS) {
    const { description, code } = BAD_TOKENS[kind];
    test(`Login with a ${kind} token (${description}) fails ${ErrorCode[code]} ${BAD_TOKEN_IDS[kind]}`, async ({ ls, world, skip }) => {
      const bad = world.target.token.badTokens;
      if (!bad.supported) return skip(bad.reason);
      await ls.login("alice", { token: await bad.mint(kind, ls.user("alice")), tokenVerdict: verdictOf(code) });
      expect(errorOf(ls.reply)).toBe(code);
    });
  }

  for (const c of TOKEN_CASES) {
    const outcome = c.verdict === "valid" ? "is accepted" : `fails ${c.verdict === "expired" ? "TOKEN_EXPIRED" : "INVALID_TOKEN"}`;
    test(`Login with a token with ${c.name} ${outcome} ${c.ids}`, async (ctx) => {
      const { ls } = ctx;
      const secret = secretOrSkip(ctx);
      await ls.login("alice", { token: c.make(secret, ls.user("alice")), tokenVerdict: c.verdict });
      expect(errorOf(ls.reply)).toBe(c.verdict === "valid" ? undefined : c.verdict === "expired" ? ErrorCode.TOKEN_EXPIRED : ErrorCode.INVALID_TOKEN);
    });
  }

  test("a session stays logged in after its token's exp passes, with no event [TOKEN-LIFETIME-1]", async (ctx) => {
    const { ls } = ctx;
    const secret = secretOrSkip(ctx);
    const exp = nowS() + 3;
    await ls.login("alice", { token: hs256(secret, { sub: ls.user("alice"), exp }) });
    expect(ls.reply?.result.case).toBe("login");
    await ls.request("alice", create0(ls.room("r1")));
    // Past exp (plus any clock-skew leeway the server may take, TOKEN-SKEW-1, does not matter: only Login checks).
    await new Promise((r) => setTimeout(r, Math.max(0, (exp + 1) * 1000 - Date.now()) + 500));
    expect(ls.session("alice").closeInfo).toBeUndefined();
    await ls.request("alice", create0(ls.room("r2")));
    expect(ls.reply?.result.case).toBe("createRoom");
    expect(ls.events("alice").map(shower(ls))).toEqual(["(r2, CONNECTING, ACTIVE_CREATE)", "(r2, CONNECTED, SUCCESS)"]);
    await ls.request("alice", { case: "leaveAllRooms", value: {} });
  }, { timeoutMs: 30_000 });

  // ---- Failed and successful logins -----------------------------------------

  test("a failed Login leaves the connection open and not logged in; a later Login on it succeeds [LOGIN-FAIL-1, REQUEST-AUTH-1, PING-1]", async ({ ls, limits }) => {
    await ls.login("alice", { userName: "n".repeat(limits.maxUserNameBytes + 1) });
    expect(errorOf(ls.reply)).toBe(ErrorCode.INVALID_ARGUMENT);
    await ls.request("alice", { case: "ping", value: {} });
    await ls.request("alice", create0(ls.room("r1")));
    expect(errorOf(ls.reply)).toBe(ErrorCode.UNAUTHENTICATED);
    await ls.login("alice");
    expect(ls.reply?.result.case).toBe("login");
    await ls.request("alice", create0(ls.room("r1")));
    expect(ls.reply?.result.case).toBe("createRoom");
  });

  test("after a Login refused for its token the connection stays open and a valid Login succeeds [LOGIN-FAIL-1]", async (ctx) => {
    const { ls } = ctx;
    const secret = secretOrSkip(ctx);
    await ls.login("alice", { token: hs256(`${secret}-not-the-secret`, good(ls.user("alice"))), tokenVerdict: "invalid" });
    expect(errorOf(ls.reply)).toBe(ErrorCode.INVALID_TOKEN);
    await ls.request("alice", { case: "leaveAllRooms", value: {} });
    expect(errorOf(ls.reply)).toBe(ErrorCode.UNAUTHENTICATED);
    await ls.login("alice");
    expect(ls.reply?.result.case).toBe("login");
  });

  test("a Login refused for its arguments does not touch the live session of the same user [LOGIN-FAIL-2]", async ({ ls, limits }) => {
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", create0(ls.room("r1")));
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    await ls.login("alice2", { userId: ls.user("alice"), userName: "n".repeat(limits.maxUserNameBytes + 1) });
    expect(errorOf(ls.reply)).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(ls.session("alice").closeInfo).toBeUndefined();
    await ls.request("alice", { case: "queryRoomOnlineMemberCount", value: { roomId: ls.room("r1") } });
    expect(ls.reply?.result.case).toBe("queryRoomOnlineMemberCount");
  });

  for (const kind of ["bad-signature", "expired", "wrong-subject"] as const) {
    test(`a Login refused for a ${kind} token does not touch the live session of the same user [LOGIN-FAIL-2]`, async ({ ls, world, skip }) => {
      const bad = world.target.token.badTokens;
      if (!bad.supported) return skip(bad.reason);
      await ls.login("alice");
      await ls.login("bob");
      await ls.request("alice", create0(ls.room("r1")));
      await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
      await ls.login("alice2", { userId: ls.user("alice"), token: await bad.mint(kind, ls.user("alice")), tokenVerdict: verdictOf(BAD_TOKENS[kind].code) });
      expect(errorOf(ls.reply)).toBe(BAD_TOKENS[kind].code);
      expect(ls.session("alice").closeInfo).toBeUndefined();
      await ls.request("alice", { case: "sendRoomMessage", value: { roomId: ls.room("r1"), kind: RoomMessageKind.TEXT, payload: utf8.encode("still here") } });
      expect(ls.events("bob").map((e) => e.event.case)).toEqual(["roomMessageReceived"]);
    });
  }

  test("a successful Login replies LoginResponse with server_info; the new session is in no room [LOGIN-OK-1, LOGIN-OK-2, LEAVEALL-3]", async ({ ls }) => {
    await ls.login("alice");
    expect(ls.reply?.result.case).toBe("login");
    serverInfoOf(ls.reply!);
    await ls.request("alice", { case: "leaveAllRooms", value: {} });
    expect(ls.reply?.result.case === "leaveAllRooms" && ls.reply.result.value.roomIds).toEqual([]);
  });

  test("the user_name given at Login (empty or not) is the one in every member event and member query [LOGIN-NAME-1]", async ({ ls }) => {
    const aliceName = "Alïce ✓ 名前";
    await ls.login("alice", { userName: aliceName });
    await ls.login("bob", { userName: "" });
    await ls.login("carol", { userName: "Carol" });
    const r = ls.room("r1");
    await ls.request("alice", create0(r));
    await ls.request("bob", { case: "joinRoom", value: { roomId: r } });
    expect(ls.events("alice").map(shower(ls))).toEqual([`roomMemberJoined(r1: bob/"")`]);
    await ls.request("carol", { case: "enterRoom", value: { roomInfo: { roomId: r } } });
    await ls.request("carol", { case: "queryRoomMemberList", value: { roomId: r } });
    const list = ls.reply?.result.case === "queryRoomMemberList" ? ls.reply.result.value.members : [];
    expect(list.map((m) => [ls.u(m.userId), m.userName])).toEqual([["alice", aliceName], ["bob", ""], ["carol", "Carol"]]);
    await ls.request("bob", { case: "queryRoomMembers", value: { roomId: r, userIds: [ls.user("alice"), ls.user("carol")] } });
    await ls.request("alice", { case: "leaveRoom", value: { roomId: r } });
    expect(ls.events("bob").map(shower(ls))).toEqual([`roomMemberLeft(r1: alice/${JSON.stringify(aliceName)})`]);
    // A new session of bob with another name: its name, not the old one, from now on.
    await ls.login("bob2", { userId: ls.user("bob"), userName: "Bob the second" });
    await ls.request("bob2", { case: "joinRoom", value: { roomId: r } });
    expect(ls.events("carol").map(shower(ls))).toEqual([`roomMemberJoined(r1: bob/"Bob the second")`]);
  });

  // ---- Before login ------------------------------------------------------------

  test("before Login every request but Login and Ping fails UNAUTHENTICATED and has no effect, even with invalid arguments [REQUEST-AUTH-1, PING-1]", async ({ ls }) => {
    const r = ls.room("r1");
    const bin = utf8.encode("x");
    const requests: RequestInput[] = [
      create0(r),
      { case: "createRoom" as const, value: { roomInfo: { roomId: "" } } },
      { case: "joinRoom" as const, value: { roomId: r } },
      { case: "enterRoom" as const, value: { roomInfo: { roomId: r } } },
      { case: "switchRoom" as const, value: { fromRoomId: r, toRoomInfo: { roomId: ls.room("r2") }, createIfAbsent: true } },
      { case: "leaveRoom" as const, value: { roomId: r } },
      { case: "leaveAllRooms" as const, value: {} },
      { case: "logout" as const, value: {} },
      { case: "queryRoomMemberList" as const, value: { roomId: r } },
      { case: "queryRoomMembers" as const, value: { roomId: r, userIds: [ls.user("bob")] } },
      { case: "queryRoomOnlineMemberCount" as const, value: { roomId: r } },
      { case: "setRoomAttributes" as const, value: { roomId: r, attributes: { k: "v" } } },
      { case: "deleteRoomAttributes" as const, value: { roomId: r, keys: ["k"] } },
      { case: "queryRoomAllAttributes" as const, value: { roomId: r } },
      { case: "batchRoomAttributes" as const, value: { roomId: r, operations: [{ operation: { case: "set" as const, value: { attributes: { k: "v" } } } }] } },
      { case: "setRoomMembersAttributes" as const, value: { roomId: r, userIds: [ls.user("alice")], attributes: { k: "v" } } },
      { case: "queryRoomMembersAttributes" as const, value: { roomId: r, userIds: [ls.user("alice")] } },
      { case: "queryRoomMemberAttributesList" as const, value: { roomId: r } },
      { case: "sendRoomMessage" as const, value: { roomId: r, kind: RoomMessageKind.TEXT, payload: bin } },
      { case: "queryRoomMessageHistory" as const, value: { roomId: r, count: 1 } },
      { case: "queryRoomMessageHistory" as const, value: { roomId: r, count: 0 } },
      // advance_ms 0: even a server that wrongly handled it could not move the shared test clock.
      { case: "advanceClock" as const, value: { advanceMs: 0 } },
    ];
    await ls.login("bob");
    await ls.request("bob", create0(ls.room("bobs")));
    await ls.connect("alice");
    for (const request of requests) {
      await ls.request("alice", request);
      expect(errorOf(ls.reply), request.case).toBe(ErrorCode.UNAUTHENTICATED);
    }
    // Logout before login did not close the connection; nothing was created.
    await ls.request("alice", { case: "ping", value: {} });
    expect(ls.reply?.result.case).toBe("ping");
    await ls.request("bob", { case: "joinRoom", value: { roomId: r } });
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
    await ls.login("alice");
    await ls.request("alice", { case: "leaveAllRooms", value: {} });
    expect(ls.reply?.result.case === "leaveAllRooms" && ls.reply.result.value.roomIds).toEqual([]);
  });

  // ---- Duplicate login -----------------------------------------------------------

  test("a second Login of a user kicks the older session: its rooms in join order, leave effects for the others, KICKED_OUT, close 4001, all before the new Login's reply [KICK-1, KICK-ROOMS-1, KICK-ROOMS-2, KICK-CONN-1, KICK-CLOSE-1, LOGIN-OK-2, EVENT-CONN-1]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    const [r1, r2, r3] = [ls.room("r1"), ls.room("r2"), ls.room("r3")];
    await ls.request("alice", create0(r1)); // alone, delay 0: destroyed by the kick
    await ls.request("bob", create0(r2));
    await ls.request("alice", { case: "joinRoom", value: { roomId: r2 } });
    await ls.request("alice", { case: "enterRoom", value: { roomInfo: { roomId: r3 } } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: r3 } });
    await ls.request("alice", { case: "setRoomAttributes", value: { roomId: r3, attributes: { gone: "1", kept: "2" }, isDeleteAfterOwnerLeft: false } });
    await ls.request("alice", { case: "setRoomAttributes", value: { roomId: r3, attributes: { gone: "1" }, isDeleteAfterOwnerLeft: true } });
    await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: r3, userIds: [ls.user("alice")], attributes: { seat: "1" } } });

    await ls.login("alice2", { userId: ls.user("alice") });
    expect(ls.reply?.result.case).toBe("login");
    expect(ls.events("alice").map(shower(ls))).toEqual([
      "(r1, DISCONNECTED, KICKED_OUT_BY_OTHER_DEVICE)",
      "(r2, DISCONNECTED, KICKED_OUT_BY_OTHER_DEVICE)",
      "(r3, DISCONNECTED, KICKED_OUT_BY_OTHER_DEVICE)",
      "conn(DISCONNECTED, KICKED_OUT)",
    ]);
    expect(ls.session("alice").closeInfo?.code).toBe(4001);
    expect(ls.events("bob").map(shower(ls))).toEqual([`roomMemberLeft(r2: alice/"alice")`, `roomMemberLeft(r3: alice/"alice")`, "attrs(r3, DELETE, gone)"]);
    expect(ls.events("alice2")).toEqual([]);

    // The kick happened within the Login: the first request after its reply sees it.
    await ls.request("alice2", { case: "leaveAllRooms", value: {} });
    expect(ls.reply?.result.case === "leaveAllRooms" && ls.reply.result.value.roomIds).toEqual([]);
    await ls.request("bob", { case: "joinRoom", value: { roomId: r1 } });
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
    await ls.request("bob", { case: "queryRoomAllAttributes", value: { roomId: r3 } });
    await ls.request("alice2", { case: "joinRoom", value: { roomId: r3 } });
    await ls.request("alice2", { case: "queryRoomMembersAttributes", value: { roomId: r3, userIds: [ls.user("alice")] } });
  });

  test("a kicked session in no room gets only ConnectionStateChanged{DISCONNECTED, KICKED_OUT}, then close 4001 [KICK-CONN-1, KICK-CLOSE-1, KICK-1]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    await ls.login("alice2", { userId: ls.user("alice") });
    expect(ls.events("alice").map(shower(ls))).toEqual(["conn(DISCONNECTED, KICKED_OUT)"]);
    expect(ls.session("alice").closeInfo?.code).toBe(4001);
    expect(ls.events("bob")).toEqual([]);
  });

  test("a Login on the other encoding kicks the older session the same way [KICK-1, KICK-ROOMS-1, KICK-CONN-1, KICK-CLOSE-1]", async ({ ls, encoding }) => {
    const other = encoding === "binary" ? "json" : "binary";
    await ls.connect("alice", other);
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("bob", create0(ls.room("r1")));
    await ls.request("alice", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    await ls.login("alice2", { userId: ls.user("alice") });
    expect(ls.events("alice").map(shower(ls))).toEqual(["(r1, DISCONNECTED, KICKED_OUT_BY_OTHER_DEVICE)", "conn(DISCONNECTED, KICKED_OUT)"]);
    expect(ls.session("alice").closeInfo?.code).toBe(4001);
    expect(ls.events("bob").map(shower(ls))).toEqual([`roomMemberLeft(r1: alice/"alice")`]);
  });

  test("requests racing a kick on the old connection: those not handled before it get no reply and have no effect [KICK-PENDING-1, CLOSE-AFTER-1]", async ({ world }) => {
    const bob = await world.session("bob");
    const old = await world.session("alice");
    const r = world.roomId("r1");
    await bob.call("createRoom", { roomInfo: { roomId: r } });
    await old.call("joinRoom", { roomId: r });
    const fresh = await world.connect("alice");
    const token = await world.target.token.token(world.userId("alice"));
    await world.quiesce();
    bob.takeEvents();
    old.takeEvents();

    // Keep sending on the old connection while the new Login is handled, until it closes.
    const sent: Promise<Exchange | Error>[] = [];
    let login: Promise<Reply> | undefined;
    for (let i = 0; i < 300 && old.isOpen; i++) {
      sent.push(old.exchange({ case: "sendRoomMessage", value: { roomId: r, kind: RoomMessageKind.TEXT, payload: utf8.encode(`m${i}`) } }).catch((e: unknown) => e as Error));
      if (i === 5) login = fresh.login(world.userId("alice"), token, "alice");
      await new Promise((res) => setImmediate(res));
    }
    expect(login, "the old connection closed before the new Login was sent").toBeDefined();
    expect((await login!).result.case).toBe("login");
    const closed = await old.waitClosed();
    const outcomes = await Promise.all(sent);
    await world.quiesce();

    const answered = outcomes.findIndex((o) => o instanceof Error);
    const n = answered < 0 ? outcomes.length : answered;
    // Replies form a prefix: once one request went unanswered, no later one was answered.
    for (const o of outcomes.slice(n)) expect(o).toBeInstanceOf(SessionClosedError);
    const events = old.takeEvents();
    expect(events.map((e) => show(e.event, (s) => s.replace(`${world.prefix}.`, "")))).toEqual(["(r1, DISCONNECTED, KICKED_OUT_BY_OTHER_DEVICE)", "conn(DISCONNECTED, KICKED_OUT)"]);
    expect(closed.code).toBe(4001);
    for (const o of outcomes.slice(0, n) as Exchange[]) expect(o.reply.result.case).toBe("sendRoomMessage");
    // ConnectionStateChanged was the last frame: no reply came after it.
    const inbound = world.wireLog.entries({ session: old.label }).filter((e) => e.direction === "in");
    expect(inbound.at(-1)?.text).toContain("connectionStateChanged");
    // Exactly the answered messages reached bob, then alice left.
    const bobSaw = bob.takeEvents().map((e) => (e.event.event.case === "roomMessageReceived" ? new TextDecoder().decode(e.event.event.value.message?.payload) : e.event.event.case));
    expect(bobSaw).toEqual([...Array.from({ length: n }, (_, i) => `m${i}`), "roomMemberLeft"]);
  });

  // ---- Logout --------------------------------------------------------------------

  test("Logout leaves every room as leaveAllRooms, replies the rooms in join order, sends no ConnectionStateChanged and closes 1000 [LOGOUT-1, LOGOUT-2, LOGOUT-3, LOGOUT-4]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    const [r1, r2, r3] = [ls.room("r1"), ls.room("r2"), ls.room("r3")];
    await ls.request("bob", create0(r2));
    await ls.request("alice", { case: "joinRoom", value: { roomId: r2 } });
    await ls.request("alice", create0(r1)); // alone, delay 0: destroyed by the Logout
    await ls.request("alice", create0(r3));
    await ls.request("bob", { case: "joinRoom", value: { roomId: r3 } });
    await ls.request("alice", { case: "setRoomAttributes", value: { roomId: r3, attributes: { gone: "1" }, isDeleteAfterOwnerLeft: true } });

    await ls.request("alice", { case: "logout", value: {} });
    expect(ls.reply?.result.case === "logout" && ls.reply.result.value.roomIds.map(ls.u)).toEqual(["r2", "r1", "r3"]);
    expect(ls.events("alice").map(shower(ls))).toEqual(["(r2, DISCONNECTED, SUCCESS)", "(r1, DISCONNECTED, SUCCESS)", "(r3, DISCONNECTED, SUCCESS)"]);
    expect(ls.events("bob").map(shower(ls))).toEqual([`roomMemberLeft(r2: alice/"alice")`, `roomMemberLeft(r3: alice/"alice")`, "attrs(r3, DELETE, gone)"]);
    expect(ls.session("alice").closeInfo?.code).toBe(1000);
    await ls.request("bob", { case: "joinRoom", value: { roomId: r1 } });
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
  });

  test("Logout in no room replies an empty room_ids and closes 1000; the user can log in again [LOGOUT-2, LOGOUT-3, LOGOUT-4, DISCONNECT-3]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", { case: "logout", value: {} });
    expect(ls.reply?.result.case === "logout" && ls.reply.result.value.roomIds).toEqual([]);
    expect(ls.events("alice")).toEqual([]);
    expect(ls.session("alice").closeInfo?.code).toBe(1000);
    await ls.login("alice2", { userId: ls.user("alice") });
    expect(ls.reply?.result.case).toBe("login");
  });

  test("a request pipelined after Logout gets no reply and has no effect [LOGOUT-5, CLOSE-AFTER-1]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    const late = ls.room("late");
    const s = ls.session("alice");
    const logout = ls.request("alice", { case: "logout", value: {} });
    // Sent right behind the Logout, before its reply can have been read.
    await frameSent(ls.world, s.label, "logout");
    const after = s.exchange(create0(late), { requestId: 4_000_000 }).catch((e: unknown) => e);
    await logout;
    expect(await after).toBeInstanceOf(SessionClosedError);
    const lateSent = ls.world.wireLog.entries({ session: s.label }).some((e) => e.direction === "out" && e.text.includes('"createRoom"'));
    expect(lateSent, "the late request went on the wire (else the test proves nothing)").toBe(true);
    expect(s.closeInfo?.code).toBe(1000);
    await ls.request("bob", { case: "joinRoom", value: { roomId: late } });
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
  });

  // ---- Disconnect ----------------------------------------------------------------

  test("a connection closed without Logout leaves every room in join order with the leave effects, at once [DISCONNECT-1, DISCONNECT-2]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    await ls.login("carol");
    const [r1, r2, r3] = [ls.room("r1"), ls.room("r2"), ls.room("r3")];
    await ls.request("bob", create0(r1));
    await ls.request("alice", create0(r2));
    await ls.request("carol", { case: "joinRoom", value: { roomId: r2 } });
    await ls.request("bob", { case: "joinRoom", value: { roomId: r2 } });
    await ls.request("alice", { case: "joinRoom", value: { roomId: r1 } });
    await ls.request("alice", create0(r3)); // alone, delay 0: destroyed by the disconnect
    await ls.request("alice", { case: "setRoomAttributes", value: { roomId: r2, attributes: { gone: "1" }, isDeleteAfterOwnerLeft: true } });
    await ls.request("alice", { case: "setRoomMembersAttributes", value: { roomId: r1, userIds: [ls.user("alice")], attributes: { seat: "1" }, isDeleteAfterOwnerLeft: false } });

    await disconnectSeenBy(ls, "alice", "bob", r1);
    expect(ls.events("bob").map(shower(ls))).toEqual([`roomMemberLeft(r2: alice/"alice")`, "attrs(r2, DELETE, gone)", `roomMemberLeft(r1: alice/"alice")`]);
    expect(ls.events("carol").map(shower(ls))).toEqual([`roomMemberLeft(r2: alice/"alice")`, "attrs(r2, DELETE, gone)"]);
    // The next requests see every room left: r3 destroyed, alice in neither r1 nor r2.
    await ls.request("bob", { case: "joinRoom", value: { roomId: r3 } });
    expect(errorOf(ls.reply)).toBe(ErrorCode.ROOM_NOT_FOUND);
    await ls.request("bob", { case: "queryRoomMembers", value: { roomId: r1, userIds: [ls.user("alice"), ls.user("bob")] } });
    await ls.request("carol", { case: "queryRoomOnlineMemberCount", value: { roomId: r2 } });
    expect(ls.reply?.result.case === "queryRoomOnlineMemberCount" && ls.reply.result.value.count).toBe(2);
  });

  test("a dropped TCP connection (no close handshake) leaves every room with the leave effects [DISCONNECT-1]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("bob", create0(ls.room("r1")));
    await ls.request("alice", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    ls.session("alice").terminate();
    await disconnectSeenBy(ls, "alice", "bob", ls.room("r1"));
    expect(ls.events("bob").map(shower(ls))).toEqual([`roomMemberLeft(r1: alice/"alice")`]);
  });

  test("after a disconnect the user has no session: a new Login kicks no one and the new session is in no room [DISCONNECT-3, LOGIN-OK-2]", async ({ ls }) => {
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("bob", create0(ls.room("r1")));
    await ls.request("alice", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    await disconnectSeenBy(ls, "alice", "bob", ls.room("r1"));
    await ls.login("alice2", { userId: ls.user("alice") });
    expect(ls.reply?.result.case).toBe("login");
    expect(ls.events("bob")).toEqual([]);
    expect(ls.events("alice2")).toEqual([]);
    await ls.request("alice2", { case: "leaveAllRooms", value: {} });
    expect(ls.reply?.result.case === "leaveAllRooms" && ls.reply.result.value.roomIds).toEqual([]);
  });

  // ---- Ping ------------------------------------------------------------------------

  test("Ping is answered before and after Login, with no effect and no event [PING-1, PING-2]", async ({ ls }) => {
    await ls.connect("alice");
    await ls.request("alice", { case: "ping", value: {} });
    expect(ls.reply?.result.case).toBe("ping");
    await ls.login("alice");
    await ls.login("bob");
    await ls.request("alice", create0(ls.room("r1")));
    await ls.request("bob", { case: "joinRoom", value: { roomId: ls.room("r1") } });
    await ls.request("alice", { case: "ping", value: {} });
    expect(ls.reply?.result.case).toBe("ping");
    expect(ls.events("alice")).toEqual([]);
    expect(ls.events("bob")).toEqual([]);
  });

  test("Pings beyond request_rate.max_count in one window are all answered and do not count toward it [PING-2]", async ({ ls, limits, skip }) => {
    const rate = limits.requestRate!;
    if (rate.maxCount === 0) skip("request_rate.max_count is 0 (no limit): there is no limit a Ping could hit");
    if (rate.maxCount > 10_000) skip(`request_rate.max_count ${rate.maxCount} is too large to exceed with Pings cheaply`);
    await ls.login("alice");
    const s = ls.session("alice");
    for (let attempt = 1; ; attempt++) {
      // Wait out any window a previous attempt opened.
      await new Promise((r) => setTimeout(r, rate.windowMs + 50));
      const start = Date.now();
      await ls.request("alice", { case: "leaveAllRooms", value: {} }); // opens a window: 1 counted
      const pings = await Promise.all(Array.from({ length: rate.maxCount }, () => s.send({ case: "ping", value: {} })));
      for (const p of pings) expect(p.result.case).toBe("ping");
      await ls.request("alice", { case: "leaveAllRooms", value: {} }); // counted only if Pings did not count
      expect(ls.reply?.result.case).toBe("leaveAllRooms");
      if (Date.now() - start < rate.windowMs) return;
      // The window ended before the second counted request: the Pings' count was not put to the test.
      if (attempt === 3) skip(`${rate.maxCount} Pings took longer than window_ms ${rate.windowMs} three times: cannot fit them in one window`);
    }
  }, { timeoutMs: 60_000 });

  // ---- Server info ---------------------------------------------------------------

  test('server_info: protocol_version "openroom.v1", limits set and consistent, features each once and never UNSPECIFIED [INFO-1, INFO-3, INFO-4, LIMIT-1, LIMIT-2, LIMIT-3, LIMIT-4]', async ({ ls }) => {
    await ls.login("alice");
    const info = serverInfoOf(ls.reply!);
    expect(info.protocolVersion).toBe("openroom.v1");
    checkLimits(info.limits, info.features);
    expect(info.features).not.toContain(Feature.UNSPECIFIED);
    expect(new Set(info.features).size, "no feature listed twice").toBe(info.features.length);
    for (const f of info.features) expect(Feature[f], `feature ${f} is one this version defines`).toBeDefined();
  });

  test("the advertised features match behaviour: message history works iff FEATURE_MESSAGE_HISTORY is listed [INFO-4, LIMIT-3]", async ({ ls, serverInfo }) => {
    await ls.login("alice");
    await ls.request("alice", create0(ls.room("r1")));
    await ls.request("alice", { case: "queryRoomMessageHistory", value: { roomId: ls.room("r1"), count: 1 } });
    if (serverInfo.features.includes(Feature.MESSAGE_HISTORY)) expect(ls.reply?.result.case).toBe("queryRoomMessageHistory");
    else expect(errorOf(ls.reply)).toBe(ErrorCode.FEATURE_NOT_SUPPORTED);
  });

  test("every Login reply of the server carries the same server_info, on both encodings [INFO-5, LIMIT-STABLE-1]", async ({ ls, serverInfo }) => {
    const infos: ServerInfo[] = [];
    for (const [label, encoding] of [["alice", "binary"], ["bob", "json"], ["carol", "binary"]] as const) {
      await ls.connect(label, encoding);
      await ls.login(label);
      infos.push(serverInfoOf(ls.reply!));
    }
    await ls.login("alice2", { userId: ls.user("alice") });
    infos.push(serverInfoOf(ls.reply!));
    for (const info of infos) expect(equals(ServerInfoSchema, info, serverInfo), "server_info equals the first one seen").toBe(true);
    // A sanity check of the comparison itself: a different info is not equal.
    expect(equals(ServerInfoSchema, create(ServerInfoSchema, { ...serverInfo, protocolVersion: "x" }), serverInfo)).toBe(false);
  });

  // ---- Graceful shutdown (a disposable instance: a shared server must never be stopped) -------

  test("graceful shutdown: every logged-in session's last frame is ConnectionStateChanged(DISCONNECTED, SERVER_SHUTDOWN), then close 1001; a connection not logged in gets 1001 and no event [SHUTDOWN-1, SHUTDOWN-2, EVENT-CONN-1]", async ({ spec, encoding, skip }) => {
    if (spec.disposable === undefined) return skip("needs --disposable-command to start an instance it may shut down");
    const server = await startDisposable(spec);
    const world = new World(harnessTarget({ ...spec, url: server.url }, encoding));
    try {
      const alice = await world.session("alice");
      const bob = await world.session("bob");
      const idle = await world.connect("idle");
      const r1 = world.roomId("r1");
      await alice.call("createRoom", { roomInfo: { roomId: r1 } });
      await bob.call("joinRoom", { roomId: r1 });
      await world.quiesce();
      for (const s of [alice, bob, idle]) s.takeEvents();
      await server.shutdown();
      for (const s of [alice, bob]) {
        const close = await s.waitClosed();
        expect(close.code, `${s.label} close code`).toBe(1001);
        const events = s.takeEvents().map((r) => r.event);
        // SHUTDOWN-3 lets the server skip or send the leave effects first; the last frame is fixed.
        const last = events.at(-1)?.event;
        expect(last?.case, `${s.label}'s last frame`).toBe("connectionStateChanged");
        if (last?.case === "connectionStateChanged") {
          expect([last.value.state, last.value.reason]).toEqual([ConnectionState.DISCONNECTED, ConnectionStateReason.SERVER_SHUTDOWN]);
        }
        expect(events.slice(0, -1).every((e) => e.event.case === "roomMemberLeft"), "only leave effects may come before it").toBe(true);
      }
      const idleClose = await idle.waitClosed();
      expect(idleClose.code).toBe(1001);
      expect(idle.takeEvents()).toEqual([]);
    } finally {
      server.kill();
      await world.closeAll();
    }
  });
});
