/**
 * GET /creators/{id}/fans?cursor&limit — a creator's fans in id order, each with their latest
 * message and lifetime spend.
 *
 * One SQL statement per page whatever the page size: the latest message comes from a LATERAL
 * join (relationJoins; newest row of the (fan_id, sent_at DESC, id DESC) index), and lifetime
 * spend is the fan's own total, kept up to date by POST …/transactions. A second statement runs
 * only for an empty page, to tell "no more fans" from "no such creator".
 */
import * as z from "zod/mini";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { NotFoundError } from "../lib/errors";
import type { Route } from "../lib/router";
import { assertQueryParams, idSchema, parseLimit } from "../lib/validation";
import { creatorOf, type RouteContext } from "./context";

const cursorSchema = z.strictObject({ id: idSchema });

export const listFans: Route<RouteContext> = {
  method: "GET",
  path: "/creators/{id}/fans",
  async handler(request, context) {
    const { db } = context;
    assertQueryParams(request, ["cursor", "limit"]);
    const creatorId = creatorOf(context);
    const limit = parseLimit(request.query.limit);
    const after = decodeCursor(request.query.cursor, cursorSchema);

    const rows = await db.run(async (prisma) => {
      const page = await prisma.fan.findMany({
        where: { creatorId, ...(after ? { id: { gt: after.id } } : {}) },
        orderBy: { id: "asc" },
        take: limit + 1,
        select: {
          id: true,
          handle: true,
          displayName: true,
          subscribedAt: true,
          totalSpentCents: true,
          transactionCount: true,
          lastPurchaseAt: true,
          messages: {
            select: { id: true, direction: true, body: true, sentAt: true },
            orderBy: [{ sentAt: "desc" }, { id: "desc" }],
            take: 1,
          },
        },
      });
      if (page.length === 0) {
        const creator = await prisma.creator.findUnique({
          where: { id: creatorId },
          select: { id: true },
        });
        if (!creator) throw new NotFoundError(`Creator ${creatorId} was not found.`);
      }
      return page;
    });

    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    return {
      status: 200,
      body: {
        data: page.map(({ messages, totalSpentCents, ...fan }) => ({
          ...fan,
          lifetimeSpendCents: totalSpentCents,
          latestMessage: messages[0] ?? null,
        })),
        nextCursor: hasMore ? encodeCursor({ id: page[page.length - 1].id }) : null,
      },
    };
  },
};
