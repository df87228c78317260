// A disposable server: a fresh instance of the implementation under test,
// started for one test by the command the user gave (--disposable-command),
// for what a shared server must never do — shutting down. The command runs
// in a shell with OPENROOM_TOKEN_SECRET set to the suite's token secret and
// must print the server's ws:// URL on stdout; SIGTERM asks it to shut down
// gracefully.
import { spawn, type ChildProcess } from "node:child_process";
import { HarnessError } from "../harness/index.js";
import type { TargetSpec } from "../runner/target.js";

export interface Disposable {
  url: string;
  /** Sends SIGTERM (a graceful shutdown) and resolves when the process has exited. */
  shutdown(): Promise<number | null>;
  /** Kills it if still running (cleanup). */
  kill(): void;
}

export async function startDisposable(spec: TargetSpec, timeoutMs = 30_000 * spec.timeoutMultiplier): Promise<Disposable> {
  const command = spec.disposable?.command;
  if (command === undefined) throw new HarnessError("no --disposable-command");
  const child: ChildProcess = spawn(command, {
    shell: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...(spec.tokenSecret !== undefined ? { OPENROOM_TOKEN_SECRET: spec.tokenSecret } : {}) },
    // Its own process group, so SIGTERM reaches the server and not just the shell.
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new HarnessError(`the disposable server printed no ws:// URL within ${timeoutMs} ms (command: ${command}; stderr: ${stderr})`)), timeoutMs);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /ws:\/\/[^\s"']+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new HarnessError(`the disposable server exited (${code}) before printing its URL (command: ${command}; stderr: ${stderr})`));
    });
  });
  child.stdout!.resume();
  return {
    url,
    shutdown: async () => {
      signal(child, "SIGTERM");
      return exited;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) signal(child, "SIGKILL");
    },
  };
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, sig);
  } catch {
    // Already gone.
  }
}
