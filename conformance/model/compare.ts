// Comparing what the server did with what the model expects, field by field
// through the protobuf schema, with a readable list of differences.
//
// Server-chosen values are wildcards with constraints:
// - RoomMessage.message_id: non-empty, the same everywhere the same message
//   appears (the sender's reply, every recipient's event, every history), and
//   different for different messages [MSG-FIELDS-1, MSG-REPLY-1,
//   HISTORY-KEEP-1]. Bound per model placeholder in Bindings.
// - RoomMessage.timestamp_ms: > 0, the same everywhere the same message
//   appears (its value is only a SHOULD, MSG-FIELDS-4).
// - next_token: empty iff the model predicts the last page [MEMBERS-LIST-4,
//   MATTR-LIST-3]; a non-empty one is bound to the model's placeholder so a
//   later request may carry it (Bindings is the StepContext.tokens resolver).
// - ServerInfo.server_name: free-form [INFO-2], not compared; features
//   compared as a list sorted, so order is free but repeats are not [INFO-4].
// - AdvanceClockResponse.now_ms: exact [CLOCK-7], or "at least" with
//   CompareOptions.sharedClock.
// - Error.message: never compared [ERROR-MESSAGE-1]. Error.detail: `field`
//   where the model names one [ERROR-FIELD-1]; `key_failures` always, so an
//   error that should carry none must carry none [ERROR-KEYS-1]; limit/actual
//   only with CompareOptions.errorLimits (a SHOULD, ERROR-LIMIT-1); room_id
//   (ERROR-ROOM-1, a SHOULD) and retry_after_ms (not predicted) never.
import { create, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import {
  ErrorCode,
  EventSchema,
  ReplySchema,
  type ErrorDetail,
  type Event,
  type Reply,
} from "../../protocol/index.js";
import type { Expected } from "./draft.js";
import { isMessagePlaceholder, isTokenPlaceholder, type TokenResolver } from "./placeholders.js";
import type { SessionKey } from "./state.js";

/** One difference: where, what the model expected, what the server sent. */
export interface Difference {
  path: string;
  expected: string;
  observed: string;
}

export interface CompareOptions {
  /** Also compare Error.detail.limit and .actual where the model predicts them. Default false. */
  errorLimits?: boolean;
  /**
   * The test clock is shared with other runs (test-clock.md notes): accept
   * any AdvanceClock now_ms at or after the predicted one. The harness then
   * moves the model to the observed time with advanceTime().
   */
  sharedClock?: boolean;
}

/** What the harness saw for one action. */
export interface Observed {
  reply: Reply | undefined;
  events: ReadonlyMap<SessionKey, readonly Event[]>;
  closes: ReadonlyMap<SessionKey, number>;
}

/**
 * What the comparisons of one run have learned about server-chosen values.
 * Create one per run (per property run, per scenario) and pass it to every
 * comparison and, as StepContext.tokens, to every step.
 */
export class Bindings implements TokenResolver {
  private messageIds = new Map<string, string>(); // placeholder → observed
  private messageIdOwners = new Map<string, string>(); // observed → placeholder
  private timestamps = new Map<string, bigint>(); // message placeholder → observed
  private tokens = new Map<string, string>(); // placeholder → observed
  private tokenOrigins = new Map<string, string>(); // observed → latest placeholder

  /** The model placeholder an observed next_token stands for. */
  modelToken(observed: string): string | undefined {
    return this.tokenOrigins.get(observed);
  }

  /** The server's next_token bound to a model placeholder. */
  observedToken(placeholder: string): string | undefined {
    return this.tokens.get(placeholder);
  }

  /** The server's message_id bound to a model placeholder. */
  observedMessageId(placeholder: string): string | undefined {
    return this.messageIds.get(placeholder);
  }

  /** A copy, to try a comparison without committing what it binds. */
  fork(): Bindings {
    const b = new Bindings();
    b.messageIds = new Map(this.messageIds);
    b.messageIdOwners = new Map(this.messageIdOwners);
    b.timestamps = new Map(this.timestamps);
    b.tokens = new Map(this.tokens);
    b.tokenOrigins = new Map(this.tokenOrigins);
    return b;
  }

  /** Takes over what a fork learned. */
  adopt(fork: Bindings): void {
    this.messageIds = fork.messageIds;
    this.messageIdOwners = fork.messageIdOwners;
    this.timestamps = fork.timestamps;
    this.tokens = fork.tokens;
    this.tokenOrigins = fork.tokenOrigins;
  }

  /** Binds or checks a message_id; returns a problem description or undefined. */
  bindMessageId(placeholder: string, observed: string): string | undefined {
    if (observed === "") return "message_id must not be empty";
    const bound = this.messageIds.get(placeholder);
    if (bound !== undefined) return bound === observed ? undefined : `the same message had message_id ${JSON.stringify(bound)} before`;
    const owner = this.messageIdOwners.get(observed);
    if (owner !== undefined) return `message_id ${JSON.stringify(observed)} already names another message`;
    this.messageIds.set(placeholder, observed);
    this.messageIdOwners.set(observed, placeholder);
    return undefined;
  }

  bindTimestamp(placeholder: string, observed: bigint): string | undefined {
    if (observed <= 0n) return "timestamp_ms must be > 0";
    const bound = this.timestamps.get(placeholder);
    if (bound !== undefined) return bound === observed ? undefined : `the same message had timestamp_ms ${bound} before`;
    this.timestamps.set(placeholder, observed);
    return undefined;
  }

  bindToken(placeholder: string, observed: string): void {
    this.tokens.set(placeholder, observed);
    // A server may hand out the same string twice (a stateless encoding of one
    // position); the latest pagination is the one the harness continues.
    this.tokenOrigins.set(observed, placeholder);
  }
}

// ---- Entry points ------------------------------------------------------------

/** Differences between an expected and an observed reply (empty when they match). */
export function matchReply(
  expected: Reply | undefined,
  observed: Reply | undefined,
  bindings: Bindings,
  options: CompareOptions = {},
): Difference[] {
  const c = new Comparer(bindings, options);
  if (expected === undefined || observed === undefined) {
    if (expected !== observed) c.diff("reply", expected === undefined ? "(no reply)" : c.showMessage(ReplySchema, expected), observed === undefined ? "(no reply)" : c.showMessage(ReplySchema, observed));
    return c.out;
  }
  c.message(ReplySchema, expected, observed, "reply");
  return c.out;
}

/** Differences between the events one session should receive and those it received, in order. */
export function matchEvents(
  expected: readonly Event[],
  observed: readonly Event[],
  bindings: Bindings,
  path = "events",
  options: CompareOptions = {},
): Difference[] {
  const c = new Comparer(bindings, options);
  c.list(EventSchema, expected, observed, path);
  return c.out;
}

/**
 * Differences for a whole action: the reply; every session's events, in
 * order, a session absent from the expectation receiving nothing
 * [EVENT-ONLY-1, EVENT-ORDER-1, EVENT-ROOM-1]; the closes and their codes
 * [CLOSE-CODES-1]. The error code is compared exactly [ERROR-1].
 */
export function matchOutcome(expected: Expected, observed: Observed, bindings: Bindings, options: CompareOptions = {}): Difference[] {
  const out = matchReply(expected.reply, observed.reply, bindings, options);
  const sessions = [...new Set([...expected.events.keys(), ...observed.events.keys()])].sort();
  for (const s of sessions) {
    out.push(...matchEvents(expected.events.get(s) ?? [], observed.events.get(s) ?? [], bindings, `events[${s}]`, options));
  }
  const closed = [...new Set([...expected.closes.keys(), ...observed.closes.keys()])].sort();
  for (const s of closed) {
    const e = expected.closes.get(s);
    const o = observed.closes.get(s);
    if (e !== o) out.push({ path: `closes[${s}]`, expected: e === undefined ? "(stays open)" : String(e), observed: o === undefined ? "(stays open)" : String(o) });
  }
  return out;
}

/**
 * Picks the allowed outcome the observation matches (see step()). Bindings
 * learn only from the matching outcome. When none matches, returns the
 * differences from the closest one.
 */
export function matchAnyOutcome<O extends Expected>(
  outcomes: readonly O[],
  observed: Observed,
  bindings: Bindings,
  options: CompareOptions = {},
): { outcome: O; differences: [] } | { outcome: undefined; closest: O; differences: Difference[] } {
  let best: { outcome: O; differences: Difference[] } | undefined;
  for (const outcome of outcomes) {
    const trial = bindings.fork();
    const differences = matchOutcome(outcome, observed, trial, options);
    if (differences.length === 0) {
      bindings.adopt(trial);
      return { outcome, differences: [] };
    }
    if (best === undefined || differences.length < best.differences.length) best = { outcome, differences };
  }
  if (best === undefined) throw new Error("matchAnyOutcome: no outcome to match");
  return { outcome: undefined, closest: best.outcome, differences: best.differences };
}

/** Renders differences one per line, for failure reports. */
export function formatDifferences(differences: readonly Difference[]): string {
  return differences.map((d) => `${d.path}: expected ${d.expected}, observed ${d.observed}`).join("\n");
}

// ---- The schema walk ---------------------------------------------------------

type Msg = Record<string, unknown>;

class Comparer {
  readonly out: Difference[] = [];
  constructor(
    private readonly bindings: Bindings,
    private readonly options: CompareOptions,
  ) {}

  diff(path: string, expected: string, observed: string): void {
    this.out.push({ path, expected, observed });
  }

  message(desc: DescMessage, exp: unknown, obs: unknown, path: string): void {
    const e = (exp ?? create(desc)) as Msg;
    const o = (obs ?? create(desc)) as Msg;
    const skip = SPECIAL_FIELDS[desc.typeName] ?? NONE;
    for (const member of desc.members) {
      if (member.kind === "oneof") {
        const ev = e[member.localName] as { case?: string; value?: unknown };
        const ov = o[member.localName] as { case?: string; value?: unknown };
        if (ev.case !== ov.case) {
          this.diff(`${path}.${member.name}`, caseName(member.fields, ev.case), caseName(member.fields, ov.case));
          continue;
        }
        if (ev.case === undefined) continue;
        const field = member.fields.find((f) => f.localName === ev.case)!;
        this.field(field, ev.value, ov.value, `${path}.${field.name}`);
      } else if (!skip.has(member.localName)) {
        this.field(member, e[member.localName], o[member.localName], `${path}.${member.name}`);
      }
    }
    this.special(desc, e, o, path);
  }

  list(desc: DescMessage, exp: readonly unknown[], obs: readonly unknown[], path: string): void {
    const n = Math.min(exp.length, obs.length);
    for (let i = 0; i < n; i++) this.message(desc, exp[i], obs[i], `${path}[${i}]`);
    for (let i = n; i < exp.length; i++) this.diff(`${path}[${i}]`, this.showMessage(desc, exp[i]), "(missing)");
    for (let i = n; i < obs.length; i++) this.diff(`${path}[${i}]`, "(nothing more)", this.showMessage(desc, obs[i]));
  }

  private field(field: DescField, exp: unknown, obs: unknown, path: string): void {
    switch (field.fieldKind) {
      case "scalar":
        if (!scalarEquals(exp, obs)) this.diff(path, showScalar(exp), showScalar(obs));
        return;
      case "enum":
        if (exp !== obs) this.diff(path, enumName(field.enum, exp as number), enumName(field.enum, obs as number));
        return;
      case "message":
        this.message(field.message, exp, obs, path);
        return;
      case "list": {
        const e = exp as unknown[];
        const o = obs as unknown[];
        if (field.listKind === "message") {
          this.list(field.message, e, o, path);
          return;
        }
        const show = (v: unknown) => (field.listKind === "enum" ? enumName(field.enum, v as number) : showScalar(v));
        if (e.length !== o.length || e.some((v, i) => !scalarEquals(v, o[i]))) this.diff(path, `[${e.map(show).join(", ")}]`, `[${o.map(show).join(", ")}]`);
        return;
      }
      case "map": {
        const e = exp as Record<string, unknown>;
        const o = obs as Record<string, unknown>;
        const keys = [...new Set([...Object.keys(e), ...Object.keys(o)])].sort();
        for (const k of keys) {
          const p = `${path}[${JSON.stringify(k)}]`;
          if (!(k in o)) this.diff(p, this.showMapValue(field, e[k]), "(absent)");
          else if (!(k in e)) this.diff(p, "(absent)", this.showMapValue(field, o[k]));
          else if (field.mapKind === "message") this.message(field.message, e[k], o[k], p);
          else if (!scalarEquals(e[k], o[k])) this.diff(p, this.showMapValue(field, e[k]), this.showMapValue(field, o[k]));
        }
        return;
      }
    }
  }

  private showMapValue(field: DescField & { fieldKind: "map" }, v: unknown): string {
    if (field.mapKind === "message") return this.showMessage(field.message, v);
    if (field.mapKind === "enum") return enumName(field.enum, v as number);
    return showScalar(v);
  }

  showMessage(desc: DescMessage, v: unknown): string {
    return `${desc.name}${stringify(v)}`;
  }

  /** The rules for server-chosen values, on the fields SPECIAL_FIELDS keeps from the generic walk. */
  private special(desc: DescMessage, e: Msg, o: Msg, path: string): void {
    switch (desc.typeName) {
      case "openroom.v1.Error":
        this.errorDetail(e.detail as ErrorDetail | undefined, o.detail as ErrorDetail | undefined, `${path}.detail`);
        return;
      case "openroom.v1.ServerInfo": {
        const ef = [...(e.features as number[])].sort();
        const of = [...(o.features as number[])].sort();
        if (ef.join() !== of.join()) this.diff(`${path}.features`, `{${ef.join(", ")}}`, `{${of.join(", ")}}`);
        return;
      }
      case "openroom.v1.RoomMessage": {
        const placeholder = e.messageId as string;
        if (!isMessagePlaceholder(placeholder)) {
          // An expectation written by hand, with real values: compare them exactly.
          if (e.messageId !== o.messageId) this.diff(`${path}.message_id`, JSON.stringify(e.messageId), JSON.stringify(o.messageId));
          if (e.timestampMs !== o.timestampMs) this.diff(`${path}.timestamp_ms`, String(e.timestampMs), String(o.timestampMs));
          return;
        }
        const idProblem = this.bindings.bindMessageId(placeholder, o.messageId as string);
        if (idProblem) this.diff(`${path}.message_id`, "a message_id for this message", `${JSON.stringify(o.messageId)} (${idProblem})`);
        const tsProblem = this.bindings.bindTimestamp(placeholder, o.timestampMs as bigint);
        if (tsProblem) this.diff(`${path}.timestamp_ms`, "the timestamp of this message", `${String(o.timestampMs)} (${tsProblem})`);
        return;
      }
      case "openroom.v1.QueryRoomMemberListResponse":
      case "openroom.v1.QueryRoomMemberAttributesListResponse":
        this.nextToken(e.nextToken as string, o.nextToken as string, `${path}.next_token`);
        return;
      case "openroom.v1.AdvanceClockResponse": {
        const exp = e.nowMs as bigint;
        const obs = o.nowMs as bigint;
        // Other runs may advance a shared test clock too: the time can only be later.
        if (this.options.sharedClock ? obs < exp : obs !== exp) {
          this.diff(`${path}.now_ms`, this.options.sharedClock ? `at least ${exp}` : String(exp), String(obs));
        }
        return;
      }
    }
  }

  /** [MEMBERS-LIST-4, MATTR-LIST-3]: empty iff the model predicts the last page; a token is bound for later use. */
  private nextToken(exp: string, obs: string, path: string): void {
    if (isTokenPlaceholder(exp)) {
      if (obs === "") this.diff(path, "a non-empty token (more entries follow)", '"" (last page)');
      else this.bindings.bindToken(exp, obs);
    } else if (exp !== obs) {
      this.diff(path, JSON.stringify(exp), JSON.stringify(obs));
    }
  }

  private errorDetail(exp: ErrorDetail | undefined, obs: ErrorDetail | undefined, path: string): void {
    const field = obs?.field ?? "";
    if (exp !== undefined && exp.field !== "" && exp.field !== field) this.diff(`${path}.field`, JSON.stringify(exp.field), JSON.stringify(field));
    if (exp !== undefined && this.options.errorLimits && exp.limit !== 0n) {
      const limit = obs?.limit ?? 0n;
      const actual = obs?.actual ?? 0n;
      if (exp.limit !== limit) this.diff(`${path}.limit`, String(exp.limit), String(limit));
      if (exp.actual !== actual) this.diff(`${path}.actual`, String(exp.actual), String(actual));
    }
    const show = (k: { key: string; code: number }) => `${JSON.stringify(k.key)}:${ErrorCode[k.code] ?? k.code}`;
    const e = (exp?.keyFailures ?? []).map(show).join(", ");
    const o = (obs?.keyFailures ?? []).map(show).join(", ");
    if (e !== o) this.diff(`${path}.key_failures`, `[${e}]`, `[${o}]`);
  }
}

const NONE: ReadonlySet<string> = new Set();

/** Fields of these messages are judged by Comparer.special, not compared as they are. */
const SPECIAL_FIELDS: Record<string, ReadonlySet<string>> = {
  "openroom.v1.Error": new Set(["message", "detail"]),
  "openroom.v1.ServerInfo": new Set(["serverName", "features"]),
  "openroom.v1.RoomMessage": new Set(["messageId", "timestampMs"]),
  "openroom.v1.QueryRoomMemberListResponse": new Set(["nextToken"]),
  "openroom.v1.QueryRoomMemberAttributesListResponse": new Set(["nextToken"]),
  "openroom.v1.AdvanceClockResponse": new Set(["nowMs"]),
};

function caseName(fields: readonly DescField[], localName: string | undefined): string {
  if (localName === undefined) return "(none)";
  return fields.find((f) => f.localName === localName)?.name ?? localName;
}

function scalarEquals(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  return a === b;
}

function showScalar(v: unknown): string {
  if (v instanceof Uint8Array) return `bytes[${v.length}](${hex(v.subarray(0, 32))})`;
  if (typeof v === "bigint") return `${v}`;
  return JSON.stringify(v) ?? String(v);
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function enumName(desc: DescEnum, n: number): string {
  return desc.values.find((v) => v.number === n)?.name ?? String(n);
}

function stringify(v: unknown): string {
  return JSON.stringify(v, (key, value: unknown) => {
    if (key === "$typeName") return undefined;
    if (typeof value === "bigint") return `${value}`;
    if (value instanceof Uint8Array) return `bytes[${value.length}]`;
    return value;
  });
}
