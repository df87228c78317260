// MATTR-SET-APPLY-1 — setRoomMembersAttributes replaces a member's attributes instead of merging.
// Mistake: the target's attribute map is assigned the request's map (`attrs[user] = req.attributes`)
// instead of merged into it.
// A naive test sets a member's attributes once, or always the same keys.
import { compareUtf8 } from "../../../reference/server/validation.js";
import { setRoomMembersAttributes } from "../../../reference/server/member-attributes.js";
import type { MemberAttribute } from "../../../reference/server/state.js";
import type { Mutant } from "../descriptor.js";
import { compose, PatchedEngine } from "../kit.js";

export const mutant: Mutant = {
  name: "member-attributes-replaced",
  requirement: "MATTR-SET-APPLY-1",
  mistake: "setRoomMembersAttributes replaces each target's attributes with the request's keys, dropping its other keys",
  whyNaiveTestMisses: "a first set, or a set of the same keys, gives the same result either way; only a second set with other keys drops the first ones",
  start: (options) =>
    compose(
      {
        engine: (state) =>
          new PatchedEngine(state, {
            setRoomMembersAttributes(ctx, req) {
              const result = setRoomMembersAttributes(ctx, req);
              const room = state.rooms.get(req.roomId);
              if (result.case !== "setRoomMembersAttributes" || room === undefined) return result;
              const deleteAfterLeft = req.isDeleteAfterOwnerLeft ?? true;
              const only: { [k: string]: string } = {};
              for (const key of Object.keys(req.attributes).sort(compareUtf8)) only[key] = req.attributes[key] ?? "";
              for (const info of result.value.infos ?? []) {
                room.memberAttributes.set(info.userId ?? "", new Map<string, MemberAttribute>(Object.entries(only).map(([k, v]) => [k, { value: v, deleteAfterLeft }])));
                info.attributes = { ...only };
              }
              // The event carries the same infos as the reply.
              for (const o of ctx.fx.outbound) {
                const e = o.event.event;
                if (e.case === "roomMemberAttributesUpdated") for (const info of e.value.infos) info.attributes = { ...only };
              }
              return result;
            },
          }),
      },
      options,
    ),
};
