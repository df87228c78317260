// Login tokens: a JWT signed with HS256 and a shared secret, `sub` = user_id,
// `exp` required and in the future (brief §2). Or, in the explicit insecure
// dev mode, any token at all.
import { errors, jwtVerify } from "jose";
import { ErrorCode } from "../../protocol/index.js";

export type TokenVerdict = { ok: true } | { ok: false; code: ErrorCode.INVALID_TOKEN | ErrorCode.TOKEN_EXPIRED; message: string };

export interface TokenVerifier {
  verify(token: string, userId: string): Promise<TokenVerdict>;
}

/** Accepts every token. Only for development; the server says so loudly at start-up. */
export const insecureDevVerifier: TokenVerifier = {
  verify: async () => ({ ok: true }),
};

export function hs256Verifier(secret: string): TokenVerifier {
  if (secret.length === 0) throw new Error("the token secret must not be empty");
  // Imported once: given raw bytes, jose would import the key again for every token.
  const key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  return {
    async verify(token, userId) {
      try {
        // algorithms pins HS256: `alg: none` and every other algorithm are refused.
        await jwtVerify(token, await key, { algorithms: ["HS256"], requiredClaims: ["exp", "sub"], subject: userId });
        return { ok: true };
      } catch (e) {
        return verdictOf(e);
      }
    },
  };
}

function verdictOf(e: unknown): TokenVerdict {
  if (e instanceof errors.JWTExpired) return { ok: false, code: ErrorCode.TOKEN_EXPIRED, message: "the token has expired" };
  // jose checks `nbf` before `exp`; the brief orders an expired token first.
  if (e instanceof errors.JWTClaimValidationFailed && e.claim === "nbf") {
    const exp = e.payload.exp;
    if (typeof exp === "number" && exp <= Math.floor(Date.now() / 1000)) {
      return { ok: false, code: ErrorCode.TOKEN_EXPIRED, message: "the token has expired" };
    }
  }
  const reason = e instanceof errors.JOSEError ? e.message : "unreadable token";
  return { ok: false, code: ErrorCode.INVALID_TOKEN, message: `invalid token: ${reason}` };
}
