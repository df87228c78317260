// Global setup of the vitest `conformance` project. The runner normally sets
// the target; when the suites are run directly (`npx vitest run --project
// conformance`), this starts the embedded reference server so they still
// have one, the same way `openroom conformance` does without --url.
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { embeddedDisposableCommand, startEmbedded } from "./embedded.js";
import { TARGET_ENV, type TargetSpec } from "./target.js";

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env[TARGET_ENV]) return undefined;
  const tokenSecret = randomBytes(24).toString("base64url");
  const { main, constrained } = await startEmbedded(tokenSecret);
  const target: TargetSpec = {
    url: main.url,
    constrained: { url: constrained.url },
    disposable: { command: embeddedDisposableCommand() },
    encodings: ["binary", "json"],
    tokenSecret,
    runs: 100,
    timeoutMultiplier: 1,
    quick: false,
    wireLogDir: resolve("reports/wire"),
    replayBase: "npx openroom conformance",
    embedded: true,
  };
  process.env[TARGET_ENV] = JSON.stringify(target);
  return async () => {
    delete process.env[TARGET_ENV];
    await Promise.all([main.close(), constrained.close()]);
  };
}
