import type { CapturedResource, ProgramRun } from "./run-program";

/**
 * The type token as printed: the full token (`aws:lambda/function:Function`), the same string
 * `--json`, the policy report, SARIF and the `--base` diff carry, so one search finds all.
 */
export function displayType(type: string): string {
  return type;
}

/** The plan as an indented tree by parent, like `pulumi preview`'s resource column. */
export function renderTree(run: ProgramRun): string {
  const children = new Map<string, CapturedResource[]>();
  for (const r of run.resources) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const lines: string[] = [];
  const walk = (parent: string, depth: number): void => {
    for (const r of children.get(parent) ?? []) {
      lines.push(
        `${"  ".repeat(depth)}+ ${displayType(r.type).padEnd(Math.max(1, 44 - depth * 2))} ${r.name}`,
      );
      walk(r.urn, depth + 1);
    }
  };
  walk("", 0);
  return lines.join("\n");
}

/** Resources per type, most frequent first (components included, the stack excluded). */
export function countByType(run: ProgramRun): Array<{ type: string; count: number }> {
  const counts = new Map<string, number>();
  for (const r of run.resources) {
    if (r.type === "pulumi:pulumi:Stack") continue;
    counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([type, count]) => ({ type, count }))
    .sort((a, b) => b.count - a.count || a.type.localeCompare(b.type));
}

export function renderCounts(run: ProgramRun): string {
  const counts = countByType(run);
  const total = counts.reduce((sum, c) => sum + c.count, 0);
  const width = Math.max(...counts.map((c) => displayType(c.type).length), 10);
  return [
    ...counts.map((c) => `  ${displayType(c.type).padEnd(width)}  ${String(c.count).padStart(4)}`),
    `  ${"total".padEnd(width)}  ${String(total).padStart(4)}`,
  ].join("\n");
}

export function renderOutputs(run: ProgramRun): string {
  return Object.entries(run.outputs)
    .map(([k, v]) => `  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("\n");
}
