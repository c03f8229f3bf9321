/**
 * How the offline preview grows with the stack: the whole preview (`tools/preview/cli.ts`, the
 * prod stack's config and policy config) of a generated program (`./scale-program.ts`, first-deploy
 * semantics) of ~1 000, 4 000 and 10 000 resources, each preview in a fresh process, in rounds
 * over the sizes. Per size: the program's time under the mock runtime and the policy stage's time
 * per resource (medians), the process's peak memory (resident set, the highest), and, from one
 * more preview of the largest under the CPU profiler, where each stage's time goes. Linear scaling keeps the times per resource flat; a policy that scans every resource per
 * resource shows as a policy time per resource growing with the size.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BenchSection } from "../bench/index";
import { median } from "../bench/measure";
import { type CpuProfile, type PreviewProfile, previewProfile } from "./scale-profile";
import { FIXED_RESOURCES, functionsFor, SCALE_FUNCTIONS_ENV } from "./scale-program";

const ROOT = path.resolve(__dirname, "..", "..");
/** Stack sizes (resources); `BENCH_SCALE_SIZES=200,400` overrides them for a quick look. */
function sizes(): number[] {
  const raw = process.env.BENCH_SCALE_SIZES;
  if (!raw) return [1000, 4000, 10000];
  const parsed = raw.split(",").map(Number);
  if (parsed.some((n) => !Number.isInteger(n) || n < FIXED_RESOURCES + 10)) {
    throw new Error(
      `BENCH_SCALE_SIZES=${raw}: expected comma-separated whole numbers of resources, each ≥ ${FIXED_RESOURCES + 10}`,
    );
  }
  return parsed;
}

/** What one preview in a fresh process measured. */
interface ScaleRun {
  resources: number;
  programMs: number;
  policyMs: number;
  peakRssBytes: number;
  /** Only for a run made with the CPU profiler on. */
  profile?: PreviewProfile;
}

/**
 * Runs `npm run preview -- --stack prod --program tools/policy/scale-program.ts` (without npm)
 * for `functions` functions in a fresh process and reads its figures: times from its report,
 * the peak resident set from `process.resourceUsage()` at exit. With `profiled`, under the CPU
 * profiler, whose sampling slows the run (about a third at 10 000 resources): a profiled run
 * says where the time goes, the timed runs say how long it takes.
 */
async function previewInFreshProcess(
  functions: number,
  dir: string,
  profiled: boolean,
): Promise<ScaleRun> {
  const jsonFile = path.join(dir, "preview.json");
  const peakFile = path.join(dir, "peak-rss");
  const profileDir = path.join(dir, "profile");
  const args = [
    ...(profiled ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
    "--require",
    path.join(ROOT, "tools", "bench", "peak-memory.js"),
    path.join(ROOT, "tools", "bin", "ts-run.js"),
    path.join(ROOT, "tools", "preview", "cli.ts"),
    "--stack",
    "prod",
    "--program",
    path.join(__dirname, "scale-program.ts"),
    "--json-file",
    jsonFile,
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, [SCALE_FUNCTIONS_ENV]: String(functions), PEAK_MEMORY_FILE: peakFile },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    // Only the last lines matter (the timing line); the tree of 10 000 resources does not.
    stdout = (stdout + chunk).slice(-4096);
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  // 0: no mandatory violation; 1: some (the generated program does not aim at every policy).
  if (code !== 0 && code !== 1) {
    throw new Error(`the preview of ${functions} generated functions exited ${code}:\n${stderr}`);
  }
  const timing = /Program ran in ([\d.]+) s under mocks; policies in ([\d.]+) s\./.exec(stdout);
  if (!timing) throw new Error(`the preview printed no timing line:\n${stdout}`);
  const document = JSON.parse(fs.readFileSync(jsonFile, "utf8")) as {
    resources?: unknown[];
    policyPack: { durationMs: number };
  };
  return {
    resources: FIXED_RESOURCES + functions * 10,
    programMs: Number(timing[1]) * 1000,
    policyMs: document.policyPack.durationMs,
    peakRssBytes: Number(fs.readFileSync(peakFile, "utf8")),
    profile: profiled ? readProfile(profileDir) : undefined,
  };
}

function readProfile(profileDir: string): PreviewProfile {
  const profileFile = fs.readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  if (!profileFile) throw new Error(`node wrote no CPU profile in ${profileDir}`);
  const profile = JSON.parse(
    fs.readFileSync(path.join(profileDir, profileFile), "utf8"),
  ) as CpuProfile;
  return previewProfile(profile);
}

/** Timed rounds over the sizes; `BENCH_SCALE_ROUNDS` overrides the default of 3. */
function roundsWanted(): number {
  const raw = process.env.BENCH_SCALE_ROUNDS ?? "3";
  const rounds = Number(raw);
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`BENCH_SCALE_ROUNDS=${raw}: expected a whole number of rounds ≥ 1`);
  }
  return rounds;
}

/** The median times of one size's runs, and the highest peak memory any of them reached. */
function medianRun(runs: ScaleRun[]): ScaleRun {
  return {
    resources: (runs[0] as ScaleRun).resources,
    programMs: median(runs.map((r) => r.programMs)),
    policyMs: median(runs.map((r) => r.policyMs)),
    peakRssBytes: Math.max(...runs.map((r) => r.peakRssBytes)),
  };
}

/** One preview in a fresh process, in a temporary directory removed afterwards. */
async function scaleRun(size: number, profiled: boolean, label = ""): Promise<ScaleRun> {
  const functions = functionsFor(size);
  process.stderr.write(
    `scale: ${label ? `${label}: ` : ""}previewing ${functions} generated functions (~${size} resources)${profiled ? " under the CPU profiler" : ""}…\n`,
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "huntaze-scale-"));
  try {
    return await previewInFreshProcess(functions, dir, profiled);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MB`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const perResource = (ms: number, resources: number): string =>
  `${Math.round((ms * 1000) / resources)} µs`;

export const section: BenchSection = {
  id: "scale",
  title: "Offline preview at scale",
  async run(log) {
    const lines: string[] = [];
    const emit = (line: string) => {
      lines.push(line);
      log(line);
    };
    // Rounds over all sizes, not repetitions of one: a burst of load spreads over every size.
    const rounds = roundsWanted();
    const bySize = new Map<number, ScaleRun[]>();
    for (let round = 1; round <= rounds; round++) {
      for (const size of sizes()) {
        const run = await scaleRun(size, false, `round ${round}/${rounds}`);
        bySize.set(size, [...(bySize.get(size) ?? []), run]);
      }
    }
    const runs = [...bySize.values()].map(medianRun);
    const smallest = runs[0] as ScaleRun;
    const policyPerResource = (r: ScaleRun) => r.policyMs / r.resources;
    emit(
      `Whole preview (\`--stack prod --program tools/policy/scale-program.ts\`, first deploy) of generated programs, one fresh process per preview, medians of ${rounds} rounds over the sizes (peak memory: the highest; load ${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} CPUs):\n`,
    );
    emit(
      "| resources | program (mocks) | per resource | policy stage | per resource | vs smallest | peak memory |",
    );
    emit("|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of runs) {
      emit(
        `| ${r.resources} | ${seconds(r.programMs)} | ${perResource(r.programMs, r.resources)} | ${seconds(r.policyMs)} | ${perResource(r.policyMs, r.resources)} | ${(policyPerResource(r) / policyPerResource(smallest)).toFixed(2)} | ${mb(r.peakRssBytes)} |`,
      );
    }
    const largest = runs[runs.length - 1] as ScaleRun;
    const profiled = await scaleRun(largest.resources, true);
    const profiles = profiled.profile as PreviewProfile;
    for (const [stage, profile] of [
      ["program stage (the mock runtime)", profiles.program],
      ["policy stage", profiles.policy],
    ] as const) {
      emit(
        `\nWhere the ${stage} goes at ${largest.resources} resources (CPU profile of one more run: ${seconds(profile.totalMs)} sampled):\n`,
      );
      emit("| code | share | per resource |");
      emit("|---|---:|---:|");
      for (const { category, ms } of profile.categories.filter(
        (c) => c.ms >= 0.005 * profile.totalMs,
      )) {
        emit(
          `| ${category} | ${((100 * ms) / profile.totalMs).toFixed(0)} % | ${perResource(ms, largest.resources)} |`,
        );
      }
    }
    return lines.join("\n");
  },
};
