// HISTORY-QUERY-1 — queryRoomMessageHistory returns the messages newest first.
// Mistake: the history is read from the end of the log ("last N") and returned
// in that reversed order instead of oldest first.
// A naive test queries a room with a single message.
import type { Mutant } from "../descriptor.js";
import { compose, okReply, RewritingEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "history-newest-first",
  requirement: "HISTORY-QUERY-1",
  mistake: "queryRoomMessageHistory returns the last N messages newest first",
  whyNaiveTestMisses: "with one message, or when only the set of messages is compared, both orders look the same",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new RewritingEngine(state, (outcome) => {
            okReply(outcome, "queryRoomMessageHistory")?.messages.reverse();
            return outcome;
          }),
      },
      options,
    ),
};
