/**
 * Offline preview wall time per stack against the floor of loading Pulumi in a fresh process.
 *
 * The floor is `node -e "require('@pulumi/pulumi'); require('@pulumi/aws')"`. What that loads:
 * all of `@pulumi/pulumi` and the index of every `@pulumi/aws` service module (~300 files), but
 * no resource class — @pulumi/aws defines them as lazy getters, loaded on first use. So the floor
 * is "start Node and load both SDKs' entry points"; the resource modules the program uses are
 * part of the preview's cost, not of the floor. (The program imports per-service modules, e.g.
 * `@pulumi/aws/lambda`, and never loads the all-services index at all.)
 *
 * Every measurement is a fresh process, repetitions are interleaved (floor, prod, staging in a
 * rotating order) so that machine noise hits all of them alike, and medians are compared.
 *
 * The preview rows run as `npm run preview` does, with the V8 code cache ts-run keeps in
 * .build/compile-cache/ (filled by the warm-up, as by a user's first preview); the floor has no
 * cache, as any `node -e` has none. A context row runs prod without the cache
 * (HUNTAZE_COMPILE_CACHE=0), so the report shows what the cache is worth next to what it hides.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleFunction } from "../../infra/lib/bundle";
import type { BenchSection } from "./index";
import { infraSdkLoadScript, median, timeNodeProcess } from "./measure";

const ROOT = path.resolve(__dirname, "..", "..");
const EMPTY_PROGRAM = path.join(ROOT, ".build", "bench", "empty-program.ts");
const TARGET_RATIO = 1.5;

interface Measurement {
  label: string;
  /** Arguments of `node`, run from the project root. */
  command: string[];
  /** Added to the environment. */
  env?: Record<string, string>;
}

function bundleMedian(name: string, entry: string, reps: number): { ms: number; bytes: number } {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < reps; i++) {
    const started = process.hrtime.bigint();
    // Uncached into a scratch directory: what the first preview after a handler change pays.
    const bundle = bundleFunction({
      name: `bench-${name}`,
      entry,
      cache: false,
      outRoot: path.join(ROOT, ".build", "bench"),
    });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    bytes = bundle.bytes;
  }
  return { ms: median(times), bytes };
}

export const section: BenchSection = {
  id: "preview",
  title: "Offline preview vs loading @pulumi/pulumi + @pulumi/aws",
  async run(log) {
    const reps = Number(process.env.BENCH_REPS ?? 9);
    const loadBefore = os.loadavg()[0]!;
    fs.mkdirSync(path.dirname(EMPTY_PROGRAM), { recursive: true });
    fs.writeFileSync(EMPTY_PROGRAM, "export {};\n");
    const measurements: Measurement[] = [
      {
        label: "floor: node -e require @pulumi/pulumi + @pulumi/aws",
        command: ["-e", "require('@pulumi/pulumi'); require('@pulumi/aws')"],
      },
      {
        // Context: what the program itself imports instead of the all-services index.
        label: "context: @pulumi/pulumi + the per-service modules infra imports",
        command: ["-e", infraSdkLoadScript()],
      },
      {
        // Context: the preview command itself (stack config, mock runtime, policy pack, report)
        // on a program that declares nothing; the difference to the rows below is the program.
        label: "context: preview of an empty program (harness + policy pack)",
        command: [
          "tools/bin/ts-run.js",
          "tools/preview/cli.ts",
          "--stack",
          "prod",
          "--program",
          EMPTY_PROGRAM,
        ],
      },
      {
        // Context: what the first preview pays (or one after the SDKs' code changed).
        label: "context: preview --stack prod without the compile cache",
        command: ["tools/bin/ts-run.js", "tools/preview/cli.ts", "--stack", "prod"],
        env: { HUNTAZE_COMPILE_CACHE: "0" },
      },
      ...["prod", "staging"].map((stack) => ({
        label: `preview --stack ${stack}`,
        command: ["tools/bin/ts-run.js", "tools/preview/cli.ts", "--stack", stack],
      })),
    ];

    // Warm-up: fills the bundle, transform and compile caches and the OS file cache.
    for (const m of measurements) timeNodeProcess(m.command, m.env);

    const samples = new Map<string, number[]>(measurements.map((m) => [m.label, []]));
    for (let rep = 0; rep < reps; rep++) {
      for (let k = 0; k < measurements.length; k++) {
        const m = measurements[(rep + k) % measurements.length]!;
        samples.get(m.label)!.push(timeNodeProcess(m.command, m.env));
      }
      log(`  repetition ${rep + 1}/${reps} done`);
    }

    const floor = median(samples.get(measurements[0]!.label)!);
    const rows = measurements.map((m) => {
      const values = samples.get(m.label)!;
      const med = median(values);
      return { label: m.label, median: med, min: Math.min(...values), ratio: med / floor };
    });

    const api = bundleMedian("api", "handlers/api.ts", 3);
    const worker = bundleMedian("worker", "handlers/worker.ts", 3);

    const lines = [
      `Node ${process.version}, ${reps} interleaved repetitions, fresh process each, medians; target ≤ ${TARGET_RATIO}× the floor.`,
      `Machine load (1-minute load average, ${os.cpus().length} CPUs): ${loadBefore.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end; ratios are measured side by side, absolute times move with the load.`,
      "",
      "| measurement | median ms | min ms | × floor |",
      "|---|---:|---:|---:|",
      ...rows.map(
        (r) =>
          `| ${r.label} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)} | ${r.ratio.toFixed(2)} |`,
      ),
      "",
      "Bundling without the cache (in-process, median of 3; paid once after a handler change):",
      "",
      "| bundle | median ms | bytes |",
      "|---|---:|---:|",
      `| handlers/api.ts | ${api.ms.toFixed(0)} | ${api.bytes} |`,
      `| handlers/worker.ts | ${worker.ms.toFixed(0)} | ${worker.bytes} |`,
      "",
      ...rows
        .filter((r) => r.label.startsWith("preview"))
        .map(
          (r) =>
            `${r.label}: ${r.ratio.toFixed(2)}× the floor — ${r.ratio <= TARGET_RATIO ? "within" : "OVER"} the ${TARGET_RATIO}× target`,
        ),
    ];
    const report = lines.join("\n");
    log(report);
    return report;
  },
};
