// RATTR-BATCH-FAIL-2 — a failing batch keeps the operations before the failing one.
// Mistake: the batch is a loop of single operations that stops at the first
// failure without rolling back (each applied operation even sends its event).
// A naive test tries a batch that succeeds, or one whose first operation fails.
import { create } from "@bufbuild/protobuf";
import { BatchRoomAttributesRequestSchema } from "../../../protocol/index.js";
import { Effects } from "../../../reference/server/effects.js";
import { batchRoomAttributes } from "../../../reference/server/room-attributes.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "batch-partially-applied",
  requirement: "RATTR-BATCH-FAIL-2",
  mistake: "batchRoomAttributes applies its operations one by one and stops at the first failing one, leaving the earlier ones applied",
  whyNaiveTestMisses: "a successful batch and a batch failing in its first operation look right; only a failure after an applicable operation leaves a trace",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            batchRoomAttributes(ctx, req) {
              const result = batchRoomAttributes(ctx, req);
              if (result.case !== "error" || (result.value.detail?.keyFailures ?? []).length === 0) return result;
              // The real reply is the whole batch's failure; the loop already applied what came before it.
              for (const operation of req.operations) {
                const fx = new Effects();
                const single = batchRoomAttributes({ ...ctx, fx }, create(BatchRoomAttributesRequestSchema, { roomId: req.roomId, operations: [operation] }));
                if (single.case === "error") break;
                ctx.fx.outbound.push(...fx.outbound);
              }
              return result;
            },
          }),
      },
      options,
    ),
};
