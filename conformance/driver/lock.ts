// Inter-process locks per target: vitest runs suite files in parallel
// workers against one server, and a few tests need something server-wide to
// themselves for a moment — the test clock (AdvanceClock moves one clock for
// everyone) or a server-wide limit they fill. A lock is a directory in the
// OS temp dir named after the target and the resource; a lock whose owner
// process is gone, or that is older than any test, is a leftover and is broken.
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const LOCK_WAIT_MS = 120_000;
/** A lock older than this is a leftover of a killed run (a test holds it for seconds). */
const LOCK_STALE_MS = 180_000;

async function lockIsStale(dir: string): Promise<boolean> {
  try {
    if (Date.now() - (await stat(dir)).mtimeMs > LOCK_STALE_MS) return true;
    const pid = Number(await readFile(join(dir, "owner"), "utf8"));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return false;
  } catch (e) {
    // ESRCH: the owner process is gone. Anything else (no owner file yet, EPERM): not stale.
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Runs `body` holding the lock `resource` of the target at `url`. */
export async function withTargetLock<T>(url: string, resource: "test-clock" | "server-rooms", body: () => Promise<T>): Promise<T> {
  const dir = join(tmpdir(), `openroom-${resource}-${createHash("sha256").update(url).digest("hex").slice(0, 16)}.lock`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(dir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (await lockIsStale(dir)) await rm(dir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`the ${resource} lock ${dir} is still held after ${LOCK_WAIT_MS} ms`);
      else await sleep(10);
    }
  }
  try {
    await writeFile(join(dir, "owner"), String(process.pid));
    return await body();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
