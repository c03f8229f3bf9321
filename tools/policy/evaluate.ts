import * as fs from "node:fs";
import * as path from "node:path";
import type { EnforcementLevel } from "@pulumi/policy";
import type {
  AnalyzeDiagnostic,
  AnalyzeResponse,
  AnalyzerInfo,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { PolicyType } from "@pulumi/pulumi/proto/analyzer_pb";
import { today } from "../../policies/src/lib/exemptions";
import { packDescription, packEnforcementLevel, packName, policies } from "../../policies/src/pack";
import type { ProgramRun } from "../preview/run-program";
import type { LoadedStackConfig } from "../preview/stack-config";
import { type AnalyzerTransport, loadInProcessAnalyzer, type PackDefinition } from "./analyzer";
import { CANNOT_RUN_ADVICE, isCannotRun } from "./cannot-run";
import {
  configureRequest,
  type ReconciledConfig,
  readPolicyConfigFile,
  reconcilePolicyConfig,
} from "./config";
import { buildEngineRequests } from "./engine";
import { type ListedExemption, listExemptions } from "./exemptions";

export { CANNOT_RUN_ADVICE, isCannotRun };

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const POLICIES_DIR = path.join(PROJECT_ROOT, "policies");

/** The project's pack as `policies/index.ts` would construct it. */
export function projectPack(): PackDefinition {
  const { version } = JSON.parse(
    fs.readFileSync(path.join(POLICIES_DIR, "package.json"), "utf8"),
  ) as {
    version: string;
  };
  return {
    name: packName,
    version,
    enforcementLevel: packEnforcementLevel,
    args: { policies, description: packDescription },
  };
}

/** `policies/config/<stack>.json`, the config a stack is previewed with unless overridden. */
export function stackPolicyConfigFile(stack: string): string {
  return path.join(POLICIES_DIR, "config", `${stack}.json`);
}

export interface PolicyViolation {
  policy: string;
  level: EnforcementLevel;
  /**
   * The policy read a value that is unknown during preview and could not decide ("can't run
   * policy … during preview"). The library reports that as advisory; a mandatory policy that
   * cannot decide is a failure here, since stack policies only gate at preview.
   */
  cannotRun: boolean;
  /** URN of the resource the violation is about. */
  resource: string;
  resourceType: string;
  resourceName: string;
  message: string;
}

export interface EvaluatedPolicy {
  name: string;
  kind: "resource" | "stack";
  level: EnforcementLevel;
  description: string;
  /** Resources the policy judged (a stack policy: 1 when it applied to the stack, else 0). */
  checked: number;
}

export interface PolicyEvaluation {
  pack: { name: string; version: string };
  /** The config file used, relative to the project; null when the pack's defaults applied. */
  configFile: string | null;
  policies: EvaluatedPolicy[];
  violations: PolicyViolation[];
  resourcesAnalyzed: number;
  /** Every exemption declared in the policy config and the program's tags, and its status. */
  exemptions: ListedExemption[];
  /** The day (UTC, `YYYY-MM-DD`) expiry was judged on. */
  exemptionsJudgedOn: string;
  /** Wall time of the policy stage (configure, analyze, analyzeStack). */
  durationMs: number;
}

export interface EvaluateOptions {
  /** Overrides `policies/config/<stack>.json`. */
  configFile?: string;
  /** Defaults to the library's analyzer in this process, serving the project's pack. */
  transport?: AnalyzerTransport;
}

function levelName(level: number): EnforcementLevel {
  return (["advisory", "mandatory", "disabled", "remediate"] as const)[level] ?? "advisory";
}

/** A configured analyzer, ready to evaluate a run: a bad policy config fails before any program runs. */
export interface PreparedPolicies {
  evaluate(
    run: ProgramRun,
    stackConfig: Pick<LoadedStackConfig, "project" | "stack" | "config" | "secretKeys">,
  ): Promise<PolicyEvaluation>;
  close(): void;
}

/**
 * Loads the analyzer and reconciles the policy config (the stack's `policies/config/<stack>.json`
 * unless `options.configFile` overrides it) the way the engine does before `Configure`.
 */
export async function preparePolicies(
  stack: string,
  options: EvaluateOptions = {},
): Promise<PreparedPolicies> {
  const started = process.hrtime.bigint();
  const transport = options.transport ?? loadInProcessAnalyzer(projectPack());
  try {
    const info = await transport.getAnalyzerInfo();
    const configFile = options.configFile ?? stackPolicyConfigFile(stack);
    const useFile = options.configFile !== undefined || fs.existsSync(configFile);
    const label = path.relative(process.cwd(), configFile) || configFile;
    const config: ReconciledConfig = reconcilePolicyConfig(
      info,
      useFile ? readPolicyConfigFile(configFile, label) : undefined,
      label,
    );
    const preparedMs = Number(process.hrtime.bigint() - started) / 1e6;
    return {
      evaluate: async (run, stackConfig) => {
        const t0 = process.hrtime.bigint();
        const result = await analyze(transport, info, config, run, stackConfig);
        const relativeConfig = useFile
          ? path.relative(PROJECT_ROOT, configFile) || configFile
          : null;
        const on = today();
        return {
          ...result,
          configFile: relativeConfig,
          exemptions: listExemptions(run, config, relativeConfig, on),
          exemptionsJudgedOn: on,
          durationMs: preparedMs + Number(process.hrtime.bigint() - t0) / 1e6,
        };
      },
      close: () => transport.close(),
    };
  } catch (err) {
    transport.close();
    throw err;
  }
}

/**
 * Runs the pack over a program's registrations the way the engine does during `pulumi preview`:
 * ConfigureStack, Configure with the reconciled policy config, Analyze per resource, then
 * AnalyzeStack once, and collects the diagnostics.
 */
export async function evaluatePolicies(
  run: ProgramRun,
  stackConfig: Pick<LoadedStackConfig, "project" | "stack" | "config" | "secretKeys">,
  options: EvaluateOptions = {},
): Promise<PolicyEvaluation> {
  const prepared = await preparePolicies(stackConfig.stack, options);
  try {
    return await prepared.evaluate(run, stackConfig);
  } finally {
    prepared.close();
  }
}

async function analyze(
  transport: AnalyzerTransport,
  info: AnalyzerInfo,
  config: ReconciledConfig,
  run: ProgramRun,
  stackConfig: Pick<LoadedStackConfig, "project" | "stack" | "config" | "secretKeys">,
): Promise<
  Omit<PolicyEvaluation, "configFile" | "durationMs" | "exemptions" | "exemptionsJudgedOn">
> {
  const requests = buildEngineRequests(run, stackConfig);
  await transport.configureStack(requests.configureStack);
  await transport.configure(configureRequest(config));

  const byUrn = new Map(requests.analyze.map((r) => [r.getUrn(), r]));
  const packLevels = new Map(
    info.getPoliciesList().map((p) => [p.getName(), levelName(p.getEnforcementlevel())]),
  );
  const configuredLevel = (policy: string): EnforcementLevel | undefined =>
    config[policy]?.enforcementLevel ?? packLevels.get(policy);
  const stackUrn = run.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn ?? "";
  const violations: PolicyViolation[] = [];
  const collect = (resp: AnalyzeResponse, urnOf: (d: AnalyzeDiagnostic) => string) => {
    for (const d of resp.getDiagnosticsList()) {
      const urn = urnOf(d);
      const req = byUrn.get(urn);
      // The library prefixes a string report with the policy description.
      const prefix = `${d.getDescription()}\n`;
      const message = d.getMessage().startsWith(prefix)
        ? d.getMessage().slice(prefix.length)
        : d.getMessage();
      const level = levelName(d.getEnforcementlevel());
      const policy = d.getPolicyname();
      const cannotRun = isCannotRun(message);
      const configured = configuredLevel(policy);
      const failsClosed = cannotRun && (configured === "mandatory" || configured === "remediate");
      violations.push({
        policy,
        // The engine reports a violation of a remediate policy as mandatory.
        level: failsClosed || level === "remediate" ? "mandatory" : level,
        cannotRun,
        resource: urn,
        resourceType: req?.getType() ?? "",
        resourceName: req?.getName() ?? "",
        message: failsClosed ? `${message}\n${CANNOT_RUN_ADVICE}` : message,
      });
    }
  };

  const checked = new Map<string, number>();
  const countApplicable = (resp: AnalyzeResponse, kind: PolicyType) => {
    const skipped = new Set(resp.getNotApplicableList().map((n) => n.getPolicyName()));
    for (const p of info.getPoliciesList()) {
      if (p.getPolicyType() !== kind || skipped.has(p.getName())) continue;
      if (config[p.getName()]?.enforcementLevel === "disabled") continue;
      checked.set(p.getName(), (checked.get(p.getName()) ?? 0) + 1);
    }
  };
  for (const req of requests.analyze) {
    const resp = await transport.analyze(req);
    // The engine always attributes a resource policy's report to the resource it analyzed.
    collect(resp, () => req.getUrn());
    countApplicable(resp, PolicyType.POLICY_TYPE_RESOURCE);
  }
  const stackResp = await transport.analyzeStack(requests.stack);
  collect(stackResp, (d) => d.getUrn() || stackUrn);
  countApplicable(stackResp, PolicyType.POLICY_TYPE_STACK);

  const order = new Map(info.getPoliciesList().map((p, i) => [p.getName(), i]));
  violations.sort(
    (a, b) =>
      Number(b.level === "mandatory") - Number(a.level === "mandatory") ||
      (order.get(a.policy) ?? 0) - (order.get(b.policy) ?? 0) ||
      a.resource.localeCompare(b.resource),
  );

  return {
    pack: { name: info.getName(), version: info.getVersion() },
    policies: info.getPoliciesList().map((p) => ({
      name: p.getName(),
      kind: p.getPolicyType() === PolicyType.POLICY_TYPE_STACK ? "stack" : "resource",
      level: config[p.getName()]?.enforcementLevel ?? levelName(p.getEnforcementlevel()),
      description: p.getDescription(),
      checked: checked.get(p.getName()) ?? 0,
    })),
    violations,
    resourcesAnalyzed: requests.analyze.length,
  };
}

export function mandatoryViolations(evaluation: PolicyEvaluation): PolicyViolation[] {
  return evaluation.violations.filter((v) => v.level === "mandatory");
}
