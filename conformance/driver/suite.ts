// The vitest glue every conformance suite uses: one describe block per
// encoding under test, a fresh World (unique IDs) and Lockstep per test,
// feature-based skips that always say why, and failure evidence (trace,
// expected/observed, replay command, wire log file) attached for the runner.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it, type TestContext } from "vitest";
import { Feature, type Limits, type ServerInfo } from "../../protocol/index.js";
import { World, type WorldOptions } from "../harness/index.js";
import type { CompareOptions } from "../model/index.js";
import { readTarget, type EncodingChoice, type TargetSpec } from "../runner/target.js";
import { ConformanceFailure, assertNoViolations, type Evidence } from "./evidence.js";
import { Lockstep } from "./lockstep.js";
import { withTargetLock } from "./lock.js";
import { harnessTarget } from "./target.js";

export interface ScenarioContext {
  /** Lockstep against the model: the normal way to act. */
  ls: Lockstep;
  /** The raw world, for robustness tests that go below the model. */
  world: World;
  spec: TargetSpec;
  encoding: EncodingChoice;
  serverInfo: ServerInfo;
  limits: Limits;
  /** Skips the test with a reason the report prints. */
  skip(reason: string): never;
}

export interface ScenarioOptions {
  /** Optional features the test needs; skipped (with the reason) when not advertised. */
  requires?: Feature[];
  /** Base timeout in ms (scaled by --timeout-multiplier). */
  timeoutMs?: number;
  /** Options for the test's World. */
  world?: WorldOptions;
  /** Comparison options for the lockstep (e.g. `sharedClock` for test-clock tests). */
  compare?: CompareOptions;
  /**
   * Run against the constrained server (small server-wide limits, optional
   * features off; TargetSpec.constrained), holding its lock: for tests that
   * fill a server-wide limit or need a feature to be absent.
   */
  target?: "main" | "constrained";
  /**
   * Restrict the test to these encodings: for requirements that only exist
   * in one subprotocol. `"once"`: run in the first encoding under test only —
   * for expensive checks of server-side rules no encoding can change.
   */
  encodings?: EncodingChoice[] | "once";
}

export type ScenarioBody = (t: ScenarioContext) => Promise<void>;
export type ScenarioFn = (title: string, body: ScenarioBody, options?: ScenarioOptions) => void;

const spec = readTarget();
const serverInfos = new Map<string, Promise<ServerInfo>>();

/** The spec of the server a test runs against. */
function specFor(target: ScenarioOptions["target"]): TargetSpec | undefined {
  if (target !== "constrained") return spec;
  return spec.constrained ? { ...spec, url: spec.constrained.url } : undefined;
}

/** The target's ServerInfo, read once per worker, server and encoding by a throwaway login. */
function serverInfoFor(target: TargetSpec, encoding: EncodingChoice): Promise<ServerInfo> {
  const key = `${target.url} ${encoding}`;
  let p = serverInfos.get(key);
  if (p === undefined) {
    p = (async () => {
      const world = new World(harnessTarget(target, encoding));
      try {
        await world.session("probe");
        return world.serverInfo;
      } finally {
        await world.closeAll();
      }
    })();
    serverInfos.set(key, p);
  }
  return p;
}

/**
 * fast-check runs for one property in one encoding: `--runs` is shared
 * between the encodings exercised (random operation sequences find the same
 * server bugs in either), and --quick takes a tenth.
 */
export function propertyRuns(target: TargetSpec, min = 5): number {
  const share = Math.ceil(target.runs / Math.max(1, target.encodings.length));
  return Math.max(min, target.quick ? Math.ceil(share / 10) : share);
}

function slug(s: string): string {
  return s.replace(/[^\w.-]+/g, "_").replace(/_+/g, "_").slice(0, 120);
}

/** Declares a conformance suite: `define` is called once per encoding under test. */
export function conformanceSuite(name: string, define: (test: ScenarioFn) => void): void {
  describe(name, () => {
    for (const encoding of spec.encodings) {
      describe(encoding, () => {
        define((title, body, options = {}) => {
          const only = options.encodings;
          if (only === "once" && encoding !== spec.encodings[0]) return;
          if (only !== undefined && only !== "once" && !only.includes(encoding)) {
            // Registered once as a visible skip when none of its encodings is under test.
            if (encoding === spec.encodings[0] && !only.some((e) => spec.encodings.includes(e))) {
              it(title, (ctx) => ctx.skip(`${only.join("/")}-subprotocol requirement, and that subprotocol is not under test (--encoding ${spec.encodings.join(",")})`));
            }
            return;
          }
          it(title, { timeout: (options.timeoutMs ?? 30_000) * spec.timeoutMultiplier }, async (ctx: TestContext) => {
            const target = specFor(options.target);
            if (target === undefined) {
              ctx.skip("needs a second server of the implementation with small server-wide limits and optional features off (--constrained-url)");
              return;
            }
            const serverInfo = await serverInfoFor(target, encoding);
            for (const f of options.requires ?? []) {
              if (!serverInfo.features.includes(f)) ctx.skip(`the server does not advertise FEATURE_${Feature[f]}`);
            }
            const world = new World(harnessTarget(target, encoding), options.world);
            const ls = new Lockstep(world, serverInfo, options.compare);
            const run = () => body({ ls, world, spec: target, encoding, serverInfo, limits: serverInfo.limits!, skip: (reason) => ctx.skip(reason) });
            try {
              // The constrained server is shared by every worker: one test at a time
              // fills its limits, and logs out before letting go, so every room it
              // made (delay 0) is gone when the next test starts.
              if (options.target === "constrained") {
                await withTargetLock(target.url, "server-rooms", async () => {
                  try {
                    await run();
                  } finally {
                    await logoutAll(world);
                  }
                });
              } else await run();
              assertNoViolations(world, () => ls.trace);
            } catch (e) {
              attachEvidence(ctx, e, ls, world, `${name} > ${title}`, encoding, title);
              throw e;
            } finally {
              await world.closeAll();
            }
          });
        });
      });
    }
  });
}

/** Logs every open session out (its leave effects are done when the reply arrives), ignoring refusals. */
async function logoutAll(world: World): Promise<void> {
  await Promise.all(world.sessions.filter((s) => s.isOpen && s.userId !== undefined).map((s) => s.send({ case: "logout", value: {} }).catch(() => undefined)));
}

function attachEvidence(ctx: TestContext, e: unknown, ls: Lockstep, world: World, fullName: string, encoding: EncodingChoice, title: string): void {
  if (e instanceof Error && e.name === "HarnessError") return;
  const dir = spec.wireLogDir;
  const file = join(dir, `${slug(`${fullName}.${encoding}`)}.log`);
  try {
    mkdirSync(dir, { recursive: true });
    (e instanceof ConformanceFailure && e.evidence.wireLog ? e.evidence.wireLog : world.wireLog).writeFile(file, "text");
  } catch {
    // The evidence is a courtesy; failing to write it must not hide the failure.
  }
  const evidence: Evidence = e instanceof ConformanceFailure ? e.evidence : { trace: ls.trace };
  const grep = title.replace(/"/g, '\\"');
  ctx.task.meta.evidence = {
    requirementIds: evidence.requirementIds ?? [],
    trace: evidence.trace,
    ...(evidence.expected !== undefined ? { expected: evidence.expected } : {}),
    ...(evidence.observed !== undefined ? { observed: evidence.observed } : {}),
    replay: `${spec.replayBase.replace(/ --encoding \w+/, "")} --encoding ${encoding} --grep "${grep}"${evidence.replayArgs ?? ""}`,
    wireLogFile: file,
  };
}
