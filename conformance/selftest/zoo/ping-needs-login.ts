// PING-1 — a Ping before Login is refused with UNAUTHENTICATED.
// Mistake: the "log in first" guard runs before the Ping shortcut, so only
// logged-in connections get Pongs (a client's pre-login health check fails).
// A naive test pings only after logging in.
import { create } from "@bufbuild/protobuf";
import { ErrorCode, ReplySchema, type ClientFrame } from "../../../protocol/index.js";
import { errorResult } from "../../../reference/server/context.js";
import { Engine } from "../../../reference/server/engine.js";
import { failure } from "../../../reference/server/errors.js";
import type { Session } from "../../../reference/server/state.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

class LoginFirstEngine extends Engine {
  override handle(session: Session, frame: ClientFrame, now: number) {
    if (frame.request.case === "ping" && frame.requestId !== 0 && !session.loggedIn) {
      const result = errorResult(failure(ErrorCode.UNAUTHENTICATED, "log in first"));
      return { outbound: [], closes: [], reply: create(ReplySchema, { requestId: frame.requestId, result }) };
    }
    return super.handle(session, frame, now);
  }
}

export const mutant: Mutant = {
  name: "ping-needs-login",
  requirement: "PING-1",
  mistake: "the authentication guard comes before the Ping case, so a Ping before Login gets UNAUTHENTICATED",
  whyNaiveTestMisses: "tests ping as a barrier after logging in; only a Ping on a fresh connection shows it",
  start: (options) => compose({ engine: (state) => new LoginFirstEngine(state) }, options),
};
