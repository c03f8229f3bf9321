/**
 * How the policy stage grows with the stack: the pack evaluated (configure, one Analyze per
 * resource, AnalyzeStack) on program-like registrations of ~1 000, 4 000 and 10 000 resources.
 * Linear scaling keeps the time per resource flat; a policy that scans every resource per
 * resource shows as a time per resource growing with the size.
 */
import type { BenchSection } from "../bench/index";
import { median } from "../bench/measure";
import { evaluatePolicies } from "./evaluate";
import { scaledRun, scaleStackConfig } from "./scale";

export const section: BenchSection = {
  id: "scale",
  title: "Policy stage at scale",
  async run(log) {
    const reps = Math.min(3, Number(process.env.BENCH_REPS ?? 3));
    const lines: string[] = [];
    const emit = (line: string) => {
      lines.push(line);
      log(line);
    };
    emit(
      `Generated stacks (per function: role, function, log group, 3 alarms, API integration, permission), median of ${reps}:\n`,
    );
    emit("| resources | policy stage | per resource | vs smallest |");
    emit("|---:|---:|---:|---:|");
    let smallest: number | undefined;
    // One unmeasured round warms module caches, as in the preview process.
    await evaluatePolicies(scaledRun(100), scaleStackConfig);
    for (const size of [1000, 4000, 10000]) {
      const run = scaledRun(size);
      const times: number[] = [];
      let resources = 0;
      for (let i = 0; i < reps; i++) {
        const evaluation = await evaluatePolicies(run, scaleStackConfig);
        times.push(evaluation.durationMs);
        resources = evaluation.resourcesAnalyzed;
      }
      const perResource = (median(times) * 1000) / resources;
      smallest ??= perResource;
      emit(
        `| ${resources} | ${(median(times) / 1000).toFixed(2)} s | ${perResource.toFixed(0)} µs | ${(perResource / smallest).toFixed(2)} |`,
      );
    }
    return lines.join("\n");
  },
};
