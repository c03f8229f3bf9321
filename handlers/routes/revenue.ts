/**
 * GET /creators/{id}/revenue?from=YYYY-MM-DD&to=YYYY-MM-DD — revenue per day and type,
 * aggregated by PostgreSQL (one GROUP BY over the (creator_id, day, type) index), cached for
 * a minute at Prisma Accelerate's edge when Accelerate is the connection mode.
 *
 * Defaults: the last 30 days up to today (UTC). At most MAX_RANGE_DAYS days per request.
 */
import { NotFoundError, ValidationError } from "../lib/errors";
import type { Route } from "../lib/router";
import { assertQueryParams, parseDay } from "../lib/validation";
import { creatorOf, type RouteContext } from "./context";

export const MAX_RANGE_DAYS = 366;
const DAY_MS = 86_400_000;

/** Revenue changes with every purchase; a minute of staleness (plus 5 of revalidation) is fine
 * for a dashboard and takes the aggregation off the database on busy pages. */
export const REVENUE_CACHE = { ttl: 60, swr: 300 };

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
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

    const groups = await db.run(async (prisma) => {
      const rows = await prisma.transaction.groupBy({
        by: ["day", "type"],
        where: { creatorId, day: { gte: from, lte: to } },
        _sum: { amountCents: true },
        _count: { _all: true },
        orderBy: [{ day: "asc" }, { type: "asc" }],
        ...db.cache({ ...REVENUE_CACHE, tags: [`revenue_${creatorId}`] }),
      });
      if (rows.length === 0) {
        const creator = await prisma.creator.findUnique({
          where: { id: creatorId },
          select: { id: true },
        });
        if (!creator) throw new NotFoundError(`Creator ${creatorId} was not found.`);
      }
      return rows;
    });

    const byType = { subscription: 0, tip: 0, ppv: 0 };
    let totalCents = 0;
    let transactionCount = 0;
    const days = groups.map((g) => {
      const amountCents = Number(g._sum.amountCents ?? 0);
      byType[g.type] += amountCents;
      totalCents += amountCents;
      transactionCount += g._count._all;
      return { day: isoDay(g.day), type: g.type, amountCents, transactionCount: g._count._all };
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
