// `buf breaking` against the main branch: the wire contract of a change must
// not break what main already published.
//
// Which "main" to compare with:
//   - a branch or clone ahead of `origin/main` or `main`: that ref;
//   - otherwise (the check runs on main itself, as in CI): the parent commit,
//     so each commit is checked against the one before it;
//   - uncommitted proto changes are checked against HEAD.
// No base that holds proto/ (the first commit, or a shallow clone without
// history) is reported and skipped, never failed falsely.
import { capture, run } from "./steps.js";

const git = async (...args: string[]) => {
  const r = await capture("git", args);
  return r.code === 0 ? r.stdout.trim() : undefined;
};

async function hasProto(ref: string): Promise<boolean> {
  const entry = await git("ls-tree", "-d", ref, "proto/openroom/v1");
  return entry !== undefined && entry !== "";
}

async function chooseBase(): Promise<{ ref: string; why: string } | undefined> {
  const head = await git("rev-parse", "HEAD");
  if (head === undefined) return undefined;
  const dirty = (await git("status", "--porcelain", "--", "proto")) ?? "";
  if (dirty !== "" && (await hasProto("HEAD"))) return { ref: "HEAD", why: "uncommitted proto changes against HEAD" };
  for (const main of ["origin/main", "main"]) {
    const sha = await git("rev-parse", "--verify", "--quiet", `${main}^{commit}`);
    if (sha !== undefined && sha !== head && (await hasProto(sha))) {
      const base = (await git("merge-base", head, sha)) ?? sha;
      return { ref: base, why: `against ${main} (merge base ${base.slice(0, 12)})` };
    }
  }
  const parent = await git("rev-parse", "--verify", "--quiet", "HEAD~1^{commit}");
  if (parent !== undefined && (await hasProto(parent))) return { ref: parent, why: `against the parent commit ${parent.slice(0, 12)}` };
  return undefined;
}

const base = await chooseBase();
if (base === undefined) {
  console.log("buf breaking: no earlier commit holds proto/ (first commit or shallow clone); nothing to compare, skipped");
  process.exit(0);
}
console.log(`buf breaking ${base.why}`);
process.exitCode = await run("node_modules/.bin/buf", ["breaking", "--against", `.git#ref=${base.ref}`]);
