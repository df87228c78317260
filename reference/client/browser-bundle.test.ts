// The browser entry must not reach `ws` or any Node built-in: it is bundled
// here for platform "browser" and its module graph inspected. Then the bundle
// runs for real against a live server over a standards WebSocket that is not
// `ws`: Node 20's WHATWG WebSocket (undici, behind --experimental-websocket),
// the same API browsers have. Headless Chromium is not run (see the todo).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../server/index.js";
import { bundleForBrowser, clientDir, nodeOnlyInputs } from "./testing/bundle.js";
import { startTestServer, uniqueId } from "./testing/live.js";

describe("browser entry bundle", () => {
  it("bundles reference/client/browser.ts for the browser with no ws and no node: imports", async () => {
    const bundle = await bundleForBrowser({ file: join(clientDir, "browser.ts") });
    expect(bundle.inputs).toContain("reference/client/client.ts");
    expect(bundle.inputs).toContain("protocol/codec.ts");
    expect(nodeOnlyInputs(bundle)).toEqual([]);
    expect(bundle.externalImports).toEqual([]);
    expect(bundle.code).not.toMatch(/\brequire\(|from\s*["']node:|from\s*["']ws["']/);
    expect(bundle.code).toContain("globalThis");
  });

  it("detects ws when it is there: the Node entry bundled the same way pulls it in", async () => {
    // The control that proves the check above can fail.
    const bundle = await bundleForBrowser({ file: join(clientDir, "node.ts") });
    expect(nodeOnlyInputs(bundle)).toEqual([expect.stringMatching(/node_modules\/ws\//)]);
  });
});

describe("browser bundle over a WHATWG WebSocket (not ws)", () => {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer({ tokenSecret: undefined, insecureDevAuth: true });
    dir = await mkdtemp(join(tmpdir(), "openroom-browser-bundle-"));
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(["binary", "json"] as const)("logs in, enters, messages, gets typed errors and closes (%s)", async (encoding) => {
    const roomId = uniqueId("browser-room");
    const bundle = await bundleForBrowser(
      { source: BROWSER_SCRIPT },
      { __OPENROOM_URL__: JSON.stringify(server.url), __ENCODING__: JSON.stringify(encoding), __ROOM__: JSON.stringify(roomId), __SUFFIX__: JSON.stringify(uniqueId("")) },
    );
    expect(nodeOnlyInputs(bundle)).toEqual([]);
    const file = join(dir, `script-${encoding}.mjs`);
    await writeFile(file, bundle.code);
    const { code, stdout, stderr } = await runNode(["--experimental-websocket", file]);
    // Node's only expected complaint is that its WebSocket is experimental.
    expect(stderr.split("\n").filter((line) => line !== "" && !/ExperimentalWarning|--trace-warnings/.test(line))).toEqual([]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      webSocket: "global",
      created: true,
      joinedSeq: "1",
      received: "hello from a browser bundle",
      missingRoom: ["OpenRoomError", "ROOM_NOT_FOUND", "joinRoom"],
      close: 1000,
    });
  });

  // Not done: a run in real headless Chromium. There is no /usr/bin/chromium on the machine this was
  // written on and browsers are not to be installed for tests; the WHATWG WebSocket run above covers the
  // global-WebSocket path. Listed as a todo so the gap shows in every test report.
  it.todo(`runs in headless Chromium (${existsSync("/usr/bin/chromium") ? "chromium present but the test is not written" : "no /usr/bin/chromium"})`);
});

/** The program run from the bundle: only browser APIs (global WebSocket, console). */
const BROWSER_SCRIPT = `
import { connect, ErrorCode, OpenRoomError, roomMessageText } from "./browser.js";
const url = __OPENROOM_URL__, encoding = __ENCODING__, roomId = __ROOM__, suffix = __SUFFIX__;
// ws's class has a static Server; the WHATWG one does not.
const out = { webSocket: typeof globalThis.WebSocket === "function" && !("Server" in globalThis.WebSocket) ? "global" : "other" };
const alice = await connect(url, { encoding });
const bob = await connect(url, { encoding });
await alice.login({ userId: "alice" + suffix, token: "any" });
await bob.login({ userId: "bob" + suffix, token: "any" });
const received = new Promise((resolve) => bob.on("roomMessageReceived", (e) => resolve(roomMessageText(e.message))));
out.created = (await alice.enterRoom({ roomInfo: { roomId } })).created;
out.joinedSeq = String((await bob.joinRoom(roomId)).room.roomSeq);
await alice.sendRoomMessage({ roomId, payload: "hello from a browser bundle" });
out.received = await received;
try {
  await bob.joinRoom("absent" + suffix);
} catch (e) {
  out.missingRoom = [e instanceof OpenRoomError ? "OpenRoomError" : String(e), ErrorCode[e.code], e.requestKind];
}
const closed = new Promise((resolve) => alice.onClose((code) => resolve(code)));
await alice.logout();
out.close = await closed;
await bob.close();
console.log(JSON.stringify(out));
`;

function runNode(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
