// Tokens minted by the harness are checked with jose's verifier, so a wrong
// claim or header would fail here, not only against a server.
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { HarnessError } from "./errors.js";
import { BAD_TOKEN_KINDS, BAD_TOKENS, hs256Secret, tokenCommand, type BadTokenKind } from "./tokens.js";

const SECRET = "conformance-secret";
const key = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

async function mint(kind: BadTokenKind, user = "alice"): Promise<string> {
  const source = hs256Secret(SECRET);
  if (!source.badTokens.supported) throw new Error("hs256Secret must mint bad tokens");
  return source.badTokens.mint(kind, user);
}

describe("hs256Secret", () => {
  it("mints an HS256 JWT with sub = user ID, iat now and exp one hour ahead", async () => {
    const token = await hs256Secret(SECRET).token("t1.alice");
    const { payload, protectedHeader } = await jwtVerify(token, key, { algorithms: ["HS256"] });
    expect(protectedHeader.alg).toBe("HS256");
    expect(payload.sub).toBe("t1.alice");
    expect(Math.abs(payload.iat! - now())).toBeLessThanOrEqual(2);
    expect(Math.abs(payload.exp! - (now() + 3600))).toBeLessThanOrEqual(2);
  });

  it("refuses an empty secret as a harness error", () => {
    expect(() => hs256Secret("")).toThrow(HarnessError);
  });

  it("expired: valid signature, exp in the past", async () => {
    const token = await mint("expired");
    await expect(jwtVerify(token, key, { algorithms: ["HS256"] })).rejects.toBeInstanceOf(errors.JWTExpired);
    expect(decodeJwt(token).exp!).toBeLessThan(now());
  });

  it("wrong-subject: valid signature and expiry, another subject", async () => {
    const { payload } = await jwtVerify(await mint("wrong-subject", "alice"), key, { algorithms: ["HS256"] });
    expect(payload.sub).not.toBe("alice");
    expect(payload.sub).toMatch(/^[A-Za-z0-9\-_.:@~]+$/);
  });

  it("bad-signature: HS256 but not signed with the secret", async () => {
    const token = await mint("bad-signature");
    expect(decodeProtectedHeader(token).alg).toBe("HS256");
    expect(decodeJwt(token).sub).toBe("alice");
    await expect(jwtVerify(token, key, { algorithms: ["HS256"] })).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it("alg-none: unsigned compact JWT with alg none and an empty signature", async () => {
    const token = await mint("alg-none");
    expect(token.split(".")).toHaveLength(3);
    expect(token.endsWith(".")).toBe(true);
    expect(decodeProtectedHeader(token).alg).toBe("none");
    expect(decodeJwt(token)).toMatchObject({ sub: "alice" });
  });

  it("hs512: signed with the secret, but HS512", async () => {
    const token = await mint("hs512");
    expect(decodeProtectedHeader(token).alg).toBe("HS512");
    await expect(jwtVerify(token, key, { algorithms: ["HS512"] })).resolves.toBeTruthy();
    await expect(jwtVerify(token, key, { algorithms: ["HS256"] })).rejects.toThrow();
  });

  it("missing-exp and not-yet-valid carry the right claims", async () => {
    expect(decodeJwt(await mint("missing-exp")).exp).toBeUndefined();
    const nbf = decodeJwt(await mint("not-yet-valid")).nbf!;
    expect(nbf).toBeGreaterThan(now() + 3000);
  });

  it("malformed is not a compact JWT", async () => {
    const token = await mint("malformed");
    expect(() => decodeJwt(token)).toThrow();
    expect(BAD_TOKENS.malformed.description).toMatch(/not a compact JWT/);
  });

  it("every bad kind has a description and expected login error", () => {
    expect(BAD_TOKEN_KINDS.length).toBe(8);
    for (const kind of BAD_TOKEN_KINDS) expect(BAD_TOKENS[kind].description).not.toBe("");
  });
});

describe("tokenCommand", () => {
  it("runs the command per user with {user} shell-quoted and returns trimmed stdout", async () => {
    const source = tokenCommand(`node -e "process.stdout.write('  tok:' + process.argv[1] + '\\n')" {user}`);
    await expect(source.token("t1.alice")).resolves.toBe("tok:t1.alice");
    // Quoting keeps a user ID with shell metacharacters one argument.
    await expect(source.token("it's $HOME; x")).resolves.toBe("tok:it's $HOME; x");
  });

  it("cannot mint bad tokens and says why", () => {
    const caps = tokenCommand("echo x").badTokens;
    expect(caps.supported).toBe(false);
    if (!caps.supported) expect(caps.reason).toMatch(/--token-command/);
  });

  it("a failing command is a HarnessError with its exit code and stderr", async () => {
    const err = await tokenCommand(`node -e "console.error('no such user'); process.exit(3)" {user}`).token("bob").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as Error).message).toMatch(/exit code 3.*no such user/);
  });

  it("a command printing nothing is a HarnessError", async () => {
    await expect(tokenCommand("true").token("bob")).rejects.toThrow(/printed no token/);
  });

  it("a command that hangs is killed at the timeout", async () => {
    await expect(tokenCommand("sleep 5", { timeoutMs: 200 }).token("bob")).rejects.toThrow(/timed out after 200ms/);
  });
});
