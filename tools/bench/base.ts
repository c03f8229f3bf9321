/**
 * `--base <ref>` against the plain preview: what a pull request pays for the comparison. The base
 * runs in a child process (its own checkout, code and pack) while the change's program runs, so
 * the comparison costs the checkout plus whatever of the base's run does not overlap.
 *
 * Fresh processes, interleaved repetitions, medians. The base is `HEAD`: a real PR's base differs
 * in content, not in the work done.
 */
import type { BenchSection } from "./index";
import { median, timeNodeProcess } from "./measure";

export const section: BenchSection = {
  id: "base",
  title: "Preview with --base <ref> vs the plain preview",
  async run(log) {
    const reps = Number(process.env.BENCH_BASE_REPS ?? 5);
    const preview = ["tools/bin/ts-run.js", "tools/preview/cli.ts", "--stack", "prod", "--cost"];
    const measurements = [
      { label: "preview --stack prod --cost", command: preview },
      { label: "preview --stack prod --cost --base HEAD", command: [...preview, "--base", "HEAD"] },
    ];
    for (const m of measurements) timeNodeProcess(m.command); // warm caches
    const samples = measurements.map(() => [] as number[]);
    for (let rep = 0; rep < reps; rep++) {
      for (let k = 0; k < measurements.length; k++) {
        const i = (rep + k) % measurements.length;
        samples[i]!.push(timeNodeProcess(measurements[i]!.command));
      }
      log(`  repetition ${rep + 1}/${reps} done`);
    }
    const plain = median(samples[0]!);
    const lines = [
      `Node ${process.version}, ${reps} interleaved repetitions, fresh process each, medians.`,
      "",
      "| measurement | median ms | min ms | × plain preview |",
      "|---|---:|---:|---:|",
      ...measurements.map((m, i) => {
        const med = median(samples[i]!);
        return `| ${m.label} | ${med.toFixed(0)} | ${Math.min(...samples[i]!).toFixed(0)} | ${(med / plain).toFixed(2)} |`;
      }),
    ];
    const report = lines.join("\n");
    log(report);
    return report;
  },
};
