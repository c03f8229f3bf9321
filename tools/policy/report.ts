import { displayType } from "../preview/report";
import type { PolicyEvaluation } from "./evaluate";
import { renderExemptions } from "./exemptions";

/** The policy report printed after the plan: each violation, then a summary of what ran. */
export function renderPolicyReport(evaluation: PolicyEvaluation): string {
  const { pack, violations, policies } = evaluation;
  const lines: string[] = [];
  const config = evaluation.configFile ?? "pack defaults (no policy config file for this stack)";
  lines.push(`Policy pack ${pack.name}@${pack.version} — config: ${config}`);

  if (violations.length === 0) {
    lines.push("  No policy violations.");
  } else {
    for (const v of violations) {
      const where = v.resourceType
        ? `${displayType(v.resourceType)} ${v.resourceName}`
        : v.resource;
      lines.push(`  [${v.level}] ${v.policy}  ${where}`);
      for (const line of v.message.split("\n")) lines.push(`      ${line}`);
    }
  }

  lines.push("");
  lines.push(...renderExemptions(evaluation.exemptions, evaluation.exemptionsJudgedOn));

  const mandatory = violations.filter((v) => v.level === "mandatory").length;
  const advisory = violations.length - mandatory;
  const evaluated = policies.filter((p) => p.level !== "disabled");
  const disabled = policies.length - evaluated.length;
  const perPolicy = new Map<string, number>();
  for (const v of violations) perPolicy.set(v.policy, (perPolicy.get(v.policy) ?? 0) + 1);

  lines.push("");
  lines.push(
    `Policies evaluated: ${evaluated.length} of ${policies.length}${disabled ? ` (${disabled} disabled)` : ""} over ${evaluation.resourcesAnalyzed} resources in ${evaluation.durationMs.toFixed(0)} ms`,
  );
  const width = Math.max(...policies.map((p) => p.name.length));
  for (const p of policies) {
    const count = perPolicy.get(p.name) ?? 0;
    const scope =
      p.kind === "stack" ? "stack" : `${p.checked} resource${p.checked === 1 ? "" : "s"}`;
    const status =
      p.level === "disabled"
        ? "disabled"
        : count > 0
          ? `${count} violation${count === 1 ? "" : "s"}`
          : p.checked === 0
            ? "not applicable (nothing to check)"
            : `pass (${scope})`;
    lines.push(`  ${p.name.padEnd(width)}  ${p.level.padEnd(9)}  ${status}`);
  }
  lines.push("");
  lines.push(
    mandatory > 0
      ? `Policy summary: ${mandatory} mandatory violation${mandatory === 1 ? "" : "s"}, ${advisory} advisory — the deploy would be blocked.`
      : `Policy summary: no mandatory violations, ${advisory} advisory.`,
  );
  return lines.join("\n");
}
