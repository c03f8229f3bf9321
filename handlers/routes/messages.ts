/**
 * GET /creators/{id}/fans/{fanId}/messages?cursor&limit — one conversation, newest first.
 *
 * Keyset pagination on (sent_at, id): the `sent_at <= cursor` bound lets PostgreSQL start the
 * (fan_id, sent_at DESC, id DESC) index scan at the cursor, so page 1 000 costs what page 1
 * costs (BENCHMARKS.md compares it with OFFSET).
 */
import * as z from "zod/mini";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { NotFoundError } from "../lib/errors";
import type { Route } from "../lib/router";
import {
  assertQueryParams,
  idSchema,
  parseId,
  parseLimit,
  postgresDateTime,
} from "../lib/validation";
import { creatorOf, type RouteContext } from "./context";

const cursorSchema = z.strictObject({ at: postgresDateTime(), id: idSchema });

export const listMessages: Route<RouteContext> = {
  method: "GET",
  path: "/creators/{id}/fans/{fanId}/messages",
  async handler(request, context) {
    const { db } = context;
    assertQueryParams(request, ["cursor", "limit"]);
    const creatorId = creatorOf(context);
    const fanId = parseId(request.params.fanId, "fanId");
    const limit = parseLimit(request.query.limit);
    const after = decodeCursor(request.query.cursor, cursorSchema);
    const at = after ? new Date(after.at) : undefined;

    const rows = await db.run(async (prisma) => {
      const page = await prisma.message.findMany({
        where: {
          fanId,
          creatorId,
          ...(after && at
            ? { sentAt: { lte: at }, OR: [{ sentAt: { lt: at } }, { id: { lt: after.id } }] }
            : {}),
        },
        orderBy: [{ sentAt: "desc" }, { id: "desc" }],
        take: limit + 1,
        select: { id: true, direction: true, body: true, sentAt: true, campaignId: true },
      });
      if (page.length === 0) {
        const fan = await prisma.fan.findFirst({
          where: { id: fanId, creatorId },
          select: { id: true },
        });
        if (!fan) throw new NotFoundError(`Fan ${fanId} of creator ${creatorId} was not found.`);
      }
      return page;
    });

    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    const last = page[page.length - 1];
    return {
      status: 200,
      body: {
        data: page,
        nextCursor: hasMore ? encodeCursor({ at: last.sentAt.toISOString(), id: last.id }) : null,
      },
    };
  },
};
