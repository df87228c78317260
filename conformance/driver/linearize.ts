// Linearizability of concurrent requests (ORDER-4), in the Wing–Gong style
// for small histories: requests fired at once from several connections must
// be explainable by SOME serial order that respects each connection's own
// order, in which every request's model outcome matches its observed reply
// and the observed event streams are exactly the concatenation of the
// outcomes' events in that order. The search tries orders depth-first and
// prunes a prefix as soon as one step's reply or events disagree.
import type { Event, Reply } from "../../protocol/index.js";
import {
  matchEvents,
  matchReply,
  step,
  type Bindings,
  type CompareOptions,
  type ModelState,
  type Outcome,
  type Request,
} from "../model/index.js";

export interface ConcurrentOp {
  label: string;
  request: Request;
  requestId: number;
  reply: Reply;
}

export interface Linearization {
  /** Indexes into the ops, in the serial order found. */
  order: number[];
  state: ModelState;
  /** What the winning order bound (message IDs, tokens). */
  bindings: Bindings;
}

export interface SearchResult {
  found?: Linearization;
  /** How many orders (prefixes) were examined, for reports. */
  explored: number;
  /** The longest prefix that matched, when none worked. */
  longest: number[];
}

/**
 * Finds a serial order of `ops` consistent with the observed replies and
 * per-session event streams. `streams` must hold every event each session
 * received after the ops were sent (the caller uses the Ping barrier).
 */
export function linearize(
  initial: ModelState,
  ops: readonly ConcurrentOp[],
  streams: ReadonlyMap<string, readonly Event[]>,
  bindings: Bindings,
  nowMs: number,
  options: CompareOptions = {},
): SearchResult {
  let explored = 0;
  let longest: number[] = [];
  const used = new Array<boolean>(ops.length).fill(false);

  const search = (state: ModelState, order: number[], cursor: Map<string, number>, b: Bindings): Linearization | undefined => {
    explored++;
    if (order.length > longest.length) longest = [...order];
    if (order.length === ops.length) {
      // Every observed event must be accounted for.
      for (const [label, stream] of streams) if ((cursor.get(label) ?? 0) !== stream.length) return undefined;
      return { order, state, bindings: b };
    }
    for (let i = 0; i < ops.length; i++) {
      if (used[i]) continue;
      // A connection's requests keep their arrival order (ORDER-2).
      if (ops.some((o, j) => j < i && !used[j] && o.label === ops[i]!.label)) continue;
      const op = ops[i]!;
      let outcomes: Outcome[];
      try {
        outcomes = step(state, op.label, op.request, { nowMs, requestId: op.requestId, tokens: b });
      } catch {
        continue;
      }
      for (const outcome of outcomes) {
        const trial = b.fork();
        if (matchReply(outcome.reply, op.reply, trial, options).length > 0) continue;
        const next = new Map(cursor);
        let ok = outcome.closes.size === 0;
        for (const [label, expected] of outcome.events) {
          if (!ok) break;
          const at = next.get(label) ?? 0;
          const observed = streams.get(label) ?? [];
          const slice = observed.slice(at, at + expected.length);
          ok = slice.length === expected.length && matchEvents(expected, slice, trial, `events[${label}]`, options).length === 0;
          next.set(label, at + expected.length);
        }
        if (!ok) continue;
        used[i] = true;
        const found = search(outcome.state, [...order, i], next, trial);
        used[i] = false;
        if (found) return found;
      }
    }
    return undefined;
  };

  const found = search(initial, [], new Map(), bindings.fork());
  return found ? { found, explored, longest } : { explored, longest };
}
