// VISIBILITY-1 — events to other sessions are sent after the reply.
// Mistake: events go through an asynchronous broadcast queue flushed every
// 50 ms, while the reply is written at once: other members can see the reply's
// consequences (a Ping round trip) before the event arrives.
// A naive test waits for the event with a timeout and receives it.
import type { Outcome } from "../../../reference/server/engine.js";
import { Transport } from "../../../reference/server/transport.js";
import type { Mutant } from "../descriptor.js";
import { compose } from "../kit.js";

const FLUSH_MS = 50;
type Requester = Parameters<Transport["deliver"]>[1];

class BroadcastQueueTransport extends Transport {
  private readonly pending = new Set<NodeJS.Timeout>();
  private closing = false;

  override deliver(outcome: Outcome, requester: Requester): void {
    if (this.closing) return super.deliver(outcome, requester);
    const own = requester?.session;
    const now = outcome.outbound.filter((o) => o.recipients.every((s) => s === own));
    const later = outcome.outbound.filter((o) => !o.recipients.every((s) => s === own));
    super.deliver({ ...outcome, outbound: now }, requester);
    if (later.length === 0) return;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      super.deliver({ outbound: later, closes: [], reply: undefined }, undefined);
    }, FLUSH_MS);
    this.pending.add(timer);
  }

  override async close(): Promise<void> {
    this.closing = true;
    for (const t of this.pending) clearTimeout(t);
    await super.close();
  }
}

export const mutant: Mutant = {
  name: "events-after-reply",
  requirement: "VISIBILITY-1",
  mistake: "events for other sessions go through a broadcast queue flushed every 50 ms, after the reply has been sent",
  whyNaiveTestMisses: "a test that awaits the event with a timeout gets it 50 ms later; only the Ping barrier (no waiting) shows it was not queued before the reply",
  start: (options) => compose({ transport: (o) => new BroadcastQueueTransport(o) }, options),
};
