/**
 * `npm run bench`: every benchmark of the project, measured side by side in one run.
 * Each section prints ratios against a baseline measured in the same run: these machines are
 * noisy, so absolute times are context and ratios are the targets. `--only <section>` runs one.
 */
import { parseArgs } from "node:util";

export interface BenchSection {
  /** Short id used by `--only`. */
  id: string;
  title: string;
  /** Runs the measurements and returns a Markdown report (also printed as it goes). */
  run(log: (line: string) => void): Promise<string>;
}

const SECTIONS: Array<() => Promise<BenchSection>> = [
  // Sections register here: () => import("./preview").then((m) => m.section),
  // (`require`, not `import()`: Node's ESM loader cannot resolve a .ts module without extension.)
  async () => (require("./preview") as typeof import("./preview")).section,
  async () => (require("../policy/bench") as typeof import("../policy/bench")).section,
  async () => (require("../policy/scale-bench") as typeof import("../policy/scale-bench")).section,
  async () => (require("./handlers") as typeof import("./handlers")).section,
  async () => (require("./capacity") as typeof import("./capacity")).section,
  async () => (require("./base") as typeof import("./base")).section,
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: "string" } }, strict: true });
  const sections = await Promise.all(SECTIONS.map((load) => load()));
  const selected = values.only ? sections.filter((s) => s.id === values.only) : sections;
  if (selected.length === 0) {
    process.stderr.write(
      `error: no benchmark section "${values.only}" (sections: ${sections.map((s) => s.id).join(", ")})\n`,
    );
    process.exitCode = 2;
    return;
  }
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  log(`huntaze-api benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  for (const section of selected) {
    log(`\n## ${section.title}\n`);
    await section.run(log);
  }
}

if (process.argv[1] === __filename) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  });
}
