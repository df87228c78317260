// SEQ-6 — joinRoom's reply reports the room_seq from before the join.
// Mistake: the reply's RoomFullInfo is built from the room before the join's
// effects are applied, so its room_seq lags the MemberJoined it caused by one.
// A naive test checks the reply's room ID and name, not its room_seq.
import { joinRoom } from "../../../reference/server/rooms.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "join-reply-stale-seq",
  requirement: "SEQ-6",
  mistake: "joinRoom captures the room's info for its reply before applying the join, so RoomFullInfo.room_seq is one behind",
  whyNaiveTestMisses: "tests compare the reply's room ID and name; room_seq there looks plausible unless compared with the MemberJoined the others got",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            joinRoom(ctx, req) {
              const result = joinRoom(ctx, req);
              const info = result.case === "joinRoom" ? result.value.room : undefined;
              if (info !== undefined && typeof info.roomSeq === "bigint") info.roomSeq -= 1n;
              return result;
            },
          }),
      },
      options,
    ),
};
