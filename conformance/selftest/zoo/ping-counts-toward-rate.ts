// PING-2 — Pings count toward request_rate and are refused once it is used up.
// Mistake: the rate limiter runs before the Ping shortcut, so a client's
// keep-alive Pings eat into its request budget (and get RATE_LIMITED).
// A naive test sends a handful of Pings, far below request_rate.max_count.
import { create } from "@bufbuild/protobuf";
import { ErrorCode, ReplySchema, type ClientFrame } from "../../../protocol/index.js";
import { errorResult } from "../../../reference/server/context.js";
import { Engine } from "../../../reference/server/engine.js";
import { failure } from "../../../reference/server/errors.js";
import { takeAll } from "../../../reference/server/rate-limit.js";
import type { Session } from "../../../reference/server/state.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

class RateLimitedPingEngine extends Engine {
  override handle(session: Session, frame: ClientFrame, now: number) {
    if (frame.request.case === "ping" && frame.requestId !== 0 && session.loggedIn) {
      const refused = takeAll([["request_rate", session.requestRate]], now);
      if (refused !== undefined) {
        const result = errorResult(failure(ErrorCode.RATE_LIMITED, "request_rate exceeded", { retryAfterMs: refused.retryAfterMs }));
        return { outbound: [], closes: [], reply: create(ReplySchema, { requestId: frame.requestId, result }) };
      }
    }
    return super.handle(session, frame, now);
  }
}

export const mutant: Mutant = {
  name: "ping-counts-toward-rate",
  requirement: "PING-2",
  mistake: "the request-rate limiter runs before the Ping case, so Pings of a logged-in session count toward request_rate and are refused with RATE_LIMITED",
  whyNaiveTestMisses: "a few Pings stay far below request_rate.max_count (2000 per second by default); only a burst beyond it shows the Pings were counted",
  start: (options) => compose({ engine: (state) => new RateLimitedPingEngine(state) }, options),
};
