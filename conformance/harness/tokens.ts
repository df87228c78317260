// Login tokens for the users of a run. The spec's scheme is a JWT signed with
// HS256 over a shared secret (`sub` = user ID, `exp` in the future); servers
// with another scheme get tokens from a shell command per user. Only a source
// that holds the secret can mint deliberately bad tokens for robustness tests.
import { exec } from "node:child_process";
import { SignJWT, type JWTPayload } from "jose";
import { ErrorCode } from "../../protocol/index.js";
import { HarnessError } from "./errors.js";
import { DEFAULT_TIMEOUTS } from "./target.js";

/** Ways a token can be wrong; each should make Login fail with `BAD_TOKENS[kind].code`. */
export type BadTokenKind =
  | "expired"
  | "wrong-subject"
  | "bad-signature"
  | "alg-none"
  | "hs512"
  | "missing-exp"
  | "not-yet-valid"
  | "malformed";

/** Every bad-token kind, what it is, and the Login error the brief (§2) prescribes for it. */
export const BAD_TOKENS: Readonly<Record<BadTokenKind, { description: string; code: ErrorCode }>> = {
  expired: { description: "HS256 token whose exp is in the past", code: ErrorCode.TOKEN_EXPIRED },
  "wrong-subject": { description: "HS256 token whose sub is another user ID", code: ErrorCode.INVALID_TOKEN },
  "bad-signature": { description: "HS256 token signed with another secret", code: ErrorCode.INVALID_TOKEN },
  "alg-none": { description: 'unsigned token with alg "none"', code: ErrorCode.INVALID_TOKEN },
  hs512: { description: "token signed with the right secret but HS512", code: ErrorCode.INVALID_TOKEN },
  "missing-exp": { description: "HS256 token without an exp claim", code: ErrorCode.INVALID_TOKEN },
  "not-yet-valid": { description: "HS256 token whose nbf is an hour ahead", code: ErrorCode.INVALID_TOKEN },
  malformed: { description: "a string that is not a compact JWT", code: ErrorCode.INVALID_TOKEN },
};

export const BAD_TOKEN_KINDS = Object.keys(BAD_TOKENS) as BadTokenKind[];

/** Whether deliberately bad tokens can be minted; when not, why (tests print it when they skip). */
export type BadTokenCapability =
  | { supported: true; mint(kind: BadTokenKind, userId: string): Promise<string> }
  | { supported: false; reason: string };

export interface TokenSource {
  /** For logs and reports, never containing the secret. */
  readonly description: string;
  /** A token the target accepts for `userId`. */
  token(userId: string): Promise<string>;
  readonly badTokens: BadTokenCapability;
}

const HOUR_S = 3600;
const nowS = () => Math.floor(Date.now() / 1000);
const utf8 = new TextEncoder();

/** Tokens of the spec's scheme, signed with `secret`. */
export function hs256Secret(secret: string): TokenSource {
  if (secret === "") throw new HarnessError("the token secret is empty");
  const key = utf8.encode(secret);
  // The secret's key, imported once per algorithm: given raw bytes, jose would import it again for every token.
  const imported = new Map<string, Promise<CryptoKey>>();
  const keyFor = (alg: "HS256" | "HS512") => {
    let k = imported.get(alg);
    if (k === undefined) {
      k = crypto.subtle.importKey("raw", key, { name: "HMAC", hash: alg === "HS256" ? "SHA-256" : "SHA-512" }, false, ["sign"]);
      imported.set(alg, k);
    }
    return k;
  };
  const sign = async (claims: JWTPayload, alg: "HS256" | "HS512" = "HS256", signingKey?: Uint8Array) =>
    new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT" }).sign(signingKey ?? (await keyFor(alg)));
  const good = (sub: string): JWTPayload => ({ sub, iat: nowS(), exp: nowS() + HOUR_S });

  const mint = async (kind: BadTokenKind, userId: string): Promise<string> => {
    switch (kind) {
      case "expired":
        // Well past the 60 s of clock skew a server may allow (TOKEN-SKEW-1).
        return sign({ sub: userId, iat: nowS() - 2 * HOUR_S, exp: nowS() - 300 });
      case "wrong-subject":
        // Still a valid ID, so only the subject check can refuse it.
        return sign(good(userId === "someone-else" ? "someone-else-2" : "someone-else"));
      case "bad-signature":
        return sign(good(userId), "HS256", utf8.encode(`${secret}-not-the-secret`));
      case "alg-none":
        return unsignedJwt(good(userId));
      case "hs512":
        return sign(good(userId), "HS512");
      case "missing-exp":
        return sign({ sub: userId, iat: nowS() });
      case "not-yet-valid":
        return sign({ ...good(userId), nbf: nowS() + HOUR_S });
      case "malformed":
        return "not-a-jwt";
    }
  };
  return {
    description: "HS256 JWT from a shared secret",
    token: (userId) => sign(good(userId)),
    badTokens: { supported: true, mint },
  };
}

/** A compact JWT with `alg: none` and an empty signature (jose refuses to make one). */
export function unsignedJwt(claims: JWTPayload): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}

export interface TokenCommandOptions {
  /** How long one run may take, in ms (already scaled). */
  timeoutMs?: number;
}

/**
 * Tokens printed by a shell command, run once per login: `{user}` in
 * `template` is replaced by the shell-quoted user ID; the trimmed stdout is
 * the token. Failures are HarnessErrors: the suite cannot log in.
 */
export function tokenCommand(template: string, options: TokenCommandOptions = {}): TokenSource {
  if (template.trim() === "") throw new HarnessError("the token command is empty");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUTS.tokenCommand;
  return {
    description: `token command: ${template}`,
    token: (userId) => runTokenCommand(template.replaceAll("{user}", shellQuote(userId)), timeoutMs),
    badTokens: {
      supported: false,
      reason: "tokens come from --token-command, so the harness cannot mint deliberately bad ones (use --token-secret)",
    },
  };
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function runTokenCommand(command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    exec(command, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const tail = stderr.trim() === "" ? "" : `; stderr: ${stderr.trim().slice(-500)}`;
      if (error !== null) {
        const why = error.killed ? `timed out after ${timeoutMs}ms` : `failed (exit code ${error.code ?? "?"})`;
        reject(new HarnessError(`token command \`${command}\` ${why}${tail}`));
        return;
      }
      const token = stdout.trim();
      if (token === "") reject(new HarnessError(`token command \`${command}\` printed no token${tail}`));
      else resolve(token);
    });
  });
}
