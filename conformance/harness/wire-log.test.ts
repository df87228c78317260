import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ClientFrameSchema, ServerFrameSchema, encodeClientFrame } from "../../protocol/index.js";
import { WireLog } from "./wire-log.js";

const ping = (requestId: number) => create(ClientFrameSchema, { requestId, request: { case: "ping", value: {} } });
const pong = (requestId: number) => create(ServerFrameSchema, { frame: { case: "reply", value: { requestId, result: { case: "ping", value: {} } } } });

describe("WireLog", () => {
  it("renders one line per frame with time, session, direction and the JSON mapping", () => {
    const log = new WireLog();
    log.frame("alice", "out", "binary", encodeClientFrame(ping(1), "binary"), ping(1));
    log.frame("alice", "in", "binary", new Uint8Array([0x0a, 0x02, 0x08, 0x01]), pong(1));
    log.note("alice", "closed with code 1000");
    const lines = log.render().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\+\d+\.\d{3}ms alice → \{"requestId":1,"ping":\{\}\}$/);
    expect(lines[1]).toMatch(/^\+\d+\.\d{3}ms alice ← \{"reply":\{"requestId":1,"ping":\{\}\}\}$/);
    expect(lines[2]).toMatch(/ms alice · closed with code 1000$/);
  });

  it("shows undecodable binary frames as hex and text frames as their text", () => {
    const log = new WireLog({ maxHexBytes: 4, maxTextChars: 40 });
    log.frame("bob", "in", "binary", new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]), undefined);
    log.frame("bob", "in", "json", "x".repeat(100), undefined);
    const [bin, text] = log.entries();
    expect(bin).toMatchObject({ direction: "in", frameType: "binary", bytes: 6, hex: "deadbeef…(+2 bytes)" });
    expect(bin!.text).toMatch(/undecodable binary frame \(6 bytes\)/);
    expect(text!.frameType).toBe("text");
    expect(text!.text.length).toBeLessThan(80);
    expect(text!.text).toMatch(/^undecodable text frame: x+…\(\+\d+ chars\)/);
  });

  it("is a ring buffer: keeps the last N entries and counts the dropped ones", () => {
    const log = new WireLog({ capacity: 5 });
    for (let i = 1; i <= 12; i++) log.frame("alice", "out", "json", "{}", ping(i));
    const entries = log.entries();
    expect(entries).toHaveLength(5);
    expect(entries.map((e) => e.seq)).toEqual([7, 8, 9, 10, 11]);
    expect(entries.map((e) => JSON.parse(e.text).requestId)).toEqual([8, 9, 10, 11, 12]);
    expect(log.dropped).toBe(7);
    expect(log.total).toBe(12);
    expect(log.render().split("\n")[0]).toMatch(/7 earlier entries dropped/);
    expect(log.toJSON()).toMatchObject({ capacity: 5, total: 12, dropped: 7 });
  });

  it("timestamps are monotonic and filters select by session and recency", () => {
    const log = new WireLog();
    for (let i = 1; i <= 6; i++) log.frame(i % 2 === 0 ? "alice" : "bob", "out", "json", "{}", ping(i));
    const ts = log.entries().map((e) => e.t);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    expect(log.entries({ session: "alice" }).map((e) => JSON.parse(e.text).requestId)).toEqual([2, 4, 6]);
    expect(log.entries({ last: 2 }).map((e) => e.seq)).toEqual([4, 5]);
    expect(log.render({ last: 0 })).toBe("");
  });

  it("writes text and JSON files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wirelog-"));
    try {
      const log = new WireLog();
      log.frame("alice", "out", "json", "{}", ping(3));
      await log.writeFile(join(dir, "log.txt"));
      await log.writeFile(join(dir, "log.json"), "json");
      expect(await readFile(join(dir, "log.txt"), "utf8")).toMatch(/alice → \{"requestId":3,"ping":\{\}\}\n$/);
      const json = JSON.parse(await readFile(join(dir, "log.json"), "utf8"));
      expect(json.entries[0]).toMatchObject({ session: "alice", direction: "out", encoding: "json", frameType: "text", bytes: 2 });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
