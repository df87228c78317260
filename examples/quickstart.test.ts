// The README quick start runs against a real reference server started the
// way `npx openroom serve --insecure-dev-auth` starts one (any token accepted):
// once in-process through startServer, once through the actual command.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../reference/server/index.js";
import { main } from "./quickstart.js";

const EXPECTED = ["alice entered lobby (created: true)", "lobby has 2 members", "bob received alice: hello, Bob!", "bob sees Alice leave lobby"];

describe("examples/quickstart.ts", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ host: "127.0.0.1", port: 0, insecureDevAuth: true });
  });
  afterAll(() => server.close());

  it("two users enter a room, one sends, the other receives and sees the first leave", async () => {
    const lines: string[] = [];
    await main(server.url, (line) => lines.push(line));
    expect(lines).toEqual(EXPECTED);
  });

  it("runs again on the same server: the emptied room was destroyed, so alice creates it anew", async () => {
    const lines: string[] = [];
    await main(server.url, (line) => lines.push(line));
    expect(lines).toEqual(EXPECTED);
  });
});

describe("examples/quickstart.ts against `openroom serve --insecure-dev-auth`", () => {
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("talks to the server the command starts", async () => {
    const repo = fileURLToPath(new URL("..", import.meta.url));
    child = spawn(process.execPath, ["bin/openroom.js", "serve", "--insecure-dev-auth", "--port", "0", "--log-level", "error"], {
      cwd: repo,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`no URL printed within 15 s:\n${out}`)), 15_000);
      child!.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const found = /ws:\/\/\S+/.exec(out);
        if (found) {
          clearTimeout(timer);
          resolve(found[0]);
        }
      });
      child!.once("exit", (code) => reject(new Error(`openroom serve exited with ${code}:\n${out}`)));
    });
    const lines: string[] = [];
    await main(url, (line) => lines.push(line));
    expect(lines).toEqual(EXPECTED);
  });
});
