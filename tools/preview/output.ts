/**
 * The preview's document (`--json`, `--json-file`) and its text report, from one run, its policy
 * evaluation, its cost estimate and, with `--base`, the comparison with the base.
 */
import type { PolicyEvaluation } from "../policy/evaluate";
import type { BasePreview } from "./base";
import {
  type CostDelta,
  type CostLine,
  countPlan,
  describeCount,
  diffCost,
  diffPlans,
  type PlanDiff,
  type PlanDocument,
} from "./diff";
import { renderCostDelta, renderPlanDiff } from "./diff-report";
import { formatOutput, type Style, summaryLine } from "./format";
import type { ProgramRun } from "./run-program";

/**
 * Version of the `--json` document's shape. Bumped when a field changes meaning or goes away;
 * adding fields keeps it.
 */
export const SCHEMA_VERSION = 1;

interface CostEstimate {
  totalMonthlyUsd: number;
  lineItems: CostLine[];
}

export interface PreviewResult {
  run: ProgramRun;
  policy: PolicyEvaluation;
  cost?: CostEstimate;
  base?: BasePreview;
}

/** The run as a plan document (the shape `--json` prints and `--base` compares). */
export function planDocument(run: ProgramRun): PlanDocument & { resources: unknown[] } {
  return {
    resources: run.resources.map((r) => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      parent: r.parent || null,
      custom: r.custom,
      provider: r.provider,
      dependencies: r.dependencies,
      inputs: r.inputs,
      outputs: r.outputs,
      options: { replaceOnChanges: r.options.replaceOnChanges },
    })),
  };
}

export interface Comparison {
  diff: PlanDiff;
  cost?: { base: unknown; delta: CostDelta };
}

export function compare(result: PreviewResult): Comparison | undefined {
  const { base } = result;
  if (!base) return undefined;
  const head: PlanDocument = {
    ...planDocument(result.run),
    violations: result.policy.violations,
  };
  const diff = diffPlans(base.document, head, { ref: base.ref, commit: base.commit });
  const baseCost = base.document.cost as CostEstimate | undefined;
  return {
    diff,
    cost:
      result.cost && baseCost
        ? { base: baseCost, delta: diffCost(baseCost, result.cost) }
        : undefined,
  };
}

/** `summary` of the document: what the plan does and what "resources" counts. */
export function planSummary(run: ProgramRun, comparison?: Comparison): Record<string, unknown> {
  const count = countPlan(planDocument(run));
  const steps = comparison
    ? {
        create: comparison.diff.added.length,
        update: comparison.diff.changed.length,
        replace: comparison.diff.replaced.length,
        delete: comparison.diff.removed.length,
        same: comparison.diff.unchanged,
      }
    : { create: count.total };
  return {
    resources: count.total,
    counted: describeCount(count),
    ...steps,
  };
}

export function withComparison(
  document: Record<string, unknown>,
  result: PreviewResult,
  comparison: Comparison | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    schemaVersion: SCHEMA_VERSION,
    ...document,
    summary: planSummary(result.run, comparison),
  };
  if (result.cost) out.cost = result.cost;
  if (comparison) {
    out.diff = comparison.diff;
    if (comparison.cost) {
      out.cost = { ...result.cost, base: comparison.cost.base, delta: comparison.cost.delta };
    }
  }
  return out;
}

/** Stack outputs, one per line, long lists wrapped, unknowns as Pulumi prints them. */
export function renderOutputs(run: ProgramRun): string {
  return Object.entries(run.outputs)
    .map(([k, v]) => `  ${k}: ${formatOutput(v, 4 + k.length)}`)
    .join("\n");
}

/** The one summary line of a plain preview: `Resources: + 115 to create (…)`. */
export function renderSummary(run: ProgramRun, style: Style): string {
  const count = countPlan(planDocument(run));
  return `Resources: ${summaryLine({ create: count.total }, style)} (${describeCount(count)})`;
}

export function renderComparison(comparison: Comparison, style: Style): string {
  const parts = [renderPlanDiff(comparison.diff, style)];
  if (comparison.cost) parts.push(renderCostDelta(comparison.cost.delta, comparison.diff.base.ref));
  return parts.join("\n\n");
}
