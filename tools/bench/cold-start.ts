/**
 * Cold start of Lambda bundles, side by side: in fresh Node processes, `require(bundle)` then
 * the first request (tools/bench/handlers-fixtures/cold-start.js), the bundles alternated run by
 * run, medians per bundle.
 *
 * Which Node runs them matters: Lambda runs `nodejs22.x`, and Node 20 pays for things Node 22
 * does not (`pg` probes the global `Response` when there is no `navigator`, which loads undici,
 * ~25–40 ms in every bundle that uses `pg`), which shrinks every ratio to a raw-pg baseline. So
 * the bench also measures under a Node of Lambda's major: `BENCH_LAMBDA_NODE` when set, else
 * npm's `node-<platform>-<arch>@22` package (the binaries the `node` package installs), fetched
 * once into `.build/bench-node/`. Offline, or on a platform npm has no package for, it says so
 * and measures under this Node only.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../prisma/cli-support";
import { median } from "./measure";

/** Lambda's runtime for every function of the stack (infra/components/function.ts). */
export const LAMBDA_NODE_MAJOR = 22;

export interface ColdStartFigures {
  /** Median ms of `require(bundle)`. */
  importMs: number;
  /** Median ms of the first request after it. */
  firstRequestMs: number;
}

/** The Node binaries to measure with: this one, and one of Lambda's major when it is another. */
export function coldStartNodes(log: (line: string) => void): { path: string; version: string }[] {
  const nodes = [{ path: process.execPath, version: process.version }];
  const explicit = process.env.BENCH_LAMBDA_NODE;
  if (explicit) {
    const version = versionOf(explicit);
    if (version === undefined) {
      throw new Error(
        `BENCH_LAMBDA_NODE=${explicit} does not run: point it at a Node ${LAMBDA_NODE_MAJOR} binary, or unset it to fetch one from npm`,
      );
    }
    nodes.push({ path: explicit, version });
  } else if (majorOf(process.version) !== LAMBDA_NODE_MAJOR) {
    const fetched = fetchLambdaNode(log);
    if (typeof fetched === "string") log(`cold start: only under ${process.version}: ${fetched}`);
    else nodes.push(fetched);
  }
  return nodes;
}

function versionOf(node: string): string | undefined {
  const res = spawnSync(node, ["--version"], { encoding: "utf8" });
  return res.status === 0 ? res.stdout.trim() : undefined;
}

/**
 * npm's Node binary of Lambda's major for this platform, unpacked into `.build/bench-node/`
 * (kept: later runs reuse it), or why there is none. npm publishes the binaries of the `node`
 * package as `node-<platform>-<arch>`; we fetch that package alone rather than depend on it, so
 * that `npm ci` stays free of a 50 MB download nobody but the bench needs.
 */
function fetchLambdaNode(log: (line: string) => void): { path: string; version: string } | string {
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = join(ROOT, ".build", "bench-node", `${pkg}-${LAMBDA_NODE_MAJOR}`);
  const binary = join(dir, "package", "bin", process.platform === "win32" ? "node.exe" : "node");
  if (!existsSync(binary)) {
    log(
      `cold start: fetching ${pkg}@${LAMBDA_NODE_MAJOR} from npm (Lambda's Node major, ~50 MB, once)…`,
    );
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const packed = spawnSync(npm, ["pack", `${pkg}@${LAMBDA_NODE_MAJOR}`, "--silent"], {
      cwd: dir,
      encoding: "utf8",
    });
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    if (packed.status !== 0 || !tarball) {
      rmSync(dir, { recursive: true, force: true });
      return `npm pack ${pkg}@${LAMBDA_NODE_MAJOR} failed (${packed.stderr.trim().split("\n").pop() ?? "no output"}); set BENCH_LAMBDA_NODE to a Node ${LAMBDA_NODE_MAJOR} binary`;
    }
    const unpacked = spawnSync("tar", ["xzf", tarball], { cwd: dir, encoding: "utf8" });
    rmSync(join(dir, tarball), { force: true });
    if (unpacked.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      return `unpacking ${tarball} failed (${unpacked.stderr.trim()}); set BENCH_LAMBDA_NODE to a Node ${LAMBDA_NODE_MAJOR} binary`;
    }
  }
  const version = versionOf(binary);
  if (version === undefined || majorOf(version) !== LAMBDA_NODE_MAJOR) {
    return `${binary} is not a working Node ${LAMBDA_NODE_MAJOR}; delete ${dir} or set BENCH_LAMBDA_NODE`;
  }
  return { path: binary, version };
}

export function majorOf(version: string): number {
  return Number(/^v(\d+)/.exec(version)?.[1] ?? 0);
}

/**
 * Medians of `runs` cold starts of each bundle under `node`, the bundles alternated so that
 * the machine's load drifts over all of them alike.
 */
export function measureColdStarts(
  node: string,
  bundles: Record<string, string>,
  requestEvent: unknown,
  env: NodeJS.ProcessEnv,
  runs: number,
): Record<string, ColdStartFigures> {
  const samples: Record<string, { importMs: number[]; firstRequestMs: number[] }> = {};
  const eventJson = JSON.stringify(requestEvent);
  for (let i = 0; i < runs; i++) {
    for (const [key, file] of Object.entries(bundles)) {
      const res = spawnSync(
        node,
        [join(ROOT, "tools/bench/handlers-fixtures/cold-start.js"), file, eventJson],
        { env: { ...process.env, ...env }, encoding: "utf8" },
      );
      if (res.status !== 0) throw new Error(`cold start of ${file} failed: ${res.stderr}`);
      // The fixture's line is the last: the handler may print before it (a SlowQueries EMF
      // line when the first operation, Prisma's start included, passes SLOW_QUERY_MS).
      const parsed = JSON.parse(res.stdout.trim().split("\n").pop() ?? "") as {
        importMs: number;
        firstRequestMs: number;
        status: number;
      };
      if (parsed.status !== 200) throw new Error(`cold start of ${file}: status ${parsed.status}`);
      samples[key] ??= { importMs: [], firstRequestMs: [] };
      samples[key].importMs.push(parsed.importMs);
      samples[key].firstRequestMs.push(parsed.firstRequestMs);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([key, s]) => [
      key,
      { importMs: median(s.importMs), firstRequestMs: median(s.firstRequestMs) },
    ]),
  );
}
