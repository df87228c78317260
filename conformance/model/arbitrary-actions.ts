// fast-check generators of actions over a small pool of sessions, users,
// rooms and keys, so that collisions, caps, empty rooms, destroy delays,
// kicks and switches happen constantly. Used by the model's properties;
// the conformance suites may reuse them.
import fc from "fast-check";
import { RoomMessageKind, RoomMessagePriority } from "../../protocol/index.js";
import type { SessionKey } from "./state.js";
import type { Request } from "./step.js";
import type { ModelState } from "./state.js";
import { connect } from "./step.js";
import { op, rq, type World } from "./test-kit.js";
import type { Outcome } from "./draft.js";

/**
 * One thing that can happen to the server. A request may be relative to the
 * state it meets (see resolve): `mine` replaces its room (the source, for a
 * switch) by one of the session's own rooms, and a next_token of LAST_TOKEN
 * by the latest page token the model issued for that room.
 */
export type Action =
  | { kind: "request"; session: SessionKey; request: Request; mine?: number }
  | { kind: "connect"; session: SessionKey }
  | { kind: "disconnect"; session: SessionKey }
  | { kind: "wait"; ms: number };

export interface Pools {
  sessions: string[];
  users: string[];
  rooms: string[];
  keys: string[];
}

export function pools(sessionCount: number): Pools {
  return {
    sessions: Array.from({ length: sessionCount }, (_, i) => `s${i + 1}`),
    // Fewer users than sessions, so logins collide and kick.
    users: Array.from({ length: Math.max(2, sessionCount - 1) }, (_, i) => `u${i + 1}`),
    rooms: ["r1", "r2", "r3", "r4", "r5"],
    keys: ["a", "b", "c", "dd", "eeee", "fffff"],
  };
}

function attrMap(p: Pools): fc.Arbitrary<Record<string, string>> {
  return fc.dictionary(fc.constantFrom(...p.keys), fc.constantFrom("", "1", "22", "xxxxxxxx", "yyyyyyyyy"), { maxKeys: 3, noNullPrototype: true });
}

/** Stands for "the latest token the model issued for this room" in a generated request. */
export const LAST_TOKEN = "@last";

/** Any request a logged-in session might send, valid or not (mostly valid). */
export function arbRequest(p: Pools): fc.Arbitrary<Request> {
  const room = fc.constantFrom(...p.rooms);
  const user = fc.constantFrom(...p.users);
  const delay = fc.constantFrom(0, 0, 5, 30);
  const createOpts = fc.record({ delay, attrs: fc.oneof(fc.constant({}), attrMap(p)) });
  const flags = fc.record({ force: fc.boolean(), updateOwner: fc.boolean(), deleteAfter: fc.boolean() });
  return fc.oneof(
    { weight: 3, arbitrary: fc.tuple(room, createOpts).map(([r, o]) => rq.create(r, o)) },
    { weight: 5, arbitrary: fc.tuple(room, fc.constantFrom(0, 0, 2)).map(([r, h]) => rq.join(r, h)) },
    { weight: 8, arbitrary: fc.tuple(room, createOpts, fc.constantFrom(0, 1)).map(([r, o, h]) => rq.enter(r, { ...o, history: h })) },
    { weight: 5, arbitrary: fc.tuple(room, room, fc.boolean(), createOpts).map(([a, b, c, o]) => rq.switch(a, b, c, o)) },
    { weight: 3, arbitrary: room.map((r) => rq.leave(r)) },
    { weight: 1, arbitrary: fc.constant(rq.leaveAll()) },
    { weight: 3, arbitrary: fc.tuple(room, attrMap(p), flags).map(([r, a, f]) => rq.setAttrs(r, a, f)) },
    { weight: 2, arbitrary: fc.tuple(room, fc.subarray(p.keys, { minLength: 1 }), fc.boolean()).map(([r, k, f]) => rq.deleteAttrs(r, k, f)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(room, fc.array(fc.oneof(fc.tuple(attrMap(p), flags).map(([a, f]) => op.set(a, f)), fc.tuple(fc.subarray(p.keys, { minLength: 1 }), fc.boolean()).map(([k, f]) => op.del(k, f))), { maxLength: 3 }))
        .map(([r, ops]) => rq.batch(r, ops)),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(room, fc.subarray(p.users, { minLength: 1 }), attrMap(p), fc.option(fc.boolean(), { nil: undefined }))
        .map(([r, u, a, f]) => rq.setMemberAttrs(r, u, a, f)),
    },
    { weight: 3, arbitrary: fc.tuple(room, fc.constantFrom("hi", "hello", "")).map(([r, t]) => rq.send(r, t, { priority: RoomMessagePriority.HIGH })) },
    { weight: 1, arbitrary: room.map((r) => rq.send(r, new Uint8Array([0xff]), { kind: RoomMessageKind.CUSTOM })) },
    { weight: 1, arbitrary: fc.tuple(room, fc.constantFrom(1, 3)).map(([r, c]) => rq.history(r, c)) },
    { weight: 5, arbitrary: fc.tuple(room, fc.constantFrom("", LAST_TOKEN), fc.constantFrom(0, 1, 1, 2)).map(([r, t, c]) => rq.memberList(r, t, c)) },
    { weight: 2, arbitrary: fc.tuple(room, fc.constantFrom("", LAST_TOKEN), fc.constantFrom(0, 1)).map(([r, t, c]) => rq.memberAttrsList(r, t, c)) },
    { weight: 1, arbitrary: fc.tuple(room, fc.subarray(p.users, { minLength: 1 })).map(([r, u]) => rq.members(r, u)) },
    { weight: 1, arbitrary: fc.tuple(room, fc.subarray(p.users, { minLength: 1 })).map(([r, u]) => rq.queryMemberAttrs(r, u)) },
    { weight: 1, arbitrary: room.map((r) => rq.count(r)) },
    { weight: 1, arbitrary: room.map((r) => rq.queryAttrs(r)) },
    { weight: 1, arbitrary: fc.constant(rq.ping()) },
    { weight: 1, arbitrary: fc.constantFrom(1000, 5000, 40000).map((ms) => rq.advanceClock(ms)) },
  );
}

/** A random action; the driver skips those that make no sense in the current state (see applicable). */
export function arbAction(p: Pools): fc.Arbitrary<Action> {
  const session = fc.constantFrom(...p.sessions);
  const mine = fc.option(fc.nat({ max: 7 }), { nil: undefined, freq: 3 });
  return fc.oneof(
    {
      weight: 40,
      arbitrary: fc.tuple(session, arbRequest(p), mine).map(([s, r, m]): Action => (m === undefined ? { kind: "request", session: s, request: r } : { kind: "request", session: s, request: r, mine: m })),
    },
    { weight: 1, arbitrary: fc.tuple(session, fc.constantFrom(...p.users)).map(([s, u]): Action => ({ kind: "request", session: s, request: rq.login(u) })) },
    { weight: 2, arbitrary: session.map((s): Action => ({ kind: "connect", session: s })) },
    { weight: 1, arbitrary: session.map((s): Action => ({ kind: "disconnect", session: s })) },
    { weight: 2, arbitrary: fc.constantFrom(1000, 6000, 31000).map((ms): Action => ({ kind: "wait", ms })) },
  );
}

/** Renders an action for failure messages. */
export function describeAction(a: Action): string {
  switch (a.kind) {
    case "request":
      return `${a.session}: ${a.request.case}(${compact(a.request.value)})${a.mine === undefined ? "" : ` [room: mine #${a.mine}]`}`;
    case "connect":
      return `${a.session}: connect`;
    case "disconnect":
      return `${a.session}: disconnect`;
    case "wait":
      return `wait ${a.ms} ms`;
  }
}

/**
 * Applies an action to a World if it makes sense now (requests and
 * disconnects need an open session, connect needs a closed one) and returns
 * the outcome taken (the first allowed one), or undefined when skipped.
 */
export function applyAction(w: World, a: Action): Outcome | undefined {
  switch (a.kind) {
    case "connect":
      if (w.state.sessions.has(a.session)) return undefined;
      w.state = connect(w.state, a.session, "binary");
      return undefined;
    case "disconnect":
      return w.state.sessions.has(a.session) ? w.close(a.session) : undefined;
    case "wait":
      w.nowMs += a.ms;
      return undefined;
    case "request": {
      if (!w.state.sessions.has(a.session)) return undefined;
      const outcomes = w.all(a.session, resolve(w.state, a).request);
      return w.take(outcomes[0]!);
    }
  }
}

/** Request fields without protobuf-es bookkeeping and default values, for traces. */
function compact(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (key === "$typeName") return undefined;
    if (typeof v === "bigint") return String(v);
    if (v instanceof Uint8Array) return `bytes(${[...v].join(",")})`;
    if (key !== "" && (v === "" || v === 0 || v === false)) return undefined;
    return v;
  });
}

/**
 * Makes a request action concrete against the state it meets. With `mine`:
 * a join or enter aims at an existing room, a switch leaves one of the
 * session's rooms, any other room request names one of the session's rooms
 * (when there is such a room). LAST_TOKEN becomes the latest token the model
 * issued for the request's room ("" if none).
 */
export function resolve(state: ModelState, a: Extract<Action, { kind: "request" }>): Extract<Action, { kind: "request" }> {
  let request = a.request;
  const own = state.sessions.get(a.session)?.rooms ?? [];
  const existing = [...state.rooms.keys()];
  const m = a.mine;
  if (m !== undefined) {
    const v = request.value as Record<string, unknown> | undefined;
    if (request.case === "enterRoom" && existing.length > 0 && request.value.roomInfo) {
      const roomInfo = { ...request.value.roomInfo, roomId: existing[m % existing.length]! };
      request = { case: "enterRoom", value: { ...request.value, roomInfo } };
    } else if (request.case === "joinRoom" && existing.length > 0) {
      request = { case: "joinRoom", value: { ...request.value, roomId: existing[m % existing.length]! } };
    } else if (v && own.length > 0 && "fromRoomId" in v) {
      request = { ...request, value: { ...v, fromRoomId: own[m % own.length]! } } as Request;
    } else if (v && own.length > 0 && "roomId" in v) {
      request = { ...request, value: { ...v, roomId: own[m % own.length]! } } as Request;
    }
  }
  const v = request.value as Record<string, unknown> | undefined;
  if (v && v.nextToken === LAST_TOKEN) {
    // The latest token of this list for the request's room; with `mine`, for any of the session's rooms.
    const list = request.case === "queryRoomMemberList" ? "members" : "memberAttributes";
    let latest: { token: string; roomId: unknown } = { token: "", roomId: v.roomId };
    for (const [token, cursor] of state.tokens) {
      if (cursor.list !== list) continue;
      if (cursor.roomId === v.roomId || (m !== undefined && own.includes(cursor.roomId))) latest = { token, roomId: cursor.roomId };
    }
    request = { ...request, value: { ...v, roomId: latest.roomId, nextToken: latest.token } } as Request;
  }
  return request === a.request ? a : { ...a, request };
}
