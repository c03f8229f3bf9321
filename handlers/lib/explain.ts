/**
 * EXPLAIN for the SQL Prisma generates: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` through
 * `$queryRawUnsafe`, inside a transaction that is always rolled back (ANALYZE executes the
 * statement: an INSERT must not stick). For scripts and tests only — the SQL must come from
 * Prisma's own query events, never from a request.
 */
import type { AppPrisma } from "./prisma";
import type { RecordedStatement } from "./query-stats";

export interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows"?: number;
  "Actual Total Time"?: number;
  "Actual Loops"?: number;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
}

export interface ExplainResult {
  sql: string;
  plan: PlanNode;
  planningMs: number;
  executionMs: number;
}

class RolledBack extends Error {
  constructor(readonly result: ExplainResult) {
    super("rolled back on purpose");
  }
}

/** Prisma's `query` event parameters (JSON) → values for `$queryRawUnsafe`. */
export function parseParams(params: string): unknown[] {
  const parsed = JSON.parse(params) as unknown;
  return Array.isArray(parsed) ? parsed : [];
}

export async function explain(
  prisma: AppPrisma,
  statement: RecordedStatement,
  options: { analyze?: boolean } = {},
): Promise<ExplainResult> {
  const analyze = options.analyze ?? true;
  const prefix = analyze ? "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " : "EXPLAIN (FORMAT JSON) ";
  try {
    await prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<Array<{ "QUERY PLAN": unknown }>>(
        prefix + statement.sql,
        ...parseParams(statement.params),
      );
      const raw = rows[0]["QUERY PLAN"];
      const doc = (typeof raw === "string" ? JSON.parse(raw) : raw) as Array<{
        Plan: PlanNode;
        "Planning Time"?: number;
        "Execution Time"?: number;
      }>;
      throw new RolledBack({
        sql: statement.sql,
        plan: doc[0].Plan,
        planningMs: doc[0]["Planning Time"] ?? 0,
        executionMs: doc[0]["Execution Time"] ?? 0,
      });
    });
  } catch (err) {
    if (err instanceof RolledBack) return err.result;
    throw err;
  }
  throw new Error("unreachable: the EXPLAIN transaction always rolls back");
}

/** Every node of a plan, depth first. */
export function planNodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(planNodes)];
}

/** An indented, one-line-per-node rendering (what `npm run explain` prints). */
export function formatPlan(plan: PlanNode, depth = 0): string[] {
  const on = plan["Relation Name"] ? ` on ${plan["Relation Name"]}` : "";
  const using = plan["Index Name"] ? ` using ${plan["Index Name"]}` : "";
  const rows =
    plan["Actual Rows"] !== undefined
      ? ` rows=${plan["Actual Rows"]}×${plan["Actual Loops"] ?? 1}`
      : "";
  const time = plan["Actual Total Time"] !== undefined ? ` ${plan["Actual Total Time"]} ms` : "";
  const line = `${"  ".repeat(depth)}${plan["Node Type"]}${on}${using}${rows}${time}`;
  return [line, ...(plan.Plans ?? []).flatMap((child) => formatPlan(child, depth + 1))];
}
