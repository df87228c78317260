// LIMIT-EXACT-1 — room attribute values one byte above the advertised bound are accepted.
// Mistake: the server advertises max_room_attribute_value_bytes but enforces
// it with `bytes > max + 1` (its internal constant and its advertised one
// differ by one: a terminator byte counted in one place, not the other).
// A naive test writes values well within, or far beyond, the limit.
import { create } from "@bufbuild/protobuf";
import { ServerInfoSchema, type ServerInfo } from "../../../protocol/index.js";
import { Engine } from "../../../reference/server/engine.js";
import { DEFAULT_LIMITS } from "../../../reference/server/index.js";
import { toLimitsMessage } from "../../../reference/server/limits.js";
import type { ServerState } from "../../../reference/server/state.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

const ADVERTISED = DEFAULT_LIMITS.maxRoomAttributeValueBytes;

/** The reference engine advertising the documented bound while the state enforces another. */
class AdvertisingEngine extends Engine {
  override readonly serverInfo: ServerInfo;
  constructor(state: ServerState) {
    super(state);
    // What the reference would advertise for this state (the Engine constructor is pure).
    const base = new Engine(state).serverInfo;
    this.serverInfo = create(ServerInfoSchema, { ...base, limits: toLimitsMessage({ ...state.limits, maxRoomAttributeValueBytes: ADVERTISED }) });
  }
}

export const mutant: Mutant = {
  name: "attribute-value-limit-off-by-one",
  requirement: "LIMIT-EXACT-1",
  mistake: "max_room_attribute_value_bytes is advertised as N but enforced as N + 1: a value one byte too long is accepted",
  whyNaiveTestMisses: "values within the limit are accepted and much longer ones refused; only exactly N + 1 bytes shows the bound is off",
  start: (options) => compose({ limits: { maxRoomAttributeValueBytes: ADVERTISED + 1 }, engine: (state) => new AdvertisingEngine(state) }, options),
};
