// `openroom serve` as a user runs it: a child process, real flags, a real
// client, a real SIGTERM.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { summarize } from "./core-test-support.js";
import { mintToken, WireClient } from "./test-support.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const children: ChildProcessWithoutNullStreams[] = [];

function withoutSecret(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { OPENROOM_TOKEN_SECRET: _ignored, ...rest } = env;
  return rest;
}

function serve(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ["bin/openroom.js", "serve", ...args], {
    cwd: root,
    env: { ...withoutSecret(process.env), ...env },
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => {
      // The start-up lines are complete once the last one arrived.
      const m = /listening on (ws:\/\/\S+)[\s\S]*Stop with Ctrl-C/.exec(stdout);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`exited ${code} before listening: ${stderr}`)));
  });
  url.catch(() => {}); // tests that expect an early exit never await it
  return { child, url, exited, out: () => stdout, err: () => stderr };
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

describe("openroom serve", () => {
  it("refuses to start without a secret or --insecure-dev-auth (exit 2)", async () => {
    const s = serve(["--port", "0"]);
    expect(await s.exited).toBe(2);
    expect(s.err()).toMatch(/--token-secret.*--insecure-dev-auth/);
  });

  it("refuses malformed limit flags (exit 2)", async () => {
    const s = serve(["--port", "0", "--insecure-dev-auth", "--request-rate", "fast"]);
    expect(await s.exited).toBe(2);
    expect(s.err()).toContain("COUNT/WINDOW_MS");
  });

  it("serves with flags and env secret, advertises the limits, prints the conformance command, shuts down gracefully on SIGTERM", async () => {
    const s = serve(["--port", "0", "--max-rooms-per-user", "2", "--request-rate", "10/500", "--no-message-history", "--test-clock"], {
      OPENROOM_TOKEN_SECRET: "cli-secret",
    });
    const url = await s.url;
    expect(s.out()).toContain(`npx openroom conformance --url ${url}`);
    const c = await WireClient.connect(url);
    const login = await c.login("u", await mintToken("cli-secret", "u"));
    expect(login.serverInfo?.limits).toMatchObject({ maxRoomsPerUser: 2, maxHistoryCount: 0, requestRate: { maxCount: 10, windowMs: 500 } });
    expect(login.serverInfo?.features).toEqual([2]);
    await c.ok("createRoom", { roomInfo: { roomId: "r" } });
    c.clear();
    s.child.kill("SIGTERM");
    expect((await c.closed).code).toBe(1001);
    expect(c.events.map(summarize)).toEqual(["connection DISCONNECTED SERVER_SHUTDOWN"]);
    expect(await s.exited).toBe(0);
  });

  it("says loudly that --insecure-dev-auth accepts any token", async () => {
    const s = serve(["--port", "0", "--insecure-dev-auth"]);
    const url = await s.url;
    const c = await WireClient.connect(url);
    await c.login("anyone", "whatever");
    expect(s.err()).toMatch(/WARNING.*insecure-dev-auth/);
    s.child.kill("SIGINT");
    expect(await s.exited).toBe(0);
  });
});
