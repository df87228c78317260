// The test clock request (spec/test-clock.md). Destroy timers themselves are
// in rooms.ts (fireDueTimers).
import { create } from "@bufbuild/protobuf";
import { AdvanceClockResponseSchema, type AdvanceClockRequest, type Reply } from "../../protocol/index.js";
import type { Draft } from "./draft.js";
import { fail, ok } from "./replies.js";
import { fireDueTimers } from "./rooms.js";
import type { SessionKey } from "./state.js";
import { invalid } from "./validate.js";

/** AdvanceClock accepts 1..86,400,000 ms [CLOCK-2]. */
export const MAX_ADVANCE_MS = 86_400_000;

/**
 * AdvanceClock (login and the feature [CLOCK-1] are checked by step.ts):
 * adds advance_ms to the server-wide clock [CLOCK-8], fires the timers due
 * before the reply [CLOCK-5, CLOCK-6], replies the new time [CLOCK-7], sends
 * no event [CLOCK-9].
 */
export function advanceClock(d: Draft, _s: SessionKey, req: AdvanceClockRequest): Reply {
  if (req.advanceMs < 1 || req.advanceMs > MAX_ADVANCE_MS) return fail(invalid("advance_ms", MAX_ADVANCE_MS, req.advanceMs));
  fireDueTimers(d, d.nowMs + req.advanceMs);
  return ok({ case: "advanceClock", value: create(AdvanceClockResponseSchema, { nowMs: BigInt(d.nowMs) }) });
}
