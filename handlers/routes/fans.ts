/**
 * GET /creators/{id}/fans?cursor&limit — a creator's fans in id order, each with their latest
 * message and lifetime spend.
 *
 * One SQL statement per page whatever the page size: the latest message comes from a LATERAL
 * join (newest row of the (fan_id, sent_at DESC, id DESC) index), and lifetime spend is the fan's
 * own total, kept up to date by POST …/transactions. A second statement runs only for an empty
 * page, to tell "no more fans" from "no such creator".
 *
 * The page is read with parameterised SQL through Prisma (`$queryRaw`), the way TypedSQL serves
 * hot read paths: Prisma's query compiler never plans this statement (on a cold start, planning
 * the first model query costs more than the rest of the request) and rows skip the model
 * mapping. The statement is what `fan.findMany` with `relationJoins` sends, with the latest
 * message as columns instead of a JSON object, so its timestamp stays a Date.
 */
import * as z from "zod/mini";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { NotFoundError } from "../lib/errors";
import type { AppPrisma } from "../lib/prisma";
import type { Route } from "../lib/router";
import { assertQueryParams, idSchema, parseLimit } from "../lib/validation";
import { creatorOf, type RouteContext } from "./context";

const cursorSchema = z.strictObject({ id: idSchema });

type MessageDirection = "creator_to_fan" | "fan_to_creator";

/** One row of the page: the fan's columns, then its latest message's (all null without one). */
export interface FanRow {
  id: number;
  handle: string;
  display_name: string;
  subscribed_at: Date;
  total_spent_cents: bigint;
  transaction_count: number;
  last_purchase_at: Date | null;
  message_id: number | null;
  message_direction: MessageDirection | null;
  message_body: string | null;
  message_sent_at: Date | null;
}

/** Fans of `creatorId` with an id above `afterId` (0: from the first), at most `take`. */
export function fanRows(
  prisma: AppPrisma,
  creatorId: number,
  afterId: number,
  take: number,
): Promise<FanRow[]> {
  return prisma.$queryRaw<FanRow[]>`/* Fan.page */
    SELECT f.id, f.handle, f.display_name, f.subscribed_at, f.total_spent_cents,
           f.transaction_count, f.last_purchase_at,
           m.id AS message_id, m.direction::text AS message_direction, m.body AS message_body,
           m.sent_at AS message_sent_at
    FROM fans f
    LEFT JOIN LATERAL (
      SELECT id, direction, body, sent_at FROM messages
      WHERE fan_id = f.id
      ORDER BY sent_at DESC, id DESC
      LIMIT 1
    ) m ON true
    WHERE f.creator_id = ${creatorId} AND f.id > ${afterId}
    ORDER BY f.id
    LIMIT ${take}`;
}

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
      const page = await fanRows(prisma, creatorId, after?.id ?? 0, limit + 1);
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
        data: page.map((row) => ({
          id: row.id,
          handle: row.handle,
          displayName: row.display_name,
          subscribedAt: row.subscribed_at,
          transactionCount: row.transaction_count,
          lastPurchaseAt: row.last_purchase_at,
          lifetimeSpendCents: row.total_spent_cents,
          latestMessage:
            row.message_id === null
              ? null
              : {
                  id: row.message_id,
                  direction: row.message_direction,
                  body: row.message_body,
                  sentAt: row.message_sent_at,
                },
        })),
        nextCursor: hasMore ? encodeCursor({ id: page[page.length - 1].id }) : null,
      },
    };
  },
};
