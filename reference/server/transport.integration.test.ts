// The wire edge over real sockets: handshake, framing, close codes, bad
// input (each case checks the exact outcome AND that a bystander session on
// the same server keeps working), ordering and visibility, kicks, logout,
// shutdown, slow consumers and keep-alive.
import { create, toBinary } from "@bufbuild/protobuf";
import { request as httpRequest } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ClientFrameSchema, ErrorCode, SUBPROTOCOLS, type Encoding, type RoomMessageKind } from "../../protocol/index.js";
import { summarize } from "./core-test-support.js";
import { startTestServer, WireClient, type RequestInit, type TestServer } from "./test-support.js";

const encodings: Encoding[] = ["binary", "json"];

/** A logged-in member of room "lobby" whose session must survive every bad input of the test. */
async function bystander(t: TestServer): Promise<() => Promise<void>> {
  const b = await t.user(`bystander-${Math.random().toString(36).slice(2)}`);
  const roomId = `lobby-${Math.random().toString(36).slice(2)}`;
  await b.ok("createRoom", { roomInfo: { roomId } });
  return async () => {
    expect((await b.ok("queryRoomOnlineMemberCount", { roomId })).count).toBe(1);
    await b.ping();
  };
}

describe("handshake", () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await t.close();
  });

  const refusal = (protocols: string[] | undefined) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(t.server.url, protocols);
      ws.on("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on("open", () => reject(new Error("handshake accepted")));
      ws.on("error", () => {});
    });

  it("refuses a handshake offering no OpenRoom subprotocol with HTTP 400 naming both", async () => {
    const check = await bystander(t);
    for (const protocols of [undefined, ["chat"], ["openroom.v2", "mqtt"]]) {
      const r = await refusal(protocols);
      expect(r.status).toBe(400);
      expect(r.body).toContain(SUBPROTOCOLS.binary);
      expect(r.body).toContain(SUBPROTOCOLS.json);
    }
    await check();
  });

  it("picks the first OpenRoom subprotocol in the client's order", async () => {
    const a = await t.connect("json", [SUBPROTOCOLS.json, SUBPROTOCOLS.binary]);
    expect(a.ws.protocol).toBe(SUBPROTOCOLS.json);
    await a.ping();
    const b = await t.connect("binary", ["chat", SUBPROTOCOLS.binary, SUBPROTOCOLS.json]);
    expect(b.ws.protocol).toBe(SUBPROTOCOLS.binary);
    await b.ping();
  });

  it("answers plain HTTP with 426 naming the subprotocols", async () => {
    const url = new URL(t.server.url.replace("ws:", "http:"));
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: "/" }, (r) => {
        let body = "";
        r.on("data", (d: Buffer) => (body += d.toString()));
        r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(res.status).toBe(426);
    expect(res.body).toContain(SUBPROTOCOLS.json);
  });
});

describe.each(encodings)("bad input (%s)", (encoding) => {
  let t: TestServer;
  let check: () => Promise<void>;
  beforeEach(async () => {
    t = await startTestServer({ limits: { maxFrameBytes: 4096 } });
    check = await bystander(t);
  });
  afterEach(async () => {
    await t.close();
  });

  it("a frame larger than max_frame_bytes closes with 1009", async () => {
    const c = await t.connect(encoding);
    const big = encoding === "binary" ? new Uint8Array(5000) : JSON.stringify({ requestId: 1, ping: {}, pad: "x".repeat(5000) });
    c.sendRaw(big);
    expect((await c.closed).code).toBe(1009);
    await check();
  });

  it("a frame exactly at max_frame_bytes is read", async () => {
    const c = await t.connect(encoding);
    if (encoding === "binary") {
      // request_id 1, ping {}, then unknown field 100 (bytes) padding to exactly 4096 bytes.
      const head = toBinary(ClientFrameSchema, create(ClientFrameSchema, { requestId: 1, request: { case: "ping", value: {} } }));
      const padLen = 4096 - head.length - 4; // 2 tag bytes + 2 length bytes
      const pad = new Uint8Array([0xa2, 0x06, 0x80 | (padLen & 0x7f), padLen >> 7]);
      const frame = Buffer.concat([head, pad, Buffer.alloc(padLen)]);
      expect(frame.length).toBe(4096);
      const reply = c.awaitReply(1);
      c.sendRaw(frame);
      expect((await reply).result.case).toBe("ping");
    } else {
      const base = JSON.stringify({ requestId: 1, ping: {}, pad: "" });
      const frame = JSON.stringify({ requestId: 1, ping: {}, pad: "x".repeat(4096 - base.length) });
      expect(Buffer.byteLength(frame)).toBe(4096);
      const reply = c.awaitReply(1);
      c.sendRaw(frame);
      expect((await reply).result.case).toBe("ping");
    }
    await check();
  });

  it("the wrong frame type closes with 1003", async () => {
    const c = await t.user("wrongtype", encoding);
    c.sendRaw(encoding === "binary" ? JSON.stringify({ requestId: 1, ping: {} }) : new Uint8Array([8, 1, 0x62, 0]));
    expect((await c.closed).code).toBe(1003);
    await check();
  });

  it("an undecodable frame with a readable request ID gets MALFORMED_FRAME and the connection stays open", async () => {
    const c = await t.connect(encoding);
    const reply = c.awaitReply(77);
    // binary: request_id 77, then field 10 (login) claiming 100 bytes that are not there.
    c.sendRaw(encoding === "binary" ? new Uint8Array([0x08, 77, 0x52, 100, 1, 2]) : JSON.stringify({ requestId: 77, login: "not an object" }));
    const r = await reply;
    expect(r.requestId).toBe(77);
    expect(r.result.case === "error" && ErrorCode[r.result.value.code]).toBe("MALFORMED_FRAME");
    await c.ping();
    await check();
  });

  it("a string that is not UTF-8 (binary) or two requests in one frame (JSON) is MALFORMED_FRAME", async () => {
    const c = await t.connect(encoding);
    const reply = c.awaitReply(12);
    // binary: request_id 12, login { user_id: 0xff 0xfe }; JSON: ping and logout at once.
    c.sendRaw(encoding === "binary" ? new Uint8Array([0x08, 12, 0x52, 4, 0x0a, 2, 0xff, 0xfe]) : JSON.stringify({ requestId: 12, ping: {}, logout: {} }));
    const r = await reply;
    expect(r.result.case === "error" && ErrorCode[r.result.value.code]).toBe("MALFORMED_FRAME");
    await c.ping();
    await check();
  });

  it("an undecodable frame without a readable request ID closes with 1007", async () => {
    const c = await t.connect(encoding);
    c.sendRaw(encoding === "binary" ? new Uint8Array([0xff, 0xff, 0xff]) : "{not json");
    expect((await c.closed).code).toBe(1007);
    await check();
  });

  if (encoding === "json") {
    it("JSON that is not an object, or has a bad field type, is handled like any undecodable frame", async () => {
      const c = await t.user("json-shapes", encoding);
      const typeError = c.awaitReply(5);
      c.sendRaw(JSON.stringify({ requestId: 5, joinRoom: { roomId: 42 } }));
      const e = await typeError;
      expect(e.result.case === "error" && ErrorCode[e.result.value.code]).toBe("MALFORMED_FRAME");
      // An unknown enum name is ignored like an unknown field: the kind is then UNSPECIFIED.
      const enumName = c.awaitReply(6);
      c.sendRaw(JSON.stringify({ requestId: 6, sendRoomMessage: { roomId: "r", kind: "ROOM_MESSAGE_KIND_BOGUS" } }));
      const k = await enumName;
      expect(k.result.case === "error" && [ErrorCode[k.result.value.code], k.result.value.detail?.field]).toEqual(["INVALID_ARGUMENT", "kind"]);
      c.sendRaw("[1,2,3]");
      expect((await c.closed).code).toBe(1007);
      await check();
    });

    it("accepts proto field names and ignores unknown fields", async () => {
      const c = await t.connect(encoding);
      const r = c.awaitReply(3);
      c.sendRaw(JSON.stringify({ request_id: 3, ping: {}, someFutureField: { x: 1 } }));
      expect((await r).result.case).toBe("ping");
    });
  } else {
    it("invalid UTF-8 in a text frame is refused by the WebSocket layer with 1007", async () => {
      const c = await t.connect("json");
      // A raw text frame carrying invalid UTF-8 (ws validates text frames).
      (c.ws as unknown as { _sender: { sendFrame: (f: Buffer[], cb?: () => void) => void } })._sender.sendFrame([
        Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]),
      ]);
      expect((await c.closed).code).toBe(1007);
      await check();
    });
  }

  it("an unknown request kind gets UNSUPPORTED_REQUEST", async () => {
    const c = await t.connect(encoding);
    const reply = c.awaitReply(9);
    // Field 99 is not a request of v1 (a later version's request).
    c.sendRaw(encoding === "binary" ? new Uint8Array([0x08, 9, 0x9a, 0x06, 0]) : JSON.stringify({ requestId: 9, someFutureRequest: {} }));
    const r = await reply;
    expect(r.result.case === "error" && ErrorCode[r.result.value.code]).toBe("UNSUPPORTED_REQUEST");
    await check();
  });

  it("request_id 0 gets INVALID_ARGUMENT on request_id with reply ID 0", async () => {
    const c = await t.connect(encoding);
    const r = await c.request({ case: "ping", value: {} }, 0);
    expect(r.requestId).toBe(0);
    expect(r.result.case === "error" && [ErrorCode[r.result.value.code], r.result.value.detail?.field]).toEqual(["INVALID_ARGUMENT", "request_id"]);
    await check();
  });

  it("requests before login get UNAUTHENTICATED; Ping works", async () => {
    const c = await t.connect(encoding);
    await c.ping();
    const requests: RequestInit[] = [
      { case: "joinRoom", value: { roomId: "lobby" } },
      { case: "logout", value: {} },
      { case: "sendRoomMessage", value: { roomId: "x", kind: 1 } },
    ];
    for (const req of requests) {
      const r = await c.request(req);
      expect(r.result.case === "error" && ErrorCode[r.result.value.code]).toBe("UNAUTHENTICATED");
    }
    await check();
  });

  it("wrong field values get INVALID_ARGUMENT naming the field", async () => {
    const c = await t.user("fields", encoding);
    const field = async (p: ReturnType<typeof c.fails>) => {
      const e = await p;
      return `${ErrorCode[e.code]}:${e.detail?.field}`;
    };
    expect(await field(c.fails("createRoom", { roomInfo: { roomId: "has space" } }))).toBe("INVALID_ARGUMENT:room_info.room_id");
    expect(await field(c.fails("joinRoom", { roomId: "x".repeat(129) }))).toBe("INVALID_ARGUMENT:room_id");
    expect(await field(c.fails("sendRoomMessage", { roomId: "r", kind: 7 as RoomMessageKind }))).toBe("INVALID_ARGUMENT:kind");
    expect(await field(c.fails("queryRoomMemberList", { roomId: "r", count: 101 }))).toBe("INVALID_ARGUMENT:count");
    expect(await field(c.fails("queryRoomMemberList", { roomId: "r", nextToken: "forged" }))).toBe("INVALID_ARGUMENT:next_token");
    await check();
  });

  it("operations on a room the caller is not in get NOT_IN_ROOM", async () => {
    const owner = await t.user("owner", encoding);
    await owner.ok("createRoom", { roomInfo: { roomId: "private" } });
    const c = await t.user("outsider", encoding);
    const roomId = "private";
    const ops = [
      c.fails("leaveRoom", { roomId }),
      c.fails("switchRoom", { fromRoomId: roomId, toRoomInfo: { roomId: "elsewhere" }, createIfAbsent: true }),
      c.fails("queryRoomMemberList", { roomId }),
      c.fails("queryRoomMembers", { roomId, userIds: ["owner"] }),
      c.fails("queryRoomOnlineMemberCount", { roomId }),
      c.fails("setRoomAttributes", { roomId, attributes: { k: "v" } }),
      c.fails("deleteRoomAttributes", { roomId, keys: ["k"] }),
      c.fails("queryRoomAllAttributes", { roomId }),
      c.fails("batchRoomAttributes", { roomId, operations: [{ operation: { case: "delete", value: { keys: ["k"] } } }] }),
      c.fails("setRoomMembersAttributes", { roomId, userIds: ["owner"], attributes: { k: "v" } }),
      c.fails("queryRoomMembersAttributes", { roomId, userIds: ["owner"] }),
      c.fails("queryRoomMemberAttributesList", { roomId }),
      c.fails("sendRoomMessage", { roomId, kind: 1 }),
      c.fails("queryRoomMessageHistory", { roomId, count: 1 }),
    ];
    const codes = (await Promise.all(ops)).map((e) => ErrorCode[e.code]);
    expect(new Set(codes)).toEqual(new Set(["NOT_IN_ROOM"]));
    expect(codes).toHaveLength(14);
    await owner.ping();
    expect(owner.events.map(summarize)).toEqual(["private CONNECTING ACTIVE_CREATE", "private CONNECTED SUCCESS"]);
    await check();
  });
});

describe("ordering and visibility", () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await t.close();
  });

  it("a request's events to its caller come before its reply; replies come in request order", async () => {
    const a = await t.user("a");
    const pending = [
      a.request({ case: "createRoom", value: { roomInfo: { roomId: "r1" }, config: { roomAttributes: { k: "v" } } } }),
      a.request({ case: "ping", value: {} }),
      a.request({ case: "joinRoom", value: { roomId: "r1" } }),
      a.request({ case: "leaveRoom", value: { roomId: "r1" } }),
    ];
    await Promise.all(pending);
    const kinds = a.frames.slice(1).map((f) => (f.frame.case === "reply" ? `reply ${f.frame.value.result.case}` : summarize(f.frame.value as never)));
    expect(kinds).toEqual([
      "r1 CONNECTING ACTIVE_CREATE",
      "r1 CONNECTED SUCCESS",
      "r1#0 attrs SET k=v by -",
      "reply createRoom",
      "reply ping",
      "reply error",
      "r1 DISCONNECTED SUCCESS",
      "reply leaveRoom",
    ]);
  });

  it.each([
    ["binary", "json"],
    ["json", "binary"],
  ] as const)("after a reply, a Ping on another session (%s → %s) returns only after that session got the events", async (ea, eb) => {
    const a = await t.user("sender", ea);
    const b = await t.user("receiver", eb);
    await a.ok("createRoom", { roomInfo: { roomId: "vis" } });
    await b.ok("joinRoom", { roomId: "vis" });
    for (let i = 0; i < 50; i++) {
      await a.ok("sendRoomMessage", { roomId: "vis", kind: 1, payload: new TextEncoder().encode(`m${i}`) });
      await b.ping();
      const received = b.events.filter((e) => e.event.case === "roomMessageReceived");
      expect(received).toHaveLength(i + 1);
    }
  });
});

describe("session lifecycle over the wire", () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    await t.close();
  });

  it("a duplicate login kicks the older session: its events, then close 4001; others see it leave", async () => {
    const bob = await t.user("bob");
    await bob.ok("createRoom", { roomInfo: { roomId: "r" } });
    const old = await t.user("alice", "json");
    await old.ok("joinRoom", { roomId: "r" });
    old.clear();
    const fresh = await t.user("alice");
    const closed = await old.closed;
    expect(closed.code).toBe(4001);
    expect(old.events.map(summarize)).toEqual(["r DISCONNECTED KICKED_OUT_BY_OTHER_DEVICE", "connection DISCONNECTED KICKED_OUT"]);
    await bob.ping();
    expect(bob.events.map(summarize).slice(-1)).toEqual(["r#2 left alice"]);
    await fresh.ok("joinRoom", { roomId: "r" });
  });

  it("logout replies with the rooms left, then closes with 1000; others see the user leave", async () => {
    const bob = await t.user("bob");
    await bob.ok("createRoom", { roomInfo: { roomId: "r" } });
    const alice = await t.user("alice");
    await alice.ok("joinRoom", { roomId: "r" });
    await alice.ok("createRoom", { roomInfo: { roomId: "solo" } });
    alice.clear();
    expect((await alice.ok("logout", {})).roomIds).toEqual(["r", "solo"]);
    expect((await alice.closed).code).toBe(1000);
    expect(alice.events.map(summarize)).toEqual(["r DISCONNECTED SUCCESS", "solo DISCONNECTED SUCCESS"]);
    await bob.ping();
    expect(bob.events.map(summarize).at(-1)).toBe("r#2 left alice");
    // Logged out: the user can log in again elsewhere and rejoin.
    const again = await t.user("alice");
    await again.ok("joinRoom", { roomId: "r" });
  });

  it("a connection closed without logout leaves its rooms at once", async () => {
    const bob = await t.user("bob");
    await bob.ok("createRoom", { roomInfo: { roomId: "r" } });
    const alice = await t.user("alice");
    await alice.ok("joinRoom", { roomId: "r" });
    await alice.close();
    await bob.waitFor(() => bob.events.some((e) => summarize(e) === "r#2 left alice"));
    expect((await bob.ok("queryRoomOnlineMemberCount", { roomId: "r" })).count).toBe(1);
  });

  it("a failed login leaves the connection open and not logged in", async () => {
    const c = await t.connect();
    expect(ErrorCode[(await c.fails("login", { userId: "u", token: "garbage" })).code]).toBe("INVALID_TOKEN");
    expect(ErrorCode[(await c.fails("leaveAllRooms", {})).code]).toBe("UNAUTHENTICATED");
    expect(ErrorCode[(await c.fails("login", { userId: "", token: "" })).code]).toBe("INVALID_ARGUMENT");
    const other = await t.user("u");
    await other.ping();
  });
});

describe("shutdown, slow consumers, keep-alive", () => {
  it("graceful close: SERVER_SHUTDOWN then 1001 to every session, in both encodings; 1001 alone before login", async () => {
    const t = await startTestServer();
    const a = await t.user("a");
    const b = await t.user("b", "json");
    const n = await t.connect();
    await a.ok("createRoom", { roomInfo: { roomId: "r" }, config: { roomDestroyDelaySeconds: 100 } });
    await b.ok("joinRoom", { roomId: "r" });
    await b.ok("createRoom", { roomInfo: { roomId: "pending" }, config: { roomDestroyDelaySeconds: 100 } });
    await b.ok("leaveRoom", { roomId: "pending" });
    a.clear();
    b.clear();
    await t.server.close();
    for (const c of [a, b]) {
      expect((await c.closed).code).toBe(1001);
      expect(c.events.map(summarize)).toEqual(["connection DISCONNECTED SERVER_SHUTDOWN"]);
    }
    // Not logged in: closed without an event.
    expect((await n.closed).code).toBe(1001);
    expect(n.frames).toEqual([]);
    await expect(WireClient.connect(t.server.url)).rejects.toThrow();
  });

  it("a session that does not read is closed with 4002 once its unsent bytes pass the bound; others carry on", async () => {
    const t = await startTestServer({ maxBufferedBytes: 256 * 1024, limits: { messageRate: { maxCount: 0, windowMs: 0 }, requestRate: { maxCount: 0, windowMs: 0 } } });
    try {
      const sender = await t.user("sender");
      const watcher = await t.user("watcher");
      const slow = await t.user("slow");
      await sender.ok("createRoom", { roomInfo: { roomId: "flood" } });
      await watcher.ok("joinRoom", { roomId: "flood" });
      await slow.ok("joinRoom", { roomId: "flood" });
      // Stop reading: the kernel buffers fill, then the server's user-space buffer grows.
      (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const payload = new Uint8Array(32 * 1024);
      const left = () => watcher.events.some((e) => summarize(e).startsWith("flood#") && summarize(e).endsWith("left slow"));
      let sent = 0;
      while (!left() && sent < 3000) {
        await sender.ok("sendRoomMessage", { roomId: "flood", kind: 2, payload });
        sent++;
        if (sent % 20 === 0) await watcher.ping();
      }
      await watcher.ping();
      expect(left()).toBe(true);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect((await slow.closed).code).toBe(4002);
      expect((await sender.ok("queryRoomOnlineMemberCount", { roomId: "flood" })).count).toBe(2);
    } finally {
      await t.close();
    }
  });

  it("a connection that stops answering WebSocket pings is dropped and leaves its rooms", async () => {
    const t = await startTestServer({ heartbeatIntervalMs: 100 });
    try {
      const bob = await t.user("bob");
      await bob.ok("createRoom", { roomInfo: { roomId: "r" } });
      const mute = await t.user("mute");
      await mute.ok("joinRoom", { roomId: "r" });
      (mute.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      await bob.waitFor(() => bob.events.some((e) => summarize(e) === "r#2 left mute"), 3000);
      // A responsive client survives many intervals.
      await new Promise((r) => setTimeout(r, 350));
      await bob.ping();
    } finally {
      await t.close();
    }
  });
});
