/**
 * The policy stage of the offline preview, measured two ways, side by side in one run:
 *
 * - in process, per stack: running the program under mocks vs evaluating the pack on what it
 *   registered (configure, one Analyze per resource, AnalyzeStack), medians over repetitions;
 * - in fresh processes: what loading the pack and its driver adds to loading the Pulumi SDKs
 *   the program needs (the pack's own `@pulumi/aws` class modules and `@pulumi/policy`).
 */
import * as path from "node:path";
import type { BenchSection } from "../bench/index";
import { infraSdkLoadScript, median, timeNodeProcess } from "../bench/measure";
import { runProgram } from "../preview/run-program";
import { loadStackConfig } from "../preview/stack-config";
import { evaluatePolicies } from "./evaluate";

const ROOT = path.resolve(__dirname, "..", "..");

function ms(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export const section: BenchSection = {
  id: "policy",
  title: "Policy stage of the offline preview",
  async run(log) {
    const reps = Number(process.env.BENCH_REPS ?? 9);
    const lines: string[] = [];
    const emit = (line: string) => {
      lines.push(line);
      log(line);
    };

    emit(`In process, median of ${reps} (program under mocks vs the pack on its registrations):\n`);
    emit("| stack | resources | program | policy stage | policy / program |");
    emit("|---|---:|---:|---:|---:|");
    for (const stack of ["prod", "staging"]) {
      const stackConfig = loadStackConfig(ROOT, stack);
      const program: number[] = [];
      const policy: number[] = [];
      let resources = 0;
      // One unmeasured round warms module caches, as in the preview process.
      for (let i = 0; i <= reps; i++) {
        const t0 = process.hrtime.bigint();
        const run = await runProgram({
          programFile: path.join(ROOT, "infra", "index.ts"),
          stackConfig,
        });
        const t1 = process.hrtime.bigint();
        const evaluation = await evaluatePolicies(run, stackConfig);
        if (i === 0) continue;
        program.push(Number(t1 - t0) / 1e6);
        policy.push(ms(t1));
        resources = evaluation.resourcesAnalyzed;
      }
      const p = median(program);
      const q = median(policy);
      emit(
        `| ${stack} | ${resources} | ${p.toFixed(0)} ms | ${q.toFixed(0)} ms | ${(q / p).toFixed(2)} |`,
      );
    }

    const sdk = infraSdkLoadScript();
    const withPack = `${sdk}; require('./tools/bin/register'); require('./tools/policy/evaluate')`;
    const floor: number[] = [];
    const loaded: number[] = [];
    for (let i = 0; i < reps; i++) {
      // Interleaved so machine noise hits both alike.
      floor.push(timeNodeProcess(["-e", sdk]));
      loaded.push(timeNodeProcess(["-e", withPack]));
    }
    const f = median(floor);
    const l = median(loaded);
    emit(`\nFresh processes, median of ${reps}:\n`);
    emit("| load | time | ratio |");
    emit("|---|---:|---:|");
    emit(`| @pulumi/pulumi + the @pulumi/aws services infra uses | ${f.toFixed(0)} ms | 1.00 |`);
    emit(
      `| the same + the pack and its in-process driver | ${l.toFixed(0)} ms | ${(l / f).toFixed(2)} |`,
    );
    return lines.join("\n");
  },
};
