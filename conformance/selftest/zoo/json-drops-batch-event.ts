// RATTR-BATCH-EVENT-1 — JSON sessions never receive RoomAttributesBatchUpdatedEvent.
// Mistake: a hand-written JSON encoder has no case for the batch event; the
// error is swallowed per recipient, so binary sessions get it and JSON ones do not.
// A naive test runs over the binary subprotocol only.
import type { Encoding } from "../../../protocol/index.js";
import type { Outcome } from "../../../reference/server/engine.js";
import type { Session } from "../../../reference/server/state.js";
import { Transport } from "../../../reference/server/transport.js";
import type { Mutant } from "../descriptor.js";
import { caseOf, compose } from "../kit.js";

type Connection = Parameters<Transport["process"]>[0];

class JsonEncoderGapTransport extends Transport {
  private readonly encodings = new WeakMap<Session, Encoding>();

  override process(conn: Connection, data: Parameters<Transport["process"]>[1], isBinary: boolean) {
    this.encodings.set(conn.session, conn.encoding);
    return super.process(conn, data, isBinary);
  }

  override deliver(outcome: Outcome, requester: Parameters<Transport["deliver"]>[1]): void {
    const outbound = outcome.outbound.map((o) =>
      caseOf(o) === "roomAttributesBatchUpdated" ? { ...o, recipients: o.recipients.filter((s) => this.encodings.get(s) !== "json") } : o,
    );
    super.deliver({ ...outcome, outbound }, requester);
  }
}

export const mutant: Mutant = {
  name: "json-drops-batch-event",
  requirement: "RATTR-BATCH-EVENT-1",
  mistake: "the JSON encoder lacks RoomAttributesBatchUpdatedEvent; the failure is swallowed, so only openroom.v1.json sessions miss the event",
  whyNaiveTestMisses: "a suite run over the binary subprotocol alone sees every batch event",
  start: (options) => compose({ transport: (o) => new JsonEncoderGapTransport(o) }, options),
  settings: { encoding: "json" },
};
