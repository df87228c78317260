// Random operation sequences for the model-based property: every request
// kind of the protocol plus connection-level actions (disconnect, logout,
// a second login that kicks the first), by a few users over a small pool of
// rooms — small enough that collisions, full caps, empty rooms, destroy
// delays and switches happen constantly.
import fc from "fast-check";
import { Feature, type Limits } from "../../protocol/index.js";
import type { RequestInput } from "../harness/index.js";
import type { Lockstep } from "./lockstep.js";
import { renderRequest } from "./render.js";
import { create } from "@bufbuild/protobuf";
import { ClientFrameSchema } from "../../protocol/index.js";

/** The system under test as the commands see it: the lockstep and which connection speaks for each user. */
export interface Real {
  ls: Lockstep;
  /** Connection key currently logged in for user i. */
  current: string[];
  /** How many connections user i has had (for fresh keys). */
  generation: number[];
  /** Operations performed (for throughput figures). */
  operations: number;
}

export interface Pools {
  users: number;
  rooms: string[];
  limits: Limits;
  history: boolean;
}

/** Opens and logs in one connection per user. */
export async function setupReal(ls: Lockstep, users: number): Promise<Real> {
  const real: Real = { ls, current: [], generation: [], operations: 0 };
  for (let i = 0; i < users; i++) {
    real.current.push(`u${i}`);
    real.generation.push(1);
  }
  await ls.loginAll(real.current);
  return real;
}

/** Maps the labels in generated operations to this run's IDs. */
export interface Ids {
  room(label: string): string;
  user(label: string): string;
}

type Build = (ids: Ids) => RequestInput;

const identity: Ids = { room: (l) => l, user: (l) => l };

type Op =
  | { kind: "request"; user: number; build: Build }
  | { kind: "disconnect"; user: number }
  | { kind: "logout"; user: number }
  | { kind: "kick"; user: number };

class OperationCommand implements fc.AsyncCommand<object, Real> {
  constructor(private readonly op: Op) {}
  check(): boolean {
    return true;
  }
  async run(_model: object, real: Real): Promise<void> {
    const { ls } = real;
    const op = this.op;
    const key = real.current[op.user]!;
    const userId = ls.user(`u${op.user}`);
    real.operations++;
    const fresh = () => `u${op.user}#${++real.generation[op.user]!}`;
    switch (op.kind) {
      case "request":
        await ls.request(key, op.build(ls));
        return;
      case "disconnect": {
        const next = fresh();
        real.current[op.user] = next;
        await ls.reconnect(key, next, { userId });
        return;
      }
      case "logout": {
        await ls.request(key, { case: "logout", value: {} });
        const next = fresh();
        real.current[op.user] = next;
        await ls.login(next, { userId });
        return;
      }
      case "kick": {
        const next = fresh();
        real.current[op.user] = next;
        await ls.login(next, { userId });
        return;
      }
    }
  }
  toString(): string {
    const op = this.op;
    if (op.kind !== "request") return `u${op.user}: ${op.kind}`;
    return `u${op.user}: ${renderRequest(create(ClientFrameSchema, { request: op.build(identity) }).request, (s) => s)}`;
  }
}

/** The arbitrary of one operation over the pools. */
export function operationArb(p: Pools): fc.Arbitrary<Op> {
  const user = fc.integer({ min: 0, max: p.users - 1 });
  const room = fc.constantFrom(...p.rooms);
  const name = fc.constantFrom("", "Lobby", "Stage");
  // Destroy delays: at once, or the longest allowed — never a short one, so a
  // test-clock advance by another suite cannot change the outcome.
  const delay = fc.constantFrom(0, p.limits.maxRoomDestroyDelaySeconds);
  const key = fc.constantFrom("a", "b", "c");
  const value = fc.constantFrom("1", "2", "xyz");
  const attrs = fc.dictionary(key, value, { minKeys: 1, maxKeys: 3, noNullPrototype: true });
  const config = fc.record({ roomAttributes: fc.oneof(fc.constant({}), attrs), roomDestroyDelaySeconds: delay });
  const history = p.history ? fc.constantFrom(0, 0, 2) : fc.constant(0);
  const mKey = fc.constantFrom("x", "y");
  // Generated requests hold labels ("r1", user indexes); each run maps them to its own IDs.
  const req = (r: fc.Arbitrary<Build>) => fc.record({ kind: fc.constant("request" as const), user, build: r });
  const userIds = fc.uniqueArray(user, { minLength: 1, maxLength: 3 });
  const ids = (xs: number[]) => (m: Ids) => xs.map((i) => m.user(`u${i}`));
  const text = new TextEncoder();
  return fc.oneof(
    { weight: 4, arbitrary: req(fc.tuple(room, name, config).map(([r, roomName, c]) => (m: Ids) => ({ case: "createRoom" as const, value: { roomInfo: { roomId: m.room(r), roomName }, config: c } }))) },
    { weight: 4, arbitrary: req(fc.tuple(room, history).map(([r, historyCount]) => (m: Ids) => ({ case: "joinRoom" as const, value: { roomId: m.room(r), historyCount } }))) },
    { weight: 6, arbitrary: req(fc.tuple(room, name, config, history).map(([r, roomName, c, historyCount]) => (m: Ids) => ({ case: "enterRoom" as const, value: { roomInfo: { roomId: m.room(r), roomName }, config: c, historyCount } }))) },
    {
      weight: 5,
      arbitrary: req(
        fc.tuple(room, room, name, fc.boolean(), config).map(([from, to, roomName, createIfAbsent, c]) => (m: Ids) => ({
          case: "switchRoom" as const,
          value: { fromRoomId: m.room(from), toRoomInfo: { roomId: m.room(to), roomName }, createIfAbsent, config: c },
        })),
      ),
    },
    { weight: 4, arbitrary: req(room.map((r) => (m: Ids) => ({ case: "leaveRoom" as const, value: { roomId: m.room(r) } }))) },
    { weight: 1, arbitrary: req(fc.constant(() => ({ case: "leaveAllRooms" as const, value: {} }))) },
    { weight: 1, arbitrary: req(fc.tuple(room, fc.integer({ min: 0, max: 3 })).map(([r, count]) => (m: Ids) => ({ case: "queryRoomMemberList" as const, value: { roomId: m.room(r), count } }))) },
    { weight: 1, arbitrary: req(fc.tuple(room, userIds).map(([r, us]) => (m: Ids) => ({ case: "queryRoomMembers" as const, value: { roomId: m.room(r), userIds: ids(us)(m) } }))) },
    { weight: 1, arbitrary: req(room.map((r) => (m: Ids) => ({ case: "queryRoomOnlineMemberCount" as const, value: { roomId: m.room(r) } }))) },
    {
      weight: 3,
      arbitrary: req(
        fc.tuple(room, attrs, fc.boolean(), fc.boolean(), fc.boolean()).map(([r, attributes, isForce, isUpdateOwner, isDeleteAfterOwnerLeft]) => (m: Ids) => ({
          case: "setRoomAttributes" as const,
          value: { roomId: m.room(r), attributes, isForce, isUpdateOwner, isDeleteAfterOwnerLeft },
        })),
      ),
    },
    { weight: 2, arbitrary: req(fc.tuple(room, fc.uniqueArray(key, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([r, keys, isForce]) => (m: Ids) => ({ case: "deleteRoomAttributes" as const, value: { roomId: m.room(r), keys, isForce } }))) },
    { weight: 1, arbitrary: req(room.map((r) => (m: Ids) => ({ case: "queryRoomAllAttributes" as const, value: { roomId: m.room(r) } }))) },
    {
      weight: 2,
      arbitrary: req(
        fc
          .tuple(
            room,
            fc.array(
              fc.oneof(
                fc.record({ attributes: attrs, isForce: fc.boolean(), isUpdateOwner: fc.boolean(), isDeleteAfterOwnerLeft: fc.boolean() }).map((set) => ({ operation: { case: "set" as const, value: set } })),
                fc.record({ keys: fc.uniqueArray(key, { minLength: 1, maxLength: 2 }), isForce: fc.boolean() }).map((del) => ({ operation: { case: "delete" as const, value: del } })),
              ),
              { minLength: 1, maxLength: 3 },
            ),
          )
          .map(([r, operations]) => (m: Ids) => ({ case: "batchRoomAttributes" as const, value: { roomId: m.room(r), operations } })),
      ),
    },
    {
      weight: 2,
      arbitrary: req(
        fc.tuple(room, userIds, fc.dictionary(mKey, value, { minKeys: 1, maxKeys: 2, noNullPrototype: true }), fc.option(fc.boolean(), { nil: undefined })).map(([r, us, attributes, del]) => (m: Ids) => ({
          case: "setRoomMembersAttributes" as const,
          value: { roomId: m.room(r), userIds: ids(us)(m), attributes, ...(del === undefined ? {} : { isDeleteAfterOwnerLeft: del }) },
        })),
      ),
    },
    { weight: 1, arbitrary: req(fc.tuple(room, userIds).map(([r, us]) => (m: Ids) => ({ case: "queryRoomMembersAttributes" as const, value: { roomId: m.room(r), userIds: ids(us)(m) } }))) },
    { weight: 1, arbitrary: req(fc.tuple(room, fc.integer({ min: 0, max: 3 })).map(([r, count]) => (m: Ids) => ({ case: "queryRoomMemberAttributesList" as const, value: { roomId: m.room(r), count } }))) },
    { weight: 3, arbitrary: req(fc.tuple(room, fc.constantFrom("hi", "hello")).map(([r, t]) => (m: Ids) => ({ case: "sendRoomMessage" as const, value: { roomId: m.room(r), kind: 1, payload: text.encode(t) } }))) },
    ...(p.history ? [{ weight: 1, arbitrary: req(fc.tuple(room, fc.integer({ min: 1, max: 3 })).map(([r, count]) => (m: Ids) => ({ case: "queryRoomMessageHistory" as const, value: { roomId: m.room(r), count } }))) }] : []),
    { weight: 1, arbitrary: req(fc.constant(() => ({ case: "ping" as const, value: {} }))) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("disconnect" as const), user }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("logout" as const), user }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("kick" as const), user }) },
  );
}

/** Commands for fc.commands / fc.asyncModelRun. */
export function commandsArb(p: Pools, maxCommands: number) {
  return fc.commands([operationArb(p).map((op) => new OperationCommand(op))], { maxCommands, size: "max" });
}

/** The pools for a server: enough rooms that the per-user cap is reached. */
export function poolsFor(limits: Limits, features: readonly Feature[], users: number): Pools {
  const roomCount = Math.min(Math.max(limits.maxRoomsPerUser + 2, 3), 8);
  return { users, rooms: Array.from({ length: roomCount }, (_, i) => `r${i}`), limits, history: features.includes(Feature.MESSAGE_HISTORY) };
}
