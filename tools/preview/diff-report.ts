/** The `--base` report as text: what the change does to the plan, its policy findings and cost. */
import type { CostDelta, PlanDiff, PlanViolation, PropertyChange } from "./diff";
import {
  formatValue,
  money,
  plainStyle,
  type StepCounts,
  type Style,
  signedMoney,
  summaryLine,
} from "./format";

export function diffCounts(diff: PlanDiff): StepCounts {
  return {
    create: diff.added.length,
    update: diff.changed.length,
    replace: diff.replaced.length,
    delete: diff.removed.length,
    same: diff.unchanged,
  };
}

function propertyLine(c: PropertyChange, forcesReplacement: boolean): string {
  const tag = forcesReplacement ? "  (forces replacement)" : "";
  if (!("old" in c)) return `+ ${c.path}: ${formatValue(c.new)}${tag}`;
  if (!("new" in c)) return `- ${c.path}: ${formatValue(c.old)}${tag}`;
  return `~ ${c.path}: ${formatValue(c.old)} → ${formatValue(c.new)}${tag}`;
}

function violationLines(v: PlanViolation, note: string): string[] {
  return [
    `  [${v.level}] ${v.policy}  ${v.resource}${note}`,
    ...v.message.split("\n").map((l) => `      ${l}`),
  ];
}

/** Plan changes by URN, each with its changed input paths; unchanged resources counted only. */
export function renderPlanDiff(diff: PlanDiff, style: Style = plainStyle): string {
  const lines: string[] = [
    `Changes against ${diff.base.ref} (${diff.base.commit.slice(0, 12)}), by URN:`,
  ];
  const head = (
    sign: string,
    colour: Parameters<Style["paint"]>[0],
    r: { type: string; name: string },
  ) => `  ${style.paint(colour, `${sign}${r.type}`)}  ${r.name}`;
  for (const r of diff.added) lines.push(head("+ ", "green", r));
  for (const r of diff.replaced) {
    lines.push(head("+-", "magenta", r));
    const reasons = new Set(r.replaceReasons ?? []);
    for (const c of r.changes) lines.push(`      ${propertyLine(c, reasons.has(c.path))}`);
  }
  for (const r of diff.changed) {
    lines.push(head("~ ", "yellow", r));
    for (const c of r.changes) lines.push(`      ${propertyLine(c, false)}`);
  }
  for (const r of diff.removed) lines.push(head("- ", "red", r));
  if (lines.length === 1) lines.push("  no resource changes");
  lines.push("", `Resources: ${summaryLine(diffCounts(diff), style)}`);

  const { policy } = diff;
  lines.push(
    "",
    `Policy findings: ${policy.new.length} new in this change, ${policy.existing.length} already present at ${diff.base.ref}, ${policy.resolved.length} resolved by it.`,
  );
  for (const v of policy.new) lines.push(...violationLines(v, "  (new)"));
  for (const v of policy.resolved) lines.push(...violationLines(v, "  (resolved)"));
  return lines.join("\n");
}

/** The cost delta, total first, then each line whose monthly cost changes. */
export function renderCostDelta(delta: CostDelta, baseRef: string): string {
  const lines = [
    `Monthly cost: ${money(delta.totalMonthlyUsd)} (${signedMoney(delta.deltaMonthlyUsd)} against ${baseRef}: ${money(delta.baseTotalMonthlyUsd)})`,
  ];
  if (delta.lines.length === 0) {
    lines.push("  no line item changes");
    return lines.join("\n");
  }
  const label = (l: CostDelta["lines"][number]) => `${l.service}: ${l.item}`;
  const width = Math.min(56, Math.max(...delta.lines.map((l) => label(l).length)));
  for (const l of delta.lines) {
    const name = label(l).length > width ? `${label(l).slice(0, width - 1)}…` : label(l);
    lines.push(
      `  ${name.padEnd(width)}  ${money(l.baseUsd).padStart(10)} → ${money(l.usd).padStart(10)}  ${signedMoney(l.deltaUsd).padStart(10)}`,
    );
  }
  return lines.join("\n");
}
