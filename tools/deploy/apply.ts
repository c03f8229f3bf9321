import { ToolError } from "../lib/errors";
import { CANNOT_RUN_ADVICE, isCannotRun } from "../policy/cannot-run";
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

/**
 * Decides a preview/up outcome from its exit code and the policy events it logged.
 *
 * Fails closed on a policy that could not run: the engine reports "can't run policy … during
 * preview" as advisory whatever the policy's level, and `pulumi up` runs stack policies only
 * after every step, so a policy that cannot decide at preview gates nothing. The event does not
 * carry the policy's configured level; this project's pack is written so that none of its
 * policies needs a value unknown at preview, so any such event stops the deploy.
 */
export function judgeEngineRun(command: "preview" | "up", run: EngineRun): StepOutcome {
  const cannotRun = run.violations.filter((v) => isCannotRun(v.message));
  const mandatory = run.violations.filter(
    (v) => v.enforcementLevel === "mandatory" && !isCannotRun(v.message),
  );
  const advisory = run.violations.filter(
    (v) => v.enforcementLevel !== "mandatory" && !isCannotRun(v.message),
  );
  const lines = [
    ...cannotRun.map((v) => `    ${describeViolation(v)}`),
    ...mandatory.map((v) => `    ${describeViolation(v)}`),
    ...advisory.map((v) => `    ${describeViolation(v)}`),
  ];
  if (cannotRun.length > 0) {
    return {
      ok: false,
      violations: run.violations,
      summary: [
        `pulumi ${command} reported ${cannotRun.length} policy check(s) that could not run during preview${mandatory.length > 0 ? ` and ${mandatory.length} mandatory violation(s)` : ""}${command === "preview" ? "; nothing was deployed" : ""}:`,
        ...lines,
        `  ${CANNOT_RUN_ADVICE}`,
      ].join("\n"),
    };
  }
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
