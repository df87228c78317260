// Compact, readable renderings of requests, replies and events for minimal
// traces: `alice: switchRoom(r1 → r2, create) → ok created`. IDs are shown
// without the run prefix so traces read the same in every run.
import { create, toJson } from "@bufbuild/protobuf";
import {
  ClientFrameSchema,
  ErrorCode,
  EventSchema,
  RoomState,
  RoomStateReason,
  type ClientFrame,
  type Event,
  type Reply,
} from "../../protocol/index.js";

export type Unprefix = (s: string) => string;

export function unprefixer(prefix: string): Unprefix {
  const p = `${prefix}.`;
  return (s) => s.split(p).join("");
}

const q = (s: string) => (/^[\w.:@~-]*$/.test(s) && s !== "" ? s : JSON.stringify(s));

/** `createRoom(r1 "Room", delay 0, attrs {a})` — the arguments that matter, briefly. */
export function renderRequest(request: ClientFrame["request"], u: Unprefix): string {
  const r = request;
  const attrs = (m: Record<string, string>) => `{${Object.entries(m).map(([k, v]) => `${q(k)}=${q(v)}`).join(", ")}}`;
  const cfg = (c?: { roomAttributes: Record<string, string>; roomDestroyDelaySeconds: number }) =>
    c ? `${c.roomDestroyDelaySeconds ? `, delay ${c.roomDestroyDelaySeconds}s` : ""}${Object.keys(c.roomAttributes).length ? `, attrs ${attrs(c.roomAttributes)}` : ""}` : "";
  switch (r.case) {
    case undefined:
      return "(empty request)";
    case "login":
      return `login(${q(u(r.value.userId))})`;
    case "createRoom":
      return `createRoom(${q(u(r.value.roomInfo?.roomId ?? ""))} ${JSON.stringify(r.value.roomInfo?.roomName ?? "")}${cfg(r.value.config)})`;
    case "joinRoom":
      return `joinRoom(${q(u(r.value.roomId))}${r.value.historyCount ? `, history ${r.value.historyCount}` : ""})`;
    case "enterRoom":
      return `enterRoom(${q(u(r.value.roomInfo?.roomId ?? ""))} ${JSON.stringify(r.value.roomInfo?.roomName ?? "")}${cfg(r.value.config)})`;
    case "switchRoom":
      return `switchRoom(${q(u(r.value.fromRoomId))} → ${q(u(r.value.toRoomInfo?.roomId ?? ""))}${r.value.createIfAbsent ? ", create" : ""}${cfg(r.value.config)})`;
    case "leaveRoom":
      return `leaveRoom(${q(u(r.value.roomId))})`;
    case "setRoomAttributes":
      return `setRoomAttributes(${q(u(r.value.roomId))}, ${attrs(r.value.attributes)}${r.value.isForce ? ", force" : ""}${r.value.isUpdateOwner ? ", update-owner" : ""}${r.value.isDeleteAfterOwnerLeft ? ", delete-after-owner-left" : ""})`;
    case "deleteRoomAttributes":
      return `deleteRoomAttributes(${q(u(r.value.roomId))}, [${r.value.keys.map(q).join(", ")}]${r.value.isForce ? ", force" : ""})`;
    case "sendRoomMessage":
      return `sendRoomMessage(${q(u(r.value.roomId))}, ${r.value.payload.length} bytes)`;
    default: {
      const frame = toJson(ClientFrameSchema, create(ClientFrameSchema, { request: r })) as Record<string, unknown>;
      const json = JSON.stringify(Object.values(frame)[0] ?? {});
      const args = json === "{}" ? "" : u(json.length > 120 ? `${json.slice(0, 117)}…` : json);
      return `${r.case}(${args})`;
    }
  }
}

/** `ok created`, `error ROOM_NOT_FOUND`. */
export function renderReply(reply: Reply | undefined): string {
  if (reply === undefined) return "(no reply)";
  const r = reply.result;
  if (r.case === "error") return `error ${ErrorCode[r.value.code] ?? r.value.code}${r.value.detail?.field ? `(${r.value.detail.field})` : ""}`;
  if (r.case === "enterRoom" || r.case === "switchRoom") return `ok${r.value.created ? " created" : ""}`;
  return r.case === undefined ? "(empty reply)" : "ok";
}

/** One line per event: `roomStateChanged r1 CONNECTING ACTIVE_SWITCH`. */
export function renderEvent(event: Event, u: Unprefix): string {
  const e = event.event;
  switch (e.case) {
    case "roomStateChanged":
      return `roomStateChanged ${u(e.value.roomId)} ${RoomState[e.value.state]} ${RoomStateReason[e.value.reason]}`;
    case "roomMemberJoined":
    case "roomMemberLeft":
      return `${e.case} ${u(e.value.roomId)} #${e.value.roomSeq} [${e.value.members.map((m) => u(m.userId)).join(", ")}]`;
    default:
      return u(JSON.stringify(toJson(EventSchema, event)));
  }
}
