import { ToolError } from "../lib/errors";
import type { Io } from "./progress";
import type { EngineRun, PolicyViolation, Pulumi } from "./pulumi";

export interface StepOutcome {
  ok: boolean;
  summary: string;
  violations: PolicyViolation[];
}

function describeViolation(v: PolicyViolation): string {
  const resource = v.resourceUrn ? v.resourceUrn.split("::").slice(-1)[0] : "stack";
  return `${v.policyName} (${v.enforcementLevel}) on ${resource}: ${v.message.split("\n")[0]}`;
}

/** Decides a preview/up outcome from its exit code and the policy events it logged. */
export function judgeEngineRun(command: "preview" | "up", run: EngineRun): StepOutcome {
  const mandatory = run.violations.filter((v) => v.enforcementLevel === "mandatory");
  const advisory = run.violations.filter((v) => v.enforcementLevel !== "mandatory");
  const lines = [
    ...mandatory.map((v) => `    ${describeViolation(v)}`),
    ...advisory.map((v) => `    ${describeViolation(v)}`),
  ];
  if (mandatory.length > 0) {
    return {
      ok: false,
      violations: run.violations,
      summary: [
        `pulumi ${command} reported ${mandatory.length} mandatory policy violation(s)${command === "preview" ? "; nothing was deployed" : ""}:`,
        ...lines,
        "  Fix the program (or, for a deliberate exception, the stack's policy config) and run the deploy again.",
      ].join("\n"),
    };
  }
  if (run.code !== 0) {
    return {
      ok: false,
      violations: run.violations,
      summary: `pulumi ${command} failed (exit ${run.code}); see its output above${command === "up" ? ". Resources already updated stay updated: fix the cause and run the deploy again (the snapshot above is the data rollback)" : ""}.`,
    };
  }
  return {
    ok: true,
    violations: run.violations,
    summary:
      advisory.length > 0
        ? `pulumi ${command} succeeded with ${advisory.length} advisory policy finding(s):\n${lines.join("\n")}`
        : `pulumi ${command} succeeded with no policy violations.`,
  };
}

async function runEngine(
  pulumi: Pulumi,
  command: "preview" | "up",
  stack: string,
  policyConfig: string,
  io: Io,
): Promise<StepOutcome> {
  try {
    return judgeEngineRun(command, await pulumi.engine(command, { stack, policyConfig }, io.out));
  } catch (err) {
    if (err instanceof ToolError) return { ok: false, summary: err.message, violations: [] };
    throw err;
  }
}

/** Step 3: the plan with the policy pack; any mandatory violation stops the deploy. */
export function validate(
  pulumi: Pulumi,
  stack: string,
  policyConfig: string,
  io: Io,
): Promise<StepOutcome> {
  return runEngine(pulumi, "preview", stack, policyConfig, io);
}

/**
 * Step 4: `pulumi up` with the same pack (the engine re-plans and re-evaluates the policies,
 * so a change that landed between preview and up is still checked). The Automation API
 * never prompts: the confirmation already happened in this command.
 */
export function deploy(
  pulumi: Pulumi,
  stack: string,
  policyConfig: string,
  io: Io,
): Promise<StepOutcome> {
  return runEngine(pulumi, "up", stack, policyConfig, io);
}
