// Helpers for the model's own tests (and usable by suites): small limits,
// request builders, a World that drives the model step by step, and a
// compact rendering of events so tests read like the spec's tables.
import { create } from "@bufbuild/protobuf";
import {
  AdvanceClockRequestSchema,
  BatchRoomAttributesRequestSchema,
  CreateRoomRequestSchema,
  DeleteRoomAttributesOperationSchema,
  DeleteRoomAttributesRequestSchema,
  EnterRoomRequestSchema,
  ErrorCode,
  Feature,
  JoinRoomRequestSchema,
  LeaveAllRoomsRequestSchema,
  LeaveRoomRequestSchema,
  LimitsSchema,
  LoginRequestSchema,
  LogoutRequestSchema,
  PingRequestSchema,
  QueryRoomAllAttributesRequestSchema,
  QueryRoomMemberAttributesListRequestSchema,
  QueryRoomMemberListRequestSchema,
  QueryRoomMembersAttributesRequestSchema,
  QueryRoomMembersRequestSchema,
  QueryRoomMessageHistoryRequestSchema,
  QueryRoomOnlineMemberCountRequestSchema,
  RateLimitSchema,
  RoomAttributesOperationSchema,
  RoomAttributesUpdateAction,
  RoomConfigSchema,
  RoomInfoSchema,
  RoomMessageKind,
  RoomMessagePriority,
  RoomState,
  RoomStateReason,
  SendRoomMessageRequestSchema,
  SetRoomAttributesOperationSchema,
  SetRoomAttributesRequestSchema,
  SetRoomMembersAttributesRequestSchema,
  SwitchRoomRequestSchema,
  ConnectionState,
  ConnectionStateReason,
  type Event,
  type Limits,
  type Reply,
  type RoomAttributesOperation,
  type RoomAttributesUpdateInfo,
} from "../../protocol/index.js";
import type { Outcome } from "./draft.js";
import { checkInvariants } from "./invariants.js";
import { initialState, type ModelConfig, type ModelState, type SessionKey } from "./state.js";
import { connect, disconnect, step, type Request, type StepContext } from "./step.js";

/** Small limits, so every bound is easy to reach in a test. */
export function smallLimits(overrides: Partial<Omit<Limits, "$typeName">> = {}): Limits {
  return create(LimitsSchema, {
    maxFrameBytes: 65536,
    maxRoomsPerUser: 3,
    maxRoomsPerServer: 0,
    maxMembersPerRoom: 0,
    maxUserIdBytes: 16,
    maxUserNameBytes: 16,
    maxRoomIdBytes: 16,
    maxRoomNameBytes: 16,
    maxRoomDestroyDelaySeconds: 100,
    maxRoomAttributes: 4,
    maxRoomAttributeKeyBytes: 4,
    maxRoomAttributeValueBytes: 8,
    maxRoomAttributesTotalBytes: 24,
    maxMemberAttributeUsers: 2,
    maxMemberAttributesPerUser: 3,
    maxMemberAttributeKeyBytes: 4,
    maxMemberAttributeValueBytes: 8,
    maxMemberAttributesTotalBytes: 16,
    maxMessagePayloadBytes: 16,
    maxPageSize: 3,
    maxQueryUserIds: 4,
    maxHistoryCount: 3,
    requestRate: create(RateLimitSchema, { maxCount: 0, windowMs: 1000 }),
    messageRate: create(RateLimitSchema, { maxCount: 0, windowMs: 1000 }),
    ...overrides,
  });
}

export function testConfig(overrides: Partial<Omit<Limits, "$typeName">> = {}, features: Feature[] = [Feature.MESSAGE_HISTORY]): ModelConfig {
  const limits = smallLimits(features.includes(Feature.MESSAGE_HISTORY) ? overrides : { maxHistoryCount: 0, ...overrides });
  return { limits, features };
}

// ---- Request builders ----------------------------------------------------------

export interface CreateOptions {
  name?: string;
  delay?: number;
  attrs?: Record<string, string>;
}

function roomInfo(roomId: string, name = "") {
  return create(RoomInfoSchema, { roomId, roomName: name });
}

function roomConfig(o: CreateOptions) {
  return create(RoomConfigSchema, { roomDestroyDelaySeconds: o.delay ?? 0, roomAttributes: o.attrs ?? {} });
}

export const rq = {
  login: (userId: string, userName = `${userId}-name`): Request => ({ case: "login", value: create(LoginRequestSchema, { userId, userName, token: "t" }) }),
  logout: (): Request => ({ case: "logout", value: create(LogoutRequestSchema) }),
  ping: (): Request => ({ case: "ping", value: create(PingRequestSchema) }),
  advanceClock: (advanceMs: number): Request => ({ case: "advanceClock", value: create(AdvanceClockRequestSchema, { advanceMs }) }),
  create: (roomId: string, o: CreateOptions = {}): Request => ({
    case: "createRoom",
    value: create(CreateRoomRequestSchema, { roomInfo: roomInfo(roomId, o.name ?? `${roomId}-name`), config: roomConfig(o) }),
  }),
  join: (roomId: string, historyCount = 0): Request => ({ case: "joinRoom", value: create(JoinRoomRequestSchema, { roomId, historyCount }) }),
  enter: (roomId: string, o: CreateOptions & { history?: number } = {}): Request => ({
    case: "enterRoom",
    value: create(EnterRoomRequestSchema, {
      roomInfo: roomInfo(roomId, o.name ?? `${roomId}-name`),
      config: roomConfig(o),
      historyCount: o.history ?? 0,
    }),
  }),
  switch: (from: string, to: string, createIfAbsent = false, o: CreateOptions = {}): Request => ({
    case: "switchRoom",
    value: create(SwitchRoomRequestSchema, {
      fromRoomId: from,
      toRoomInfo: roomInfo(to, o.name ?? `${to}-name`),
      createIfAbsent,
      config: roomConfig(o),
    }),
  }),
  leave: (roomId: string): Request => ({ case: "leaveRoom", value: create(LeaveRoomRequestSchema, { roomId }) }),
  leaveAll: (): Request => ({ case: "leaveAllRooms", value: create(LeaveAllRoomsRequestSchema) }),
  memberList: (roomId: string, nextToken = "", count = 0): Request => ({
    case: "queryRoomMemberList",
    value: create(QueryRoomMemberListRequestSchema, { roomId, nextToken, count }),
  }),
  members: (roomId: string, userIds: string[]): Request => ({ case: "queryRoomMembers", value: create(QueryRoomMembersRequestSchema, { roomId, userIds }) }),
  count: (roomId: string): Request => ({ case: "queryRoomOnlineMemberCount", value: create(QueryRoomOnlineMemberCountRequestSchema, { roomId }) }),
  setAttrs: (roomId: string, attributes: Record<string, string>, o: { force?: boolean; updateOwner?: boolean; deleteAfter?: boolean } = {}): Request => ({
    case: "setRoomAttributes",
    value: create(SetRoomAttributesRequestSchema, {
      roomId,
      attributes,
      isForce: o.force ?? false,
      isUpdateOwner: o.updateOwner ?? false,
      isDeleteAfterOwnerLeft: o.deleteAfter ?? false,
    }),
  }),
  deleteAttrs: (roomId: string, keys: string[], force = false): Request => ({
    case: "deleteRoomAttributes",
    value: create(DeleteRoomAttributesRequestSchema, { roomId, keys, isForce: force }),
  }),
  queryAttrs: (roomId: string): Request => ({ case: "queryRoomAllAttributes", value: create(QueryRoomAllAttributesRequestSchema, { roomId }) }),
  batch: (roomId: string, operations: RoomAttributesOperation[]): Request => ({
    case: "batchRoomAttributes",
    value: create(BatchRoomAttributesRequestSchema, { roomId, operations }),
  }),
  setMemberAttrs: (roomId: string, userIds: string[], attributes: Record<string, string>, deleteAfterLeft?: boolean): Request => ({
    case: "setRoomMembersAttributes",
    value: create(SetRoomMembersAttributesRequestSchema, {
      roomId,
      userIds,
      attributes,
      ...(deleteAfterLeft === undefined ? {} : { isDeleteAfterOwnerLeft: deleteAfterLeft }),
    }),
  }),
  queryMemberAttrs: (roomId: string, userIds: string[]): Request => ({
    case: "queryRoomMembersAttributes",
    value: create(QueryRoomMembersAttributesRequestSchema, { roomId, userIds }),
  }),
  memberAttrsList: (roomId: string, nextToken = "", count = 0): Request => ({
    case: "queryRoomMemberAttributesList",
    value: create(QueryRoomMemberAttributesListRequestSchema, { roomId, nextToken, count }),
  }),
  send: (roomId: string, text: string | Uint8Array, o: { kind?: RoomMessageKind; priority?: RoomMessagePriority } = {}): Request => ({
    case: "sendRoomMessage",
    value: create(SendRoomMessageRequestSchema, {
      roomId,
      kind: o.kind ?? RoomMessageKind.TEXT,
      payload: typeof text === "string" ? new TextEncoder().encode(text) : text,
      priority: o.priority ?? RoomMessagePriority.UNSPECIFIED,
    }),
  }),
  history: (roomId: string, count: number): Request => ({
    case: "queryRoomMessageHistory",
    value: create(QueryRoomMessageHistoryRequestSchema, { roomId, count }),
  }),
};

export const op = {
  set: (attributes: Record<string, string>, o: { force?: boolean; updateOwner?: boolean; deleteAfter?: boolean } = {}): RoomAttributesOperation =>
    create(RoomAttributesOperationSchema, {
      operation: {
        case: "set",
        value: create(SetRoomAttributesOperationSchema, {
          attributes,
          isForce: o.force ?? false,
          isUpdateOwner: o.updateOwner ?? false,
          isDeleteAfterOwnerLeft: o.deleteAfter ?? false,
        }),
      },
    }),
  del: (keys: string[], force = false): RoomAttributesOperation =>
    create(RoomAttributesOperationSchema, { operation: { case: "delete", value: create(DeleteRoomAttributesOperationSchema, { keys, isForce: force }) } }),
  none: (): RoomAttributesOperation => create(RoomAttributesOperationSchema, {}),
};

// ---- Rendering -------------------------------------------------------------------

const stateName = (s: RoomState) => RoomState[s];
const reasonName = (r: RoomStateReason) => RoomStateReason[r];

function attrs(map: { [k: string]: string }): string {
  return `{${Object.keys(map)
    .sort()
    .map((k) => `${k}:${map[k]}`)
    .join(",")}}`;
}

function info(i: RoomAttributesUpdateInfo | undefined): string {
  return `${i ? RoomAttributesUpdateAction[i.action] : "?"} ${attrs(i?.attributes ?? {})}`;
}

/** One line per event, close to the spec's shorthand: `(r1, CONNECTED, SUCCESS)`, `r1#2 joined u2`, … */
export function show(e: Event): string {
  const v = e.event;
  switch (v.case) {
    case "connectionStateChanged":
      return `conn ${ConnectionState[v.value.state]} ${ConnectionStateReason[v.value.reason]}`;
    case "roomStateChanged":
      return `(${v.value.roomId}, ${stateName(v.value.state)}, ${reasonName(v.value.reason)})`;
    case "roomMemberJoined":
      return `${v.value.roomId}#${v.value.roomSeq} joined ${v.value.members.map((m) => m.userId).join(",")}`;
    case "roomMemberLeft":
      return `${v.value.roomId}#${v.value.roomSeq} left ${v.value.members.map((m) => m.userId).join(",")}`;
    case "roomAttributesUpdated":
      return `${v.value.roomId}#${v.value.roomSeq} attrs ${info(v.value.info)} by ${v.value.operatorUserId || "-"}`;
    case "roomAttributesBatchUpdated":
      return `${v.value.roomId}#${v.value.roomSeq} batch [${v.value.infos.map(info).join("; ")}] by ${v.value.operatorUserId}`;
    case "roomMemberAttributesUpdated":
      return `${v.value.roomId}#${v.value.roomSeq} mattrs [${v.value.infos.map((i) => `${i.userId}${attrs(i.attributes)}`).join("; ")}] by ${v.value.operatorUserId}`;
    case "roomMessageReceived":
      return `${v.value.roomId}#${v.value.roomSeq} msg from ${v.value.message?.senderUserId} "${new TextDecoder().decode(v.value.message?.payload)}"`;
    default:
      return "(empty event)";
  }
}

// ---- A world driven step by step ------------------------------------------------

/** The error code and field of an error reply ("ok" for a success). */
export function errorOf(reply: Reply | undefined): string {
  if (reply === undefined) return "(no reply)";
  if (reply.result.case !== "error") return "ok";
  const e = reply.result.value;
  const field = e.detail?.field ? `(${e.detail.field})` : "";
  return `${ErrorCode[e.code]}${field}`;
}

export class World {
  state: ModelState;
  nowMs = 1_000;
  last!: Outcome;

  constructor(config: ModelConfig = testConfig()) {
    this.state = initialState(config);
  }

  /** Opens a session and logs it in as `user` (default: the session key). */
  open(session: SessionKey, user = session): this {
    this.state = connect(this.state, session, "binary");
    const r = this.do(session, rq.login(user));
    if (errorOf(r.reply) !== "ok") throw new Error(`login of ${user} failed: ${errorOf(r.reply)}`);
    return this;
  }

  /** Runs one request; expects exactly one allowed outcome and takes it. Checks the invariants. */
  do(session: SessionKey, request: Request, ctx: Partial<StepContext> = {}): Outcome {
    const outcomes = this.all(session, request, ctx);
    if (outcomes.length !== 1) throw new Error(`expected one outcome, got ${outcomes.length}`);
    return this.take(outcomes[0]!);
  }

  /** Every allowed outcome, without taking one. */
  all(session: SessionKey, request: Request, ctx: Partial<StepContext> = {}): Outcome[] {
    return step(this.state, session, request, { nowMs: this.nowMs, ...ctx });
  }

  take(outcome: Outcome): Outcome {
    const problems = checkInvariants(outcome.state);
    if (problems.length > 0) throw new Error(`invariants broken:\n${problems.join("\n")}`);
    this.state = outcome.state;
    this.last = outcome;
    return outcome;
  }

  /** Runs a request that must succeed. */
  ok(session: SessionKey, request: Request, ctx: Partial<StepContext> = {}): Outcome {
    const o = this.do(session, request, ctx);
    if (errorOf(o.reply) !== "ok") throw new Error(`${request.case} by ${session} failed: ${errorOf(o.reply)}`);
    return o;
  }

  close(session: SessionKey): Outcome {
    return this.take(disconnect(this.state, session, this.nowMs));
  }

  /** Rendered events of `session` in the last outcome. */
  events(session: SessionKey, outcome: Outcome = this.last): string[] {
    return (outcome.events.get(session) ?? []).map(show);
  }

  /** Sessions that received anything in the last outcome. */
  recipients(outcome: Outcome = this.last): string[] {
    return [...outcome.events.keys()].filter((k) => (outcome.events.get(k) ?? []).length > 0).sort();
  }
}

/** The success value of a reply of a given case (throws otherwise). */
type ResultCase = NonNullable<Reply["result"]["case"]>;
type ResultValue<C extends ResultCase> = Extract<Reply["result"], { case: C }>["value"];

export function result<C extends ResultCase>(reply: Reply | undefined, c: C): ResultValue<C> {
  const r = reply?.result;
  if (r?.case !== c) throw new Error(`expected ${c}, got ${errorOf(reply)} / ${r?.case}`);
  return r.value as unknown as ResultValue<C>;
}
