// TOKEN-EXP-2 — an expired token is accepted at Login.
// Mistake: the token check verifies the signature and `sub` but skips the
// expiry (an `ignoreExpiration: true` left over from local testing).
// A naive test logs in only with fresh tokens, so every login still succeeds.
import { ErrorCode } from "../../../protocol/index.js";
import { hs256Verifier } from "../../../reference/server/auth.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

export const mutant: Mutant = {
  name: "expired-token-accepted",
  requirement: "TOKEN-EXP-2",
  mistake: "the JWT check verifies signature, alg and sub but never compares exp with the clock (expiry check disabled)",
  whyNaiveTestMisses: "tests mint fresh tokens, so a server that never looks at exp still accepts every login they try",
  start: (options) =>
    compose(
      {
        verifier: (secret) => {
          const reference = hs256Verifier(secret);
          return {
            async verify(token, userId) {
              const verdict = await reference.verify(token, userId);
              return !verdict.ok && verdict.code === ErrorCode.TOKEN_EXPIRED ? { ok: true } : verdict;
            },
          };
        },
      },
      options,
    ),
};
