/**
 * Where a preview's CPU time goes, read from a V8 CPU profile (`node --cpu-prof`) of the whole
 * preview: the samples of the program stage (from the first sample inside `runProgram` to the
 * first inside `buildEngineRequests`) and of the policy stage (from there to the last sample
 * inside the policy driver), each sample's self time charged to the code it was in.
 */

/** The parts of a `.cpuprofile` this reads. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string };
    children?: number[];
  }>;
  samples: number[];
  timeDeltas: number[];
}

/** Categories, first match wins: path fragments of the sampled function's file. */
const CATEGORIES: Array<[string, (url: string, fn: string) => boolean]> = [
  ["garbage collection", (_url, fn) => fn === "(garbage collector)"],
  ["the program (tools/policy/scale-program.ts)", (url) => url.includes("/scale-program.")],
  [
    "protobuf encoding and decoding (google-protobuf)",
    (url) => url.includes("/google-protobuf/") || url.includes("/@pulumi/pulumi/proto/"),
  ],
  ["Pulumi SDK mock monitor (runtime/mocks.js)", (url) => url.includes("/runtime/mocks.js")],
  [
    "Pulumi SDK: resources, outputs, serialization (@pulumi/pulumi)",
    (url) => url.includes("/@pulumi/pulumi/"),
  ],
  ["@pulumi/aws resource classes", (url) => url.includes("/@pulumi/aws/")],
  ["the preview's mocks and capture (tools/preview)", (url) => url.includes("/tools/preview/")],
  ["@pulumi/policy (analyzer, deserializing, proxies)", (url) => url.includes("/@pulumi/policy/")],
  ["the pack's policies (policies/src)", (url) => url.includes("/policies/src/")],
  ["the policy driver (tools/policy)", (url) => url.includes("/tools/policy/")],
  [
    "module loading and transpiling",
    (url) =>
      url.startsWith("node:internal/modules") ||
      url.includes("/esbuild/") ||
      url.includes("/tools/bin/"),
  ],
];

const OTHER = "other (Node internals, microtask queue)";

function categoryOf(url: string, fn: string): string {
  return CATEGORIES.find(([, matches]) => matches(url, fn))?.[0] ?? OTHER;
}

export interface StageProfile {
  /** CPU time sampled in the stage, ms. */
  totalMs: number;
  /** Sampled self time per category, ms, largest first. */
  categories: Array<{ category: string; ms: number }>;
}

export interface PreviewProfile {
  program: StageProfile;
  policy: StageProfile;
}

/** Splits the profile's samples into the program and policy stages and charges each sample. */
export function previewProfile(profile: CpuProfile): PreviewProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Whether a node's stack passes through a function, memoized per node.
  const within = (fnName: string): ((id: number) => boolean) => {
    const memo = new Map<number, boolean>();
    const check = (id: number): boolean => {
      const known = memo.get(id);
      if (known !== undefined) return known;
      const node = byId.get(id);
      const up = parent.get(id);
      const result =
        node?.callFrame.functionName === fnName || (up !== undefined ? check(up) : false);
      memo.set(id, result);
      return result;
    };
    return check;
  };
  const inProgram = within("runProgram");
  const inRequests = within("buildEngineRequests");
  const inAnalyze = within("analyze");
  const inPolicyDriver = (id: number): boolean =>
    (byId.get(id)?.callFrame.url ?? "").includes("/@pulumi/policy/") || inAnalyze(id);

  const { samples } = profile;
  const programStart = samples.findIndex((s) => inProgram(s));
  const policyStart = samples.findIndex((s) => inRequests(s));
  let policyEnd = samples.length;
  for (let i = samples.length - 1; i > policyStart; i--) {
    if (inPolicyDriver(samples[i] as number)) {
      policyEnd = i + 1;
      break;
    }
  }
  const stage = (from: number, to: number): StageProfile => {
    const totals = new Map<string, number>();
    let total = 0;
    for (let i = Math.max(0, from); i < to; i++) {
      const node = byId.get(samples[i] as number);
      const fn = node?.callFrame.functionName ?? "";
      if (fn === "(idle)" || fn === "(program)") continue;
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      const category = categoryOf(node?.callFrame.url ?? "", fn);
      totals.set(category, (totals.get(category) ?? 0) + ms);
      total += ms;
    }
    return {
      totalMs: total,
      categories: [...totals]
        .map(([category, ms]) => ({ category, ms }))
        .sort((a, b) => b.ms - a.ms),
    };
  };
  if (programStart < 0 || policyStart < 0) {
    throw new Error("the CPU profile has no sample inside runProgram or buildEngineRequests");
  }
  return { program: stage(programStart, policyStart), policy: stage(policyStart, policyEnd) };
}
