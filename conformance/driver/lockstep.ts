// Lockstep: every action runs against the target over the wire AND against
// the model (the executable spec); after each action the Ping barrier makes
// every session's event list complete, and the reply, every session's events
// (including that nothing unexpected arrived) and the closes must match one
// of the model's allowed outcomes. A mismatch throws a ConformanceFailure
// carrying the trace so far and both sides rendered.
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { ClientFrameSchema, ReplySchema, type Event, type Reply, type ServerInfo } from "../../protocol/index.js";
import { SessionClosedError, type RequestInput, type Session, type World } from "../harness/index.js";
import {
  Bindings,
  advanceTime,
  connect as modelConnect,
  disconnect as modelDisconnect,
  formatDifferences,
  initialState,
  matchAnyOutcome,
  matchOutcome,
  matchReply,
  step,
  type CompareOptions,
  type Expected,
  type ModelState,
  type Observed,
  type Outcome,
  type TokenVerdict,
} from "../model/index.js";
import { ConformanceFailure } from "./evidence.js";
import { linearize } from "./linearize.js";
import { renderEvent, renderReply, renderRequest, unprefixer, type Unprefix } from "./render.js";

export interface LoginOptions {
  /** Log in as this user (default: the world's ID for the label). */
  userId?: string;
  userName?: string;
  /** Present this token instead of a freshly minted valid one. */
  token?: string;
  /** What kind of token it is, for the model (default "valid"). */
  tokenVerdict?: TokenVerdict;
}

/** A step whose reply is checked and whose events await the next barrier (deferred mode). */
interface PendingStep {
  label: string;
  /** The action as the trace shows it, rendered on demand. */
  action: () => string;
  outcome: Outcome;
  reply: Reply | undefined;
  traceIndex: number;
}

export interface LockstepOptions extends CompareOptions {
  /**
   * Check events at the next barrier instead of after every step. Each
   * session's stream is FIFO and every step's events are queued before its
   * reply, so a session's stream is the concatenation of the steps' events
   * in step order: splitting it by the model's per-step prediction checks
   * exactly what a barrier per step would, at one round trip per step.
   * A close goes to the step that predicts it (the server closes a
   * connection after the frames before it). A step with several allowed
   * outcomes is checked at once: the next step depends on which it was.
   */
  deferEvents?: boolean;
}

export class Lockstep {
  state: ModelState;
  readonly bindings = new Bindings();
  /** One line per action so far, rendered only when asked for (a failure): most runs never need it. */
  private readonly lines: (string | (() => string))[] = [];
  readonly u: Unprefix;
  private readonly sessions = new Map<string, Session>();
  private readonly nextRequestId = new Map<string, number>();
  private readonly reportedClosed = new Set<string>();
  private last: { reply: Reply | undefined; events: Map<string, Event[]> } = { reply: undefined, events: new Map() };
  private pending: PendingStep[] = [];
  /** How steps were checked: deferred to a barrier, or at once (several allowed outcomes, closes, connects). */
  readonly stats = { deferred: 0, immediate: 0, barriers: 0 };
  private readonly compare: CompareOptions;
  private readonly deferEvents: boolean;

  constructor(
    readonly world: World,
    readonly serverInfo: ServerInfo,
    options: LockstepOptions = {},
  ) {
    const { deferEvents, ...compare } = options;
    this.compare = compare;
    this.deferEvents = deferEvents ?? false;
    this.state = initialState({ limits: serverInfo.limits!, features: [...serverInfo.features] });
    this.u = unprefixer(world.prefix);
  }

  /** The trace a failure reports: one line per action so far. */
  get trace(): string[] {
    return this.lines.map((line) => (typeof line === "string" ? line : line()));
  }

  /** Actions so far (connects, logins, requests, disconnects). */
  get steps(): number {
    return this.lines.length;
  }

  get limits() {
    return this.serverInfo.limits!;
  }

  /** The user ID and room ID a label stands for in this run. */
  user(label: string): string {
    return this.world.userId(label);
  }
  room(label: string): string {
    return this.world.roomId(label);
  }

  /** The session opened under a label. */
  session(label: string): Session {
    const s = this.sessions.get(label);
    if (s === undefined) throw new Error(`lockstep: no session "${label}"`);
    return s;
  }

  /** The reply of the last action. */
  get reply(): Reply | undefined {
    return this.last.reply;
  }

  /** The events a session received in the last action (already checked against the model). */
  events(label: string): Event[] {
    return this.last.events.get(label) ?? [];
  }

  /**
   * Opens a connection under `label` without logging in. Deferred steps stay
   * pending: the model predicts no events for a connection it did not know,
   * so the barrier's split gives the new session's stream to later steps only.
   */
  async connect(label: string, encoding = this.world.target.encoding): Promise<Session> {
    if (this.sessions.has(label)) throw new Error(`lockstep: session "${label}" already open`);
    const session = await this.world.connect(label, { encoding });
    this.sessions.set(label, session);
    this.state = modelConnect(this.state, label, encoding);
    this.lines.push(`${label}: connect (${encoding})`);
    return session;
  }

  /** Connects (if needed) and logs in, checked against the model. */
  async login(label: string, options: LoginOptions = {}): Promise<Reply> {
    if (!this.sessions.has(label)) await this.connect(label);
    const userId = options.userId ?? this.user(label);
    const token = options.token ?? (await this.world.target.token.token(userId));
    return this.request(label, { case: "login", value: { userId, userName: options.userName ?? label, token } }, options.tokenVerdict ?? "valid");
  }

  /**
   * Connects and logs in several distinct users at once. Their logins are
   * independent (no shared state, no events), so the order in which the
   * server takes them cannot change any outcome; the model applies them in
   * list order.
   */
  async loginAll(labels: readonly string[]): Promise<void> {
    if (new Set(labels.map((l) => this.user(l))).size !== labels.length) throw new Error("lockstep: loginAll needs distinct users");
    const sessions = await Promise.all(labels.map((label) => this.world.connect(label)));
    labels.forEach((label, i) => {
      this.sessions.set(label, sessions[i]!);
      this.state = modelConnect(this.state, label, sessions[i]!.encoding);
      this.lines.push(`${label}: connect (${sessions[i]!.encoding})`);
    });
    const tokens = await Promise.all(labels.map((label) => this.world.target.token.token(this.user(label))));
    const login = (label: string, i: number) => this.request(label, { case: "login", value: { userId: this.user(label), userName: label, token: tokens[i]! } });
    if (this.deferEvents) {
      // Checked at the next barrier, like any deferred step.
      await Promise.all(labels.map(login));
    } else {
      for (const [i, label] of labels.entries()) await login(label, i);
    }
  }

  /** Sends one request on `label`'s session and checks everything it caused. */
  async request(label: string, request: RequestInput, tokenVerdict?: TokenVerdict): Promise<Reply> {
    const session = this.session(label);
    const requestId = (this.nextRequestId.get(label) ?? 0) + 1;
    this.nextRequestId.set(label, requestId);
    const frame = create(ClientFrameSchema, { requestId, request });
    const outcomes = step(this.state, label, frame.request, {
      nowMs: Date.now(),
      requestId,
      tokens: this.bindings,
      ...(tokenVerdict ? { tokenVerdict } : {}),
    });
    const deferrable = this.deferEvents && outcomes.length === 1 && outcomes[0]!.reply !== undefined;
    // A deferred step's outcome is already determined: take it now, so that
    // concurrent deferred requests step the model in call order.
    if (deferrable) this.state = outcomes[0]!.state;
    else await this.flush();
    const wantsReply = outcomes.some((o) => o.reply !== undefined);
    let reply: Reply | undefined;
    try {
      reply = await session.send(request, { requestId });
    } catch (e) {
      // A session the model expects to be closed (or to stay silent) may not answer.
      if (!(e instanceof SessionClosedError) || wantsReply) throw this.failure(label, frame.request, outcomes[0]!, undefined, e);
    }
    if (deferrable) {
      this.stats.deferred++;
      await this.defer(label, frame.request, outcomes[0]!, reply);
      return reply ?? create(ReplySchema);
    }
    this.stats.immediate++;
    const observed = await this.observe(outcomes, reply);
    this.settle(label, frame.request, outcomes, observed);
    return reply ?? create(ReplySchema);
  }

  /** Deferred mode: checks the reply now, the events at the next barrier. */
  private async defer(label: string, request: Parameters<typeof renderRequest>[0], outcome: Outcome, reply: Reply | undefined): Promise<void> {
    const action = () => renderRequest(request, this.u);
    const trial = this.bindings.fork();
    const differences = matchReply(outcome.reply, reply, trial, this.compare);
    if (differences.length > 0) {
      // Report the earliest divergence: the events of earlier steps may already be wrong.
      await this.flush();
      this.lines.push(`${label}: ${action()} → ${renderReply(reply)}   ✗`);
      throw new ConformanceFailure(`${label}: ${action()}: the server's behaviour differs from the spec:\n${this.u(formatDifferences(differences))}`, {
        trace: this.trace,
        expected: this.render(outcome),
        observed: this.render({ reply, events: new Map(), closes: new Map() }),
      });
    }
    this.bindings.adopt(trial);
    this.pending.push({ label, action, outcome, reply, traceIndex: this.lines.length });
    this.lines.push(() => `${label}: ${action()} → ${renderReply(reply)}`);
  }

  /**
   * The barrier for deferred steps: one Ping round on every session, then
   * each session's stream is split by the model's per-step prediction and
   * every step is compared in order. A no-op when nothing is pending.
   */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const steps = this.pending;
    this.pending = [];
    this.stats.barriers++;
    await this.world.quiesce();
    await this.awaitCloses(steps.map((st) => st.outcome));
    const streams = new Map<string, Event[]>();
    for (const [label, s] of this.sessions) streams.set(label, s.takeEvents().map((r) => r.event));
    const cursor = new Map<string, number>();
    steps.forEach((st, i) => {
      const isLast = i === steps.length - 1;
      const events = new Map<string, Event[]>();
      for (const [label, stream] of streams) {
        const at = cursor.get(label) ?? 0;
        // The last step also takes whatever is left: an unexpected extra event shows there.
        const n = isLast ? stream.length - at : (st.outcome.events.get(label)?.length ?? 0);
        const taken = stream.slice(at, at + n);
        cursor.set(label, at + taken.length);
        if (taken.length > 0) events.set(label, taken);
      }
      // A close goes to the step that predicts it; the last step also takes any unexpected one.
      const closes = new Map<string, number>();
      for (const [label, s] of this.sessions) {
        if (s.closeInfo === undefined || this.reportedClosed.has(label) || !(isLast || st.outcome.closes.has(label))) continue;
        closes.set(label, s.closeInfo.code);
        this.reportedClosed.add(label);
      }
      const observed: Observed = { reply: st.reply, events, closes };
      const expected = { ...st.outcome, reply: st.reply };
      const differences = matchOutcome(expected, observed, this.bindings, this.compare);
      this.last = { reply: st.reply, events };
      if (differences.length > 0) {
        this.lines.length = st.traceIndex;
        this.lines.push(`${st.label}: ${st.action()} → ${renderReply(st.reply)}   ✗`);
        throw new ConformanceFailure(`${st.label}: ${st.action()}: the server's behaviour differs from the spec:\n${this.u(formatDifferences(differences))}`, {
          trace: this.trace,
          expected: this.render(st.outcome),
          observed: this.render(observed),
        });
      }
    });
  }

  /**
   * Sends requests from several sessions at once (each session's own
   * requests pipelined in list order) and checks that what happened is
   * linearizable against the model (ORDER-4): some serial order explains
   * every reply and every session's event stream. Returns the replies in
   * list order and the order found.
   */
  async concurrent(ops: readonly { label: string; request: RequestInput }[]): Promise<{ replies: Reply[]; order: number[] }> {
    await this.flush();
    const framed = ops.map((op) => {
      const requestId = (this.nextRequestId.get(op.label) ?? 0) + 1;
      this.nextRequestId.set(op.label, requestId);
      return { ...op, requestId, frame: create(ClientFrameSchema, { requestId, request: op.request }) };
    });
    const replies = await Promise.all(framed.map((op) => this.session(op.label).send(op.request, { requestId: op.requestId })));
    await this.world.quiesce();
    const streams = new Map<string, Event[]>();
    for (const [label, s] of this.sessions) streams.set(label, s.takeEvents().map((r) => r.event));
    const history = framed.map((op, i) => ({ label: op.label, request: op.frame.request, requestId: op.requestId, reply: replies[i]! }));
    const result = linearize(this.state, history, streams, this.bindings, Date.now(), this.compare);
    const actions = framed.map((op, i) => `${op.label}: ${renderRequest(op.frame.request, this.u)} → ${renderReply(replies[i])}`);
    if (result.found === undefined) {
      this.lines.push(`concurrently { ${actions.join(" ‖ ")} }   ✗`);
      const observed: Observed = { reply: undefined, events: streams, closes: new Map() };
      throw new ConformanceFailure(
        `no serial order of these ${ops.length} concurrent requests explains the server's replies and events (ORDER-4); ` +
          `${result.explored} orders tried, the longest consistent prefix was [${result.longest.map((i) => actions[i]).join(", ")}]`,
        { trace: this.trace, observed: `${actions.join("\n")}\n${this.render(observed)}` },
      );
    }
    this.bindings.adopt(result.found.bindings);
    this.state = result.found.state;
    this.lines.push(`concurrently { ${actions.join(" ‖ ")} } — linearized as ${result.found.order.map((i) => framed[i]!.label).join(", ")}`);
    this.last = { reply: replies.at(-1), events: streams };
    return { replies, order: result.found.order };
  }

  /**
   * The client closes `label`'s connection; the others see the leave effects.
   *
   * The server learns of a close on its own schedule (DISCONNECT-2), so a
   * Ping barrier on the other connections right after the close proves
   * nothing. When the model predicts events for other sessions, wait until
   * that many have arrived (or the event timeout passes, leaving the verdict
   * to the comparison); when it predicts none, nothing the others can see
   * depends on it yet, and a short settling pause covers the later requests
   * that could.
   */
  async disconnect(label: string): Promise<void> {
    await this.flush();
    const session = this.session(label);
    await session.close();
    this.reportedClosed.add(label);
    const outcome = modelDisconnect(this.state, label, Date.now());
    const waits = [...outcome.events].filter(([other]) => other !== label);
    if (waits.length === 0) {
      await sleep(25 * this.world.target.timeoutMultiplier);
    } else {
      await Promise.all(
        waits.map(([other, expected]) => {
          const s = this.sessions.get(other);
          const want = expected.length;
          // The predicate sees every event not yet taken, then each new one: count them.
          let seen = 0;
          return s?.waitForEvent(`${want} event(s) after ${label} disconnected`, () => ++seen >= want).catch(() => undefined);
        }),
      );
    }
    const observed = await this.observe([outcome], undefined);
    this.settle(label, { case: undefined, value: undefined }, [{ ...outcome, reply: undefined }], observed, "disconnect");
  }

  /**
   * The client closes `label`'s connection and logs the same user in again
   * on a new connection `next`. The new Login's reply orders the disconnect
   * without a settling pause: by then the server has either taken the
   * disconnect (DISCONNECT-2) or, not yet knowing the connection ended,
   * kicked the old session (KICK-1), and both leave its rooms with the same
   * effects for every other member (DISCONNECT-1, KICK-ROOMS-2); what only
   * the old, closed connection would see is unobservable. So in deferred
   * mode the disconnect's events are checked at the next barrier like any
   * step's. Without deferred mode this is disconnect() then login().
   */
  async reconnect(label: string, next: string, options: LoginOptions = {}): Promise<Reply> {
    const userId = options.userId ?? this.session(label).userId ?? this.user(label);
    if (!this.deferEvents) {
      await this.disconnect(label);
      return this.login(next, { ...options, userId });
    }
    // Open the new connection first: nothing may wait between the close and the Login.
    await this.connect(next);
    await this.session(label).close();
    this.reportedClosed.add(label);
    const outcome = modelDisconnect(this.state, label, Date.now());
    this.state = outcome.state;
    this.stats.deferred++;
    this.pending.push({ label, action: () => "disconnect", outcome, reply: undefined, traceIndex: this.lines.length });
    this.lines.push(`${label}: disconnect`);
    return this.login(next, { ...options, userId });
  }

  /** Lets real time pass for the model (rooms whose delay ran out are destroyed). */
  advanceRealTime(): void {
    this.state = advanceTime(this.state, Date.now()).state;
  }

  /** Closes every session (end of test), after checking what is pending. */
  async close(): Promise<void> {
    await this.flush();
    await this.world.closeAll();
  }

  private async observe(outcomes: Outcome[], reply: Reply | undefined): Promise<Observed> {
    this.stats.barriers++;
    await this.world.quiesce();
    await this.awaitCloses(outcomes);
    const events = new Map<string, Event[]>();
    const closes = new Map<string, number>();
    for (const [label, s] of this.sessions) {
      const taken = s.takeEvents().map((r) => r.event);
      if (taken.length > 0) events.set(label, taken);
      if (s.closeInfo !== undefined && !this.reportedClosed.has(label)) {
        closes.set(label, s.closeInfo.code);
        this.reportedClosed.add(label);
      }
    }
    return { reply, events, closes };
  }

  /** A close the model predicts may arrive just after the barrier: wait for it (a missing one shows in the comparison). */
  private async awaitCloses(outcomes: readonly Outcome[]): Promise<void> {
    const expectedClosed = new Set(outcomes.flatMap((o) => [...o.closes.keys()]));
    await Promise.all(
      [...expectedClosed].map(async (label) => {
        const s = this.sessions.get(label);
        if (s && s.closeInfo === undefined) await s.waitClosed().catch(() => undefined);
      }),
    );
  }

  private settle(label: string, request: Parameters<typeof renderRequest>[0], outcomes: Outcome[], observed: Observed, verb?: string): void {
    const match = matchAnyOutcome(outcomes, observed, this.bindings, this.compare);
    const action = verb ?? renderRequest(request, this.u);
    this.last = { reply: observed.reply, events: new Map([...observed.events].map(([k, v]) => [k, [...v]])) };
    if (match.outcome === undefined) {
      this.lines.push(`${label}: ${action} → ${renderReply(observed.reply)}   ✗`);
      throw new ConformanceFailure(
        `${label}: ${action}: the server's behaviour differs from the spec:\n${this.u(formatDifferences(match.differences))}`,
        { trace: this.trace, expected: this.render(match.closest), observed: this.render(observed) },
      );
    }
    this.lines.push(`${label}: ${action} → ${renderReply(observed.reply)}`);
    this.state = match.outcome.state;
    // With a shared test clock the server may be ahead of the model (another
    // run advanced it): follow it, destroying what is due (compare.ts sharedClock).
    const r = observed.reply?.result;
    if (this.compare.sharedClock && r?.case === "advanceClock") this.state = advanceTime(this.state, Number(r.value.nowMs)).state;
  }

  private failure(label: string, request: Parameters<typeof renderRequest>[0], expected: Expected, observed: Observed | undefined, cause: unknown): ConformanceFailure {
    const action = renderRequest(request, this.u);
    this.lines.push(`${label}: ${action} → ${cause instanceof Error ? cause.message.split("\n")[0] : String(cause)}   ✗`);
    return new ConformanceFailure(`${label}: ${action}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      trace: this.trace,
      expected: this.render(expected),
      ...(observed ? { observed: this.render(observed) } : {}),
    });
  }

  private render(x: Expected | Observed): string {
    const lines = [`reply: ${renderReply(x.reply)}`];
    for (const [label, events] of [...x.events].sort(([a], [b]) => a.localeCompare(b))) {
      for (const e of events) lines.push(`${label} ← ${renderEvent(e, this.u)}`);
    }
    for (const [label, code] of x.closes) lines.push(`${label} closed with ${code}`);
    return lines.join("\n");
  }
}
