// Protocol-level unit tests of the client core against a scripted fake
// socket: what it sends, how it matches replies, maps errors, dispatches
// events, times out, closes and reconnects. Behaviour against a real server is
// in client.integration.test.ts.
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import {
  ConnectionState,
  ConnectionStateReason,
  ErrorCode,
  RoomMessageKind,
  RoomState,
  RoomStateReason,
  SUBPROTOCOLS,
  type ConnectionStateChangedEvent,
  type Encoding,
  type LoginResponse,
  type RoomAttributesBatchUpdatedEvent,
  type RoomAttributesUpdatedEvent,
  type RoomMemberAttributesUpdatedEvent,
  type RoomMemberJoinedEvent,
  type RoomMemberLeftEvent,
  type RoomMessageReceivedEvent,
  type RoomStateChangedEvent,
} from "../../protocol/index.js";
import { OpenRoomClient, type OpenRoomClientOptions } from "./client.js";
import { isOpenRoomError, OpenRoomConnectionError, OpenRoomError, OpenRoomProtocolError, OpenRoomTimeoutError } from "./errors.js";
import { EVENT_KINDS, type EventKind, type EventMap, type KnownEvent } from "./events.js";
import { FakeSocket } from "./testing/fake-socket.js";

function makeClient(options: OpenRoomClientOptions = {}) {
  return new OpenRoomClient({ url: "ws://fake", WebSocket: FakeSocket, ...options });
}

async function openClient(options: OpenRoomClientOptions = {}) {
  const client = makeClient(options);
  const connected = client.connect();
  const socket = FakeSocket.latest();
  socket.open();
  await connected;
  return { client, socket, enc: client.encoding };
}

/** Plays the server's Login reply for the last frame sent. */
function replyLogin(socket: FakeSocket, enc: Encoding, serverName = "fake") {
  const id = socket.lastFrame(enc).requestId;
  socket.deliver({ frame: { case: "reply", value: { requestId: id, result: { case: "login", value: { serverInfo: { protocolVersion: "openroom.v1", serverName } } } } } }, enc);
}

/** Lets pending promise callbacks run (real timers). */
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  FakeSocket.made.length = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe("connecting", () => {
  it.each(["binary", "json"] as const)("offers exactly the %s subprotocol and reads binary data as ArrayBuffer", async (encoding) => {
    const { client, socket } = await openClient({ encoding });
    expect(socket.protocols).toEqual([SUBPROTOCOLS[encoding]]);
    expect(socket.url).toBe("ws://fake");
    expect(socket.binaryType).toBe("arraybuffer");
    expect(client.state).toBe("open");
  });

  it("refuses a server that selects another subprotocol", async () => {
    const client = makeClient();
    const connected = client.connect();
    FakeSocket.latest().open("chat");
    await expect(connected).rejects.toBeInstanceOf(OpenRoomConnectionError);
    await expect(connected).rejects.toThrow(/subprotocol "chat"/);
    expect(FakeSocket.latest().closeCalls).toHaveLength(1);
    expect(client.state).toBe("closed");
  });

  it("rejects connect() when the handshake fails, without calling onClose", async () => {
    const client = makeClient();
    const onClose = vi.fn();
    client.onClose(onClose);
    const connected = client.connect();
    FakeSocket.latest().end(1006);
    const error = await connected.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenRoomConnectionError);
    expect((error as OpenRoomConnectionError).closeCode).toBe(1006);
    expect(onClose).not.toHaveBeenCalled();
  });

  it("times out a handshake that never completes", async () => {
    vi.useFakeTimers();
    const client = makeClient({ connectTimeoutMs: 500 });
    const connected = client.connect();
    const assertion = expect(connected).rejects.toMatchObject({ name: "OpenRoomTimeoutError", requestKind: "connect", timeoutMs: 500 });
    await vi.advanceTimersByTimeAsync(500);
    await assertion;
    expect(FakeSocket.latest().closeCalls).toHaveLength(1);
  });

  it("returns the same promise while connecting and resolves at once when open", async () => {
    const client = makeClient();
    const a = client.connect();
    expect(client.connect()).toBe(a);
    FakeSocket.latest().open();
    await a;
    await client.connect();
    expect(FakeSocket.made).toHaveLength(1);
  });

  it("connect() during a close waits for it and opens a new connection", async () => {
    const { client, socket } = await openClient();
    void client.close();
    const reopened = client.connect();
    expect(FakeSocket.made).toHaveLength(1);
    socket.end(1000);
    await vi.waitFor(() => expect(FakeSocket.made).toHaveLength(2));
    FakeSocket.latest().open();
    await reopened;
    expect(client.state).toBe("open");
  });

  it("rejects requests before connect() and after close", async () => {
    const client = makeClient();
    await expect(client.ping()).rejects.toMatchObject({ name: "OpenRoomConnectionError", requestKind: "ping" });
    const { client: open, socket } = await openClient();
    socket.end(1001, "bye");
    const error = await open.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenRoomConnectionError);
    expect(error).toMatchObject({ closeCode: 1001, closeReason: "bye" });
  });
});

describe("requests and replies", () => {
  it("allocates request IDs 1, 2, 3 … and sends the request fields", async () => {
    const { client, socket, enc } = await openClient();
    void client.login({ userId: "alice", userName: "Alice", token: "t" });
    void client.joinRoom("r1");
    void client.joinRoom({ roomId: "r2", historyCount: 3 });
    const frames = socket.frames(enc);
    expect(frames.map((f) => f.requestId)).toEqual([1, 2, 3]);
    expect(frames[0]!.request).toMatchObject({ case: "login", value: { userId: "alice", userName: "Alice", token: "t" } });
    expect(frames[1]!.request).toMatchObject({ case: "joinRoom", value: { roomId: "r1", historyCount: 0 } });
    expect(frames[2]!.request).toMatchObject({ case: "joinRoom", value: { roomId: "r2", historyCount: 3 } });
  });

  it("resolves with the generated response and records the session", async () => {
    const { client, socket, enc } = await openClient();
    const login = client.login({ userId: "alice", token: "t" });
    expect(client.userId).toBeUndefined();
    replyLogin(socket, enc, "srv");
    const response = await login;
    expectTypeOf(response).toEqualTypeOf<LoginResponse>();
    expect(response.serverInfo?.serverName).toBe("srv");
    expect(client.serverInfo?.serverName).toBe("srv");
    expect(client.userId).toBe("alice");
  });

  it("matches replies by request ID, whatever order they come in", async () => {
    const { client, socket, enc } = await openClient();
    const a = client.leaveRoom("a");
    const b = client.leaveRoom("b");
    socket.deliver({ frame: { case: "reply", value: { requestId: 2, result: { case: "leaveRoom", value: { roomId: "b" } } } } }, enc);
    socket.deliver({ frame: { case: "reply", value: { requestId: 1, result: { case: "leaveRoom", value: { roomId: "a" } } } } }, enc);
    expect((await a).roomId).toBe("a");
    expect((await b).roomId).toBe("b");
  });

  it("rejects with OpenRoomError carrying the code, detail, request kind and ID", async () => {
    const { client, socket, enc } = await openClient();
    void client.ping();
    const create = client.createRoom({ roomInfo: { roomId: "r" } });
    socket.deliver(
      {
        frame: {
          case: "reply",
          value: {
            requestId: 2,
            result: {
              case: "error",
              value: { code: ErrorCode.ROOM_ALREADY_EXISTS, message: "room r exists", detail: { roomId: "r", field: "room_info.room_id" } },
            },
          },
        },
      },
      enc,
    );
    const error = await create.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenRoomError);
    expect(error).toBeInstanceOf(Error);
    const e = error as OpenRoomError;
    expect(e.code).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
    expect(e.codeName).toBe("ROOM_ALREADY_EXISTS");
    expect(e.requestKind).toBe("createRoom");
    expect(e.requestId).toBe(2);
    expect(e.serverMessage).toBe("room r exists");
    expect(e.detail?.roomId).toBe("r");
    expect(e.detail?.field).toBe("room_info.room_id");
    expect(e.message).toBe("createRoom failed: ROOM_ALREADY_EXISTS (room r exists)");
    expect(isOpenRoomError(e, ErrorCode.ROOM_ALREADY_EXISTS)).toBe(true);
    expect(isOpenRoomError(e, ErrorCode.ROOM_NOT_FOUND)).toBe(false);
    expect(isOpenRoomError(new Error("x"))).toBe(false);
  });

  it("rejects a reply of the wrong kind with OpenRoomProtocolError", async () => {
    const { client, socket, enc } = await openClient();
    const p = client.leaveRoom("a");
    socket.deliver({ frame: { case: "reply", value: { requestId: 1, result: { case: "ping", value: {} } } } }, enc);
    await expect(p).rejects.toBeInstanceOf(OpenRoomProtocolError);
    await expect(p).rejects.toThrow("leaveRoom got a reply of kind ping");
  });

  it("reports a reply to no outstanding request and an undecodable frame, and keeps working", async () => {
    const { client, socket, enc } = await openClient();
    const errors: OpenRoomProtocolError[] = [];
    client.onProtocolError((e) => errors.push(e));
    socket.deliver({ frame: { case: "reply", value: { requestId: 42, result: { case: "ping", value: {} } } } }, enc);
    socket.deliverRaw(new Uint8Array([0xff, 0xff, 0xff]).buffer);
    socket.deliverRaw("text on the binary subprotocol");
    expect(errors.map((e) => e.message)).toEqual([
      "reply to request 42, which is not outstanding",
      expect.stringMatching(/^undecodable server frame: invalid protobuf/),
      expect.stringMatching(/^undecodable server frame: text frame on the binary subprotocol/),
    ]);
    const ping = client.ping();
    socket.deliver({ frame: { case: "reply", value: { requestId: 1, result: { case: "ping", value: {} } } } }, enc);
    await expect(ping).resolves.toBeDefined();
  });

  it("accepts binary data as any ArrayBuffer view (ws Buffers)", async () => {
    const { client, socket, enc } = await openClient();
    const ping = client.ping();
    const bytes = new Uint8Array(16);
    // A view at a non-zero offset, as Node Buffers from a pool are.
    const reply = new Uint8Array([0x0a, 0x04, 0x08, 0x01, 0x62, 0x00]); // ServerFrame{reply{request_id 1, ping{}}}
    bytes.set(reply, 5);
    socket.deliverRaw(bytes.subarray(5, 5 + reply.length));
    await expect(ping).resolves.toBeDefined();
    expect(enc).toBe("binary");
  });

  it("speaks canonical protobuf JSON in text frames with encoding json", async () => {
    const { client, socket, enc } = await openClient({ encoding: "json" });
    const p = client.sendRoomMessage({ roomId: "r", payload: "hé" });
    expect(typeof socket.sent[0]).toBe("string");
    expect(JSON.parse(socket.sent[0] as string)).toEqual({
      requestId: 1,
      sendRoomMessage: { roomId: "r", kind: "ROOM_MESSAGE_KIND_TEXT", payload: Buffer.from("hé").toString("base64") },
    });
    socket.deliverRaw(
      JSON.stringify({
        reply: {
          requestId: 1,
          sendRoomMessage: { message: { messageId: "m1", roomId: "r", senderUserId: "a", kind: "ROOM_MESSAGE_KIND_TEXT", timestampMs: "1700000000000", roomSeq: "7" } },
        },
      }),
    );
    const reply = await p;
    expect(reply.message?.roomSeq).toBe(7n);
    expect(reply.message?.timestampMs).toBe(1_700_000_000_000n);
    expect(enc).toBe("json");
  });

  it("shapes sendRoomMessage: text → TEXT + UTF-8, bytes → CUSTOM, explicit kind kept", async () => {
    const { client, socket, enc } = await openClient();
    void client.sendRoomMessage({ roomId: "r", payload: "hé" });
    void client.sendRoomMessage({ roomId: "r", payload: new Uint8Array([1, 2]) });
    void client.sendRoomMessage({ roomId: "r", payload: "raw", kind: RoomMessageKind.CUSTOM });
    void client.sendRoomMessage({ roomId: "r" });
    const sent = socket.frames(enc).map((f) => (f.request.case === "sendRoomMessage" ? f.request.value : undefined));
    expect(sent[0]).toMatchObject({ kind: RoomMessageKind.TEXT, payload: new TextEncoder().encode("hé") });
    expect(sent[1]).toMatchObject({ kind: RoomMessageKind.CUSTOM, payload: new Uint8Array([1, 2]) });
    expect(sent[2]).toMatchObject({ kind: RoomMessageKind.CUSTOM, payload: new TextEncoder().encode("raw") });
    expect(sent[3]).toMatchObject({ kind: RoomMessageKind.CUSTOM, payload: new Uint8Array(0) });
  });

  it("sends every named method as its own request kind", async () => {
    const { client, socket, enc } = await openClient();
    const calls: [string, () => Promise<unknown>][] = [
      ["login", () => client.login({ userId: "u", token: "t" })],
      ["ping", () => client.ping()],
      ["advanceClock", () => client.advanceClock(5)],
      ["createRoom", () => client.createRoom({ roomInfo: { roomId: "r" } })],
      ["joinRoom", () => client.joinRoom("r")],
      ["enterRoom", () => client.enterRoom({ roomInfo: { roomId: "r" } })],
      ["switchRoom", () => client.switchRoom({ fromRoomId: "r", toRoomInfo: { roomId: "s" } })],
      ["leaveRoom", () => client.leaveRoom("r")],
      ["leaveAllRooms", () => client.leaveAllRooms()],
      ["queryRoomMemberList", () => client.queryRoomMemberList("r")],
      ["queryRoomMembers", () => client.queryRoomMembers({ roomId: "r", userIds: ["u"] })],
      ["queryRoomOnlineMemberCount", () => client.queryRoomOnlineMemberCount("r")],
      ["setRoomAttributes", () => client.setRoomAttributes({ roomId: "r", attributes: { k: "v" } })],
      ["deleteRoomAttributes", () => client.deleteRoomAttributes({ roomId: "r", keys: ["k"] })],
      ["queryRoomAllAttributes", () => client.queryRoomAllAttributes("r")],
      ["batchRoomAttributes", () => client.beginRoomAttributesBatchOperation("r").setRoomAttributes({ attributes: { k: "v" } }).commit()],
      ["setRoomMembersAttributes", () => client.setRoomMembersAttributes({ roomId: "r", userIds: ["u"], attributes: { k: "v" } })],
      ["queryRoomMembersAttributes", () => client.queryRoomMembersAttributes({ roomId: "r", userIds: ["u"] })],
      ["queryRoomMemberAttributesList", () => client.queryRoomMemberAttributesList("r")],
      ["sendRoomMessage", () => client.sendRoomMessage({ roomId: "r", payload: "x" })],
      ["queryRoomMessageHistory", () => client.queryRoomMessageHistory({ roomId: "r", count: 1 })],
      ["logout", () => client.logout()],
    ];
    for (const [, call] of calls) void call().catch(() => {});
    expect(socket.frames(enc).map((f) => f.request.case)).toEqual(calls.map(([kind]) => kind));
    expect(socket.frames(enc).find((f) => f.request.case === "advanceClock")?.request.value).toMatchObject({ advanceMs: 5 });
  });
});

describe("timeouts", () => {
  it("rejects with OpenRoomTimeoutError after requestTimeoutMs and drops the late reply silently", async () => {
    vi.useFakeTimers();
    const { client, socket, enc } = await openClient({ requestTimeoutMs: 1000 });
    const errors: unknown[] = [];
    client.onProtocolError((e) => errors.push(e));
    const p = client.leaveRoom("r");
    const assertion = expect(p).rejects.toMatchObject({ name: "OpenRoomTimeoutError", requestKind: "leaveRoom", requestId: 1, timeoutMs: 1000 });
    await vi.advanceTimersByTimeAsync(999);
    let settled = false;
    void p.catch(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await assertion;
    await expect(p).rejects.toBeInstanceOf(OpenRoomTimeoutError);
    socket.deliver({ frame: { case: "reply", value: { requestId: 1, result: { case: "leaveRoom", value: { roomId: "r" } } } } }, enc);
    expect(errors).toEqual([]);
  });

  it("takes a per-request timeout; 0 waits forever", async () => {
    vi.useFakeTimers();
    const { client, socket, enc } = await openClient({ requestTimeoutMs: 1000 });
    const short = client.ping({ timeoutMs: 10 });
    const forever = client.ping({ timeoutMs: 0 });
    const assertion = expect(short).rejects.toMatchObject({ timeoutMs: 10 });
    await vi.advanceTimersByTimeAsync(60_000);
    await assertion;
    socket.deliver({ frame: { case: "reply", value: { requestId: 2, result: { case: "ping", value: {} } } } }, enc);
    await expect(forever).resolves.toBeDefined();
  });
});

describe("close", () => {
  it("rejects outstanding requests with the close code and calls onClose once", async () => {
    const { client, socket } = await openClient();
    const closes: unknown[][] = [];
    client.onClose((...args) => closes.push(args));
    const a = client.joinRoom("r");
    const b = client.ping();
    socket.end(4001, "kicked");
    for (const p of [a, b]) {
      const e = await p.catch((x: unknown) => x);
      expect(e).toBeInstanceOf(OpenRoomConnectionError);
      expect(e).toMatchObject({ closeCode: 4001, closeReason: "kicked" });
    }
    expect(await a.catch((e: OpenRoomConnectionError) => [e.requestKind, e.requestId])).toEqual(["joinRoom", 1]);
    socket.end(4001, "again");
    expect(closes).toEqual([[4001, "kicked", { initiatedByClient: false }]]);
    expect(client.state).toBe("closed");
    expect(client.userId).toBeUndefined();
  });

  it("close() sends a close frame, resolves on the close event and says the client initiated it", async () => {
    const { client, socket } = await openClient();
    const closes: unknown[][] = [];
    client.onClose((...args) => closes.push(args));
    const closed = client.close(4000, "done");
    expect(socket.closeCalls).toEqual([{ code: 4000, reason: "done" }]);
    expect(client.state).toBe("closing");
    await expect(client.ping()).rejects.toBeInstanceOf(OpenRoomConnectionError);
    socket.end(4000, "done");
    await closed;
    expect(closes).toEqual([[4000, "done", { initiatedByClient: true }]]);
  });

  it("treats a close handshake that never finishes as a drop after closeTimeoutMs", async () => {
    vi.useFakeTimers();
    const { client } = await openClient({ closeTimeoutMs: 300 });
    const closes: unknown[][] = [];
    client.onClose((...args) => closes.push(args));
    const closed = client.close();
    await vi.advanceTimersByTimeAsync(300);
    await closed;
    expect(closes).toEqual([[1006, "close timed out", { initiatedByClient: true }]]);
  });

  it("counts the server's close after a Logout reply as initiated by the client, even if it comes first", async () => {
    const { client, socket, enc } = await openClient();
    const closes: unknown[][] = [];
    client.onClose((...args) => closes.push(args));
    const logout = client.logout();
    // Reply and close in one task, before the client's continuation can run.
    socket.deliver({ frame: { case: "reply", value: { requestId: 1, result: { case: "logout", value: {} } } } }, enc);
    socket.end(1000);
    await logout;
    expect(closes).toEqual([[1000, "", { initiatedByClient: true }]]);
  });

  it("logout resolves once closed and forgets the credentials", async () => {
    const { client, socket, enc } = await openClient();
    const login = client.login({ userId: "u", token: "t" });
    replyLogin(socket, enc);
    await login;
    const logout = client.logout();
    socket.deliver({ frame: { case: "reply", value: { requestId: 2, result: { case: "logout", value: { roomIds: ["a"] } } } } }, enc);
    await tick();
    expect(socket.closeCalls).toEqual([{ code: 1000, reason: "logout" }]);
    socket.end(1000);
    expect((await logout).roomIds).toEqual(["a"]);
    expect(client.serverInfo).toBeUndefined();
    // No credentials: reconnect opens a socket and does not log in.
    const again = client.reconnect();
    await vi.waitFor(() => expect(FakeSocket.made).toHaveLength(2));
    FakeSocket.latest().open();
    await expect(again).resolves.toBeUndefined();
    expect(FakeSocket.latest().sent).toEqual([]);
  });
});

describe("reconnect", () => {
  async function loggedIn() {
    const opened = await openClient();
    const login = opened.client.login({ userId: "alice", userName: "Alice", token: "t1" });
    replyLogin(opened.socket, opened.enc);
    await login;
    return opened;
  }

  it("closes the old socket, opens a new one and logs in again with the last credentials, re-entering no room", async () => {
    const { client, socket: old, enc } = await loggedIn();
    const closes: unknown[][] = [];
    const reconnects: unknown[] = [];
    client.onClose((...args) => closes.push(args));
    client.onReconnect((info) => reconnects.push(info));
    const outstanding = client.joinRoom("r");
    const done = client.reconnect();
    expect(old.closeCalls).toEqual([{ code: 1000, reason: "reconnect" }]);
    old.end(1000, "reconnect");
    await expect(outstanding).rejects.toBeInstanceOf(OpenRoomConnectionError);
    await vi.waitFor(() => expect(FakeSocket.made).toHaveLength(2));
    const fresh = FakeSocket.latest();
    fresh.open();
    await vi.waitFor(() => expect(fresh.sent).toHaveLength(1));
    const frame = fresh.lastFrame(enc);
    expect(frame.request).toMatchObject({ case: "login", value: { userId: "alice", userName: "Alice", token: "t1" } });
    replyLogin(fresh, enc, "second");
    const login = await done;
    expect(login?.serverInfo?.serverName).toBe("second");
    expect(reconnects).toEqual([{ login }]);
    expect(closes).toEqual([[1000, "reconnect", { initiatedByClient: true }]]);
    expect(fresh.sent).toHaveLength(1);
    // Events of the replaced socket are ignored.
    const seen = vi.fn();
    client.on("event", seen);
    old.deliver({ frame: { case: "event", value: { event: { case: "roomStateChanged", value: { roomId: "x" } } } } }, enc);
    expect(seen).not.toHaveBeenCalled();
  });

  it("uses a fresh token when given one, and skips login with login: false", async () => {
    const { client, socket, enc } = await loggedIn();
    socket.end(1006);
    const withToken = client.reconnect({ token: "t2" });
    await vi.waitFor(() => expect(FakeSocket.made).toHaveLength(2));
    FakeSocket.latest().open();
    await vi.waitFor(() => expect(FakeSocket.latest().sent).toHaveLength(1));
    expect(FakeSocket.latest().lastFrame(enc).request.value).toMatchObject({ token: "t2" });
    replyLogin(FakeSocket.latest(), enc);
    await withToken;
    const noLogin = client.reconnect({ login: false });
    FakeSocket.made.at(-1)!.end(1000);
    await vi.waitFor(() => expect(FakeSocket.made).toHaveLength(3));
    FakeSocket.latest().open();
    await expect(noLogin).resolves.toBeUndefined();
    expect(FakeSocket.latest().sent).toEqual([]);
    // The last successful login (token t2) is what the next reconnect uses.
    const again = client.reconnect();
    FakeSocket.made.at(-1)!.end(1000);
    await vi.waitFor(() => expect(FakeSocket.made).toHaveLength(4));
    FakeSocket.latest().open();
    await vi.waitFor(() => expect(FakeSocket.latest().sent).toHaveLength(1));
    expect(FakeSocket.latest().lastFrame(enc).request.value).toMatchObject({ token: "t2" });
    replyLogin(FakeSocket.latest(), enc);
    await again;
  });

  it("rejects when the new login fails and leaves the connection open", async () => {
    const { client, socket, enc } = await loggedIn();
    socket.end(1006);
    const done = client.reconnect();
    await vi.waitFor(() => expect(FakeSocket.made).toHaveLength(2));
    const fresh = FakeSocket.latest();
    fresh.open();
    await vi.waitFor(() => expect(fresh.sent).toHaveLength(1));
    fresh.deliver({ frame: { case: "reply", value: { requestId: fresh.lastFrame(enc).requestId, result: { case: "error", value: { code: ErrorCode.TOKEN_EXPIRED } } } } }, enc);
    await expect(done).rejects.toMatchObject({ name: "OpenRoomError", code: ErrorCode.TOKEN_EXPIRED, requestKind: "login" });
    expect(client.state).toBe("open");
    expect(client.userId).toBeUndefined();
  });

  it("shares one reconnect between concurrent callers", async () => {
    const { client, socket } = await openClient();
    socket.end(1006);
    const a = client.reconnect({ login: false });
    const b = client.reconnect({ login: false });
    expect(b).toBe(a);
    await vi.waitFor(() => expect(FakeSocket.made).toHaveLength(2));
    FakeSocket.latest().open();
    await a;
  });
});

describe("events", () => {
  it("dispatches each kind to its typed listeners and every event to 'event' listeners", async () => {
    const { client, socket, enc } = await openClient();
    const kinds: string[] = [];
    const all: KnownEvent[] = [];
    const unsubscribers = EVENT_KINDS.map((kind) => client.on(kind, () => kinds.push(kind)));
    client.on("event", (e) => all.push(e));
    for (const kind of EVENT_KINDS) {
      socket.deliver({ frame: { case: "event", value: { event: { case: kind, value: { roomId: "r" } } } as never } }, enc);
    }
    expect(kinds).toEqual([...EVENT_KINDS]);
    expect(all.map((e) => e.case)).toEqual([...EVENT_KINDS]);
    unsubscribers.forEach((u) => u());
    socket.deliver({ frame: { case: "event", value: { event: { case: "roomMemberLeft", value: { roomId: "r" } } } } }, enc);
    expect(kinds).toHaveLength(EVENT_KINDS.length);
    expect(all).toHaveLength(EVENT_KINDS.length + 1);
  });

  it("gives listeners the generated event values", async () => {
    const { client, socket, enc } = await openClient();
    const states: RoomStateChangedEvent[] = [];
    client.on("roomStateChanged", (e) => {
      expectTypeOf(e).toEqualTypeOf<RoomStateChangedEvent>();
      states.push(e);
    });
    client.on("connectionStateChanged", (e) => expectTypeOf(e).toEqualTypeOf<ConnectionStateChangedEvent>());
    client.on("roomMemberJoined", (e) => expectTypeOf(e).toEqualTypeOf<RoomMemberJoinedEvent>());
    client.on("roomMemberLeft", (e) => expectTypeOf(e).toEqualTypeOf<RoomMemberLeftEvent>());
    client.on("roomAttributesUpdated", (e) => expectTypeOf(e).toEqualTypeOf<RoomAttributesUpdatedEvent>());
    client.on("roomAttributesBatchUpdated", (e) => expectTypeOf(e).toEqualTypeOf<RoomAttributesBatchUpdatedEvent>());
    client.on("roomMemberAttributesUpdated", (e) => expectTypeOf(e).toEqualTypeOf<RoomMemberAttributesUpdatedEvent>());
    client.on("roomMessageReceived", (e) => expectTypeOf(e).toEqualTypeOf<RoomMessageReceivedEvent>());
    client.on("event", (e) => {
      if (e.case === "roomMessageReceived") expectTypeOf(e.value).toEqualTypeOf<RoomMessageReceivedEvent>();
    });
    expectTypeOf<EventKind>().toEqualTypeOf<(typeof EVENT_KINDS)[number]>();
    expectTypeOf<EventMap["roomStateChanged"]>().toEqualTypeOf<RoomStateChangedEvent>();
    socket.deliver(
      { frame: { case: "event", value: { event: { case: "roomStateChanged", value: { roomId: "r", state: RoomState.CONNECTED, reason: RoomStateReason.SUCCESS } } } } },
      enc,
    );
    expect(states).toMatchObject([{ roomId: "r", state: RoomState.CONNECTED, reason: RoomStateReason.SUCCESS }]);
  });

  it("delivers a request's events before its promise settles", async () => {
    const { client, socket, enc } = await openClient();
    const order: string[] = [];
    client.on("roomStateChanged", (e) => order.push(`event ${RoomState[e.state]}`));
    const created = client.createRoom({ roomInfo: { roomId: "r" } }).then(() => order.push("reply"));
    for (const state of [RoomState.CONNECTING, RoomState.CONNECTED]) {
      socket.deliver({ frame: { case: "event", value: { event: { case: "roomStateChanged", value: { roomId: "r", state } } } } }, enc);
    }
    socket.deliver({ frame: { case: "reply", value: { requestId: 1, result: { case: "createRoom", value: { room: { baseInfo: { roomId: "r" } } } } } } }, enc);
    await created;
    expect(order).toEqual(["event CONNECTING", "event CONNECTED", "reply"]);
  });

  it("ignores an event kind this client does not know", async () => {
    const { client, socket } = await openClient();
    const all = vi.fn();
    const errors = vi.fn();
    client.on("event", all);
    client.onProtocolError(errors);
    // ServerFrame{event{field 99: varint 1}}: an event kind from a later version.
    socket.deliverRaw(new Uint8Array([0x12, 0x03, 0x98, 0x06, 0x01]).buffer);
    expect(all).not.toHaveBeenCalled();
    expect(errors).not.toHaveBeenCalled();
  });

  it("delivers the connection state event a kicked session gets before its close", async () => {
    const { client, socket, enc } = await openClient();
    const seen: string[] = [];
    client.on("connectionStateChanged", (e) => seen.push(`${ConnectionState[e.state]} ${ConnectionStateReason[e.reason]}`));
    client.onClose((code) => seen.push(`close ${code}`));
    socket.deliver(
      { frame: { case: "event", value: { event: { case: "connectionStateChanged", value: { state: ConnectionState.DISCONNECTED, reason: ConnectionStateReason.KICKED_OUT } } } } },
      enc,
    );
    socket.end(4001);
    expect(seen).toEqual(["DISCONNECTED KICKED_OUT", "close 4001"]);
  });
});
