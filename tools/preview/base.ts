/**
 * `--base <ref>`: the same stack previewed at a base git ref, with the base's own program,
 * stack config, policy pack and preview command, in a temporary checkout.
 *
 * The checkout is `git archive <commit>` extracted into a fresh temporary directory rather than
 * a `git worktree`: nothing is registered in the repository, so a preview killed with SIGKILL
 * leaves no stale worktree entry behind, only a directory in the temp dir. The checkout reuses
 * this one's `node_modules` through a symlink (no install), and is removed when the preview
 * ends, fails, or is interrupted (SIGINT, SIGTERM).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { baseError } from "../lib/errors";
import type { PlanDocument } from "./diff";

export interface BasePreviewOptions {
  /** A git ref of the repository at `projectRoot`: branch, tag, commit, `origin/main`. */
  ref: string;
  stack: string;
  cost: boolean;
  /** Preview the base as a deployed stack too (`--assume-deployed`), so both sides compare alike. */
  assumeDeployed?: boolean;
  /** The checkout the preview runs in (its `.git` and `node_modules` are used). */
  projectRoot: string;
  /** Aborts the base's preview (the change's own run failed): the checkout is removed. */
  signal?: AbortSignal;
  /** Called with the temporary checkout once it exists (tests watch it being removed). */
  onCheckout?: (dir: string) => void;
}

export interface BasePreview {
  ref: string;
  commit: string;
  document: PlanDocument & { cost?: unknown };
  /** The base's own exit code (0 or 1: the base's policy result, informational only). */
  exitCode: number;
  durationMs: number;
}

const CHECKOUT_PREFIX = "huntaze-base-";

function git(root: string, args: string[]): { ok: boolean; out: Buffer; err: string } {
  const r = spawnSync("git", ["-C", root, ...args], { maxBuffer: 512 * 1024 * 1024 });
  return {
    ok: r.status === 0,
    out: r.stdout ?? Buffer.alloc(0),
    err: r.error ? r.error.message : (r.stderr?.toString() ?? ""),
  };
}

/** The commit `ref` names, or a base error saying how to make it available. */
export function resolveBaseCommit(root: string, ref: string): string {
  if (ref.startsWith("-")) throw baseError(`--base ${ref}: not a git ref`);
  const r = git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (!r.ok) {
    throw baseError(
      `--base ${ref}: no such commit in this repository${r.err.trim() ? ` (${r.err.trim()})` : ""}; fetch it first (git fetch origin ${ref}; in GitHub Actions, actions/checkout with fetch-depth: 0)`,
    );
  }
  return r.out.toString().trim();
}

/** Extracts `commit`'s tree into `dir` and links what it needs from this checkout. */
function prepareCheckout(root: string, commit: string, dir: string): void {
  const archive = git(root, ["archive", "--format=tar", commit]);
  if (!archive.ok) throw baseError(`git archive ${commit} failed: ${archive.err.trim()}`);
  const tar = spawnSync("tar", ["-x", "-C", dir], { input: archive.out });
  if (tar.status !== 0) {
    throw baseError(
      `extracting the base failed: ${tar.error?.message ?? tar.stderr?.toString().trim()}`,
    );
  }
  // The same dependencies (no install): the root's and each workspace's node_modules.
  for (const modules of ["node_modules", path.join("policies", "node_modules")]) {
    const source = path.join(root, modules);
    const target = path.join(dir, modules);
    const taken = fs.lstatSync(target, { throwIfNoEntry: false }) !== undefined;
    if (fs.existsSync(source) && !taken && fs.existsSync(path.dirname(target))) {
      fs.symlinkSync(source, target, "dir");
    }
  }
  // Warm caches, all keyed by content (a stale entry is never used): the TypeScript loader's
  // transforms, the Lambda bundles and V8's compiled code (its dependencies' entries apply as
  // they are: node_modules is the same directory). A cold base would do all of it again.
  for (const cache of ["ts-cache", "lambda", "compile-cache"].map((c) => path.join(".build", c))) {
    if (fs.existsSync(path.join(root, cache))) {
      fs.cpSync(path.join(root, cache), path.join(dir, cache), { recursive: true });
    }
  }
  // The generated Prisma client is not in git: copy ours when the base's schema is the same
  // (the client is a function of the schema), else generate the base's own.
  const schema = path.join("prisma", "schema.prisma");
  const generated = path.join("handlers", "generated");
  const ours = path.join(root, schema);
  const theirs = path.join(dir, schema);
  if (!fs.existsSync(theirs)) return;
  if (
    fs.existsSync(ours) &&
    fs.existsSync(path.join(root, generated)) &&
    fs.readFileSync(ours).equals(fs.readFileSync(theirs))
  ) {
    fs.cpSync(path.join(root, generated), path.join(dir, generated), { recursive: true });
  } else if (fs.existsSync(path.join(dir, "tools", "prisma", "generate.js"))) {
    const gen = spawnSync(process.execPath, ["tools/prisma/generate.js"], {
      cwd: dir,
      encoding: "utf8",
    });
    if (gen.status !== 0) {
      throw baseError(
        `generating the base's Prisma client failed: ${(gen.stderr || gen.stdout).trim()}`,
      );
    }
  }
}

/** The last lines of a failed child's stderr, enough to say what failed. */
function tail(text: string, lines = 12): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

/**
 * Runs the base's own `npm run preview -- --stack <stack> --json [--cost]` in a temporary
 * checkout of `ref`, and returns its document. The checkout is always removed.
 */
export async function runBasePreview(options: BasePreviewOptions): Promise<BasePreview> {
  const started = process.hrtime.bigint();
  const commit = resolveBaseCommit(options.projectRoot, options.ref);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), CHECKOUT_PREFIX));
  let child: ChildProcess | undefined;
  const cleanUp = (): void => {
    child?.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C (or a CI cancel) during the base run: remove the checkout, then exit as interrupted.
  const onSignal = (signal: NodeJS.Signals): void => {
    cleanUp();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    prepareCheckout(options.projectRoot, commit, dir);
    options.onCheckout?.(dir);
    const cli = path.join("tools", "preview", "cli.ts");
    if (!fs.existsSync(path.join(dir, cli))) {
      throw baseError(`--base ${options.ref}: the base has no ${cli} to preview with`);
    }
    const args = ["tools/bin/ts-run.js", cli, "--stack", options.stack, "--json"];
    if (options.cost) args.push("--cost");
    if (options.assumeDeployed) args.push("--assume-deployed");
    const result = await new Promise<{ code: number | null; out: string; err: string }>(
      (resolve, reject) => {
        const proc = spawn(process.execPath, args, {
          cwd: dir,
          env: { ...process.env, NO_COLOR: "1" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        child = proc;
        options.signal?.addEventListener("abort", () => proc.kill("SIGKILL"), { once: true });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        proc.stdout.on("data", (b: Buffer) => out.push(b));
        proc.stderr.on("data", (b: Buffer) => err.push(b));
        proc.on("error", reject);
        proc.on("close", (code) =>
          resolve({
            code,
            out: Buffer.concat(out).toString("utf8"),
            err: Buffer.concat(err).toString("utf8"),
          }),
        );
      },
    );
    child = undefined;
    if (result.code !== 0 && result.code !== 1) {
      throw baseError(
        `the preview of ${options.stack} at --base ${options.ref} (${commit.slice(0, 12)}) failed (exit ${result.code}):\n${tail(result.err)}`,
      );
    }
    let document: BasePreview["document"];
    try {
      document = JSON.parse(result.out) as BasePreview["document"];
    } catch {
      throw baseError(
        `the preview at --base ${options.ref} did not print a JSON document: ${tail(result.out, 3)}`,
      );
    }
    if (!Array.isArray(document.resources)) {
      throw baseError(`the preview at --base ${options.ref} listed no resources`);
    }
    return {
      ref: options.ref,
      commit,
      document,
      exitCode: result.code,
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
    };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    cleanUp();
  }
}
