// The session against a scripted fake server that misbehaves on purpose:
// the reference server never sends out-of-order replies or garbage, yet the
// harness must record exactly those as protocol violations.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import {
  ErrorCode,
  ServerFrameSchema,
  decodeClientFrame,
  encodeServerFrame,
  encodingOf,
  type ClientFrame,
  type Encoding,
  type ServerFrame,
} from "../../protocol/index.js";
import { HarnessError, HarnessTimeout, SessionClosedError, UnexpectedReply } from "./errors.js";
import { rawConnect } from "./handshake.js";
import { hs256Secret } from "./tokens.js";
import { World } from "./world.js";

type Send = (frame: ServerFrame | Uint8Array | string) => void;
type Script = (frame: ClientFrame, send: Send, socket: WebSocket) => void;

interface Fake {
  url: string;
  arrivals: { frame: ClientFrame; at: number }[];
  close(): Promise<void>;
}

const toClose: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c();
});

const reply = (requestId: number, result: Record<string, unknown>): ServerFrame =>
  create(ServerFrameSchema, { frame: { case: "reply", value: { requestId, result: result as never } } });
const pong = (requestId: number) => reply(requestId, { case: "ping", value: {} });
const loginOk = (requestId: number, requestRate = { maxCount: 0, windowMs: 0 }) =>
  reply(requestId, {
    case: "login",
    value: { serverInfo: { protocolVersion: "openroom.v1", serverName: "fake", limits: { maxUserIdBytes: 64, maxRoomIdBytes: 128, requestRate } } },
  });

/** A fake OpenRoom server: `script` decides what to send for each decoded request. */
async function fake(script: Script): Promise<Fake> {
  const arrivals: Fake["arrivals"] = [];
  const start = performance.now();
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: (offered) => [...offered][0] ?? false });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  wss.on("connection", (socket) => {
    const encoding: Encoding = encodingOf(socket.protocol) ?? "binary";
    const send: Send = (f) => {
      const data = f instanceof Uint8Array || typeof f === "string" ? f : encodeServerFrame(f, encoding);
      socket.send(data, { binary: typeof data !== "string" });
    };
    socket.on("message", (raw: Buffer, isBinary: boolean) => {
      const decoded = decodeClientFrame(isBinary ? new Uint8Array(raw) : raw.toString("utf8"), encoding);
      if (!decoded.ok) return;
      arrivals.push({ frame: decoded.frame, at: performance.now() - start });
      script(decoded.frame, send, socket);
    });
  });
  const port = (wss.address() as AddressInfo).port;
  const result: Fake = {
    url: `ws://127.0.0.1:${port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
  toClose.push(result.close);
  return result;
}

function world(url: string, encoding: Encoding = "binary", multiplier = 1): World {
  const w = new World({ url, encoding, token: hs256Secret("s"), timeoutMultiplier: multiplier });
  toClose.push(() => w.closeAll());
  return w;
}

/** Answers Login and Ping like a server would; everything else per `rest`. */
const polite =
  (rest: Script = () => {}): Script =>
  (frame, send, socket) => {
    if (frame.request.case === "login") send(loginOk(frame.requestId));
    else if (frame.request.case === "ping") send(pong(frame.requestId));
    else rest(frame, send, socket);
  };

describe("reply matching", () => {
  it("matches replies to requests by ID and records replies out of request order", async () => {
    const held: ClientFrame[] = [];
    const server = await fake(
      polite((frame, send) => {
        held.push(frame);
        if (held.length === 2) for (const f of [...held].reverse()) send(reply(f.requestId, { case: "queryRoomOnlineMemberCount", value: { roomId: (f.request.value as { roomId: string }).roomId, count: 1 } }));
      }),
    );
    const w = world(server.url);
    const alice = await w.session("alice");
    const [a, b] = await Promise.all([
      alice.call("queryRoomOnlineMemberCount", { roomId: "a" }),
      alice.call("queryRoomOnlineMemberCount", { roomId: "b" }),
    ]);
    expect([a.roomId, b.roomId]).toEqual(["a", "b"]);
    expect(w.violations.map((v) => v.kind)).toEqual(["reply-out-of-order"]);
    expect(w.violations[0]!.message).toMatch(/reply to request 3 arrived while reply to request 2 \(queryRoomOnlineMemberCount\) is still outstanding/);
  });

  it("exposes error replies to send, and throws UnexpectedReply from call", async () => {
    const server = await fake(polite((f, send) => send(reply(f.requestId, { case: "error", value: { code: ErrorCode.ROOM_NOT_FOUND, message: "no room x" } }))));
    const alice = await world(server.url, "json").session("alice");
    const r = await alice.send({ case: "joinRoom", value: { roomId: "x" } });
    expect(r.result.case).toBe("error");
    await expect(alice.call("joinRoom", { roomId: "x" })).rejects.toThrow(UnexpectedReply);
    await expect(alice.call("joinRoom", { roomId: "x" })).rejects.toThrow(/joinRoom expected success, got error ROOM_NOT_FOUND \(no room x\)/);
  });

  it("records the exchange's send and reply times", async () => {
    const server = await fake(polite());
    const alice = await world(server.url).session("alice");
    const x = await alice.exchange({ case: "ping", value: {} });
    expect(x.request.request.case).toBe("ping");
    expect(x.reply.requestId).toBe(x.requestId);
    expect(x.repliedAt).toBeGreaterThanOrEqual(x.sentAt);
  });
});

describe("server frames that break the rules", () => {
  it("are recorded as violations, logged, and never break the session", async () => {
    const server = await fake(
      polite((frame, send) => {
        send(new Uint8Array([0xff, 0xff, 0xff, 0xff])); // not protobuf
        send('{"reply":{}}'); // text frame on the binary subprotocol
        send(create(ServerFrameSchema, {})); // neither reply nor event
        send(create(ServerFrameSchema, { frame: { case: "event", value: {} } })); // an Event with no case
        send(reply(999, { case: "ping", value: {} })); // nobody asked
        send(reply(frame.requestId, { case: "leaveAllRooms", value: { roomIds: [] } }));
      }),
    );
    const w = world(server.url);
    const alice = await w.session("alice");
    await alice.call("leaveAllRooms", {});
    await alice.ping();
    expect(w.violations.map((v) => v.kind)).toEqual(["undecodable-frame", "wrong-frame-type", "empty-frame", "empty-event", "unexpected-reply"]);
    expect(alice.strayReplies.map((r) => r.reply.requestId)).toEqual([999]);
    expect(alice.events).toHaveLength(1);
    const log = w.wireLog.entries({ session: "alice" });
    expect(log.find((e) => e.hex === "ffffffff")).toBeDefined();
    expect(log.find((e) => e.text.startsWith('undecodable text frame: {"reply":{}}'))).toBeDefined();
    expect(log.filter((e) => e.direction === "meta" && e.text.startsWith("protocol violation"))).toHaveLength(5);
  });
});

describe("timeouts", () => {
  it("a reply that never comes fails with what was awaited, the session and the last frames", async () => {
    const server = await fake(polite());
    const w = world(server.url);
    const alice = await w.session("alice");
    const err = await alice.send({ case: "createRoom", value: { roomInfo: { roomId: "r1" } } }, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessTimeout);
    const msg = (err as Error).message;
    expect(msg).toMatch(/timed out after 150ms on session "alice" awaiting reply to request 2 \(createRoom\)/);
    expect(msg).toMatch(/alice → \{"requestId":2,"createRoom":\{"roomInfo":\{"roomId":"r1"\}\}\}/);
  });

  it("scales the default timeouts by the multiplier", async () => {
    const server = await fake(polite());
    const w = new World({ url: server.url, encoding: "binary", token: hs256Secret("s"), timeoutMultiplier: 0.05 });
    toClose.push(() => w.closeAll());
    expect(w.timeouts.reply).toBe(250);
    const alice = await w.session("alice");
    await expect(alice.send({ case: "leaveAllRooms", value: {} })).rejects.toThrow(/timed out after 250ms/);
  });

  it("a late reply to an abandoned request is consumed in order, silently", async () => {
    let first: ClientFrame | undefined;
    const server = await fake(
      polite((frame, send) => {
        if (first === undefined) {
          first = frame;
          return;
        }
        send(reply(first.requestId, { case: "leaveAllRooms", value: {} }));
        send(reply(frame.requestId, { case: "leaveAllRooms", value: {} }));
      }),
    );
    const w = world(server.url);
    const alice = await w.session("alice");
    await expect(alice.send({ case: "leaveAllRooms", value: {} }, { timeoutMs: 100 })).rejects.toThrow(HarnessTimeout);
    await expect(alice.call("leaveAllRooms", {})).resolves.toBeDefined();
    expect(w.violations).toEqual([]);
  });

  it("an event that never comes fails naming the event and the session", async () => {
    const server = await fake(polite());
    const bob = await world(server.url).session("bob");
    await expect(bob.waitForEvent("RoomMemberJoined for r1", (e) => e.event.event.case === "roomMemberJoined", { timeoutMs: 100 })).rejects.toThrow(
      /timed out after 100ms on session "bob" awaiting event: RoomMemberJoined for r1/,
    );
  });

  it("a close while awaiting a reply fails with the close code", async () => {
    const server = await fake(polite((_f, _send, socket) => socket.close(4002, "slow")));
    const alice = await world(server.url).session("alice");
    const err = await alice.send({ case: "leaveAllRooms", value: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionClosedError);
    expect((err as Error).message).toMatch(/session "alice" closed \(code 4002 "slow"\) while awaiting reply to request 2/);
    expect((await alice.closed).code).toBe(4002);
    expect(alice.isOpen).toBe(false);
  });

  it("requests still owed when the server closes never become unhandled rejections, awaited or not", async () => {
    const server = await fake(polite((_f, _send, socket) => socket.close(4002, "slow")));
    const alice = await world(server.url).session("alice");
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      // A test written `await first; await rest` stops at the first rejection and never awaits the rest.
      const first = alice.send({ case: "leaveAllRooms", value: {} });
      const rest = [
        alice.exchange({ case: "leaveAllRooms", value: {} }),
        alice.call("leaveAllRooms", {}),
        alice.ping(),
        alice.sendRawForReply(new Uint8Array([0])),
        alice.waitForEvent("anything", () => true),
      ];
      await expect(first).rejects.toBeInstanceOf(SessionClosedError);
      await alice.closed;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      // Whoever does await one still gets the rejection.
      for (const p of rest) await expect(p).rejects.toBeInstanceOf(SessionClosedError);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("raw frames", () => {
  it("sendRawForReply takes the next reply whatever its request ID", async () => {
    const server = await fake(polite((frame, send) => send(reply(0, { case: "error", value: { code: ErrorCode.INVALID_ARGUMENT } }))));
    const alice = await world(server.url).session("alice");
    // request_id 0 (field absent) with a leaveAllRooms request: valid protobuf, so the fake sees it.
    const r = await alice.sendRawForReply(new Uint8Array([0xca, 0x01, 0x00]));
    expect(r.requestId).toBe(0);
    expect(r.result.case).toBe("error");
  });
});

describe("pacing", () => {
  it("keeps counted requests under the advertised request_rate, in order; off, they go at once", async () => {
    const rate = { maxCount: 4, windowMs: 200 };
    const server = await fake((frame, send) => {
      if (frame.request.case === "login") send(loginOk(frame.requestId, rate));
      else send(reply(frame.requestId, { case: frame.request.case as never, value: {} }));
    });
    const w = world(server.url);
    const alice = await w.session("alice");
    await Promise.all(Array.from({ length: 10 }, () => alice.send({ case: "leaveAllRooms", value: {} })));
    const times = server.arrivals.filter((a) => a.frame.request.case === "leaveAllRooms").map((a) => a.at);
    const ids = server.arrivals.filter((a) => a.frame.request.case === "leaveAllRooms").map((a) => a.frame.requestId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // The server's fixed windows: at most maxCount arrivals each.
    let start = -Infinity;
    let count = 0;
    for (const t of times) {
      if (t >= start + rate.windowMs) [start, count] = [t, 0];
      expect(++count).toBeLessThanOrEqual(rate.maxCount);
    }
    // Pings are never counted, so they are not delayed.
    const before = performance.now();
    await alice.ping();
    expect(performance.now() - before).toBeLessThan(rate.windowMs);

    const bob = await w.session("bob", { pace: false });
    server.arrivals.length = 0;
    await Promise.all(Array.from({ length: 10 }, () => bob.send({ case: "leaveAllRooms", value: {} })));
    const burst = server.arrivals.map((a) => a.at);
    expect(burst.at(-1)! - burst[0]!).toBeLessThan(rate.windowMs);
  });
});

describe("handshakes", () => {
  async function refusingServer(): Promise<string> {
    const http: Server = createServer((_req, res) => res.end());
    http.on("upgrade", (_req, socket) => {
      socket.end("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nofferopenroom.v1 or openroom.v1.json");
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    toClose.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
    return `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }

  it("rawConnect reports a refusal's status and body", async () => {
    const r = await rawConnect(await refusingServer(), ["nope"], 2000);
    expect(r.outcome).toBe("refused");
    if (r.outcome === "refused") {
      expect(r.status).toBe(400);
      expect(r.body).toMatch(/openroom\.v1 or openroom\.v1\.json/);
    }
  });

  it("rawConnect opens with the subprotocol the server selected", async () => {
    const server = await fake(polite());
    const r = await rawConnect(server.url, ["openroom.v1.json", "openroom.v1"], 2000);
    expect(r.outcome).toBe("open");
    if (r.outcome === "open") {
      expect(r.protocol).toBe("openroom.v1.json");
      r.socket.terminate();
    }
  });

  it("a server that is not there is a harness error, not a server failure", async () => {
    const server = await fake(polite());
    const url = server.url;
    await server.close();
    await expect(rawConnect(url, ["openroom.v1"], 2000)).rejects.toThrow(HarnessError);
    await expect(world(url).session("alice")).rejects.toThrow(/cannot connect to ws:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it("a refused session handshake is a harness error with the status", async () => {
    await expect(world(await refusingServer()).connect("alice")).rejects.toThrow(/refused: HTTP 400 "offeropenroom/);
  });
});
