// The zoo's own checks: every broken server names a requirement that exists
// in spec/, names are unique and match their files, every file is registered,
// and every server starts on a loopback port and answers a Ping over the wire.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ClientFrameSchema, SUBPROTOCOLS, decodeServerFrame, encodeClientFrame, type Reply } from "../../protocol/index.js";
import { loadRequirements } from "../../spec/tools/load.js";
import { ZOO } from "./zoo/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const { requirements } = loadRequirements(join(here, "../../spec"));
const byId = new Map(requirements.map((r) => [r.id, r]));

/** Opens a binary OpenRoom connection, sends one Ping before login, and resolves with the reply. */
function pingOnce(url: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [SUBPROTOCOLS.binary]);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no reply from ${url} within 5 s`));
    }, 5_000);
    ws.on("error", reject);
    ws.on("open", () => ws.send(encodeClientFrame(create(ClientFrameSchema, { requestId: 7, request: { case: "ping", value: {} } }), "binary")));
    ws.on("message", (data: Buffer) => {
      const decoded = decodeServerFrame(new Uint8Array(data), "binary");
      if (!decoded.ok || decoded.frame.frame.case !== "reply") return;
      clearTimeout(timer);
      ws.close();
      resolve(decoded.frame.frame.value);
    });
  });
}

describe("the bug zoo", () => {
  it("has at least 25 broken servers with unique kebab-case names", () => {
    expect(ZOO.length).toBeGreaterThanOrEqual(25);
    const names = ZOO.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it("registers every module of zoo/ under its file name", () => {
    const files = readdirSync(join(here, "zoo"))
      .filter((f) => f.endsWith(".ts") && f !== "index.ts")
      .map((f) => f.slice(0, -".ts".length))
      .sort();
    expect(ZOO.map((m) => m.name).sort()).toEqual(files);
  });

  it.each(ZOO.map((m) => [m.name, m] as const))("%s breaks a MUST requirement that exists in spec/ and documents its mistake", (_name, m) => {
    const requirement = byId.get(m.requirement);
    expect(requirement, `${m.requirement} is not defined in spec/`).toBeDefined();
    expect(requirement?.level).toBe("MUST");
    expect(m.mistake.length).toBeGreaterThan(20);
    expect(m.whyNaiveTestMisses.length).toBeGreaterThan(20);
    for (const g of m.settings?.grep ?? []) expect(g.trim()).not.toBe("");
    if (m.settings?.runs !== undefined) expect(m.settings.runs).toBeGreaterThan(0);
  });

  it.each(ZOO.map((m) => [m.name, m] as const))("%s starts on a loopback port and answers a Ping", async (_name, m) => {
    const server = await m.start({ tokenSecret: "zoo-test-secret" });
    try {
      expect(server.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      const reply = await pingOnce(server.url);
      expect(reply.requestId).toBe(7);
      // ping-needs-login refuses a Ping before login: that is its one mistake, and it still answers.
      expect(reply.result.case).toBe(m.name === "ping-needs-login" ? "error" : "ping");
    } finally {
      await server.close();
    }
  });
});
