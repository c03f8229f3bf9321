/**
 * GET /creators/{id}/revenue?from=YYYY-MM-DD&to=YYYY-MM-DD — revenue per day and type.
 *
 * Closed days come from the worker's nightly roll-up (`daily_revenue`: one row per creator, day
 * and type); the days the roll-up has not covered yet — today, and yesterday until the 03:00 run —
 * are summed live from `transactions` over the (creator_id, day, type) index. Both halves are one
 * statement. A range of closed days reads ≤ 3 rows per day instead of every purchase.
 *
 * "Covered" means up to the latest day present in `daily_revenue` (the roll-up runs day by day, in
 * order, and is alarmed through its DLQ when a run fails; a day it missed is replayed with
 * `{"day":"YYYY-MM-DD"}`, docs/RUNBOOK.md). No cache: the roll-up made the route as fast as its
 * round-trip (BENCHMARKS.md, "Capacity"), so a per-runtime cache would only add staleness.
 *
 * Defaults: the last 30 days up to today (UTC). At most MAX_RANGE_DAYS days per request.
 */
import { NotFoundError, ValidationError } from "../lib/errors";
import type { AppPrisma } from "../lib/prisma";
import type { Route } from "../lib/router";
import { assertQueryParams, parseDay } from "../lib/validation";
import { creatorOf, type RouteContext } from "./context";

export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

type RevenueType = "subscription" | "tip" | "ppv";

interface RevenueRow {
  day: Date;
  type: RevenueType;
  amount_cents: bigint | number;
  transaction_count: bigint | number;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Rolled-up days up to the roll-up's watermark, live sums after it, in one round-trip. Plain
 * parameterised SQL: no session state, nothing that pins an RDS Proxy connection.
 */
export function revenueRows(
  prisma: AppPrisma,
  creatorId: number,
  from: Date,
  to: Date,
): Promise<RevenueRow[]> {
  return prisma.$queryRaw<RevenueRow[]>`
    WITH watermark AS (
      SELECT COALESCE(MAX(day), '-infinity'::date) AS day
      FROM daily_revenue WHERE day < (now() AT TIME ZONE 'UTC')::date
    )
    SELECT r.day, r.type, r.amount_cents::bigint, r.transaction_count
    FROM daily_revenue r, watermark w
    WHERE r.creator_id = ${creatorId} AND r.day BETWEEN ${from}::date AND ${to}::date
      AND r.day <= w.day
    UNION ALL
    SELECT t.day, t.type, SUM(t.amount_cents)::bigint, COUNT(*)
    FROM transactions t, watermark w
    WHERE t.creator_id = ${creatorId} AND t.day BETWEEN ${from}::date AND ${to}::date
      AND t.day > w.day
    GROUP BY t.day, t.type
    ORDER BY 1, 2`;
}

export const getRevenue: Route<RouteContext> = {
  method: "GET",
  path: "/creators/{id}/revenue",
  async handler(request, context) {
    const { db } = context;
    assertQueryParams(request, ["from", "to"]);
    const creatorId = creatorOf(context);
    const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    const to = request.query.to ? parseDay(request.query.to, "to") : today;
    const from = request.query.from
      ? parseDay(request.query.from, "from")
      : new Date(to.getTime() - 29 * DAY_MS);
    if (from > to) throw new ValidationError("from must be on or before to.", "from");
    if ((to.getTime() - from.getTime()) / DAY_MS + 1 > MAX_RANGE_DAYS) {
      throw new ValidationError(
        `The range from..to must span at most ${MAX_RANGE_DAYS} days.`,
        "from",
      );
    }

    const rows = await db.run(async (prisma) => {
      const found = await revenueRows(prisma, creatorId, from, to);
      if (found.length === 0) {
        const creator = await prisma.creator.findUnique({
          where: { id: creatorId },
          select: { id: true },
        });
        if (!creator) throw new NotFoundError(`Creator ${creatorId} was not found.`);
      }
      return found;
    });

    // 64-bit sums stay bigint (JSON: a number while it is a safe integer, else a string).
    const byType: Record<RevenueType, bigint> = { subscription: 0n, tip: 0n, ppv: 0n };
    let totalCents = 0n;
    let transactionCount = 0;
    const days = rows.map((row) => {
      const amountCents = BigInt(row.amount_cents);
      const count = Number(row.transaction_count);
      byType[row.type] += amountCents;
      totalCents += amountCents;
      transactionCount += count;
      return { day: isoDay(row.day), type: row.type, amountCents, transactionCount: count };
    });
    return {
      status: 200,
      body: {
        creatorId,
        from: isoDay(from),
        to: isoDay(to),
        totalCents,
        transactionCount,
        byType,
        days,
      },
    };
  },
};
